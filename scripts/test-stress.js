#!/usr/bin/env node
'use strict';
/**
 * npm run test:stress [-- jest args]: the test suite while every core is kept busy, the condition under which
 * tests that wait on the wall clock fail. Starts os.availableParallelism() child processes spinning
 * `while (true) {}`, runs `npx jest` with the given arguments, stops the burners however jest ends (exit,
 * signal, Ctrl-C), and exits with jest's code.
 */
const { spawn } = require('child_process');
const os = require('os');

const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
const burners = Array.from({ length: cores }, () =>
  spawn(process.execPath, ['-e', 'while (true) {}'], { stdio: 'ignore' }),
);
const stopBurners = () => {
  for (const b of burners) if (b.exitCode === null && b.signalCode === null) b.kill('SIGKILL');
};
process.on('exit', stopBurners);

const started = Date.now();
process.stderr.write(
  `test:stress: ${burners.length} CPU burner(s) on ${cores} core(s); running jest ${process.argv.slice(2).join(' ')}\n`,
);
const jest = spawn(process.platform === 'win32' ? 'npx.cmd' : 'npx', ['jest', ...process.argv.slice(2)], {
  stdio: 'inherit',
});

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    if (jest.exitCode === null) jest.kill(sig);
  });
}

jest.on('error', (err) => {
  process.stderr.write(`test:stress: could not start jest: ${err.message}\n`);
  stopBurners();
  process.exit(1);
});

jest.on('exit', (code, signal) => {
  stopBurners();
  process.stderr.write(
    `test:stress: jest ${signal ? `killed by ${signal}` : `exited ${code}`} after ${((Date.now() - started) / 1000).toFixed(1)} s under load\n`,
  );
  process.exit(code ?? 1);
});

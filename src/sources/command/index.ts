/** Running license-server utilities: spawning (runCommand), one run per source (SingleRun), and the source base. */
export { runCommand, findOnPath, firstLine, describeExit, runningGroups, DEFAULT_MAX_STDERR_BYTES } from './run';
export type { RunOptions, RunResult } from './run';
export { SingleRun } from './single-run';
export { CommandSource, hasNoStatus } from './command.source';
export type { CommandSourceOptions, CommandSpec } from './command.source';

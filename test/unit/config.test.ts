/**
 * Configuration: a valid multi-server YAML file, and every way a file can be wrong (each failure names the key).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ConfigError, DEFAULT_SIMULATOR, loadConfig, parseServers } from '../../src/config/load';
import { createSource } from '../../src/sources/factory';
import { FileSource } from '../../src/sources/file/file.source';
import { FlexlmSource } from '../../src/sources/flexlm/flexlm.source';
import { JsonSource } from '../../src/sources/json/json.source';
import { RlmSource } from '../../src/sources/rlm/rlm.source';
import { SimulatorSource } from '../../src/sources/simulator/simulator.source';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lg-config-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

let n = 0;
function load(yaml: string, env: NodeJS.ProcessEnv = {}) {
  const file = path.join(dir, `config-${++n}.yaml`);
  fs.writeFileSync(file, yaml);
  return loadConfig({ LICENSEGRAPH_CONFIG: file, ...env });
}

/** The ConfigError a config throws (fails the test when it loads). */
function errorOf(yaml: string): ConfigError {
  try {
    load(yaml);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('the configuration loaded but should not have');
}

const VALID = `
servers:
  - id: eda
    label: EDA tools
    type: flexlm
    address: 27000@lic1.example.com,27000@lic2.example.com,27000@lic3.example.com
    binary: /opt/flexlm/lmutil
    timeZone: Europe/Berlin
    pollIntervalSeconds: 60
    timeoutSeconds: 10
  - id: cfd
    type: rlm
    address: 5053@rlm.example.com
    binary: tools/rlmutil
  - id: captured
    type: flexlm-file
    path: captures/lmstat.txt
    maxOutputBytes: 1048576
  - id: captured-rlm
    type: rlm-file
    path: /var/lib/rlmstat.txt
  - id: other
    type: json
    url: https://other.example.com/api/licenses/report
    token: s3cret
    maxAgeSeconds: 30
  - id: demo
    type: simulator
    randomSeed: 42
`;

describe('a valid multi-server file', () => {
  test('every type, with defaults filled in and paths resolved against the file', () => {
    const c = load(VALID, { PORT: '4100', HOST: '0.0.0.0' });
    expect(c.port).toBe(4100);
    expect(c.host).toBe('0.0.0.0');
    expect(c.servers.map((s) => [s.id, s.type])).toEqual([
      ['eda', 'flexlm'],
      ['cfd', 'rlm'],
      ['captured', 'flexlm-file'],
      ['captured-rlm', 'rlm-file'],
      ['other', 'json'],
      ['demo', 'simulator'],
    ]);
    const [eda, cfd, captured, capturedRlm, other, demo] = c.servers;
    expect(eda).toEqual({
      id: 'eda',
      label: 'EDA tools',
      type: 'flexlm',
      address: '27000@lic1.example.com,27000@lic2.example.com,27000@lic3.example.com',
      binary: '/opt/flexlm/lmutil',
      timeZone: 'Europe/Berlin',
      pollIntervalSeconds: 60,
      timeoutSeconds: 10,
      maxAgeSeconds: 5,
      maxOutputBytes: 64 * 1024 * 1024,
    });
    expect(cfd.label).toBe('cfd');
    expect(cfd.binary).toBe(path.join(dir, 'tools/rlmutil'));
    expect(cfd.timeZone).toBeUndefined();
    expect(captured.path).toBe(path.join(dir, 'captures/lmstat.txt'));
    expect(captured.maxOutputBytes).toBe(1048576);
    expect(capturedRlm.path).toBe('/var/lib/rlmstat.txt');
    expect(other).toMatchObject({
      url: 'https://other.example.com/api/licenses/report',
      token: 's3cret',
      maxAgeSeconds: 30,
    });
    expect(demo).toMatchObject({ randomSeed: 42, pollIntervalSeconds: 5 });
  });

  test('the factory builds the right source for each type', () => {
    const c = load(VALID);
    const sources = c.servers.map(createSource);
    expect(sources[0]).toBeInstanceOf(FlexlmSource);
    expect(sources[1]).toBeInstanceOf(RlmSource);
    expect(sources[2]).toBeInstanceOf(FileSource);
    expect(sources[3]).toBeInstanceOf(FileSource);
    expect(sources[4]).toBeInstanceOf(JsonSource);
    expect(sources[5]).toBeInstanceOf(SimulatorSource);
    expect(sources.map((s) => [s.id, s.type])).toEqual(c.servers.map((s) => [s.id, s.type]));
  });

  test('a bare binary name is kept (looked up on PATH at each run)', () => {
    const c = load('servers:\n  - { id: a, type: flexlm, address: 27000@h, binary: lmutil11 }\n');
    expect(c.servers[0].binary).toBe('lmutil11');
  });

  test('no file: the built-in simulator', () => {
    const c = loadConfig({});
    expect(c.servers).toEqual([DEFAULT_SIMULATOR]);
    expect(c.port).toBe(4000);
    expect(c.host).toBe('127.0.0.1');
  });
});

describe('each invalid configuration fails, naming the key', () => {
  const server = (body: string) => `servers:\n  - id: ok\n    type: simulator\n  - ${body}\n`;
  const cases: Array<[string, string, string, RegExp]> = [
    [
      'unknown key',
      server('{ id: a, type: flexlm, address: 27000@h, adress: 27000@h }'),
      'servers[1].adress',
      /unknown key/,
    ],
    ['unknown top-level key', 'server:\n  - { id: a, type: simulator }\n', 'server', /unknown top-level key/],
    ['no servers list', 'servers: []\n', 'servers', /non-empty list/],
    ['not a mapping', '- a\n- b\n', 'servers', /YAML mapping/],
    ['a server that is not a mapping', 'servers:\n  - just-a-string\n', 'servers[0]', /must be a mapping/],
    ['missing id', server('{ type: simulator }'), 'servers[1].id', /non-empty string/],
    ['bad id', server('{ id: EDA_1, type: simulator }'), 'servers[1].id', /\[a-z0-9-\]\+/],
    ['duplicate id', server('{ id: ok, type: simulator }'), 'servers[1].id', /duplicate id "ok"/],
    ['missing type', server('{ id: a }'), 'servers[1].type', /non-empty string/],
    ['unknown type', server('{ id: a, type: lmstat }'), 'servers[1].type', /must be one of flexlm, rlm/],
    [
      'missing address for flexlm',
      server('{ id: a, type: flexlm, binary: /opt/lmutil }'),
      'servers[1].address',
      /non-empty string/,
    ],
    ['missing address for rlm', server('{ id: a, type: rlm }'), 'servers[1].address', /non-empty string/],
    [
      'address with shell characters',
      server('{ id: a, type: flexlm, address: "27000@h; rm -rf /" }'),
      'servers[1].address',
      /shell characters/,
    ],
    [
      'address that looks like an option',
      server('{ id: a, type: flexlm, address: "-all" }'),
      'servers[1].address',
      /leading "-"/,
    ],
    [
      'empty binary',
      server('{ id: a, type: flexlm, address: 27000@h, binary: "" }'),
      'servers[1].binary',
      /non-empty string/,
    ],
    ['missing path for flexlm-file', server('{ id: a, type: flexlm-file }'), 'servers[1].path', /non-empty string/],
    ['missing url for json', server('{ id: a, type: json }'), 'servers[1].url', /non-empty string/],
    ['bad URL', server('{ id: a, type: json, url: "ftp://example.com/report" }'), 'servers[1].url', /http\(s\) URL/],
    ['URL without a host', server('{ id: a, type: json, url: "http://" }'), 'servers[1].url', /http\(s\) URL/],
    [
      'bad timeZone',
      server('{ id: a, type: simulator, timeZone: Mars/Olympus_Mons }'),
      'servers[1].timeZone',
      /unknown IANA time zone "Mars\/Olympus_Mons"/,
    ],
    [
      'key of another type (path on flexlm)',
      server('{ id: a, type: flexlm, address: 27000@h, path: /tmp/x }'),
      'servers[1].path',
      /not used by type flexlm \(type flexlm takes address, binary\)/,
    ],
    [
      'key of another type (address on json)',
      server('{ id: a, type: json, url: "http://h/r", address: 27000@h }'),
      'servers[1].address',
      /not used by type json/,
    ],
    [
      'key of another type (randomSeed on rlm)',
      server('{ id: a, type: rlm, address: 5053@h, randomSeed: 1 }'),
      'servers[1].randomSeed',
      /not used by type rlm/,
    ],
    [
      'timeoutSeconds out of range',
      server('{ id: a, type: simulator, timeoutSeconds: 0 }'),
      'servers[1].timeoutSeconds',
      /from 0.1 to 600/,
    ],
    [
      'pollIntervalSeconds not a number',
      server('{ id: a, type: simulator, pollIntervalSeconds: "60" }'),
      'servers[1].pollIntervalSeconds',
      /must be a number/,
    ],
    [
      'maxOutputBytes too small',
      server('{ id: a, type: simulator, maxOutputBytes: 10 }'),
      'servers[1].maxOutputBytes',
      /from 1024/,
    ],
    ['empty label', server('{ id: a, type: simulator, label: "" }'), 'servers[1].label', /non-empty string/],
  ];

  test.each(cases)('%s', (_name, yaml, key, message) => {
    const e = errorOf(yaml);
    expect(e.key).toBe(key);
    expect(e.message).toContain(`Invalid configuration ${key}:`);
    expect(e.message).toMatch(message);
  });

  test('an unreadable file or invalid YAML names LICENSEGRAPH_CONFIG', () => {
    expect(() => loadConfig({ LICENSEGRAPH_CONFIG: path.join(dir, 'nope.yaml') })).toThrow(
      /Invalid configuration LICENSEGRAPH_CONFIG: cannot read .*nope\.yaml/,
    );
    const e = errorOf('servers: [ {id: a\n');
    expect(e.key).toBe('LICENSEGRAPH_CONFIG');
    expect(e.message).toMatch(/not valid YAML/);
    const empty = errorOf('');
    expect(empty.key).toBe('servers');
  });

  test('environment variables are checked too', () => {
    expect(() => loadConfig({ PORT: '70000' })).toThrow(
      'Invalid configuration PORT: must be an integer from 0 to 65535',
    );
    expect(() => loadConfig({ LICENSEGRAPH_GRAPHIQL: 'maybe' })).toThrow(
      'Invalid configuration LICENSEGRAPH_GRAPHIQL: must be true or false',
    );
  });

  test('parseServers can be used on an already parsed document', () => {
    expect(parseServers({ servers: [{ id: 'x', type: 'rlm-file', path: 'a.txt' }] }, '/etc/lg')[0].path).toBe(
      '/etc/lg/a.txt',
    );
    expect(() => parseServers({ servers: [{ id: 'x', type: 'json', url: 'https://h/r', token: 42 }] }, '/')).toThrow(
      'Invalid configuration servers[0].token: must be a non-empty string',
    );
  });
});

// Flag/env/default precedence and the go-bench-suite spellings, table-driven.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { readFileSync } from 'node:fs';
import { SchemaPath } from '../../src/config/file.js';
import { parseCommand, UsageError, type ServerConfig } from '../../src/config/options.js';
import { SettingRows } from '../../src/config/settings.js';

function config(argv: string[], env: NodeJS.ProcessEnv = {}): ServerConfig {
  const c = parseCommand(argv, env);
  assert.equal(c.kind, 'serve');
  return (c as { config: ServerConfig }).config;
}

test('defaults: port 8000 on all interfaces, one worker per core, 5s grace, 16MiB body, 5m delay, 256MiB size', () => {
  const c = config([]);
  assert.equal(c.port, 8000);
  assert.equal(c.host, '0.0.0.0');
  assert.equal(c.workers, availableParallelism());
  assert.equal(c.logLevel, 'info');
  assert.equal(c.graceMs, 5000);
  assert.equal(c.maxBodyBytes, 16 * 1024 * 1024);
  assert.equal(c.maxDelayMs, 300_000);
  assert.equal(c.maxSizeBytes, 256 * 1024 * 1024);
  assert.equal(c.tls, null);
  assert.ok(Object.isFrozen(c));
});

const precedence: [string, string[], NodeJS.ProcessEnv, keyof ServerConfig, unknown][] = [
  ['env PORT', [], { PORT: '9000' }, 'port', 9000],
  ['flag beats env', ['--port', '9001'], { PORT: '9000' }, 'port', 9001],
  ['short flag', ['-p', '9002'], {}, 'port', 9002],
  ['env HOST', [], { HOST: '127.0.0.1' }, 'host', '127.0.0.1'],
  ['env WORKERS', [], { WORKERS: '3' }, 'workers', 3],
  ['WORKERS=auto', [], { WORKERS: 'auto' }, 'workers', availableParallelism()],
  ['flag workers beats env', ['--workers', '2'], { WORKERS: '3' }, 'workers', 2],
  ['env LOG_LEVEL', [], { LOG_LEVEL: 'warn' }, 'logLevel', 'warn'],
  ['empty env is unset', [], { PORT: '' }, 'port', 8000],
  ['--grace', ['--grace', '1.5s'], {}, 'graceMs', 1500],
  ['--max-body', ['--max-body', '1MiB'], {}, 'maxBodyBytes', 1048576],
  ['--max-delay', ['--max-delay', '10s'], {}, 'maxDelayMs', 10000],
  ['--max-size', ['--max-size', '1GB'], {}, 'maxSizeBytes', 1024 ** 3],
  ['--addr :8081', ['upstream', '--addr', ':8081'], {}, 'port', 8081],
  ['--addr keeps default host', ['upstream', '--addr', ':8081'], {}, 'host', '0.0.0.0'],
  ['--addr host:port', ['upstream', '--addr', '127.0.0.1:9'], {}, 'host', '127.0.0.1'],
  ['--addr [::1]:9', ['--addr', '[::1]:9'], {}, 'host', '::1'],
  ['--addr beats --port', ['--port', '1', '--addr', ':2'], {}, 'port', 2],
];
for (const [name, argv, env, key, expected] of precedence) {
  test(`config: ${name}`, () => assert.deepEqual(config(argv, env)[key], expected));
}

test('TLS from either spelling', () => {
  assert.deepEqual(config(['--tls-cert', 'c', '--tls-key', 'k']).tls, { certFile: 'c', keyFile: 'k', caFile: null });
  assert.deepEqual(config(['upstream', '--tlsCert', 'c', '--tlsKey', 'k']).tls, { certFile: 'c', keyFile: 'k', caFile: null });
  assert.deepEqual(config(['--tls-cert', 'c', '--tls-key', 'k', '--tls-ca', 'a']).tls, { certFile: 'c', keyFile: 'k', caFile: 'a' });
  assert.throws(() => config(['--tls-ca', 'a']), /--tls-ca \(mutual TLS\) needs --tls-cert/);
});

test('help and version are commands, not configs', () => {
  assert.equal(parseCommand(['--help'], {}).kind, 'help');
  assert.equal(parseCommand(['-h'], {}).kind, 'help');
  assert.equal(parseCommand(['--version'], {}).kind, 'version');
});

for (const argv of [['--nope'], ['--port', '-1'], ['--workers', '1.5'], ['--max-size', 'big'], ['x']]) {
  test(`usage error: ${argv.join(' ')}`, () => assert.throws(() => parseCommand(argv, {}), UsageError));
}

test('every config-file server setting is a row of the settings table, each read from the flag of the same name', () => {
  const schema = JSON.parse(readFileSync(SchemaPath, 'utf8')) as { properties: { server: { properties: Record<string, unknown> } } };
  const keys = Object.keys(schema.properties.server.properties);
  const fileRows = SettingRows.filter((r) => r.file !== undefined);
  assert.deepEqual(fileRows.map((r) => r.key).sort(), [...keys].sort(), 'the table\'s file settings and the schema\'s server properties differ');
  for (const r of fileRows) assert.equal(r.flag, r.key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`), `${r.key} is read from --${r.flag}`);
});

test('a config-file value, an env value and a flag, in that order of precedence, and the result is deep-frozen', async () => {
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'mock-precedence-'));
  try {
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ server: { port: 7001, journal: 5, defaultClose: 2 }, routes: [{ path: '/a', headers: { 'X-A': '1' } }] }));
    const c = config(['--config', file, '--port', '7003'], { PORT: '7002', MOCK_JOURNAL: '6' });
    assert.equal(c.port, 7003);
    assert.equal(c.journal, 6);
    assert.equal(c.defaults.close, 2);
    assert.ok(Object.isFrozen(c.defaults) && Object.isFrozen(c.routes) && Object.isFrozen(c.routes[0].headers) && Object.isFrozen(c.journalRedact));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const rejected: [string[], NodeJS.ProcessEnv, RegExp][] = [
  [['--port', '+80'], {}, /^invalid port "\+80" for --port: use a whole number from 0 to 65535/],
  [['--port', '1e3'], {}, /^invalid port "1e3"/],
  [[], { WORKERS: '0' }, /^invalid worker count "0" for WORKERS: use auto or a whole number from 1 to 256/],
  [['--seed', '1000000000'], {}, /^invalid seed "1000000000" for --seed: use a whole number from 0 to 999999999/],
  [['--journal', '9007199254740993'], {}, /^invalid value "9007199254740993" for --journal: use a whole number from 0 to 1000000/],
  [['--saturation-seconds', '0'], {}, /for --saturation-seconds: use a whole number from 1 to 3600/],
  [['--admin-port', '65536'], {}, /^invalid port "65536" for --admin-port/],
  [['--addr', ':x'], {}, /^invalid port "x" for --addr/],
  [['--port', 'x', '--addr', ':1'], {}, /^invalid port "x" for --port/],
  [['--log-level', 'loud'], {}, /^invalid log level "loud" for --log-level: use one of fatal, error/],
];
for (const [argv, env, message] of rejected) {
  test(`usage error message: ${argv.join(' ')} ${Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ')}`, () =>
    assert.throws(() => parseCommand(argv, env), (err: Error) => err instanceof UsageError && message.test(err.message)));
}

test('--admin-host: the admin listener\'s interface, defaulting to --host; only with --admin-port', () => {
  assert.equal(config([]).adminHost, null);
  assert.equal(config(['--admin-port', '0']).adminHost, '0.0.0.0');
  assert.equal(config(['--host', '10.0.0.1', '--admin-port', '0']).adminHost, '10.0.0.1');
  assert.equal(config(['upstream', '--addr', '10.0.0.2:80', '--admin-port', '0']).adminHost, '10.0.0.2');
  assert.equal(config(['--host', '0.0.0.0', '--admin-port', '9901', '--admin-host', '127.0.0.1']).adminHost, '127.0.0.1');
  assert.equal(config([], { MOCK_ADMIN_PORT: '9901', MOCK_ADMIN_HOST: '::1' }).adminHost, '::1');
  assert.throws(() => parseCommand(['--admin-host', '127.0.0.1'], {}), (err: Error) =>
    err instanceof UsageError && /--admin-host .*only with --admin-port/.test(err.message));
  assert.throws(() => parseCommand([], { MOCK_ADMIN_HOST: '127.0.0.1' }), (err: Error) =>
    err instanceof UsageError && /^MOCK_ADMIN_HOST .*only with --admin-port/.test(err.message));
});

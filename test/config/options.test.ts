// Flag/env/default precedence and the go-bench-suite spellings, table-driven.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { parseCommand, UsageError, type ServerConfig } from '../../src/config/options.js';

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
  assert.deepEqual(config(['--tls-cert', 'c', '--tls-key', 'k']).tls, { certFile: 'c', keyFile: 'k' });
  assert.deepEqual(config(['upstream', '--tlsCert', 'c', '--tlsKey', 'k']).tls, { certFile: 'c', keyFile: 'k' });
});

test('help and version are commands, not configs', () => {
  assert.equal(parseCommand(['--help'], {}).kind, 'help');
  assert.equal(parseCommand(['-h'], {}).kind, 'help');
  assert.equal(parseCommand(['--version'], {}).kind, 'version');
});

for (const argv of [['--nope'], ['--port', '-1'], ['--workers', '1.5'], ['--max-size', 'big'], ['x']]) {
  test(`usage error: ${argv.join(' ')}`, () => assert.throws(() => parseCommand(argv, {}), UsageError));
}

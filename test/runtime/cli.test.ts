// Command line behaviour: usage errors (exit 2), startup errors (one line, exit 1), help and version.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { runCli, withServer } from '../helpers/server.js';

describe('usage errors exit 2 with one clear line', () => {
  const cases: [string[], RegExp][] = [
    [['--bogus'], /Unknown option '--bogus'/],
    [['--port', 'eighty'], /invalid port "eighty"/],
    [['--port', '70000'], /invalid port/],
    [['--workers', '0'], /invalid worker count "0"/],
    [['--workers', 'lots'], /invalid worker count/],
    [['--grace', 'forever'], /invalid duration "forever"/],
    [['--max-body', '1XB'], /--max-body/],
    [['--log-level', 'loud'], /invalid log level "loud"/],
    [['--tls-cert', 'a.pem'], /both --tls-cert and --tls-key/],
    [['serve', 'extra'], /unknown command/],
    [['launch'], /unknown command "launch"/],
    [['upstream', '--addr', '8000'], /invalid --addr "8000"/],
    [['--admin-host', '127.0.0.1'], /--admin-host is the interface of the --admin-port listener, which exists only with --admin-port/],
  ];
  for (const [args, message] of cases) {
    test(args.join(' '), async () => {
      const r = await runCli(args);
      assert.equal(r.code, 2);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, `more than one line: ${r.stderr}`);
    });
  }
  test('env var errors name the variable', async () => {
    const r = await runCli([], { WORKERS: 'many' });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /WORKERS/);
  });
});

test('--help lists every flag with its env var and exits 0', async () => {
  const r = await runCli(['--help']);
  assert.equal(r.code, 0);
  for (const s of ['--port', '[env PORT]', '--host', '[env HOST]', '--workers', '[env WORKERS]', '--log-level', '[env LOG_LEVEL]', '--grace', '--max-body', '--tls-cert', '--addr', '--admin-host', '[env MOCK_ADMIN_HOST]']) {
    assert.ok(r.stdout.includes(s), `help lacks ${s}`);
  }
  assert.match(r.stdout, /^Precedence: flags > environment variables > the config file's "server" object > defaults\.$/m);
});

test('--version prints the package version', async () => {
  const r = await runCli(['--version']);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^\d+\.\d+\.\d+/);
});

describe('startup errors exit 1 with one clear line', () => {
  let blocker: Server;
  let taken = 0;
  before(async () => {
    blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    taken = (blocker.address() as { port: number }).port;
  });
  after(() => blocker.close());

  test('a port another process holds is an error, never a silent share', async () => {
    const r = await runCli(['--port', String(taken), '--host', '127.0.0.1']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`port ${taken} on 127\\.0\\.0\\.1 is already in use`));
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });

  test('an address this machine does not have is named as the problem, not the port', async () => {
    // 192.0.2.1 is TEST-NET-1 (RFC 5737): never assigned to a local interface.
    const r = await runCli(['--port', '0', '--host', '192.0.2.1']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /address 192\.0\.2\.1 is not available on this machine: choose another --host/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });

  test('a second mock-upstream on the same port fails clearly while the first keeps serving', async () => {
    await withServer({}, async (first) => {
      const r = await runCli(['--port', String(first.port), '--host', '127.0.0.1', '--workers', '1']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /already in use/);
      assert.equal((await fetch(`${first.url}/json`)).status, 200);
    });
  });

  test('the pure-JS uWebSockets.js fallback is refused', async () => {
    const r = await runCli(['--port', '0'], { UWS_USE_FALLBACK: '1', MOCK_ENGINE: 'native' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /native uWebSockets\.js/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.equal(r.stdout, '');
  });

  test('a missing or non-folder --payloads is named', async () => {
    for (const [dir, why] of [['/nonexistent/payloads', /cannot read --payloads \/nonexistent\/payloads: ENOENT/], ['/etc/passwd', /--payloads \/etc\/passwd is not a folder/]] as const) {
      const r = await runCli(['--port', '0', '--payloads', dir]);
      assert.equal(r.code, 1);
      assert.match(r.stderr, why);
      assert.equal(r.stderr.trim().split('\n').length, 1);
    }
  });

  test('a missing TLS file is named', async () => {
    const r = await runCli(['--port', '0', '--tls-cert', '/nonexistent/cert.pem', '--tls-key', '/nonexistent/key.pem']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot read --tls-cert \/nonexistent\/cert\.pem: ENOENT/);
  });
});

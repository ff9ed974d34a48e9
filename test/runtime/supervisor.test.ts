// Workers, restarts, graceful shutdown, TLS and go-bench-suite CLI compatibility, on real processes.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rawRequest, startServer, waitForPending, withServer } from '../helpers/server.js';
import { FaultHookEnv, FaultHookPhrase } from '../../src/features/admin.js';
import { FaultIgnoreDrainEnv } from '../../src/config/defaults.js';

describe('graceful shutdown', () => {
  test('SIGTERM lets in-flight delayed responses finish, refuses new connections, exits 0', async () => {
    const server = await startServer(['--workers', '2', '--grace', '5s']);
    const inflight = Array.from({ length: 20 }, () => fetch(`${server.url}/delay/3s`, { headers: { connection: 'close' } }));
    // Every request must be registered before the signal: wait until the server reports them all pending.
    await waitForPending(server.url, 20);
    server.proc.kill('SIGTERM');
    await server.waitForLine((l) => l.event === 'shutdown');
    const results = await Promise.all(inflight);
    for (const r of results) assert.equal(r.status, 200);
    const refused = await new Promise<boolean>((resolve) => {
      const s = connect(server.port, '127.0.0.1');
      s.on('connect', () => { s.destroy(); resolve(false); });
      s.on('error', () => resolve(true));
    });
    assert.ok(refused, 'new connections must be refused while draining');
    assert.equal(await server.exited, 0);
  });

  test('responses still pending when --grace ends are cut and the server exits 0', async () => {
    const server = await startServer(['--grace', '200ms']);
    const slow = fetch(`${server.url}/delay/5s`).then(() => 'answered', () => 'cut');
    await waitForPending(server.url, 1);
    const t0 = performance.now();
    server.proc.kill('SIGTERM');
    assert.equal(await server.exited, 0);
    assert.ok(performance.now() - t0 < 4000, 'exited long before the 5 s response');
    assert.equal(await slow, 'cut');
  });

  test('a second SIGTERM stops at once', async () => {
    const server = await startServer(['--grace', '30s']);
    const slow = fetch(`${server.url}/delay/20s`).catch(() => null);
    await waitForPending(server.url, 1);
    const t0 = performance.now();
    server.proc.kill('SIGTERM');
    await server.waitForLine((l) => l.event === 'shutdown');
    server.proc.kill('SIGTERM');
    await server.exited;
    assert.ok(performance.now() - t0 < 5000);
    await slow;
  });

  test('a worker still running --grace + 2 s after SIGTERM is stopped, and the process exits 1 cleanly (no uWS abort)', async () => {
    // Test-only hook: worker 0 ignores the drain message, keeping its listener and connections open.
    const server = await startServer(['--grace', '200ms'], { [FaultHookEnv]: FaultHookPhrase, [FaultIgnoreDrainEnv]: '0' });
    let stderr = '';
    server.proc.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    // A pending response holds a connection open on the stuck worker: stopping it must close that too.
    const slow = fetch(`${server.url}/delay/20s`).then(() => 'answered', () => 'cut');
    await waitForPending(server.url, 1);
    const t0 = performance.now();
    server.proc.kill('SIGTERM');
    const stopping = await server.waitForLine((l) => typeof l.msg === 'string' && /still running .*; stopping them$/.test(l.msg));
    assert.equal(stopping.level, 'error');
    assert.deepEqual(stopping.workers, [0]);
    assert.equal(await server.exited, 1, `exit code; stderr: ${stderr}`);
    const ms = performance.now() - t0;
    assert.ok(ms >= 2000, `stopped only after --grace + 2 s (${Math.round(ms)} ms)`);
    assert.doesNotMatch(stderr, /Assertion|open handles/);
    assert.ok(!server.lines.some((l) => l.includes('did not stop in time')), 'the worker stopped before the final deadline');
    assert.equal(await slow, 'cut');
  });

  test('SIGINT shuts down like SIGTERM', async () => {
    const server = await startServer([]);
    assert.equal(await server.stop('SIGINT'), 0);
  });
});

describe('workers', () => {
  test('--workers 2 starts two threads that both serve the port', async () => {
    await withServer({ args: ['--workers', '2'] }, async (server) => {
      const listening = await server.waitForLine((l) => l.event === 'listening');
      assert.equal(listening.workers, 2);
      const statuses = await Promise.all(Array.from({ length: 40 }, () =>
        fetch(`${server.url}/json/valid`, { headers: { connection: 'close' } }).then((r) => r.status)));
      assert.ok(statuses.every((s) => s === 200));
    });
  });

  test('a crashed worker is restarted and logged while the other keeps serving', async () => {
    await withServer({ args: ['--workers', '2'], env: { [FaultHookEnv]: FaultHookPhrase } }, async (server) => {
      const r = await fetch(`${server.url}/__mock/test/crash`, { headers: { connection: 'close' } });
      assert.equal(r.status, 202);
      const crashed = await server.waitForLine((l) => typeof l.msg === 'string' && /exited with code 70; restarting/.test(l.msg));
      assert.equal(crashed.level, 'error');
      await server.waitForLine((l) => typeof l.msg === 'string' && /restarted$/.test(l.msg));
      for (let i = 0; i < 10; i++) {
        assert.equal((await fetch(`${server.url}/json`, { headers: { connection: 'close' } })).status, 200);
      }
    });
  });

  test('while a crashed worker is down and restarting, fresh connections keep getting 200 from the other', async (t) => {
    await withServer({ args: ['--workers', '2'], env: { [FaultHookEnv]: FaultHookPhrase } }, async (server) => {
      const hello = '{"message":"Hello, World!"}';
      type Outcome = 'ok' | 'connection' | 'http';
      interface Probe { start: number; end: number; outcome: Outcome; detail: string }
      // One request on a fresh connection. A refused or reset connection (or one closed before any byte) is
      // a connection-level error; any answer other than a complete 200, or no answer within 5 s, is an HTTP failure.
      const probe = async (): Promise<Probe> => {
        const start = performance.now();
        let outcome: Outcome;
        let detail: string;
        try {
          const { data } = await rawRequest(server.port, `GET /json HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n`, (d) => d.endsWith(hello), 5_000);
          outcome = data === '' ? 'connection' : /^HTTP\/1\.1 200 /.test(data) && data.endsWith(hello) ? 'ok' : 'http';
          detail = data.slice(0, 200);
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code ?? '';
          outcome = ['ECONNRESET', 'ECONNREFUSED', 'EPIPE'].includes(code) ? 'connection' : 'http';
          detail = (err as Error).message;
        }
        return { start, end: performance.now(), outcome, detail };
      };

      let crashedAt = Infinity;
      let restartedAt = Infinity;
      const crashed = server.waitForLine((l) => typeof l.msg === 'string' && /^worker \d+ exited with code 70; restarting/.test(l.msg))
        .then((l) => { crashedAt = performance.now(); return l; });
      const restarted = server.waitForLine((l) => typeof l.msg === 'string' && /^worker \d+ restarted$/.test(l.msg))
        .then((l) => { restartedAt = performance.now(); return l; });
      const crash = await rawRequest(server.port, 'GET /__mock/test/crash HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n');
      assert.match(crash.data, /^HTTP\/1\.1 202 /);

      // From the crash until the restart is logged: 4 clients, each one fresh connection after another.
      const probes: Probe[] = [];
      const loop = async (): Promise<void> => {
        while (restartedAt === Infinity) probes.push(await probe());
      };
      await Promise.all([loop(), loop(), loop(), loop(), restarted]);
      const crashLine = await crashed;
      const restartLine = await restarted;
      assert.equal(crashLine.worker, restartLine.worker, 'the crashed worker is the one restarted');

      const count = (ps: Probe[], o: Outcome): number => ps.filter((p) => p.outcome === o).length;
      // Sent once the main thread had seen the worker gone, answered before it was back.
      const down = probes.filter((p) => p.start >= crashedAt && p.end <= restartedAt);
      t.diagnostic(`${probes.length} requests from the crash to the restart (${Math.round(restartedAt - crashedAt)} ms down): ` +
        `${count(probes, 'ok')} ok, ${count(probes, 'connection')} connection errors, ${count(probes, 'http')} failed; ${down.length} while down`);
      // A connection the kernel queued on the crashing worker's listener (SO_REUSEPORT hashes each one to a
      // listener) is reset when that listener closes, unless net.ipv4.tcp_migrate_req=1 moves it to another
      // (docs/operations.md, "Crashes"). Those started before the exit was logged; they may only be resets.
      const inCrash = probes.filter((p) => p.start < crashedAt && p.outcome !== 'ok');
      assert.deepEqual(inCrash.filter((p) => p.outcome !== 'connection').map((p) => `${p.outcome}: ${p.detail}`), [], 'around the crash: answered 200 or reset, never a wrong answer');
      const failed = probes.filter((p) => p.start >= crashedAt && p.outcome !== 'ok');
      assert.deepEqual(failed.map((p) => `${p.outcome}: ${p.detail}`), [], 'once the worker was gone, every request answered 200, none refused or reset');
      assert.ok(down.length >= 5, `only ${down.length} requests were served while the worker was down`);
      // And once it is back, both serve again.
      for (let i = 0; i < 10; i++) assert.equal((await probe()).outcome, 'ok');
    });
  });

  test('the only worker crashing is restarted too (the process does not exit)', async () => {
    await withServer({ args: ['--workers', '1'], env: { [FaultHookEnv]: FaultHookPhrase } }, async (server) => {
      for (let round = 1; round <= 2; round++) {
        assert.equal((await fetch(`${server.url}/__mock/test/crash`, { headers: { connection: 'close' } })).status, 202);
        await server.waitForLine(() => server.lines.filter((l) => l.includes('"msg":"worker 0 restarted"')).length === round);
        assert.equal((await fetch(`${server.url}/json`, { headers: { connection: 'close' } })).status, 200);
      }
      assert.equal(server.proc.exitCode, null, 'still running');
    });
  });

  test('the fault hook does not exist without its exact env phrase', async () => {
    await withServer({ env: { [FaultHookEnv]: 'yes' } }, async (server) => {
      assert.equal((await fetch(`${server.url}/__mock/test/crash`)).status, 404);
    });
  });
});

describe('go-bench-suite CLI compatibility and TLS', () => {
  test('`upstream --addr 127.0.0.1:0` serves /json/valid', async () => {
    // startServer passes --port 0 first; --addr must win, as the later, more specific flag.
    await withServer({ args: ['upstream', '--addr', '127.0.0.1:0'] }, async (server) => {
      assert.equal((await fetch(`${server.url}/json/valid`)).status, 200);
    });
  });

  test('--tlsCert/--tlsKey serve HTTPS', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mock-tls-'));
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
    await withServer({ args: ['upstream', '--tlsCert', cert, '--tlsKey', key] }, async (server) => {
      const listening = await server.waitForLine((l) => l.event === 'listening');
      assert.equal(listening.tls, true);
      const body = await new Promise<string>((resolve, reject) => {
        const req = httpsRequest({ host: '127.0.0.1', port: server.port, path: '/json', rejectUnauthorized: false }, (res) => {
          let b = '';
          res.on('data', (d) => { b += d; });
          res.on('end', () => resolve(b));
        });
        req.on('error', reject);
        req.end();
      });
      assert.equal(body, '{"message":"Hello, World!"}');
    });
  });
});

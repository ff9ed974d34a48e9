// Graceful shutdown at scale: 1,000 delayed responses pending on 1,000 connections when SIGTERM arrives.
// All are answered 200, new connections are refused meanwhile, and the process exits 0 within --grace;
// a second SIGTERM during a long drain stops at once.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../helpers/server.js';
import { connectionRefused, openClients, pollUntil, waitForStats } from './util.js';

const Clients = 1000;

describe('shutdown under load', () => {
  test(`SIGTERM with ${Clients} delayed responses pending: all answered 200, new connections refused, exit 0 within --grace`, async () => {
    const graceMs = 10_000;
    const server = await startServer(['--workers', '2', '--grace', '10s']);
    try {
      // 3 s rather than 1 s: /__mock/stats gauges are sampled once a second, so seeing all 1,000 pending
      // can take up to ~1 s after they are; the longer delay guarantees the signal lands while every one
      // of them is still pending (asserted below), which is the point of the test.
      const delayMs = 3000;
      const t0 = performance.now();
      const clients = await openClients(server.port, Clients, `GET /delay/${delayMs}ms HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n`);
      await waitForStats(server.port, `${Clients} pending`, (t) => t.pending === Clients, 5_000);
      const signalledAt = performance.now();
      assert.ok(signalledAt - t0 < delayMs, 'the signal must arrive before the first delayed response is due');
      for (const c of clients) assert.equal(c.data, '', 'no response may have been sent before the signal');
      server.proc.kill('SIGTERM');
      await server.waitForLine((l) => l.event === 'shutdown');

      // Both workers close their listen sockets: new connections are refused while the 1,000 drain.
      await pollUntil('new connections refused', () => connectionRefused(server.port), 2_000, 20);
      assert.ok(clients.some((c) => !c.closed), 'refusal observed while responses were still pending');

      await Promise.all(clients.map((c) => c.ended));
      let ok = 0;
      for (const c of clients) if (/^HTTP\/1\.1 200 /.test(c.data)) ok++;
      assert.equal(ok, Clients, `${Clients - ok} delayed responses were not answered 200`);
      const code = await server.exited;
      const exitMs = performance.now() - signalledAt;
      assert.equal(code, 0);
      assert.ok(exitMs < graceMs, `exit took ${exitMs.toFixed(0)} ms, over --grace`);
      // Answered on time, not cut at the end of grace: exit follows the last due response closely.
      assert.ok(performance.now() - t0 < delayMs + 3000, 'drained as soon as the responses were done');
    } finally {
      if (server.proc.exitCode === null) server.proc.kill('SIGKILL');
    }
  });

  test(`a second SIGTERM during a long drain of ${Clients} responses exits at once`, async () => {
    const server = await startServer(['--workers', '2', '--grace', '60s']);
    try {
      const clients = await openClients(server.port, Clients, 'GET /delay/50s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n');
      await waitForStats(server.port, `${Clients} pending`, (t) => t.pending === Clients, 5_000);
      server.proc.kill('SIGTERM');
      await server.waitForLine((l) => l.event === 'shutdown');
      const t0 = performance.now();
      server.proc.kill('SIGTERM');
      const code = await server.exited;
      const ms = performance.now() - t0;
      assert.ok(ms < 3000, `second signal took ${ms.toFixed(0)} ms to stop`);
      assert.equal(code, 0);
      // Every pending response was cut (closed without a 200), none was left hanging.
      await Promise.all(clients.map((c) => c.ended));
      assert.ok(clients.every((c) => !/^HTTP\/1\.1 200/.test(c.data)), 'no 50 s response can have completed');
    } finally {
      if (server.proc.exitCode === null) server.proc.kill('SIGKILL');
    }
  });
});

test('SIGTERM waits for chunked /stream-bytes downloads to a slow reader, then exits 0', async () => {
  const server = await startServer(['--workers', '1', '--grace', '30s']);
  try {
    const size = 32 * 1024 * 1024;
    const clients = await openClients(server.port, 2, `GET /stream-bytes/${size}?chunk_size=65536 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n`, { pauseReading: true });
    await waitForStats(server.port, '2 streaming', (t) => t.inFlight === 2, 5_000);
    server.proc.kill('SIGTERM');
    await server.waitForLine((l) => l.event === 'shutdown');
    // Only now read: the server must still be there to finish both bodies.
    const received = clients.map((c) => {
      let tail = '';
      let bytes = 0;
      c.sock.on('data', (d: Buffer) => { bytes += d.length; tail = (tail + d.toString('latin1')).slice(-16); });
      c.sock.resume();
      return c.ended.then(() => ({ bytes, tail }));
    });
    for (const r of await Promise.all(received)) {
      assert.ok(r.bytes > size, `received ${r.bytes} bytes`);
      assert.ok(r.tail.endsWith('0\r\n\r\n'), 'the chunked body ended with its last chunk');
    }
    assert.equal(await server.exited, 0);
  } finally {
    await server.stop();
  }
});

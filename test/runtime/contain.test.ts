// Issue 15 items 2, 4, 5: exceptions outside route handlers, admin asks that are never answered, and a crash
// during the drain. None may kill a worker silently, hang a request, or exit 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startServer, statusLines, waitForPending } from '../helpers/server.js';
import { FaultHookEnv, FaultHookPhrase } from '../../src/config/defaults.js';

const Hook = { [FaultHookEnv]: FaultHookPhrase };

// One keep-alive connection, opened (and used) before the drain closes the listener.
async function openConnection(port: number): Promise<{ send: (req: string) => Promise<string>; close: () => void }> {
  const sock = connect(port, '127.0.0.1');
  let data = '';
  let waiter: (() => void) | null = null;
  sock.on('data', (d: Buffer) => { data += d.toString('latin1'); waiter?.(); });
  sock.on('close', () => waiter?.());
  await new Promise((resolve) => sock.once('connect', resolve));
  return {
    async send(req) {
      const before = statusLines(data).length;
      sock.write(req);
      await new Promise<void>((resolve) => { waiter = () => { if (statusLines(data).length > before || sock.destroyed) resolve(); }; });
      return data;
    },
    close: () => sock.destroy(),
  };
}

test('a worker crash during the drain exits 1, not 0', async () => {
  const server = await startServer(['--workers', '1', '--grace', '3s'], Hook);
  try {
    const conn = await openConnection(server.port);
    assert.match(await conn.send('GET /json HTTP/1.1\r\nHost: t\r\n\r\n'), /^HTTP\/1\.1 200/);
    const pending = fetch(`${server.url}/delay/4s`).then((r) => r.status, () => 'cut');
    await waitForPending(server.url, 1);
    server.proc.kill('SIGTERM');
    await server.waitForLine((l) => l.event === 'shutdown');
    // Thrown inside a uWS callback: app.close() in the crash path fires the pending response's onAborted,
    // whose idle callback used to re-enter the exit path and exit 0 first.
    await conn.send('POST /__mock/test/crash-in-callback HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\n{}');
    await server.waitForLine((l) => typeof l.msg === 'string' && l.msg.includes('crashed'));
    assert.equal(await server.exited, 1);
    assert.equal(await pending, 'cut');
    conn.close();
  } finally {
    if (server.proc.exitCode === null) server.proc.kill('SIGKILL');
  }
});

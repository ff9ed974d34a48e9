// Abort containment at scale: 200 clients each vanish mid-/delay, mid-/drip, mid-/size/100MB (stalled by
// backpressure) and mid-/echo upload. Every aborted response must be released: /__mock/stats totals
// pending and inFlight return to 0 long before any of those responses would have finished on its own,
// no worker crashes, and the server still serves.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../helpers/server.js';
import { assertServes, openClients, waitForStats, type RawClient } from './util.js';

const PerKind = 200;

describe('abort containment', () => {
  let server: TestServer;
  before(async () => { server = await startServer(['--workers', '2']); });
  after(async () => { assert.equal(await server.stop(), 0); });

  for (const round of [1, 2]) {
    test(`round ${round}: ${PerKind} clients each vanish mid-/delay, mid-/drip, mid-/size/100MB and mid-/echo upload`, async () => {
      // Every response below would take ≥ 20 s on its own; the release must come from the aborts.
      const t0 = performance.now();
      const kinds: [string, RawClient[]][] = [
        ['/delay/20s', await openClients(server.port, PerKind, 'GET /delay/20s HTTP/1.1\r\nHost: t\r\n\r\n')],
        ['/drip', await openClients(server.port, PerKind, 'GET /drip?numbytes=100&duration=20s HTTP/1.1\r\nHost: t\r\n\r\n')],
        // Not reading: the kernel buffers fill and the 100 MB stream stalls on backpressure.
        ['/size/100MB', await openClients(server.port, PerKind, 'GET /size/100MB HTTP/1.1\r\nHost: t\r\n\r\n', { pauseReading: true })],
        // Announces 1 MB, sends 1 KB: the body is being collected when the client goes.
        ['/echo upload', await openClients(server.port, PerKind,
          `POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: ${1024 * 1024}\r\n\r\n${'b'.repeat(1024)}`)],
      ];
      const all = kinds.flatMap(([, cs]) => cs);
      const busy = await waitForStats(server.port, `${PerKind * 4} in flight`,
        (t) => t.pending >= PerKind && t.inFlight === PerKind * 4, 5_000);
      assert.ok(busy.pending >= PerKind);
      for (const c of all) assert.equal(c.closed, false, 'nothing may have finished on its own');

      // Vanish: half with a FIN, half with a RST.
      all.forEach((c, i) => { if (i % 2 === 0) c.sock.destroy(); else c.sock.resetAndDestroy(); });
      await waitForStats(server.port, 'pending and inFlight back to 0', (t) => t.pending === 0 && t.inFlight === 0, 10_000);
      assert.ok(performance.now() - t0 < 20_000, 'released by the aborts, not by the responses finishing');
      assert.equal(server.lines.filter((l) => /crashed|"level":[56]0/.test(l)).length, 0,
        `no worker crash or error: ${server.lines.filter((l) => /"level":[56]0/.test(l)).join('\n')}`);
      await assertServes(server);
    });
  }
});

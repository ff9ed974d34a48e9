// Abort containment at scale: 200 clients each vanish mid-/delay, mid-/drip, mid-/size/100MB (stalled by
// backpressure) and mid-/echo upload. Every aborted response must be released: /__mock/stats totals
// pending and inFlight return to 0 long before any of those responses would have finished on its own,
// no worker crashes, and the server still serves. Then memory: after hundreds of aborted 8 MB downloads
// and aborted delays and drips, each worker's live heap (after a full GC) and the process RSS are back
// at their baseline.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../helpers/server.js';
import { FaultHookEnv, FaultHookPhrase } from '../../src/features/admin.js';
import { assertServes, gcReport, openClients, vanishingClients, waitForStats, type GcReport, type RawClient } from './util.js';

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

const MiB = 1024 * 1024;
/** Aborted 8 MB downloads per measured round (two measured rounds). */
const Downloads = 200;
/** Clients per download batch (several batches per round keep 2 cores responsive). */
const Batch = 50;
/** Aborted /delay and /drip responses per round, each. */
const Parked = 100;
// A worker's live heap after a full GC moves by some tens of KB between collections (measured). Each
// worker sees about half of the 400 aborted downloads and 400 parked aborts, so retaining ~5 KB per
// aborted response (its closure, its slot's state, a small copy) fails, and keeping a body would be GBs.
const MaxHeapGrowth = 1 * MiB;
// RSS also counts native memory (uWS socket buffers, glibc arenas that keep freed pages), so it moves
// by more (about 2 MB either way measured); keeping 128 KB per aborted download would be 50 MB, and
// buffering their 8 MB bodies 3.2 GB.
const MaxRssGrowth = 32 * MiB;

describe('abort containment: memory returns to baseline', () => {
  let server: TestServer;
  // The fault-hook phrase enables /__mock/test/gc (a full GC in every worker, then its live heap).
  before(async () => { server = await startServer(['--workers', '2'], { [FaultHookEnv]: FaultHookPhrase }); });
  after(async () => { assert.equal(await server.stop(), 0); });

  /** One round: aborted 8 MB downloads (right after the head, mid-body, stalled), then aborted delays and drips. */
  async function round(): Promise<void> {
    for (let b = 0; b < Downloads / Batch; b++) {
      const get = `GET ${b % 2 === 0 ? '/size/8MB' : '/bytes/8MB'} HTTP/1.1\r\nHost: t\r\n\r\n`;
      await Promise.all([
        vanishingClients(server.port, Batch / 4, get, 0),
        vanishingClients(server.port, Batch / 4, get, 1 * MiB),
        vanishingClients(server.port, Batch / 2, get, 64 * 1024, { stall: true }),
      ]);
    }
    const parked = [
      ...await openClients(server.port, Parked, 'GET /delay/20s HTTP/1.1\r\nHost: t\r\n\r\n'),
      ...await openClients(server.port, Parked, 'GET /drip?numbytes=100&duration=20s HTTP/1.1\r\nHost: t\r\n\r\n'),
    ];
    await waitForStats(server.port, `${Parked * 2} parked`, (t) => t.pending >= Parked * 2, 5_000);
    parked.forEach((c, i) => { if (i % 2 === 0) c.sock.destroy(); else c.sock.resetAndDestroy(); });
    await waitForStats(server.port, 'pending and inFlight back to 0', (t) => t.pending === 0 && t.inFlight === 0, 10_000);
  }

  test(`${Downloads * 2} aborted 8 MB downloads and ${Parked * 4} aborted delays and drips: worker heaps and RSS back to baseline`, async (t) => {
    const mb = (b: number): string => (b / MiB).toFixed(2);
    const heaps = (r: GcReport): string => r.workers.map((w) => `${w.id}: ${mb(w.heapUsedBytes)}`).join(', ');
    // Warm-up round: first-use allocations, and the response slot tables grown to this concurrency.
    await round();
    const base = await gcReport(server.port);
    await round();
    await round();
    const end = await gcReport(server.port);
    t.diagnostic(`heaps MB before ${heaps(base)}; after ${heaps(end)}; RSS MB ${mb(base.rssBytes)} -> ${mb(end.rssBytes)}`);
    assert.deepEqual(end.workers.map((w) => w.id), base.workers.map((w) => w.id));
    for (const w of end.workers) {
      const before = base.workers.find((b) => b.id === w.id) as { heapUsedBytes: number };
      const growth = w.heapUsedBytes - before.heapUsedBytes;
      assert.ok(growth < MaxHeapGrowth, `worker ${w.id} live heap grew ${mb(growth)} MB (${mb(before.heapUsedBytes)} -> ${mb(w.heapUsedBytes)})`);
    }
    const rssGrowth = end.rssBytes - base.rssBytes;
    assert.ok(rssGrowth < MaxRssGrowth, `RSS grew ${mb(rssGrowth)} MB (${mb(base.rssBytes)} -> ${mb(end.rssBytes)})`);
    assert.equal(server.lines.filter((l) => /exited with code|"level":[56]0/.test(l)).length, 0,
      `no worker crash or error: ${server.lines.filter((l) => /"level":[56]0/.test(l)).join('\n')}`);
    await assertServes(server);
  });
});

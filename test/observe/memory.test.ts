// Memory in /__mock/stats: each worker's own V8 heap in use (workers[i].heapUsedBytes) and the process
// RSS (totals.rssBytes), sampled by the workers when they start listening and then once a second.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer } from '../helpers/server.js';

interface Stats {
  workers: { id: number; heapUsedBytes: number }[];
  totals: { rssBytes: number };
}

const MiB = 1024 * 1024;

async function stats(url: string): Promise<Stats> {
  const res = await fetch(`${url}/__mock/stats`, { headers: { connection: 'close' } });
  assert.equal(res.status, 200);
  return await res.json() as Stats;
}

/** VmRSS of a process from /proc (Linux), in bytes; undefined elsewhere. */
function procRss(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? undefined : Number(match[1]) * 1024;
  } catch {
    return undefined;
  }
}

function assertPlausible(s: Stats, workers: number): void {
  assert.deepEqual(s.workers.map((w) => w.id), Array.from({ length: workers }, (_, i) => i));
  for (const w of s.workers) {
    assert.ok(Number.isSafeInteger(w.heapUsedBytes), `worker ${w.id} heapUsedBytes ${w.heapUsedBytes} is not an integer`);
    // A worker isolate with the app loaded holds a few MB; a gigabyte would mean some other heap is reported.
    assert.ok(w.heapUsedBytes > 1 * MiB && w.heapUsedBytes < 1024 * MiB, `worker ${w.id} heapUsedBytes ${w.heapUsedBytes}`);
  }
  assert.ok(Number.isSafeInteger(s.totals.rssBytes), `rssBytes ${s.totals.rssBytes} is not an integer`);
  // The process holds every isolate's heap plus the main thread and native memory.
  const heaps = s.workers.reduce((sum, w) => sum + w.heapUsedBytes, 0);
  assert.ok(s.totals.rssBytes > heaps, `rssBytes ${s.totals.rssBytes} not above the workers' heaps (${heaps})`);
  assert.ok(s.totals.rssBytes < 16 * 1024 * MiB, `rssBytes ${s.totals.rssBytes}`);
}

describe('memory in /__mock/stats', () => {
  test('per-worker heapUsedBytes and totals.rssBytes are there from the start, positive and plausible', async () => {
    const server = await startServer(['--workers', '2']);
    try {
      // Sampled as each worker starts listening, so the first read already has them.
      assertPlausible(await stats(server.url), 2);
      const close = { headers: { connection: 'close' } };
      for (let i = 0; i < 50; i++) assert.equal((await fetch(`${server.url}/json/valid`, close)).status, 200);
      // After the next once-a-second sample: still plausible, and rssBytes is this process's resident set.
      await new Promise((r) => setTimeout(r, 1_200));
      const later = await stats(server.url);
      assertPlausible(later, 2);
      const actual = procRss(server.proc.pid ?? -1);
      if (actual !== undefined) {
        // A second apart at most; RSS moves by a few MB in that time, not by half.
        const ratio = later.totals.rssBytes / actual;
        assert.ok(ratio > 0.67 && ratio < 1.5, `rssBytes ${later.totals.rssBytes} vs VmRSS ${actual} of pid ${server.proc.pid}`);
      }
    } finally {
      assert.equal(await server.stop(), 0);
    }
  });

  test('one worker: the fields are there too', async () => {
    const server = await startServer([]);
    try {
      assertPlausible(await stats(server.url), 1);
    } finally {
      assert.equal(await server.stop(), 0);
    }
  });
});

test('/__mock/test/gc (test and bench only): a full GC in every worker, then each live heap and the RSS', async () => {
  const hooked = await startServer(['--workers', '2'], { MOCK_UPSTREAM_FAULT_HOOK: 'crash-workers-for-tests' });
  try {
    // Some load first, so there is garbage for the collection to reclaim.
    for (let i = 0; i < 200; i++) await fetch(`${hooked.url}/anything?i=${i}`, { method: 'POST', body: 'x'.repeat(10_000) });
    const res = await fetch(`${hooked.url}/__mock/test/gc`);
    assert.equal(res.status, 200);
    const body = await res.json() as { workers: { id: number; heapUsedBytes: number }[]; rssBytes: number; missingWorkers: number[] };
    assert.deepEqual(body.workers.map((w) => w.id), [0, 1]);
    assert.deepEqual(body.missingWorkers, []);
    for (const w of body.workers) assert.ok(w.heapUsedBytes > 1 * MiB && w.heapUsedBytes < 256 * MiB, `worker ${w.id}: ${w.heapUsedBytes}`);
    assert.ok(body.rssBytes > 10 * MiB);
  } finally {
    await hooked.stop();
  }
  const plain = await startServer();
  try {
    assert.equal((await fetch(`${plain.url}/__mock/test/gc`)).status, 404, 'absent without the fault-hook phrase');
  } finally {
    await plain.stop();
  }
});

// mock-upstream's /__mock/stats, read by the benches that watch the server
// from inside (memory, event-loop utilisation) while wrk loads it, and the
// test-only /__mock/test/gc (live heaps after a full GC) for the soak.
import { FaultHookEnv, FaultHookPhrase } from '../../src/config/defaults.js';
import { httpGet, type RunningServer } from './server.js';

/** The /__mock/stats fields the benches use (see src/observe/stats.ts for all of them). */
export interface MockStats {
  workers: {
    id: number;
    elu: number;
    requests: number;
    /** The worker's own V8 heap in use, sampled once a second. */
    heapUsedBytes: number;
  }[];
  totals: {
    requests: number;
    /** Resident set size of the whole process, sampled once a second. */
    rssBytes: number;
  };
}

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** GET /__mock/stats on a fresh connection; throws when it fails or lacks a field MockStats names. */
export async function readStats(server: RunningServer, timeoutMs = 2_000): Promise<MockStats> {
  const res = await httpGet(server.port, '/__mock/stats', timeoutMs);
  if (res.status !== 200) throw new Error(`${server.name} answered GET /__mock/stats with ${res.status}`);
  const stats = JSON.parse(res.body.toString('utf8')) as Partial<MockStats>;
  const problem = (what: string): Error =>
    new Error(`${server.name}'s /__mock/stats has no numeric ${what} (a build without memory stats?): ${res.body.toString('utf8').slice(0, 300)}`);
  if (!Array.isArray(stats.workers) || stats.workers.length === 0) throw problem('workers[]');
  for (const worker of stats.workers) {
    for (const key of ['id', 'elu', 'requests', 'heapUsedBytes'] as const) if (!isNumber(worker[key])) throw problem(`workers[].${key}`);
  }
  for (const key of ['requests', 'rssBytes'] as const) if (!isNumber(stats.totals?.[key])) throw problem(`totals.${key}`);
  return stats as MockStats;
}

/** mock-upstream's /__mock/test/gc answer: each worker's V8 heap in use right after a full GC in it, and the process RSS right after. */
export interface GcHeap {
  workers: { id: number; heapUsedBytes: number }[];
  rssBytes: number;
  /** Workers that did not answer in time (the reply still comes, without them). */
  missingWorkers: number[];
}

/**
 * GET /__mock/test/gc on a fresh connection: a full garbage collection in every worker, then the live heaps and the RSS.
 * The route exists only when the server runs with the fault hook's env var set to its phrase (src/config/defaults.ts);
 * throws when it fails, lacks a field, or a worker did not answer.
 */
export async function collectGarbage(server: RunningServer, timeoutMs = 10_000): Promise<GcHeap> {
  const res = await httpGet(server.port, '/__mock/test/gc', timeoutMs);
  const text = res.body.toString('utf8');
  if (res.status === 404) throw new Error(`${server.name} has no /__mock/test/gc: start it with ${FaultHookEnv}=${FaultHookPhrase}`);
  if (res.status !== 200) throw new Error(`${server.name} answered GET /__mock/test/gc with ${res.status}: ${text.slice(0, 300)}`);
  const heap = JSON.parse(text) as Partial<GcHeap>;
  const problem = (what: string): Error => new Error(`${server.name}'s /__mock/test/gc has no ${what}: ${text.slice(0, 300)}`);
  if (!Array.isArray(heap.workers) || heap.workers.length === 0) throw problem('workers[]');
  for (const worker of heap.workers) {
    for (const key of ['id', 'heapUsedBytes'] as const) if (!isNumber(worker[key])) throw problem(`numeric workers[].${key}`);
  }
  if (!isNumber(heap.rssBytes)) throw problem('numeric rssBytes');
  if (!Array.isArray(heap.missingWorkers)) throw problem('missingWorkers[]');
  if (heap.missingWorkers.length > 0) throw new Error(`${server.name}: worker(s) ${heap.missingWorkers.join(', ')} did not answer /__mock/test/gc`);
  return heap as GcHeap;
}

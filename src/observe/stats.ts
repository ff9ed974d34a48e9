// /__mock/stats: per-worker gauges and totals as JSON, read from the shared counters.
import { serializeStats } from '../serializers/index.js';
import { F, type Counters } from './counters.js';

/** One worker's entry in /__mock/stats. */
export interface WorkerStats {
  id: number;
  rps: number;
  inFlight: number;
  pending: number;
  elu: number;
  saturated: boolean;
  requests: number;
  /** Bytes of this worker's own V8 heap in use (its isolate only), sampled each second. */
  heapUsedBytes: number;
}

/**
 * The /__mock/stats body: per-worker gauges (sampled each second) and totals. Memory fields:
 * `workers[i].heapUsedBytes` is worker i's own V8 heap in use (its isolate, not the main thread's), and
 * `totals.rssBytes` the resident set size of the whole process (all threads, native memory included);
 * both from the newest once-a-second sample, 0 until a worker has sampled. `engine`: the HTTP engine serving
 * (native or portable), so a benchmark's figures say what produced them.
 */
export function statsJson(counters: Counters, startedAt: number, engine: string): string {
  const workers: WorkerStats[] = [];
  const rssBytes = newestRss(counters);
  for (let w = 0; w < counters.workers; w++) {
    const b = counters.row(w);
    const c = counters.cells;
    workers.push({
      id: w,
      rps: Math.round(c[b + F.rps] * 10) / 10,
      inFlight: counters.inFlight(w),
      pending: c[b + F.pending],
      elu: Math.round(c[b + F.elu] * 1000) / 1000,
      saturated: c[b + F.saturated] === 1,
      requests: c[b + F.requests],
      heapUsedBytes: c[b + F.heapUsed],
    });
  }
  const sum = (f: (s: WorkerStats) => number): number => workers.reduce((a, s) => a + f(s), 0);
  return serializeStats({
    engine,
    workers,
    totals: {
      rps: Math.round(sum((s) => s.rps) * 10) / 10, inFlight: sum((s) => s.inFlight), pending: sum((s) => s.pending),
      requests: sum((s) => s.requests), bytes: counters.total(F.bytes), saturatedWorkers: sum((s) => (s.saturated ? 1 : 0)),
      rssBytes,
    },
    uptimeSeconds: Math.round((Date.now() - startedAt) / 100) / 10,
  } as unknown as Record<string, unknown>);
}

/** The process RSS in bytes: one figure every worker samples, so the newest sample wins. */
export function newestRss(counters: Counters): number {
  let rss = 0;
  let at = -1;
  for (let w = 0; w < counters.workers; w++) {
    const b = counters.row(w);
    if (counters.cells[b + F.memoryAt] > at) {
      at = counters.cells[b + F.memoryAt];
      rss = counters.cells[b + F.rss];
    }
  }
  return rss;
}

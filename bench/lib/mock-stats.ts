// mock-upstream's /__mock/stats, read by the benches that watch the server
// from inside (memory, event-loop utilisation) while wrk loads it.
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

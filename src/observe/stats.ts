// /__mock/stats: per-worker gauges and totals as JSON, read from the shared counters.
import { serializeStats } from '../serializers/index.js';
import { A, F, S, type Counters } from './counters.js';
import { FaultKinds } from '../grammar/fault.js';

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

/** One stream route's entry in /__mock/stats (WebSocket and SSE routes; messages are SSE events). */
export interface StreamStats {
  route: string;
  /** Sockets or event streams open now. */
  open: number;
  messagesIn: number;
  messagesOut: number;
  bytesIn: number;
  bytesOut: number;
  /** Upgrades (or streams) refused: a bad control or a refusing status. */
  refused: number;
  /** Sockets or streams closed, for any reason. */
  closed: number;
}

/** Every route with stream activity, summed over the workers. */
export function streamStats(counters: Counters, routeNames: readonly string[]): StreamStats[] {
  const out: StreamStats[] = [];
  for (let r = 0; r < routeNames.length; r++) {
    const t = (f: number): number => counters.streamTotal(r, f);
    const entry: StreamStats = {
      route: routeNames[r], open: t(S.open), messagesIn: t(S.messagesIn), messagesOut: t(S.messagesOut), bytesIn: t(S.bytesIn),
      bytesOut: t(S.bytesOut), refused: t(S.refused), closed: t(S.closed),
    };
    if (entry.open + entry.messagesIn + entry.messagesOut + entry.refused + entry.closed > 0) out.push(entry);
  }
  return out;
}

/**
 * The /__mock/stats body: per-worker gauges (sampled each second) and totals. Memory fields:
 * `workers[i].heapUsedBytes` is worker i's own V8 heap in use (its isolate, not the main thread's), and
 * `totals.rssBytes` the resident set size of the whole process (all threads, native memory included);
 * both from the newest once-a-second sample, 0 until a worker has sampled. `h2`: the HTTP/2 listener (H2Stats),
 * null without --h2-port. `engine`: the HTTP engine serving
 * (native or portable), so a benchmark's figures say what produced them. `streams`: WebSocket and SSE routes
 * with any activity (see StreamStats).
 */
export function statsJson(counters: Counters, startedAt: number, engine: string, routeNames: readonly string[] = []): string {
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
    streams: streamStats(counters, routeNames),
    h2: h2Stats(counters),
    ai: aiStats(counters),
    faults: faultStats(counters),
    uptimeSeconds: Math.round((Date.now() - startedAt) / 100) / 10,
  } as unknown as Record<string, unknown>);
}

/** Faults served by kind, summed over the workers (every kind, 0 included). */
export function faultStats(counters: Counters): Record<string, number> {
  const out: Record<string, number> = {};
  FaultKinds.forEach((k, i) => { out[k] = counters.faultTotal(i); });
  return out;
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

/** The HTTP/2 listener's entry in /__mock/stats: its port, sessions and streams open now, GOAWAYs sent. */
export interface H2Stats {
  port: number;
  sessions: number;
  streams: number;
  goaways: number;
}

/** The HTTP/2 listener summed over the workers, null when no worker listens on an h2 port. */
export function h2Stats(counters: Counters): H2Stats | null {
  let port = 0;
  for (let w = 0; w < counters.workers; w++) port = Math.max(port, counters.cells[counters.row(w) + F.h2Port]);
  if (port === 0) return null;
  return { port, sessions: counters.total(F.h2Sessions), streams: counters.total(F.h2Streams), goaways: counters.total(F.h2Goaways) };
}

/** The AI endpoints in /__mock/stats: streams open and started, calls, tokens out, broken streams, mean TTFT and ITL as served (ms). */
export interface AiStats {
  open: number;
  streams: number;
  calls: number;
  tokensOut: number;
  broken: number;
  ttftMsMean: number;
  itlMsMean: number;
}

/** The AI endpoints summed over the workers. */
export function aiStats(counters: Counters): AiStats {
  const mean = (at: number): number => {
    const n = counters.aiTotal(at);
    return n === 0 ? 0 : Math.round((counters.aiTotal(at + 1) / n) * 1e6) / 1e3;
  };
  return {
    open: counters.aiTotal(A.open), streams: counters.aiTotal(A.streams), calls: counters.aiTotal(A.calls),
    tokensOut: counters.aiTotal(A.tokensOut), broken: counters.aiTotal(A.broken), ttftMsMean: mean(A.ttft), itlMsMean: mean(A.itl),
  };
}

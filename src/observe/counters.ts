// Per-worker counters in one SharedArrayBuffer: each worker writes only its own row with plain stores
// (no atomics, no messages on the hot path); any thread reads every row when /__mock/metrics or
// /__mock/stats is asked. Torn reads are impossible for aligned Float64 stores on the platforms we run.

/** Status classes counted per route: 1xx..5xx plus "other". */
export const StatusClasses = ['1xx', '2xx', '3xx', '4xx', '5xx', 'other'] as const;
/** Most routes counted separately (the route table is far smaller). */
export const MaxRoutes = 256;

// Row layout (Float64 slots).
export const F = {
  requests: 0,
  bytes: 1,
  pending: 2,
  streaming: 3,
  elu: 4,
  rps: 5,
  saturated: 6,
  alive: 7,
  restarts: 8,
  // Memory, sampled by the worker at start and then once a second with the other gauges (saturation.ts):
  // heapUsed is this worker's own V8 isolate (process.memoryUsage() inside a worker thread reports the
  // calling isolate's heap), rss the whole process, memoryAt the Date.now() of that sample.
  heapUsed: 9,
  rss: 10,
  memoryAt: 11,
  // The HTTP/2 listener (--h2-port): the port this worker listens on (0: none), sessions and streams open
  // (gauges) and GOAWAYs sent (a counter: the goaway control and setting, and drains).
  h2Port: 12,
  h2Sessions: 13,
  h2Streams: 14,
  h2Goaways: 15,
  routes: 16,
} as const;
/** Per-route stream counters (WebSocket and SSE routes), after the status table. open is a gauge. */
export const S = { open: 0, messagesIn: 1, messagesOut: 2, bytesIn: 3, bytesOut: 4, refused: 5, closed: 6 } as const;
const StreamFields = 7;
const StreamBase = F.routes + MaxRoutes * StatusClasses.length;
/** Cells for gRPC calls by method and status code (features/grpc/counters.ts lays them out; it checks they fit). */
export const GrpcCells = 64 * 17;
const GrpcBase = StreamBase + MaxRoutes * StreamFields;
/**
 * The AI-gateway block (features/ai/): streams open (a gauge), streams started, calls answered, tokens out,
 * streams broken on purpose, then two histograms as served, time to first token and inter-token latency:
 * each its count, its sum (seconds) and one cell per upper bound of AiBuckets (not cumulative; +Inf is the count).
 */
export const A = { open: 0, streams: 1, calls: 2, tokensOut: 3, broken: 4, ttft: 5, itl: 5 + 13 } as const;
/** Upper bounds (seconds) of the AI histograms' buckets. */
export const AiBuckets = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] as const;
/** Cells of one AI histogram: count, sum, one per bucket. */
const AiHistogramCells = 2 + AiBuckets.length;
const AiFields = A.itl + AiHistogramCells;
const AiBase = GrpcBase + GrpcCells;
/** Faults served (the `fault` control), one cell per kind in grammar/fault.ts's FaultKinds order. */
export const FaultCells = 16;
const FaultBase = AiBase + AiFields;
// Connections and requests an engine refused before any route.
const GatewayBase = FaultBase + FaultCells;
/** Refusals, as fields for add()/total(): a bad or missing PROXY header (--proxy-protocol), a client certificate missing or not verified (--tls-ca). */
export const G = { proxyHeaderErrors: GatewayBase, clientCertRefused: GatewayBase + 1 } as const;
const RowSlots = GatewayBase + 2;

/** Allocate the shared counters for `workers` rows (main thread, once). */
export function allocateCounters(workers: number): SharedArrayBuffer {
  return new SharedArrayBuffer(workers * RowSlots * Float64Array.BYTES_PER_ELEMENT);
}

/** A view over the shared counters; `row(i)` gives worker i's offset. */
export class Counters {
  readonly cells: Float64Array;
  readonly workers: number;

  constructor(sab: SharedArrayBuffer) {
    this.cells = new Float64Array(sab);
    this.workers = this.cells.length / RowSlots;
  }

  /** Offset of worker i's row. */
  row(i: number): number {
    return i * RowSlots;
  }


  /** Worker i's responses started and not finished: pending (deferred) plus streaming. */
  inFlight(i: number): number {
    const b = i * RowSlots;
    return this.cells[b + F.pending] + this.cells[b + F.streaming];
  }

  /** Stream field `field` (S.*) of `route`, summed over every worker. */
  streamTotal(route: number, field: number): number {
    let sum = 0;
    const at = StreamBase + route * StreamFields + field;
    for (let i = 0; i < this.workers; i++) sum += this.cells[i * RowSlots + at];
    return sum;
  }

  /** gRPC call counts summed over every worker (the layout of features/grpc/counters.ts). */
  grpcTotals(): Float64Array {
    const out = new Float64Array(GrpcCells);
    for (let i = 0; i < this.workers; i++) {
      const b = i * RowSlots + GrpcBase;
      for (let c = 0; c < GrpcCells; c++) out[c] += this.cells[b + c];
    }
    return out;
  }

  /** AI field `field` (A.*, or a histogram cell at A.ttft/A.itl + offset) summed over every worker. */
  aiTotal(field: number): number {
    return this.total(AiBase + field);
  }

  /** Faults served of kind `kind` (FaultKinds index), summed over every worker. */
  faultTotal(kind: number): number {
    return this.total(FaultBase + kind);
  }

  /** Zero worker i's open-stream gauges (its thread and sockets are gone). */
  clearOpenStreams(i: number): void {
    this.cells[i * RowSlots + F.h2Sessions] = 0;
    this.cells[i * RowSlots + F.h2Streams] = 0;
    for (let r = 0; r < MaxRoutes; r++) this.cells[i * RowSlots + StreamBase + r * StreamFields + S.open] = 0;
    this.cells[i * RowSlots + AiBase + A.open] = 0;
  }

  /** Sum of one field over every worker. */
  total(field: number): number {
    let sum = 0;
    for (let i = 0; i < this.workers; i++) sum += this.cells[i * RowSlots + field];
    return sum;
  }
}

/**
 * The counting side, one per worker thread. The worker's writer (http/writer.ts) calls count() for every head it writes;
 * routes set `route` at handler entry so a response is attributed to the route that made it.
 */
// Status code -> class index, so counting needs no division.
const ClassOf = new Uint8Array(1000).fill(5);
for (let c = 100; c < 600; c++) ClassOf[c] = Math.floor(c / 100) - 1;

export class WorkerCounters {
  /** Route id of the request being handled (set per request, restored for deferred sends). */
  route = 0;
  private readonly cells: Float64Array;
  private readonly base: number;

  constructor(counters: Counters, index: number) {
    this.cells = counters.cells;
    this.base = counters.row(index);
  }

  /** Count one response of `code` with a body of `bytes` bytes for the current route. */
  count(code: number, bytes: number): void {
    const c = this.cells;
    const b = this.base;
    c[b + F.requests]++;
    c[b + F.bytes] += bytes;
    c[b + F.routes + this.route * StatusClasses.length + ClassOf[code < 1000 ? code : 999]]++;
  }

  /** Count one fault of kind `kind` (FaultKinds index). */
  fault(kind: number): void {
    this.cells[this.base + FaultBase + kind]++;
  }

  /** This worker's gRPC call cells, a view into the shared row (the gRPC handler counts into it). */
  grpcCells(): Float64Array {
    return this.cells.subarray(this.base + GrpcBase, this.base + GrpcBase + GrpcCells);
  }

  /** Add `delta` to stream field `field` (S.*) of `route` (WebSocket and SSE routes). */
  stream(route: number, field: number, delta: number): void {
    this.cells[this.base + StreamBase + route * StreamFields + field] += delta;
  }

  /** Add `delta` to AI field `field` (A.open, A.streams, A.calls, A.tokensOut, A.broken). */
  ai(field: number, delta: number): void {
    this.cells[this.base + AiBase + field] += delta;
  }

  /** Observe `seconds` in AI histogram `at` (A.ttft or A.itl): its count, sum and bucket. */
  aiObserve(at: number, seconds: number): void {
    const c = this.cells;
    const b = this.base + AiBase + at;
    c[b]++;
    c[b + 1] += seconds;
    let i = 0;
    while (i < AiBuckets.length && seconds > AiBuckets[i]) i++;
    if (i < AiBuckets.length) c[b + 2 + i]++;
  }

  /** Add delta to one of this worker's fields (the HTTP/2 listener's gauges and counters). */
  add(field: number, delta: number): void {
    this.cells[this.base + field] += delta;
  }

  /** Store a gauge (pending, streaming, elu, rps, saturated, alive, heapUsed, rss, memoryAt). */
  set(field: number, value: number): void {
    this.cells[this.base + field] = value;
  }

  /** Read this worker's own field. */
  get(field: number): number {
    return this.cells[this.base + field];
  }
}

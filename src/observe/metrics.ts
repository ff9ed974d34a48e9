// /__mock/metrics: Prometheus text rendered by prom-client from the shared counters of every worker, so
// whichever worker gets the scrape answers for all of them. Loaded on the first scrape only (prom-client
// costs ~60 ms to import).
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { A, AiBuckets, Counters, F, G, S, StatusClasses } from './counters.js';
import { FaultKinds } from '../grammar/fault.js';
import { h2Stats, newestRss } from './stats.js';

/** Static facts for the build-info metric and uptime. */
export interface MetricsInfo {
  readonly version: string;
  readonly uws: string;
  /** The HTTP engine serving: native or portable. */
  readonly engine: string;
  readonly node: string;
  readonly startedAt: number;
}

/** The gRPC counters' layout (features/grpc/counters.ts): method rows (then "unknown") by status-code columns. */
export interface GrpcLayout {
  readonly methods: readonly string[];
  readonly codes: readonly string[];
}

/** Build a prom-client registry whose metrics are collected from the shared counters on each scrape. */
export function createRegistry(counters: Counters, routeNames: () => readonly string[], info: MetricsInfo, grpc: GrpcLayout | null = null): Registry {
  const registry = new Registry();
  const workers = counters.workers;
  const row = (i: number): number => counters.row(i);
  new Counter({
    name: 'mock_upstream_requests_total', help: 'Responses sent, by route and status class.', labelNames: ['route', 'status'],
    registers: [registry],
    collect() {
      this.reset();
      const names = routeNames();
      for (let r = 0; r < names.length; r++) {
        for (let c = 0; c < StatusClasses.length; c++) {
          let sum = 0;
          for (let w = 0; w < workers; w++) sum += counters.cells[row(w) + F.routes + r * StatusClasses.length + c];
          if (sum > 0) this.inc({ route: names[r], status: StatusClasses[c] }, sum);
        }
      }
    },
  });
  new Counter({
    name: 'mock_upstream_sent_bytes_total', help: 'Response body bytes sent (or started streaming).', registers: [registry],
    collect() { this.reset(); const v = counters.total(F.bytes); if (v > 0) this.inc(v); },
  });
  new Counter({
    name: 'mock_upstream_faults_total', help: 'Faults served instead of a response (the fault control), by kind.', labelNames: ['fault'], registers: [registry],
    collect() {
      this.reset();
      FaultKinds.forEach((kind, i) => { const v = counters.faultTotal(i); if (v > 0) this.inc({ fault: kind }, v); });
    },
  });
  const perWorker = (name: string, help: string, field: number): void => {
    new Gauge({
      name, help, labelNames: ['worker'], registers: [registry],
      collect() { for (let w = 0; w < workers; w++) this.set({ worker: String(w) }, counters.cells[row(w) + field]); },
    });
  };
  // Stream routes (WebSocket and SSE), by route; an SSE event counts as a message out.
  const streamCounter = (name: string, help: string, fields: readonly (readonly [number, string | null])[], gauge = false): void => {
    const Metric = gauge ? Gauge : Counter;
    const labelNames = fields[0][1] === null ? ['route'] : ['route', 'direction'];
    new Metric({
      name, help, labelNames, registers: [registry],
      collect(this: Counter | Gauge) {
        this.reset();
        const names = routeNames();
        for (let r = 0; r < names.length; r++) {
          for (const [f, direction] of fields) {
            const v = counters.streamTotal(r, f);
            if (v === 0 && !(gauge && counters.streamTotal(r, S.closed) > 0)) continue;
            const labels = direction === null ? { route: names[r] } : { route: names[r], direction };
            if (this instanceof Gauge) this.set(labels, v);
            else this.inc(labels, v);
          }
        }
      },
    });
  };
  streamCounter('mock_upstream_stream_open', 'WebSockets and SSE streams open now, by route.', [[S.open, null]], true);
  streamCounter('mock_upstream_stream_messages_total', 'WebSocket messages (and SSE events) by route and direction.', [[S.messagesIn, 'in'], [S.messagesOut, 'out']]);
  streamCounter('mock_upstream_stream_bytes_total', 'WebSocket message (and SSE event) bytes by route and direction.', [[S.bytesIn, 'in'], [S.bytesOut, 'out']]);
  streamCounter('mock_upstream_stream_refused_total', 'WebSocket upgrades (and SSE streams) refused: bad controls or a refusing status.', [[S.refused, null]]);
  streamCounter('mock_upstream_stream_closed_total', 'WebSockets and SSE streams closed, for any reason.', [[S.closed, null]]);
  if (grpc !== null) {
    new Counter({
      name: 'mock_upstream_grpc_calls_total', help: 'gRPC calls on the HTTP/2 listener by method ("unknown" for paths no method serves) and final status.',
      labelNames: ['method', 'code'], registers: [registry],
      collect() {
        this.reset();
        const cells = counters.grpcTotals();
        const width = grpc.codes.length;
        for (let m = 0; m <= grpc.methods.length; m++) {
          for (let c = 0; c < width; c++) {
            const v = cells[m * width + c];
            if (v > 0) this.inc({ method: m < grpc.methods.length ? grpc.methods[m] : 'unknown', code: grpc.codes[c] }, v);
          }
        }
      },
    });
  }
  aiMetrics(registry, counters);
  perWorker('mock_upstream_pending_responses', 'Deferred responses waiting for their time, per worker.', F.pending);
  perWorker('mock_upstream_streaming_responses', 'Large bodies being streamed, per worker.', F.streaming);
  perWorker('mock_upstream_event_loop_utilization', 'Event-loop utilisation over the last second, per worker (0..1).', F.elu);
  perWorker('mock_upstream_saturated', '1 while the worker is saturated (utilisation over the threshold for several seconds).', F.saturated);
  perWorker('mock_upstream_requests_per_second', 'Responses per second over the last second, per worker.', F.rps);
  new Gauge({
    name: 'mock_upstream_in_flight_responses', help: 'Responses started and not finished (pending plus streaming), per worker.',
    labelNames: ['worker'], registers: [registry],
    collect() {
      for (let w = 0; w < workers; w++) this.set({ worker: String(w) }, counters.inFlight(w));
    },
  });
  new Counter({
    name: 'mock_upstream_worker_restarts_total', help: 'Times this worker slot was restarted after a crash.', labelNames: ['worker'],
    registers: [registry],
    collect() {
      this.reset();
      for (let w = 0; w < workers; w++) this.inc({ worker: String(w) }, counters.cells[row(w) + F.restarts]);
    },
  });
  // The HTTP/2 listener (--h2-port): only when a worker listens on it.
  const h2Total = (name: string, help: string, field: number, gauge: boolean): void => {
    const Metric = gauge ? Gauge : Counter;
    new Metric({
      name, help, registers: [registry],
      collect(this: Counter | Gauge) {
        if (h2Stats(counters) === null) return;
        const v = counters.total(field);
        if (this instanceof Gauge) this.set(v);
        else { this.reset(); this.inc(v); }
      },
    });
  };
  h2Total('mock_upstream_h2_sessions_open', 'HTTP/2 connections (sessions) open now on the --h2-port listener.', F.h2Sessions, true);
  h2Total('mock_upstream_h2_streams_open', 'HTTP/2 streams open now on the --h2-port listener.', F.h2Streams, true);
  h2Total('mock_upstream_h2_goaways_total', 'GOAWAY frames sent: the goaway control, --h2-goaway-after and shutdown drains.', F.h2Goaways, false);
  // Refusals before any route (docs/gateway-checks.md): connections closed for their PROXY header, requests answered 403 for their certificate.
  new Counter({
    name: 'mock_upstream_refused_total', help: 'Connections closed for a missing or malformed PROXY header (reason="proxy-header"), requests refused for a missing or unverified client certificate (reason="client-cert").',
    labelNames: ['reason'], registers: [registry],
    collect() {
      this.reset();
      this.inc({ reason: 'proxy-header' }, counters.total(G.proxyHeaderErrors));
      this.inc({ reason: 'client-cert' }, counters.total(G.clientCertRefused));
    },
  });
  perWorker('mock_upstream_heap_used_bytes', 'V8 heap in use of each worker\'s own isolate (sampled once a second).', F.heapUsed);
  new Gauge({
    name: 'mock_upstream_resident_memory_bytes', help: 'Resident set size of the whole process (sampled once a second).', registers: [registry],
    collect() { this.set(newestRss(counters)); },
  });
  new Gauge({
    name: 'mock_upstream_uptime_seconds', help: 'Seconds since the server started.', registers: [registry],
    collect() { this.set((Date.now() - info.startedAt) / 1000); },
  });
  new Gauge({
    name: 'mock_upstream_build_info', help: 'Build information (always 1).', labelNames: ['version', 'engine', 'uws', 'node'], registers: [registry],
    collect() { this.set({ version: info.version, engine: info.engine, uws: info.uws, node: info.node }, 1); },
  });
  return registry;
}

// The AI-gateway upstream (features/ai/): streams, tokens, and TTFT / inter-token latency as served, the
// histograms filled from the shared cells (prom-client's own observe() cannot add a whole bucket at once).
function aiMetrics(registry: Registry, counters: Counters): void {
  new Gauge({
    name: 'mock_upstream_ai_streams_open', help: 'AI token streams open now (chat, completions, responses, messages).', registers: [registry],
    collect() { this.set(counters.aiTotal(A.open)); },
  });
  const total = (name: string, help: string, field: number): void => {
    new Counter({ name, help, registers: [registry], collect() { this.reset(); const v = counters.aiTotal(field); if (v > 0) this.inc(v); } });
  };
  total('mock_upstream_ai_streams_total', 'AI token streams started.', A.streams);
  total('mock_upstream_ai_calls_total', 'AI calls answered with a completion (streamed or not).', A.calls);
  total('mock_upstream_ai_tokens_total', 'Output tokens sent by the AI endpoints.', A.tokensOut);
  total('mock_upstream_ai_streams_broken_total', 'AI streams cut mid-way by the break-after control.', A.broken);
  const histogram = (name: string, help: string, at: number): void => {
    new Histogram({
      name, help, buckets: [...AiBuckets], registers: [registry],
      collect() {
        this.reset();
        this.zero({});
        const h = this as unknown as { hashMap: Record<string, { bucketValues: Record<number, number>; sum: number; count: number }> };
        const entry = Object.values(h.hashMap)[0];
        entry.count = counters.aiTotal(at);
        entry.sum = counters.aiTotal(at + 1);
        for (let i = 0; i < AiBuckets.length; i++) entry.bucketValues[AiBuckets[i]] = counters.aiTotal(at + 2 + i);
      },
    });
  };
  histogram('mock_upstream_ai_ttft_seconds', 'Time to first token as served: request arrival to the first token\'s write.', A.ttft);
  histogram('mock_upstream_ai_itl_seconds', 'Inter-token latency as served: the time between two token writes of a stream.', A.itl);
}

// Closed-loop gRPC unary load with @grpc/grpc-js: `channels` client channels (one HTTP/2 connection each),
// each keeping `inflight` mock.v1.Echo/Unary calls in flight; every answer starts the next call. Calls are
// timed from start to callback. Prints one JSON line (GrpcLoadResult) and exits.
// Usage: node dist/bench/clients/grpc-load.js '{"port":P,"channels":2,"inflight":32,"warmupSec":1,"durationSec":5}'
import { credentials, loadPackageDefinition, type Client, type GrpcObject, type ServiceClientConstructor, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

/** What the parent asks for. */
export interface GrpcLoadOptions {
  port: number;
  channels: number;
  /** Calls in flight per channel. */
  inflight: number;
  warmupSec: number;
  durationSec: number;
}

/** What the client prints: calls completed in the window and their latencies (ms). */
export interface GrpcLoadResult {
  calls: number;
  callsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Calls that ended with a non-OK status. */
  errors: number;
  /** Client CPU (user + system) over the window as a share of one core: near 1 means the client may be the limit. */
  clientCpu: number;
}

type Unary = (request: object, callback: (err: ServiceError | null) => void) => void;

const options = JSON.parse(process.argv[2] ?? '{}') as GrpcLoadOptions;
const protoDir = fileURLToPath(new URL('../../../proto', import.meta.url));
const root = loadPackageDefinition(loadSync('mock/v1/echo.proto', { includeDirs: [protoDir] }));
const Echo = ((root.mock as GrpcObject).v1 as GrpcObject).Echo as ServiceClientConstructor;
// The same request the h2load runs send (bench/h2.bench.ts): message "hello", no payload.
const request = { message: 'hello' };

let counting = false;
let stopping = false;
let calls = 0;
let errors = 0;
const latenciesUs: number[] = [];

function loop(client: Client): void {
  const unary = (client as unknown as { Unary: Unary }).Unary.bind(client);
  const next = (): void => {
    if (stopping) return;
    const started = performance.now();
    unary(request, (err) => {
      if (counting) {
        if (err === null) {
          calls++;
          latenciesUs.push((performance.now() - started) * 1_000);
        } else errors++;
      }
      next();
    });
  };
  for (let i = 0; i < options.inflight; i++) next();
}

const clients = Array.from({ length: options.channels }, (_, i) =>
  // A distinct channel option per client, or grpc-js would share one subchannel (one connection) between them.
  new Echo(`127.0.0.1:${options.port}`, credentials.createInsecure(), { 'grpc.channel_id': i } as object),
);
for (const client of clients) loop(client);

setTimeout(() => {
  counting = true;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  setTimeout(() => {
    counting = false;
    stopping = true;
    const seconds = (performance.now() - t0) / 1_000;
    const cpu = process.cpuUsage(cpu0);
    latenciesUs.sort((a, b) => a - b);
    const at = (p: number): number => (latenciesUs.length === 0 ? Number.NaN : latenciesUs[Math.min(latenciesUs.length - 1, Math.ceil((p / 100) * latenciesUs.length) - 1)] / 1_000);
    const result: GrpcLoadResult = {
      calls,
      callsPerSec: calls / seconds,
      p50Ms: at(50),
      p99Ms: at(99),
      errors,
      clientCpu: (cpu.user + cpu.system) / 1e6 / seconds,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
    for (const client of clients) client.close();
    process.exit(0);
  }, options.durationSec * 1_000);
}, options.warmupSec * 1_000);

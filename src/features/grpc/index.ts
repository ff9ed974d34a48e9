// gRPC on node:http2 streams: the HTTP/2 listener hands every stream whose content-type starts with
// application/grpc to the handler made here. Methods are found by :path in one table; each call is a Call
// (call.ts) driven by its method (health.ts, echo.ts, reflection.ts). Measured against @grpc/grpc-js in
// docs/grpc.md: a direct implementation answers about twice the unary calls per core.
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { ServerConfig } from '../../config/options.js';
import { GrammarError, quoteValue } from '../../grammar/errors.js';
import type { Random } from '../../grammar/random.js';
import type { Scheduler } from '../../http/scheduler.js';
import { Call, statusHeaders, type CallEnv, type Method } from './call.js';
import { WireScan } from './codecs.js';
import { ControlReader } from './controls.js';
import { GrpcCounters } from './counters.js';
import { echoMethods, Filler } from './echo.js';
import { Code, MaxMessageBytes, parseGrpcTimeout } from './framing.js';
import { HealthTable, healthMethods, type ServingStatusName } from './health.js';
import { loadProtos, type ProtoSet } from './protos.js';
import { reflectionMethods } from './reflection.js';
import { GrpcMethodPaths } from './methods.js';

export { HealthTable, ServingStatus, ServingStatusNames, type ServingStatusName } from './health.js';
export { GrpcCounters, grpcCounterCells, type GrpcCallCount } from './counters.js';
export { Code, CodeNames, MaxMessageBytes } from './framing.js';
export { grpcHealthRoutes, type HealthAdminDeps } from './admin.js';

export { GrpcMethodPaths } from './methods.js';

/** What the handler needs from its worker. */
export interface GrpcDeps {
  /** --max-delay caps x-mock-delay and x-mock-interval; --max-size caps x-mock-size (never above maxMessageBytes). */
  readonly config: Pick<ServerConfig, 'maxDelayMs' | 'maxSizeBytes'>;
  /** The worker's random stream (weighted x-mock-status, latency distributions). */
  readonly rng: Random;
  /** A task Scheduler of the handler's own (call timers: delays, stream intervals, deadlines). */
  readonly tasks: Scheduler;
  /** The health table (default: a new one, "" SERVING). */
  readonly health?: HealthTable;
  /** Cells for the call counters, e.g. a view into shared memory (default: this worker's own). */
  readonly counterCells?: Float64Array;
  /** Largest request message and largest x-mock-size (default 4 MiB, grpc's default). */
  readonly maxMessageBytes?: number;
  /** Where the .proto files are (default: the package's proto/). */
  readonly protoDir?: string;
  /** Told when method code threw (the call got INTERNAL; the worker goes on). Default: ignored. */
  readonly onError?: (err: unknown, where: string) => void;
}

/** The gRPC side of the HTTP/2 listener. */
export interface GrpcHandler {
  /** Serve `stream` (true: taken). Never throws: a fault becomes that call's gRPC status. */
  readonly handle: (stream: ServerHttp2Stream, headers: IncomingHttpHeaders) => boolean;
  /** Set a service's serving status in this worker ("" is the server; SERVICE_UNKNOWN forgets it). */
  setHealth(service: string, status: ServingStatusName | number): void;
  readonly health: HealthTable;
  readonly counters: GrpcCounters;
  readonly protos: ProtoSet;
  /** Calls in progress. */
  readonly openCalls: number;
  /** End every open call with UNAVAILABLE (the worker drains: Watch and long streams must not hold it). */
  drain(): void;
}

/** Build the gRPC handler of one worker (loads the protos: call at startup). */
export function createGrpcHandler(deps: GrpcDeps): GrpcHandler {
  const maxMessage = deps.maxMessageBytes ?? MaxMessageBytes;
  const health = deps.health ?? new HealthTable();
  const protos = loadProtos(deps.protoDir);
  const scan = new WireScan();
  const methods: Method[] = [
    ...healthMethods(health, scan, 0),
    ...echoMethods(scan, new Filler(), 2, maxMessage),
    ...reflectionMethods(protos, 6),
  ];
  const table = new Map<string, Method>();
  for (const m of methods) {
    if (GrpcMethodPaths[m.index] !== m.path) throw new Error(`gRPC method table out of order: ${m.path} at ${m.index}`);
    table.set(m.path, m);
  }
  const counters = new GrpcCounters(GrpcMethodPaths, deps.counterCells);
  const open = new Set<Call>();
  const onError = deps.onError ?? ((): void => {});
  const env: CallEnv = { tasks: deps.tasks, counters, open, maxMessageBytes: maxMessage, onError };
  const controls = new ControlReader({ maxDelayMs: deps.config.maxDelayMs, maxSizeBytes: Math.min(deps.config.maxSizeBytes, maxMessage) }, deps.rng);

  const refuse = (stream: ServerHttp2Stream, code: number, message: string, row: number): void => {
    counters.count(row, code);
    // Drain what the client sends, or its flow-control window stays taken until the stream is reset.
    stream.on('error', ignore);
    stream.resume();
    stream.respond(statusHeaders(code, message), EndStream);
  };

  const handle = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders): boolean => {
    try {
      const path = headers[':path'] ?? '';
      const method = table.get(path);
      if (method === undefined) {
        refuse(stream, Code.UNIMPLEMENTED, unknownMessage(path), counters.unknownRow);
        return true;
      }
      if (headers[':method'] !== 'POST') {
        refuse(stream, Code.UNIMPLEMENTED, `gRPC calls are POST requests, not ${String(headers[':method'])}`, method.index);
        return true;
      }
      const encoding = headers['grpc-encoding'];
      if (encoding !== undefined && encoding !== 'identity') {
        refuse(stream, Code.UNIMPLEMENTED, `grpc: Decompressor is not installed for grpc-encoding "${String(encoding)}" (this server accepts identity only)`, method.index);
        return true;
      }
      let timeoutMs = -1;
      const timeout = headers['grpc-timeout'];
      if (timeout !== undefined) {
        timeoutMs = parseGrpcTimeout(String(timeout));
        if (timeoutMs < 0) {
          refuse(stream, Code.INTERNAL, `malformed grpc-timeout ${quoteValue(String(timeout))}: 1 to 8 digits then H, M, S, m, u or n`, method.index);
          return true;
        }
      }
      const asked = controls.read(headers);
      if (asked instanceof GrammarError) {
        refuse(stream, Code.INVALID_ARGUMENT, asked.message, method.index);
        return true;
      }
      new Call(stream, method, asked, env).begin(timeoutMs);
    } catch (err) {
      onError(err, 'grpc handle');
      try {
        if (!stream.headersSent && !stream.destroyed) stream.respond(statusHeaders(Code.INTERNAL, 'internal error in the mock server (logged)'), EndStream);
        else stream.close();
      } catch {
        // The stream is gone; nothing more to tell the client.
      }
    }
    return true;
  };

  return {
    handle,
    setHealth: (service, status) => health.set(service, status),
    health,
    counters,
    protos,
    get openCalls() {
      return open.size;
    },
    drain() {
      for (const call of [...open]) call.finish(Code.UNAVAILABLE, 'the server is shutting down');
    },
  };
}

const EndStream = { endStream: true };

function ignore(): void {}

// grpc-go's words: "unknown service x" or "unknown method y for service x".
function unknownMessage(path: string): string {
  const slash = path.lastIndexOf('/');
  const service = path.slice(1, slash > 0 ? slash : undefined);
  if (slash <= 0) return `malformed method name ${quoteValue(path)}`;
  const known = GrpcMethodPaths.some((p) => p.startsWith(`/${service}/`));
  return known ? `unknown method ${path.slice(slash + 1)} for service ${service}` : `unknown service ${service}`;
}

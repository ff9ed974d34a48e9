// A bare node:http2 server that hands application/grpc streams to the gRPC handler (the real listener comes
// with the HTTP/2 listener), and grpc-js clients for our protos. Real sockets, real clients.
import { once } from 'node:events';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as loader from '@grpc/proto-loader';
import { Random } from '../../src/grammar/random.js';
import { Scheduler } from '../../src/http/scheduler.js';
import { createGrpcHandler, type GrpcDeps, type GrpcHandler } from '../../src/features/grpc/index.js';

/** The package's proto/ directory (tests run from dist/test/helpers). */
export const ProtoDir = fileURLToPath(new URL('../../../proto/', import.meta.url));

export interface GrpcTestServer {
  readonly port: number;
  readonly address: string;
  readonly handler: GrpcHandler;
  /** Errors method code reported (a test that expects none asserts this stays empty). */
  readonly errors: unknown[];
  /** Streams the bare server saw that were not gRPC. */
  readonly others: number;
  close(): Promise<void>;
}

/** Start a bare h2c server on 127.0.0.1:0 with the gRPC handler; `deps` overrides the defaults. */
export async function startGrpcServer(deps: Partial<GrpcDeps> = {}): Promise<GrpcTestServer> {
  const errors: unknown[] = [];
  const handler = createGrpcHandler({
    config: { maxDelayMs: 60_000, maxSizeBytes: 256 * 1024 * 1024 },
    rng: new Random(42),
    tasks: new Scheduler(),
    onError: (err) => errors.push(err),
    ...deps,
  });
  let others = 0;
  const server = http2.createServer();
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });
  server.on('stream', (stream, headers) => {
    const type = headers['content-type'];
    if (typeof type === 'string' && type.startsWith('application/grpc') && handler.handle(stream, headers)) return;
    others++;
    stream.respond({ ':status': 404 }, { endStream: true });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    address: `127.0.0.1:${port}`,
    handler,
    errors,
    get others() {
      return others;
    },
    close: async () => {
      for (const s of sessions) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Load one of our protos for grpc-js (keepCase, so fields read as in the .proto). */
export function loadPackage(file: string): grpc.GrpcObject {
  const def = loader.loadSync(file, { includeDirs: [ProtoDir], keepCase: true, longs: Number, enums: String, defaults: false });
  return grpc.loadPackageDefinition(def);
}

/** A client constructor by dotted name, e.g. "mock.v1.Echo". */
export function clientOf(pkg: grpc.GrpcObject, name: string): grpc.ServiceClientConstructor {
  let node: unknown = pkg;
  for (const part of name.split('.')) node = (node as Record<string, unknown>)[part];
  return node as grpc.ServiceClientConstructor;
}

/** A grpc-js client of `service` (dotted name in `file`) to the test server. */
export function makeClient(server: GrpcTestServer, file: string, service: string): grpc.Client {
  const Ctor = clientOf(loadPackage(file), service);
  return new Ctor(server.address, grpc.credentials.createInsecure());
}

/** Metadata from a plain object. */
export function meta(values: Record<string, string>): grpc.Metadata {
  const m = new grpc.Metadata();
  for (const [k, v] of Object.entries(values)) m.set(k, v);
  return m;
}

type UnaryFn = (req: object, md: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: unknown) => void) => grpc.ClientUnaryCall;

/** One unary call: resolves the reply or rejects with the ServiceError. */
export function unary<T>(client: grpc.Client, method: string, req: object, md: grpc.Metadata = new grpc.Metadata(), opts: grpc.CallOptions = {}): Promise<T> {
  const fn = (client as unknown as Record<string, UnaryFn>)[method].bind(client);
  return new Promise((resolve, reject) => {
    fn(req, md, opts, (err, res) => (err !== null ? reject(err) : resolve(res as T)));
  });
}

/** A unary call's error (fails the test when the call succeeds). */
export async function unaryError(client: grpc.Client, method: string, req: object, md?: grpc.Metadata, opts?: grpc.CallOptions): Promise<grpc.ServiceError> {
  try {
    await unary(client, method, req, md, opts);
  } catch (err) {
    return err as grpc.ServiceError;
  }
  throw new Error(`${method} succeeded, expected an error`);
}

/** Every message of a readable call and its end status. */
export function collect<T>(call: grpc.ClientReadableStream<unknown> | grpc.ClientDuplexStream<unknown, unknown>): Promise<{ messages: T[]; status: grpc.StatusObject | null; error: grpc.ServiceError | null }> {
  const messages: T[] = [];
  return new Promise((resolve) => {
    let error: grpc.ServiceError | null = null;
    call.on('data', (m: T) => messages.push(m));
    call.on('error', (e: grpc.ServiceError) => {
      error = e;
    });
    call.on('status', (status: grpc.StatusObject) => resolve({ messages, status, error }));
  });
}

/** Reject after `ms` with `why` unless `p` settles first (every wait in these tests is bounded). */
export function within<T>(p: Promise<T>, ms: number, why: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${why}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Resolves once `cond()` holds, checking after each event-loop turn; rejects after `ms` naming `why`. */
export async function until(cond: () => boolean, ms: number, why: string): Promise<void> {
  const deadline = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${ms} ms: ${why}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

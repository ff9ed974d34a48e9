// Builds a worker's uWS app: the one route table, from every route family, plus the 404 fallback.
import type { ServerConfig } from '../config/options.js';
import type { HttpResponse, TemplatedApp } from '../http/uws.js';
import type { Engine, GatewayOptions, TlsFiles } from '../http/engine.js';
import { proxiedAddressOf } from '../http/peer.js';
import { workerRandom } from '../grammar/random.js';
import { adminRoutes } from '../features/admin.js';
import { Controls } from '../features/controls.js';
import { configuredRoutes } from '../features/configured.js';
import type { RouteConfig } from '../config/file.js';
import { Journal } from '../observe/journal.js';
import { allocateScenarios, ScenarioTable, type ScenarioClaim } from '../observe/scenarios.js';
import { Recorder } from '../http/recorder.js';
import type { AdminAsk, AdminReply } from '../http/ask.js';
import { serializeError } from '../serializers/index.js';
import { passOn, RouteTable, type CellWrapper, type RouteCell } from './router.js';
import { compatRoutes } from '../features/compat.js';
import { jsonRoutes } from '../features/json.js';
import { httpbinRoutes } from '../features/httpbin.js';
import { payloadRoutes } from '../features/payloads.js';
import { sseRoutes } from '../features/sse.js';
import { aiRoutes } from '../features/ai/index.js';
import type { Handler, Route, RouteContext } from '../features/context.js';
import { allocateCounters, Counters, F, G, MaxRoutes, WorkerCounters } from '../observe/counters.js';
import type { Logger } from 'pino';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import type { Random } from '../grammar/random.js';
import { Writer } from '../http/writer.js';
import { BodyReader } from '../http/body.js';
import { techEmpowerRoutes } from '../features/techempower.js';
import { GoTimeBodies } from '../http/clock.js';
import { sendError } from '../http/errors.js';
import { FillerSender } from '../http/filler.js';
import { Scheduler } from '../http/scheduler.js';
import { WsTable, wsHttpRoutes } from '../features/ws/routes.js';
import type { GrpcDeps, GrpcHandler } from '../features/grpc/index.js';
import { grpcHealthRoutes } from '../features/grpc/admin.js';
import type { ServingStatusName } from '../features/grpc/health.js';
import type { H2App, H2Engine } from '../http/h2/engine.js';

/** Options a worker passes when building its app. */
export interface AppOptions {
  readonly config: ServerConfig;
  /** The data port the worker will listen on (the probed one when --port 0). */
  readonly port?: number;
  /** Epoch ms the process started (Go's monotonic m=+ counts from it). */
  readonly startedAt: number;
  /** Index of this worker: seeds its random stream and picks its counter row. */
  readonly workerIndex: number;
  /** Shared counters (allocated by the supervisor; a private one when built standalone). */
  readonly counters?: SharedArrayBuffer;
  /** The shared scenario table (allocated by the supervisor; a private one when built standalone). */
  readonly scenarios?: SharedArrayBuffer;
  /** Told when this worker claims a scenario slot (the worker tells the main thread, which names it). */
  readonly onScenario?: (claim: ScenarioClaim) => void;
  /** The configured routes to start with (default: the config file's). */
  readonly routes?: readonly RouteConfig[];
  /** Configured paths registered earlier in this process, in order (see ControlPlane). */
  readonly patterns?: readonly string[];
  /** Carries an admin action to the main thread (runtime routes, journal). */
  readonly ask?: (ask: AdminAsk) => Promise<AdminReply>;
  /** Makes the gRPC handler of the HTTP/2 listener: features/grpc's createGrpcHandler, imported by the caller only with --h2-port (it loads protobufjs, ~140 ms). */
  readonly grpc?: (deps: GrpcDeps) => GrpcHandler;
  /** gRPC health statuses set at runtime before this worker started (service, ServingStatus name). */
  readonly grpcHealth?: readonly (readonly [string, string])[];
  /** Told when a route handler throws (the request is answered 500 and the worker keeps serving). */
  readonly onHandlerError?: (route: string, err: Error) => void;
  /**
   * The h2 engine when the worker serves --h2-port: a second app with the same routes, context, writer,
   * scheduler and counters (one worker, two listeners), its h2c or TLS form following config.tls.
   */
  readonly h2?: H2Engine;
}

/** Every route, in registration order; the README's route list mirrors it. */
export function routeTable(ctx: RouteContext, controls: Controls): Route[] {
  return [...jsonRoutes(ctx, controls), ...compatRoutes(ctx, controls), ...techEmpowerRoutes(ctx), ...httpbinRoutes(ctx, controls), ...payloadRoutes(ctx),
    ...sseRoutes(ctx, controls), ...wsHttpRoutes(ctx), ...aiRoutes(ctx, controls)];
}

/** What createApp returns: the apps, the worker's context and the hook that swaps configured routes. */
export interface BuiltApp {
  readonly app: TemplatedApp;
  /** The admin listener's app when --admin-port moves /__mock/* there. */
  readonly adminApp: TemplatedApp | null;
  /** The HTTP/2 listener's app (the h2 option), serving every route of `app`. */
  readonly h2App: H2App | null;
  readonly ctx: RouteContext;
  /** The WebSocket routes and their open sockets (shutdown tells them 1001). */
  readonly ws: WsTable;
  /** The gRPC side of the HTTP/2 listener (null without --h2-port). */
  readonly grpc: GrpcHandler | null;
  /** Make these the configured routes (compiled first: on error nothing changes and this throws). */
  setRoutes(routes: readonly RouteConfig[]): void;
}

/** Create the app (TLS when configured) with every route registered on every method, and the admin app
 * when --admin-port moves /__mock/* to its own listener. `uws`: the loaded uWS module or another engine. */
export function createApp(uws: Pick<Engine, 'App' | 'SSLApp' | 'SHARED_COMPRESSOR'>, opts: AppOptions): BuiltApp {
  const { config } = opts;
  let controls: Controls | null = null;
  const allCounters = new Counters(opts.counters ?? allocateCounters(opts.workerIndex + 1));
  const counters = new WorkerCounters(allCounters, opts.workerIndex);
  const gateway = gatewayOptions(config, counters);
  const app = (config.tls
    ? uws.SSLApp(tlsFiles(config.tls), gateway)
    : uws.App(gateway)) as TemplatedApp;
  counters.set(F.alive, 1);
  const routes = opts.routes ?? config.routes;
  // The worker's one writer: counts every head; the journal's recorder and the filler hook into it.
  const writer = new Writer(counters);
  const journal = config.journal > 0 ? new Journal(config.journal, config.journalBodyBytes, config.journalRedact, opts.workerIndex) : null;
  if (journal !== null) writer.recorder = new Recorder(journal, writer);
  const ctx: RouteContext = {
    config,
    writer,
    bodies: new BodyReader(writer),
    allCounters,
    counters,
    routeNames: [],
    routeConfigs: routes,
    startedAt: opts.startedAt,
    port: opts.port ?? 0,
    clock: new GoTimeBodies(opts.startedAt),
    scheduler: new Scheduler(),
    filler: new FillerSender(writer),
    rng: workerRandom(config.seed, opts.workerIndex),
    draining: false,
    onDrain: [],
    journal,
    scenarios: new ScenarioTable(opts.scenarios ?? allocateScenarios(), opts.onScenario),
    ask: opts.ask ?? noSupervisor,
    respond(res, req, responder, arg, n, extraMs) {
      (controls as Controls).respond(res, req, responder, arg, n, extraMs);
    },
    respondRoute(res, req, responder, arg, route) {
      (controls as Controls).respondRoute(res, req, responder, arg, route);
    },
  };
  controls = new Controls(ctx);
  ctx.scheduler.attach(counters, writer);
  const notFound: Route = {
    pattern: '/*', about: 'anything else: 404 JSON',
    handler: (res, req) => {
      sendError(writer, res, 404, `no route for ${req.getUrl()}: see the route list in the README (GET /json/valid, /delay/1s, /size/1KB, ...)`, 'path');
    },
  };
  // Admin routes: on the data port (default), on their own listener (--admin-port), or nowhere (--no-admin).
  // gRPC is served on the HTTP/2 listener only: the handler (and its health admin route) exist with --h2-port.
  const report0 = opts.onHandlerError ?? noReport;
  const grpc = opts.h2 === undefined || opts.grpc === undefined ? null : opts.grpc({
    config, rng: ctx.rng, tasks: new Scheduler(64), counterCells: counters.grpcCells(),
    onError: (err, where) => report0(`gRPC ${where}`, err instanceof Error ? err : new Error(String(err))),
  });
  if (grpc !== null) {
    for (const [service, status] of opts.grpcHealth ?? []) grpc.setHealth(service, status as ServingStatusName);
    ctx.onDrain.push(() => grpc.drain());
  }
  const admin = config.admin ? [...adminRoutes(ctx), ...(grpc === null ? [] : grpcHealthRoutes({ ctx, health: grpc.health, broadcast: healthBroadcast(ctx) }))] : [];
  const adminApp = config.admin && config.adminPort !== null ? uws.App() as TemplatedApp : null;
  const adminNotFound: Route = {
    pattern: `${config.adminPrefix}*`, about: 'any other admin path: 404',
    handler: (res, req) => sendError(writer, res, 404, `no admin route ${req.getUrl()}: see the admin list in the README (${config.adminPrefix}health, stats, metrics, ...)`, 'path'),
  };
  const adminSide: Route[] = adminApp === null ? [] : [...admin, adminNotFound, {
    pattern: '/*', about: 'admin listener: anything else is 404',
    handler: (res, req) => sendError(writer, res, 404, `no admin route ${req.getUrl()}: the admin listener serves ${config.adminPrefix}* only`, 'path'),
  }];
  const wrap = cellWrapper(ctx, config, opts.workerIndex, opts.onHandlerError ?? noReport);
  const data = new RouteTable(app, ctx.routeNames, wrap, MaxRoutes, writer);
  // Without --admin-port the admin routes are on the data port; the rest of the prefix is the admin side's
  // 404, so a configured "/:a/:b" cannot answer under it.
  const dataAdmin = adminApp === null && config.admin ? [...admin, adminNotFound] : [];
  for (const r of dataAdmin) data.add(r, false);
  const dataRoutes = [...routeTable(ctx, controls), notFound];
  for (const r of dataRoutes) data.add(r, true);
  if (adminApp !== null) {
    const side = new RouteTable(adminApp, ctx.routeNames, wrap, MaxRoutes, writer);
    for (const r of adminSide) side.add(r, false);
  }
  // Every path configured earlier in this process, in the same order as in the other workers, so route
  // ids (and so metric labels read across workers) agree after a restart.
  data.reserve(opts.patterns ?? []);
  const report = opts.onHandlerError ?? noReport;
  const wsError = (err: unknown): void => report('WebSocket timer', err instanceof Error ? err : new Error(String(err)));
  const ws = new WsTable(ctx, app, uws.SHARED_COMPRESSOR, (p) => data.idOf(p), wsError);
  ctx.onDrain.push(() => ws.sockets.goingAway());
  const h2 = opts.h2 === undefined ? null : h2Side(opts.h2, ctx, dataAdmin, dataRoutes, wrap, opts.patterns ?? [], wsError);
  if (h2 !== null && grpc !== null) h2.app.grpc = grpc.handle;
  // Configured routes win over a built-in route of the same shape (see router.ts).
  const setRoutes = (next: readonly RouteConfig[]): void => {
    const compiled = configuredRoutes(ctx, next, config.payloadsDir);
    const wsRoutes = compiled.flatMap((r) => (r.ws === null ? [] : [r.ws]));
    data.configure(compiled);
    ws.configure(wsRoutes);
    h2?.data.configure(compiled);
    h2?.ws.configure(wsRoutes);
    ctx.routeConfigs = next;
  };
  setRoutes(routes);
  return { app, adminApp, h2App: h2?.app ?? null, ctx, ws, grpc, setRoutes };
}

// A health change reaches every worker through the main thread (runtime/control.ts), like runtime routes.
function healthBroadcast(ctx: RouteContext): (service: string, status: ServingStatusName) => Promise<void> {
  return async (service, status) => {
    const reply = await ctx.ask({ op: 'grpc.health', service, status });
    if (reply.status !== 200) throw new Error((JSON.parse(reply.body) as { error?: string }).error ?? `status ${reply.status}`);
  };
}

/**
 * The HTTP/2 listener's app: the data side's routes in the same order (so a shape has the same counter id
 * on both), admin routes only where the data port has them (not with --admin-port), WebSocket routes for
 * HTTP/1.1 clients of its TLS port. Its route names are its own list: ctx.routeNames stays the data side's.
 */
function h2Side(engine: H2Engine, ctx: RouteContext, admin: readonly Route[], routes: readonly Route[], wrap: CellWrapper,
  patterns: readonly string[], wsError: (err: unknown) => void): { app: H2App; data: RouteTable; ws: WsTable } {
  const { config, writer } = ctx;
  const app = config.tls ? engine.SSLApp(tlsFiles(config.tls), gatewayOptions(config, ctx.counters)) : engine.App();
  app.meter = ctx.counters;
  // src/features/grpc/ plugs its stream handler in here (app.grpc = ...): every application/grpc stream is
  // offered to it before the routes; until then the routes answer them like any request.
  const data = new RouteTable(app as unknown as TemplatedApp, [], wrap, MaxRoutes, writer);
  for (const r of admin) data.add(r, false);
  for (const r of routes) data.add(r, true);
  data.reserve(patterns);
  const ws = new WsTable(ctx, app, engine.SHARED_COMPRESSOR, (p) => data.idOf(p), wsError);
  ctx.onDrain.push(() => ws.sockets.goingAway());
  return { app, data, ws };
}

function noReport(): void {}

/** The engine's TLS files from the config (ca_file_name: mutual TLS, --tls-ca). */
function tlsFiles(tls: NonNullable<ServerConfig['tls']>): TlsFiles {
  return tls.caFile === null ? { cert_file_name: tls.certFile, key_file_name: tls.keyFile }
    : { cert_file_name: tls.certFile, key_file_name: tls.keyFile, ca_file_name: tls.caFile };
}

/** The data app's PROXY protocol and mutual-TLS options: each refusal is counted (G.*, /__mock/metrics). */
function gatewayOptions(config: ServerConfig, counters: WorkerCounters): GatewayOptions | undefined {
  if (!config.proxyProtocol && config.tls?.caFile == null) return undefined;
  return {
    proxyProtocol: config.proxyProtocol,
    onRefused: (kind) => counters.add(kind === 'proxy-header' ? G.proxyHeaderErrors : G.clientCertRefused, 1),
  };
}

function noSupervisor(): Promise<AdminReply> {
  return Promise.resolve({ status: 501, body: serializeError({ error: 'no supervisor: runtime routes and the journal need the full server' }) });
}

// The per-route wrapper, chosen once: counting only (the hot path), or with access log and/or journal.
function cellWrapper(ctx: RouteContext, config: ServerConfig, worker: number, report: HandlerErrorReport): CellWrapper {
  const { counters, writer } = ctx;
  const recorder = writer.recorder;
  const log = config.accessLogSample > 0 ? accessLogger(config.logLevel) : null;
  // Its own unseeded stream, so turning the access log on does not change what --seed gives the controls.
  const sampling = workerRandom(null, worker);
  return (cell) => {
    const inner = log === null ? counted(writer, counters, cell, report) : logged(writer, counters, cell, log, config.accessLogSample, sampling, worker, report);
    return recorder !== null && cell.data ? journaled(recorder, cell, inner) : inner;
  };
}

type HandlerErrorReport = (route: string, err: Error) => void;

// Setting the route id is one store; the counters attribute every response written under it. The try is
// free in optimized code and is what stands between a handler bug and the whole process: uWS aborts every
// thread when a handler throws before responding (docs/operations.md, "Crashes").
function counted(writer: Writer, counters: WorkerCounters, cell: RouteCell, report: HandlerErrorReport): Handler {
  const id = cell.id;
  return (res, req) => {
    counters.route = id;
    try {
      cell.handler(res, req);
    } catch (err) {
      handlerThrew(writer, res, cell, err, report);
    }
  };
}

// Answer 500 when the response is still open (a throw after it was answered or deferred cannot), and tell.
function handlerThrew(writer: Writer, res: HttpResponse, cell: RouteCell, err: unknown, report: HandlerErrorReport): void {
  const e = err instanceof Error ? err : new Error(String(err));
  try {
    sendError(writer, res, 500, `internal error in ${cell.pattern}: ${e.message}`);
  } catch {
    // Already answered, deferred, or half written: closing the connection is the one way left to leave the
    // handler without uWS aborting the process over a response still pending.
    try {
      res.close();
    } catch {
      // Already closed.
    }
  }
  report(cell.pattern, e);
}

// Records the request, then runs the route with the entry visible to body collectors. A shape handing the
// request on (its configured routes were removed) records nothing: the route that answers records it once.
function journaled(recorder: Recorder, cell: RouteCell, inner: Handler): Handler {
  return (res, req) => {
    if (cell.handler === passOn) passOn(res, req);
    else recorder.handle(res, req, inner);
  };
}

// A separate wrapper, chosen at startup, so the access log costs nothing when it is off.
function logged(writer: Writer, counters: WorkerCounters, cell: RouteCell, log: Logger, sample: number, rng: Random, worker: number,
  report: HandlerErrorReport): Handler {
  const plain = counted(writer, counters, cell, report);
  return (res, req) => {
    if (sample < 1 && rng.next() >= sample) {
      plain(res, req);
      return;
    }
    const method = req.getCaseSensitiveMethod();
    const query = req.getQuery();
    const url = query ? `${req.getUrl()}?${query}` : req.getUrl();
    // The peer, and beside it the client a PROXY header named (--proxy-protocol); read before the answer ends res.
    const remote = Buffer.from(res.getRemoteAddressAsText()).toString('latin1');
    const proxied = proxiedAddressOf(res);
    const t0 = performance.now();
    writer.lastCode = 0;
    plain(res, req);
    const status = writer.lastCode;
    // A deferred response has no status yet when the handler returns.
    log.info({ event: 'access', worker, method, url, remote, ...(proxied === '' ? {} : { proxied }), route: cell.pattern, status: status === 0 ? null : status,
      deferred: status === 0, ms: Math.round((performance.now() - t0) * 1000) / 1000 });
  };
}

function accessLogger(level: string): Logger {
  // Loaded only when the access log is on: importing pino costs start-up time in every worker.
  const { pino } = createRequire(import.meta.url)('pino') as typeof import('pino');
  // Asynchronous writes from the worker thread straight to stdout: the request path never waits on I/O.
  return pino({ level: level === 'silent' ? 'info' : level, base: null, formatters: { level: (label) => ({ level: label }) } },
    pino.destination({ fd: 1, sync: false }));
}

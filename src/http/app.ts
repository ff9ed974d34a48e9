// Builds a worker's uWS app: the one route table, from every route family, plus the 404 fallback.
import type { ServerConfig } from '../config/options.js';
import type { TemplatedApp, Uws } from '../runtime/uws.js';
import { workerRandom } from '../grammar/random.js';
import { adminRoutes } from '../routes/admin.js';
import { AdminPrefix } from '../config/defaults.js';
import { Controls } from '../routes/controls.js';
import { configuredRoutes, routeShape, type ConfiguredRoute } from '../routes/configured.js';
import { compatRoutes } from '../routes/compat.js';
import { httpbinRoutes } from '../routes/httpbin.js';
import { payloadRoutes } from '../routes/payloads.js';
import type { Handler, Route, RouteContext } from '../routes/context.js';
import { allocateCounters, Counters, F, MaxRoutes, WorkerCounters } from '../observe/counters.js';
import type { Logger } from 'pino';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import type { Random } from '../grammar/random.js';
import { takeLastCode, useCounters } from './respond.js';
import { techEmpowerRoutes } from '../routes/techempower.js';
import { GoTimeBodies } from './clock.js';
import { sendError } from './errors.js';
import { FillerSender } from './filler.js';
import { Scheduler } from './scheduler.js';

/** Options a worker passes when building its app. */
export interface AppOptions {
  readonly config: ServerConfig;
  /** Epoch ms the process started (Go's monotonic m=+ counts from it). */
  readonly startedAt: number;
  /** Index of this worker: seeds its random stream and picks its counter row. */
  readonly workerIndex: number;
  /** Shared counters (allocated by the supervisor; a private one when built standalone). */
  readonly counters?: SharedArrayBuffer;
}

/** Every route, in registration order; the README's route list mirrors it. */
export function routeTable(ctx: RouteContext): Route[] {
  return [...compatRoutes(ctx), ...techEmpowerRoutes(ctx), ...httpbinRoutes(ctx), ...payloadRoutes(ctx)];
}

/** Create the app (TLS when configured) with every route registered on every method, and the admin app
 * when --admin-port moves /__mock/* to its own listener. */
export function createApp(uws: Uws, opts: AppOptions): { app: TemplatedApp; adminApp: TemplatedApp | null; ctx: RouteContext } {
  const { config } = opts;
  const app = (config.tls
    ? uws.SSLApp({ cert_file_name: config.tls.certFile, key_file_name: config.tls.keyFile })
    : uws.App()) as TemplatedApp;
  let controls: Controls | null = null;
  const allCounters = new Counters(opts.counters ?? allocateCounters(opts.workerIndex + 1));
  const counters = new WorkerCounters(allCounters, opts.workerIndex);
  counters.set(F.alive, 1);
  const ctx: RouteContext = {
    config,
    allCounters,
    counters,
    routeNames: [],
    startedAt: opts.startedAt,
    clock: new GoTimeBodies(opts.startedAt),
    scheduler: new Scheduler(),
    filler: new FillerSender(),
    rng: workerRandom(config.seed, opts.workerIndex),
    draining: false,
    respond(res, req, responder, arg, n, extraMs) {
      (controls as Controls).respond(res, req, responder, arg, n, extraMs);
    },
    respondRoute(res, req, responder, arg, route) {
      (controls as Controls).respondRoute(res, req, responder, arg, route);
    },
  };
  controls = new Controls(ctx);
  ctx.scheduler.attach(counters);
  useCounters(counters);
  // Configured routes win over a built-in route of the same shape; one handler per shape dispatches by
  // method (uWS aborts the process if a shape is registered twice), falling back to the built-in route,
  // else 405.
  const builtIn = routeTable(ctx);
  const groups = new Map<string, ConfiguredRoute[]>();
  for (const r of configuredRoutes(ctx, config.routes, config.payloadsDir)) {
    const shape = routeShape(r.pattern);
    groups.set(shape, [...(groups.get(shape) ?? []), r]);
  }
  const shadowed = new Map(builtIn.filter((r) => groups.has(routeShape(r.pattern))).map((r) => [routeShape(r.pattern), r]));
  const configured: Route[] = [...groups.values()].map((entries) => dispatch(entries, shadowed.get(routeShape(entries[0].pattern)) ?? null));
  const routes: Route[] = [...configured, ...builtIn.filter((r) => !shadowed.has(routeShape(r.pattern))), {
    pattern: '/*', about: 'anything else: 404 JSON',
    handler: (res, req) => {
      sendError(res, 404, `no route for ${req.getUrl()}: see the route list in the README (GET /json/valid, /delay/1s, /size/1KB, ...)`, 'path');
    },
  }];
  // Admin routes: on the data port (default), on their own listener (--admin-port), or nowhere (--no-admin).
  const admin = config.admin ? adminRoutes(ctx) : [];
  const adminApp = config.admin && config.adminPort !== null ? uws.App() as TemplatedApp : null;
  const adminSide: Route[] = adminApp === null ? [] : [...admin, {
    pattern: '/*', about: 'admin listener: anything else is 404',
    handler: (res, req) => sendError(res, 404, `no admin route ${req.getUrl()}: the admin listener serves ${AdminPrefix}* only`, 'path'),
  }];
  const dataSide = adminApp === null ? [...admin, ...routes] : routes;
  if (dataSide.length + adminSide.length > MaxRoutes) throw new Error(`route table has ${dataSide.length + adminSide.length} routes; counters hold ${MaxRoutes}`);
  const log = config.accessLogSample > 0 ? accessLogger(config.logLevel) : null;
  const register = (target: TemplatedApp, route: Route): void => {
    const id = ctx.routeNames.length;
    ctx.routeNames.push(route.pattern);
    target.any(route.pattern, log === null ? counted(counters, id, route.handler) : logged(counters, id, route, log, config.accessLogSample, ctx.rng, opts.workerIndex));
  };
  for (const route of dataSide) register(app, route);
  if (adminApp !== null) for (const route of adminSide) register(adminApp, route);
  return { app, adminApp, ctx };
}

/** One handler for every configured route of a shape: the first whose methods match answers. */
function dispatch(entries: ConfiguredRoute[], fallback: Route | null): Route {
  const allow = entries.some((e) => e.methods === null) ? null : [...new Set(entries.flatMap((e) => [...(e.methods ?? [])]))].map((m) => m.toUpperCase()).join(', ');
  return {
    pattern: entries[0].pattern,
    about: entries.map((e) => e.about).join('; '),
    handler: (res, req) => {
      const m = req.getMethod();
      for (const e of entries) {
        if (e.methods === null || e.methods.has(m)) {
          e.handler(res, req);
          return;
        }
      }
      if (fallback !== null) fallback.handler(res, req);
      else sendError(res, 405, `${req.getCaseSensitiveMethod().toUpperCase()} is not configured for ${entries[0].pattern}: use ${allow}`, 'method');
    },
  };
}

// Setting the route id is one store; the counters attribute every response written under it.
function counted(counters: WorkerCounters, id: number, handler: Handler): Handler {
  return (res, req) => {
    counters.route = id;
    handler(res, req);
  };
}

// A separate wrapper, chosen at startup, so the access log costs nothing when it is off.
function logged(counters: WorkerCounters, id: number, route: Route, log: Logger, sample: number, rng: Random, worker: number): Handler {
  const handler = route.handler;
  return (res, req) => {
    counters.route = id;
    if (sample < 1 && rng.next() >= sample) {
      handler(res, req);
      return;
    }
    const method = req.getCaseSensitiveMethod();
    const query = req.getQuery();
    const url = query ? `${req.getUrl()}?${query}` : req.getUrl();
    const t0 = performance.now();
    takeLastCode();
    handler(res, req);
    const status = takeLastCode();
    // A deferred response has no status yet when the handler returns.
    log.info({ event: 'access', worker, method, url, route: route.pattern, status: status === 0 ? null : status,
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

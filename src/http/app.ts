// Builds a worker's uWS app: the one route table, from every route family, plus the 404 fallback.
import type { ServerConfig } from '../config/options.js';
import type { TemplatedApp, Uws } from '../runtime/uws.js';
import { workerRandom } from '../grammar/random.js';
import { adminRoutes } from '../routes/admin.js';
import { Controls } from '../routes/controls.js';
import { compatRoutes } from '../routes/compat.js';
import { httpbinRoutes } from '../routes/httpbin.js';
import type { Route, RouteContext } from '../routes/context.js';
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
  /** Index of this worker: seeds its random stream. */
  readonly workerIndex: number;
}

/** Every route, in registration order; the README's route list mirrors it. */
export function routeTable(ctx: RouteContext): Route[] {
  return [...compatRoutes(ctx), ...techEmpowerRoutes(ctx), ...httpbinRoutes(ctx), ...adminRoutes(ctx)];
}

/** Create the app (TLS when configured) with every route registered on every method. */
export function createApp(uws: Uws, opts: AppOptions): { app: TemplatedApp; ctx: RouteContext } {
  const { config } = opts;
  const app = (config.tls
    ? uws.SSLApp({ cert_file_name: config.tls.certFile, key_file_name: config.tls.keyFile })
    : uws.App()) as TemplatedApp;
  let controls: Controls | null = null;
  const ctx: RouteContext = {
    config,
    clock: new GoTimeBodies(opts.startedAt),
    scheduler: new Scheduler(),
    filler: new FillerSender(),
    rng: workerRandom(config.seed, opts.workerIndex),
    draining: false,
    respond(res, req, responder, arg, n, extraMs) {
      (controls as Controls).respond(res, req, responder, arg, n, extraMs);
    },
  };
  controls = new Controls(ctx);
  for (const route of routeTable(ctx)) app.any(route.pattern, route.handler);
  app.any('/*', (res, req) => {
    sendError(res, 404, `no route for ${req.getUrl()}: see the route list in the README (GET /json/valid, /delay/1s, /size/1KB, ...)`, 'path');
  });
  return { app, ctx };
}

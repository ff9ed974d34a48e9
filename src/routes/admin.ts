// Admin endpoints under the reserved /__mock/ prefix (spec 2.6).
import { AdminPrefix, FaultHookEnv, FaultHookPhrase } from '../config/defaults.js';

export { FaultHookEnv, FaultHookPhrase };
import { makeHead, prepare, send, sendBody } from '../http/respond.js';
import { sendError } from '../http/errors.js';
import type { Registry } from 'prom-client';
import { statsJson } from '../observe/stats.js';
import { uwsBuild, Version } from '../version.js';
import type { Route, RouteContext } from './context.js';

const Crashing = prepare(202, 'application/json', '{"status":"crashing"}');

const StatsHead = makeHead(200, 'application/json', [['Cache-Control', 'no-store']]);
const MetricsHead = makeHead(200, 'text/plain; version=0.0.4; charset=utf-8', [['Cache-Control', 'no-store']]);

const Healthy = prepare(200, 'application/json', '{"status":"ok"}', [['Cache-Control', 'no-store']]);
const Draining = prepare(503, 'application/json', '{"status":"draining"}', [['Cache-Control', 'no-store']]);

/** The admin route table. */
export function adminRoutes(ctx: RouteContext): Route[] {
  // Draining answers 503 so load balancers and orchestrators stop routing here during shutdown.
  const health = (): typeof Healthy => (ctx.draining ? Draining : Healthy);
  // Built on first scrape: most runs never ask for metrics.
  let registry: Registry | null = null;
  const metrics = async (): Promise<string> => {
    if (registry === null) {
      const { createRegistry } = await import('../observe/metrics.js');
      registry ??= createRegistry(ctx.allCounters, () => ctx.routeNames, {
        version: Version, uws: uwsBuild(), node: process.versions.node, startedAt: ctx.startedAt,
      });
    }
    return registry.metrics();
  };
  // The effective config never changes while running: serialized once.
  const effective = prepare(200, 'application/json', JSON.stringify(ctx.config, null, 2), [['Cache-Control', 'no-store']]);
  const routes: Route[] = [
    { pattern: `${AdminPrefix}config`, about: 'the effective configuration (flags, env, file, defaults merged) as JSON',
      handler: (res) => send(res, effective) },
    { pattern: `${AdminPrefix}stats`, about: 'JSON: per-worker rps, in-flight, pending, event-loop utilisation, saturation; totals',
      handler: (res) => sendBody(res, StatsHead, Buffer.from(statsJson(ctx.allCounters, ctx.startedAt))) },
    { pattern: `${AdminPrefix}metrics`, about: 'Prometheus text exposition',
      handler: (res) => {
        // prom-client renders asynchronously: the response must survive an abort and write corked.
        let aborted = false;
        res.onAborted(() => { aborted = true; });
        metrics().then((text) => {
          if (!aborted) res.cork(() => sendBody(res, MetricsHead, Buffer.from(text)));
        }, (err: Error) => {
          if (!aborted) res.cork(() => sendError(res, 500, `metrics failed: ${err.message}`));
        });
      } },
    { pattern: `${AdminPrefix}health`, about: 'liveness: 200 {"status":"ok"}, 503 while draining',
      handler: (res) => send(res, health()) },
    { pattern: `${AdminPrefix}ready`, about: 'readiness: same as health',
      handler: (res) => send(res, health()) },
  ];
  if (process.env[FaultHookEnv] === FaultHookPhrase) {
    routes.push({ pattern: `${AdminPrefix}test/crash`, about: 'test-only: crash this worker after answering',
      handler: (res) => {
        send(res, Crashing);
        setImmediate(() => { throw new Error('test fault hook: deliberate worker crash'); });
      } });
  }
  return routes;
}

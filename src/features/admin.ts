// Admin endpoints under the reserved prefix, /__mock/ unless --admin-prefix says otherwise.
import { MaxQueryNumber, wholeNumber } from '../grammar/integer.js';
import { FaultHookEnv, FaultHookPhrase } from '../config/defaults.js';

export { FaultHookEnv, FaultHookPhrase };
import { makeHead, prepare } from '../http/head.js';
import { DepthError, parseBoundedJson } from '../http/depth.js';
import { answerFailure } from '../http/contain.js';
import type { HttpRequest, HttpResponse } from '../http/uws.js';
import type { AdminAsk } from '../http/ask.js';
import { serializeRoutes } from '../serializers/index.js';
import { sendError } from '../http/errors.js';
import { quoteValue } from '../grammar/errors.js';
import type { Registry } from 'prom-client';
import { statsJson } from '../observe/stats.js';
import { GrpcMethodPaths } from './grpc/methods.js';
import { CodeNames } from './grpc/framing.js';
import { statusFilter } from '../observe/journal.js';
import { uwsBuild, Version } from '../version.js';
import type { Route, RouteContext } from './context.js';

const Crashing = prepare(202, 'application/json', '{"status":"crashing"}');

const StatsHead = makeHead(200, 'application/json', [['Cache-Control', 'no-store']]);
const MetricsHead = makeHead(200, 'text/plain; version=0.0.4; charset=utf-8', [['Cache-Control', 'no-store']]);

const Healthy = prepare(200, 'application/json', '{"status":"ok"}', [['Cache-Control', 'no-store']]);
const Draining = prepare(503, 'application/json', '{"status":"draining"}', [['Cache-Control', 'no-store']]);

/** Ask the main thread and answer with its reply, corked (the response must survive an abort meanwhile). */
function relay(ctx: RouteContext, res: HttpResponse, ask: AdminAsk): void {
  const { writer } = ctx;
  let aborted = false;
  res.onAborted(() => { aborted = true; });
  // A failed ask (or a throw while answering) must not become an unhandled rejection: answer 500 or close.
  ctx.ask(ask).then((reply) => {
    if (aborted) return;
    // Made per reply: admin calls are rare, and a module-level cache would be state shared by every app.
    const h = makeHead(reply.status, 'application/json', [['Cache-Control', 'no-store']]);
    res.cork(() => writer.sendBody(res, h, Buffer.from(reply.body)));
  }).catch((err: unknown) => {
    if (!aborted) answerFailure(writer, res, `admin ${ask.op} failed: ${(err as Error)?.message ?? String(err)}`);
  });
}

// ?method=POST&path=/api/&status=5xx&limit=10, read synchronously; a bad limit is a 400 like any bad parameter.
function journalQuery(ctx: RouteContext, res: HttpResponse, req: HttpRequest): void {
  const { writer } = ctx;
  const method = req.getQuery('method');
  const path = req.getQuery('path');
  const limitText = req.getQuery('limit');
  let limit: number | undefined;
  if (limitText !== undefined && limitText !== '') {
    limit = wholeNumber(limitText);
    if (limit < 0 || limit > MaxQueryNumber) {
      sendError(writer, res, 400, `invalid limit ${quoteValue(limitText)}: use a whole number of entries, e.g. limit=10`, 'limit');
      return;
    }
  }
  const status = req.getQuery('status');
  if (status !== undefined && status !== '' && statusFilter(status) === null) {
    sendError(writer, res, 400, `invalid status ${quoteValue(status)}: use a code or a class, e.g. status=503 or status=5xx`, 'status');
    return;
  }
  relay(ctx, res, { op: 'journal.get', filter: { method: method || undefined, path: path || undefined, status: status || undefined, limit } });
}

// GET answers from this worker (every worker has the same routes once a change has returned).
function routesHandler(ctx: RouteContext, res: HttpResponse, req: HttpRequest): void {
  const { writer } = ctx;
  const m = req.getMethod();
  if (m === 'get') {
    writer.sendBody(res, StatsHead, Buffer.from(serializeRoutes({ routes: ctx.routeConfigs, workers: ctx.config.workers, replaced: 0 })));
  } else if (m === 'delete') {
    // ?path=/exact/path[&method=GET] removes matching routes; without it, back to the file's routes.
    const path = req.getQuery('path');
    if (path) relay(ctx, res, { op: 'routes.remove', path, method: req.getQuery('method') || null });
    else relay(ctx, res, { op: 'routes.reset' });
  } else if (m === 'post' || m === 'put') {
    ctx.bodies.collect(res, req.getHeader('content-length'), ctx.config.maxBodyBytes, (r, body) => {
      let value: unknown;
      try {
        value = parseBoundedJson(body.toString('utf8'));
      } catch (err) {
        sendError(writer, r, 400, err instanceof DepthError ? err.message : `the body is not JSON: ${(err as Error).message}`, 'body');
        return;
      }
      relay(ctx, r, m === 'post' ? { op: 'routes.add', body: value } : { op: 'routes.set', body: value });
    });
  } else {
    sendError(writer, res, 405, `${m.toUpperCase()} ${ctx.config.adminPrefix}routes: use GET, POST, PUT or DELETE`, 'method');
  }
}

/** The admin route table. */
export function adminRoutes(ctx: RouteContext): Route[] {
  const { writer } = ctx;
  // Draining answers 503 so load balancers and orchestrators stop routing here during shutdown.
  const health = (): typeof Healthy => (ctx.draining ? Draining : Healthy);
  // Built on first scrape: most runs never ask for metrics.
  let registry: Registry | null = null;
  const metrics = async (): Promise<string> => {
    if (registry === null) {
      const { createRegistry } = await import('../observe/metrics.js');
      registry ??= createRegistry(ctx.allCounters, () => ctx.routeNames, {
        version: Version, engine: ctx.config.engine, uws: ctx.config.engine === 'native' ? uwsBuild() : 'none', node: process.versions.node, startedAt: ctx.startedAt,
      }, ctx.config.h2 === null ? null : { methods: GrpcMethodPaths, codes: CodeNames });
    }
    return registry.metrics();
  };
  // Serialized again only after the configured routes changed (runtime routes).
  let effective = prepare(200, 'application/json', '{}');
  let effectiveFor: readonly unknown[] | null = null;
  const config = (): typeof effective => {
    if (effectiveFor !== ctx.routeConfigs) {
      effectiveFor = ctx.routeConfigs;
      effective = prepare(200, 'application/json', JSON.stringify({ ...ctx.config, port: ctx.port === 0 ? ctx.config.port : ctx.port, routes: ctx.routeConfigs }, null, 2), [['Cache-Control', 'no-store']]);
    }
    return effective;
  };
  const routes: Route[] = [
    { pattern: `${ctx.config.adminPrefix}config`, about: 'the effective configuration (flags, env, file, defaults merged) as JSON',
      handler: (res) => writer.send(res, config()) },
    { pattern: `${ctx.config.adminPrefix}routes`, about: 'configured routes: GET lists, POST adds, PUT replaces all, DELETE resets to the file\'s (or removes ?path=[&method=])',
      handler: (res, req) => routesHandler(ctx, res, req) },
    { pattern: `${ctx.config.adminPrefix}requests`, about: 'request journal (--journal N): GET lists every worker\'s in time order, DELETE clears',
      handler: (res, req) => {
        const m = req.getMethod();
        if (m === 'delete') relay(ctx, res, { op: 'journal.clear' });
        else if (m === 'get') journalQuery(ctx, res, req);
        else sendError(writer, res, 405, `${m.toUpperCase()} ${ctx.config.adminPrefix}requests: use GET or DELETE`, 'method');
      } },
    { pattern: `${ctx.config.adminPrefix}scenarios`, about: 'scenarios (sequences per key): GET lists positions [?key=], DELETE starts a key\'s over (?key=) or empties the table',
      handler: (res, req) => {
        const m = req.getMethod();
        const key = req.getQuery('key') || null;
        if (m === 'get') relay(ctx, res, { op: 'scenarios.get', key });
        else if (m === 'delete') relay(ctx, res, { op: 'scenarios.reset', key });
        else sendError(writer, res, 405, `${m.toUpperCase()} ${ctx.config.adminPrefix}scenarios: use GET or DELETE`, 'method');
      } },
    { pattern: `${ctx.config.adminPrefix}stats`, about: 'JSON: per-worker rps, in-flight, pending, event-loop utilisation, saturation; totals; stream routes',
      handler: (res) => writer.sendBody(res, StatsHead, Buffer.from(statsJson(ctx.allCounters, ctx.startedAt, ctx.config.engine, ctx.routeNames))) },
    { pattern: `${ctx.config.adminPrefix}metrics`, about: 'Prometheus text exposition',
      handler: (res) => {
        // prom-client renders asynchronously: the response must survive an abort and write corked.
        let aborted = false;
        res.onAborted(() => { aborted = true; });
        metrics().then((text) => {
          if (!aborted) res.cork(() => writer.sendBody(res, MetricsHead, Buffer.from(text)));
        }, (err: Error) => {
          if (!aborted) res.cork(() => sendError(writer, res, 500, `metrics failed: ${err.message}`));
        });
      } },
    { pattern: `${ctx.config.adminPrefix}health`, about: 'liveness: 200 {"status":"ok"}, 503 while draining',
      handler: (res) => writer.send(res, health()) },
    { pattern: `${ctx.config.adminPrefix}ready`, about: 'readiness: same as health',
      handler: (res) => writer.send(res, health()) },
  ];
  if (process.env[FaultHookEnv] === FaultHookPhrase) {
    routes.push({ pattern: `${ctx.config.adminPrefix}test/gc`, about: 'test and bench only: full GC in every worker, then each one\'s live heap and the RSS',
      handler: (res) => relay(ctx, res, { op: 'test.gc' }) });
    routes.push({ pattern: `${ctx.config.adminPrefix}test/crash`, about: 'test-only: crash this worker after answering',
      handler: (res) => {
        writer.send(res, Crashing);
        setImmediate(() => { throw new Error('test fault hook: deliberate worker crash'); });
      } });
    routes.push({ pattern: `${ctx.config.adminPrefix}test/crash-in-callback`, about: 'test-only: crash this worker from inside a uWS callback (onData), as an uncontained bug would',
      handler: (res) => {
        res.onAborted(() => {});
        // Deliberately not contained: proves the worker's exit path when an exception escapes a uWS callback.
        res.onData((_chunk, isLast) => { if (isLast) throw new Error('test fault hook: deliberate crash inside a uWS callback'); });
      } });
    routes.push({ pattern: `${ctx.config.adminPrefix}test/throw`, about: 'test-only: the handler throws before answering (a route bug)',
      handler: () => { throw new Error('test fault hook: deliberate handler bug'); } });
  }
  return routes;
}

// Admin endpoints under the reserved /__mock/ prefix (spec 2.6).
import { AdminPrefix } from '../config/defaults.js';
import { prepare, send } from '../http/respond.js';
import type { Route, RouteContext } from './context.js';

/**
 * Test-only fault hook: a route that crashes its worker, to prove containment and restart. It exists
 * only when this env var holds this exact phrase, so it cannot be switched on by accident.
 */
export const FaultHookEnv = 'MOCK_UPSTREAM_FAULT_HOOK';
export const FaultHookPhrase = 'crash-workers-for-tests';
const Crashing = prepare(202, 'application/json', '{"status":"crashing"}');

const Healthy = prepare(200, 'application/json', '{"status":"ok"}', [['Cache-Control', 'no-store']]);
const Draining = prepare(503, 'application/json', '{"status":"draining"}', [['Cache-Control', 'no-store']]);

/** The admin route table. */
export function adminRoutes(ctx: RouteContext): Route[] {
  // Draining answers 503 so load balancers and orchestrators stop routing here during shutdown.
  const health = (): typeof Healthy => (ctx.draining ? Draining : Healthy);
  const routes: Route[] = [
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

// Admin endpoints under the reserved /__mock/ prefix (spec 2.6).
import { AdminPrefix } from '../config/defaults.js';
import { prepare, send } from '../http/respond.js';
import type { Route, RouteContext } from './context.js';

const Healthy = prepare(200, 'application/json', '{"status":"ok"}', [['Cache-Control', 'no-store']]);
const Draining = prepare(503, 'application/json', '{"status":"draining"}', [['Cache-Control', 'no-store']]);

/** The admin route table. */
export function adminRoutes(ctx: RouteContext): Route[] {
  // Draining answers 503 so load balancers and orchestrators stop routing here during shutdown.
  const health = (): typeof Healthy => (ctx.draining ? Draining : Healthy);
  return [
    { pattern: `${AdminPrefix}health`, about: 'liveness: 200 {"status":"ok"}, 503 while draining',
      handler: (res) => send(res, health()) },
    { pattern: `${AdminPrefix}ready`, about: 'readiness: same as health',
      handler: (res) => send(res, health()) },
  ];
}

// httpbin-style helpers: one module per endpoint (or small family) under httpbin/. These are test-fixture
// routes, not benchmark hot paths: per-request objects are acceptable there.
import type { Route, RouteContext } from './context.js';
import type { Controls } from './controls.js';
import { anythingRoutes } from './httpbin/anything.js';
import { bytesRoutes } from './httpbin/bytes.js';
import { dripRoutes } from './httpbin/drip.js';
import { redirectRoutes } from './httpbin/redirect.js';
import { statusRoutes } from './httpbin/status.js';
import { trailersRoutes } from './httpbin/trailers.js';

export { MaxDripBytes } from './httpbin/drip.js';
export { MaxRedirects } from './httpbin/redirect.js';

/** The httpbin route table, in registration order. */
export function httpbinRoutes(ctx: RouteContext, controls: Controls): Route[] {
  const [bytes, streamBytes] = bytesRoutes(ctx);
  return [...statusRoutes(ctx), bytes, ...dripRoutes(ctx), streamBytes, ...anythingRoutes(ctx, controls), ...redirectRoutes(ctx), ...trailersRoutes(ctx)];
}

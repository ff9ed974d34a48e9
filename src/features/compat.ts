// go-bench-suite compatible routes, one module per endpoint family under compat/; /json/* live in json.ts.
import type { Route, RouteContext } from './context.js';
import type { Controls } from './controls.js';
import { documentRoutes } from './compat/documents.js';
import { echoRoutes } from './compat/echo.js';
import { resourceRoutes } from './compat/resource.js';
import { timedRoutes } from './compat/timed.js';

export { SlideshowXml } from './compat/documents.js';
export { DefaultResourceLimit, ResourceCount, seedResources } from './compat/resource.js';

/** The compat route table (without /json/*: see json.ts), in registration order. */
export function compatRoutes(ctx: RouteContext, controls: Controls): Route[] {
  return [...timedRoutes(ctx), ...documentRoutes(ctx), ...resourceRoutes(ctx), ...echoRoutes(ctx, controls)];
}

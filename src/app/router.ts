// A worker's route table over uWS's router. uWS cannot unregister a route and aborts the process if a
// pattern shape is registered twice, so every shape is registered once with a cell whose handler can be
// swapped: configured routes (from the file or set at runtime) take over a shape and give it back.
import { routeShape } from '../grammar/route-shape.js';
import type { TemplatedApp } from '../http/uws.js';
import type { Handler, Route } from '../features/context.js';
import type { ConfiguredRoute } from '../features/configured.js';
import { sendError } from '../http/errors.js';
import type { Writer } from '../http/writer.js';

/** One registered shape: the handler its uWS route calls, swapped when configured routes change. */
export interface RouteCell {
  /** Counter id (index into the route names). */
  readonly id: number;
  readonly pattern: string;
  handler: Handler;
  /** The built-in route of this shape, answered when no configured route claims the request. */
  readonly builtIn: Handler | null;
  /** Whether the request journal records requests to this shape (admin routes: no). */
  readonly data: boolean;
}

/** Wraps a cell into the handler uWS calls (counting, access log, journal: chosen once at startup). */
export type CellWrapper = (cell: RouteCell) => Handler;

/**
 * The handler of a shape whose configured routes were all removed and that has no built-in route: uWS
 * tries the next matching route (a wildcard, else the 404), as if the shape had never been registered.
 */
export function passOn(_res: unknown, req: { setYield(y: boolean): unknown }): void {
  req.setYield(true);
}

/** The shapes of one app (data or admin listener), each registered once. */
export class RouteTable {
  private readonly cells = new Map<string, RouteCell>();

  constructor(private readonly app: TemplatedApp, private readonly names: string[], private readonly wrap: CellWrapper,
    private readonly maxRoutes: number, private readonly writer: Writer) {}

  /**
   * Register a built-in route (startup only). Throws, rather than let uWS abort the process, when its shape
   * is taken (an admin prefix over a built-in wildcard: the option check refuses that first).
   */
  add(route: Route, data: boolean): void {
    const taken = this.cells.get(routeShape(route.pattern));
    if (taken !== undefined) throw new Error(`route ${route.pattern} clashes with ${taken.pattern}, registered before it`);
    this.register(route.pattern, route.handler, data);
  }

  /** The counter id of the cell serving this path's shape, or -1. */
  idOf(pattern: string): number {
    return this.cells.get(routeShape(pattern))?.id ?? -1;
  }

  /** Register configured paths from earlier in the process, unclaimed, so ids match the other workers'. */
  reserve(patterns: readonly string[]): void {
    for (const p of patterns) if (!this.cells.has(routeShape(p))) this.register(p, null, true);
  }

  /** How many counted routes (every table of the worker) there would be after configuring these routes. */
  private countWith(routes: readonly ConfiguredRoute[]): number {
    const fresh = new Set(routes.map((r) => routeShape(r.pattern)).filter((s) => !this.cells.has(s)));
    return this.names.length + fresh.size;
  }

  /**
   * Make `routes` the configured routes: each shape they use dispatches to them (by method, falling back
   * to the built-in route of the shape, else 405); shapes they no longer use get their built-in back.
   */
  configure(routes: readonly ConfiguredRoute[]): void {
    if (this.countWith(routes) > this.maxRoutes) {
      throw new Error(`route table full: at most ${this.maxRoutes} distinct paths per process (uWS cannot unregister a path): reuse registered paths, or restart the server to start over`);
    }
    const groups = new Map<string, ConfiguredRoute[]>();
    for (const r of routes) {
      const shape = routeShape(r.pattern);
      const list = groups.get(shape);
      if (list === undefined) groups.set(shape, [r]);
      else list.push(r);
    }
    for (const [shape, cell] of this.cells) {
      if (!groups.has(shape)) cell.handler = cell.builtIn ?? passOn;
    }
    for (const [shape, entries] of groups) {
      const cell = this.cells.get(shape) ?? this.register(entries[0].pattern, null, true);
      cell.handler = dispatch(this.writer, entries, cell.builtIn);
    }
  }

  private register(pattern: string, builtIn: Handler | null, data: boolean): RouteCell {
    if (this.names.length >= this.maxRoutes) throw new Error(`route table has more than ${this.maxRoutes} routes`);
    const cell: RouteCell = { id: this.names.length, pattern, handler: builtIn ?? passOn, builtIn, data };
    this.names.push(pattern);
    this.cells.set(routeShape(pattern), cell);
    const handler = this.wrap(cell);
    this.app.any(pattern, handler);
    // HEAD is GET without the body (uWS prefers a method route over `any`, and writes the body whatever the method).
    this.app.head(pattern, this.writer.headHandler(handler, () => cell.handler === passOn));
    return cell;
  }
}

/** One handler for every configured route of a shape: the first whose methods match answers. */
function dispatch(writer: Writer, entries: readonly ConfiguredRoute[], fallback: Handler | null): Handler {
  const allow = entries.some((e) => e.methods === null) ? null
    : [...new Set(entries.flatMap((e) => [...(e.methods ?? [])]))].map((m) => m.toUpperCase()).join(', ');
  const pattern = entries[0].pattern;
  return (res, req) => {
    const m = req.getMethod();
    for (const e of entries) {
      // A route that answers GET answers HEAD too (without the body: see headHandler).
      if (e.methods === null || e.methods.has(m) || (m === 'head' && e.methods.has('get'))) {
        e.handler(res, req);
        return;
      }
    }
    if (fallback !== null) fallback(res, req);
    else sendError(writer, res, 405, `${req.getCaseSensitiveMethod().toUpperCase()} is not configured for ${pattern}: use ${allow}`, 'method');
  };
}

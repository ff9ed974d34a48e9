// uWS 20.30's router, rebuilt for the portable engine. Its order was probed against the native build
// (scratch probe, 2026-12-05) rather than read from a newer source, whose order differs:
// - one tree for every method: a static segment beats a `:param`, which beats a trailing `/*`, whatever the
//   methods (`any('/c/static')` wins over `get('/c/*')` for GET /c/static);
// - on one pattern, a method route runs before an `any` route (in registration order within each kind);
// - `req.setYield(true)` hands the request to the next candidate in that order (backtracking included);
// - a `:param` never matches an empty segment ('/p/1/' misses '/p/:a'), `/*` matches an empty rest ('/a/'
//   hits '/a/*', '/a' does not); the path is split on '/' and only its first 100 segments count.
import type { AppHandler } from '../engine.js';

/** uWS reads at most this many path segments; the rest of a longer path is ignored. */
export const MaxSegments = 100;

interface Entry {
  /** Lower-case method, or null for `any`. */
  readonly method: string | null;
  readonly handler: AppHandler;
}

class Node {
  statics: Map<string, Node> | null = null;
  param: Node | null = null;
  /** Handlers of a pattern with a trailing '*' here. */
  wildcard: Entry[] | null = null;
  /** Handlers of a pattern that ends at this node. */
  ends: Entry[] | null = null;
}

/** Runs one candidate handler; returns true when it answered (did not yield). */
export type Runner = (handler: AppHandler) => boolean;

/** A route table with uWS's matching order; the matched parameters are valid during route() only. */
export class Router {
  private readonly root = new Node();
  /** Parameters of the route being tried (shared: a request reads them synchronously, like uWS). */
  readonly params: string[] = [];
  paramCount = 0;

  /** Register `handler` for `pattern` ('/static/:param/*'); method null means any method. */
  add(method: string | null, pattern: string, handler: AppHandler): void {
    if (!pattern.startsWith('/')) throw new Error(`route pattern must start with '/': ${pattern}`);
    const segments = pattern.slice(1).split('/');
    let node = this.root;
    for (let i = 0; i < segments.length && i < MaxSegments; i++) {
      const s = segments[i];
      if (s.startsWith('*')) {
        // uWS never reaches handlers registered below a wildcard: refuse rather than register dead routes.
        if (i !== segments.length - 1) throw new Error(`a wildcard must end the pattern: ${pattern}`);
        node.wildcard = insert(node.wildcard, { method, handler });
        return;
      }
      if (s.startsWith(':')) {
        node = node.param ??= new Node();
      } else {
        const statics = node.statics ??= new Map<string, Node>();
        let next = statics.get(s);
        if (next === undefined) statics.set(s, next = new Node());
        node = next;
      }
    }
    node.ends = insert(node.ends, { method, handler });
  }

  /**
   * Offer the request (lower-case method, path split on '/' after its leading slash) to the matching
   * handlers in uWS's order until one answers; false when none did (uWS then closes the connection).
   */
  route(method: string, segments: readonly string[], run: Runner): boolean {
    this.paramCount = 0;
    return this.walk(this.root, segments, 0, Math.min(segments.length, MaxSegments), method, run);
  }

  private walk(node: Node, segments: readonly string[], i: number, n: number, method: string, run: Runner): boolean {
    if (i === n) return node.ends !== null && offer(node.ends, method, run);
    const s = segments[i];
    if (node.statics !== null) {
      const next = node.statics.get(s);
      if (next !== undefined && this.walk(next, segments, i + 1, n, method, run)) return true;
    }
    if (node.param !== null && s.length !== 0) {
      const top = this.paramCount;
      this.params[top] = s;
      this.paramCount = top + 1;
      if (this.walk(node.param, segments, i + 1, n, method, run)) return true;
      this.paramCount = top;
    }
    return node.wildcard !== null && offer(node.wildcard, method, run);
  }
}

// Method routes before `any` routes, each kind in registration order.
function insert(list: Entry[] | null, e: Entry): Entry[] {
  if (list === null) return [e];
  if (e.method === null) list.push(e);
  else {
    const firstAny = list.findIndex((x) => x.method === null);
    list.splice(firstAny < 0 ? list.length : firstAny, 0, e);
  }
  return list;
}

function offer(list: readonly Entry[], method: string, run: Runner): boolean {
  for (let i = 0; i < list.length; i++) {
    const e = list[i];
    if ((e.method === null || e.method === method) && run(e.handler)) return true;
  }
  return false;
}

// The main thread's side of runtime routes and the request journal: it owns the route list, validates
// changes with the same checks as `mock-upstream check`, and answers only once every worker has confirmed.
import { checkConfig, routeShape, type CheckLimits, type Method, type RouteConfig } from '../config/file.js';
import { MaxConfiguredPaths } from '../config/defaults.js';
import { mergeJournals, selectEntries, type JournalEntry } from '../observe/journal.js';
import { serializeError, serializeHeap, serializeJournal, serializeRoutes } from '../serializers/index.js';
import type { AdminAsk, AdminReply, FromWorker, JournalFilter, ToWorker } from './messages.js';
import { MaxScenarios, ScenarioBook } from '../observe/scenarios.js';

/** How long a worker gets to confirm a change or send its journal (ms). */
const GatherTimeoutMs = 5_000;

/** The workers as the control plane sees them. */
export interface WorkerPool {
  /** Indexes of the workers that exist now (starting or listening). */
  live(): number[];
  post(index: number, msg: ToWorker): void;
}

type Answer = Extract<FromWorker, { type: 'applied' } | { type: 'journal' } | { type: 'heap' }>;

interface Gather {
  readonly waiting: Set<number>;
  readonly answers: Map<number, Answer>;
  done(): void;
}

/** Runtime routes and the journal across every worker. */
export class ControlPlane {
  private routes: readonly RouteConfig[];
  /** Every configured path ever registered, in registration order (workers register in this order too). */
  private readonly patterns = new Map<string, string>();
  private nextId = 1;
  /** gRPC health statuses set at runtime, in order: a restarted worker starts with them. */
  private readonly health = new Map<string, string>();
  private readonly gathers = new Map<number, Gather>();
  // One change at a time, so each is computed from the list the previous one left.
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly base: readonly RouteConfig[], private readonly limits: CheckLimits,
    private readonly journal: boolean, private readonly pool: WorkerPool,
    /** The scenarios' names and positions (observe/scenarios.ts); the supervisor passes the workers' claims on. */
    readonly scenarios: ScenarioBook = new ScenarioBook(new SharedArrayBuffer(8 * MaxScenarios))) {
    this.routes = base;
    this.remember(base);
  }

  /** The configured routes in force (what a restarted worker starts with). */
  current(): readonly RouteConfig[] {
    return this.routes;
  }

  /** Every configured path registered so far, in order (a restarted worker registers them first). */
  registeredPatterns(): string[] {
    return [...this.patterns.values()];
  }

  /** The gRPC health statuses set at runtime (what a restarted worker applies). */
  grpcHealth(): [string, string][] {
    return [...this.health];
  }

  /** Carry out an admin action; never rejects (problems become 4xx/5xx replies). */
  handle(ask: AdminAsk): Promise<AdminReply> {
    const run = this.queue.then(() => this.carryOut(ask)).catch((err: Error) => reply(500, serializeError({ error: `admin action failed: ${err.message}` })));
    this.queue = run;
    return run;
  }

  /** A worker's confirmation or journal. */
  onAnswer(index: number, msg: Answer): void {
    const g = this.gathers.get(msg.id);
    if (g === undefined || !g.waiting.delete(index)) return;
    g.answers.set(index, msg);
    if (g.waiting.size === 0) g.done();
  }

  /** A worker exited: stop waiting for it (a replacement starts with the current routes). */
  onExit(index: number): void {
    for (const g of this.gathers.values()) {
      if (g.waiting.delete(index) && g.waiting.size === 0) g.done();
    }
  }

  private async carryOut(ask: AdminAsk): Promise<AdminReply> {
    switch (ask.op) {
      case 'routes.add': return this.add(ask.body);
      case 'routes.set': return this.set(ask.body);
      case 'routes.reset': return this.apply(this.base, 200, 0);
      case 'routes.remove': return this.remove(ask.path, ask.method);
      case 'journal.get': return this.journalAsk(false, ask.filter);
      case 'journal.clear': return this.journalAsk(true, {});
      case 'grpc.health': return this.setHealth(ask.service, ask.status);
      case 'test.gc': return this.collectGarbage();
      case 'scenarios.get': return this.listScenarios(ask.key);
      case 'scenarios.reset': return reply(200, JSON.stringify({ reset: this.scenarios.reset(ask.key), key: ask.key }));
    }
  }

  private async add(body: unknown): Promise<AdminReply> {
    const single = body !== null && typeof body === 'object' && !Array.isArray(body);
    const added = (single ? [body] : body) as RouteConfig[];
    const errors = this.check(added, single ? '/routes/0' : '/routes');
    if (errors !== null) return errors;
    // A route with the same path shape and a shared method replaces the earlier one: fixtures override.
    const kept = this.routes.filter((old) => !added.some((r) => overlaps(old, r)));
    return this.apply([...kept, ...added], 201, this.routes.length - kept.length);
  }

  // A route listing several methods loses only the one named; without a method the whole route goes.
  private async remove(path: string, method: string | null): Promise<AdminReply> {
    const m = method?.toUpperCase() ?? null;
    let removed = 0;
    let anyMethod = false;
    const next: RouteConfig[] = [];
    for (const r of this.routes) {
      const methods = methodsOf(r);
      if (r.path !== path || (m !== null && methods !== null && !methods.some((x) => x === m))) {
        next.push(r);
      } else if (m !== null && methods !== null && methods.length > 1) {
        next.push({ ...r, method: methods.filter((x) => x !== m) });
        removed++;
      } else if (m !== null && methods === null) {
        next.push(r); // answers every method: removing one of them is not expressible, keep it
        anyMethod = true;
      } else {
        removed++;
      }
    }
    if (removed === 0 && anyMethod && m !== null) {
      return reply(400, serializeError({
        error: `the configured route ${path} answers every method, so ${m} alone cannot be removed: DELETE without method removes the route, POST one with "method" narrows it`,
        param: 'method',
      }));
    }
    if (removed === 0) {
      return reply(404, serializeError({ error: `no configured route ${m ?? 'with any method'} ${path}: GET ${this.limits.adminPrefix}routes lists them`, param: 'path' }));
    }
    return this.apply(next, 200, removed);
  }

  private async set(body: unknown): Promise<AdminReply> {
    const wrapped = body !== null && typeof body === 'object' && !Array.isArray(body);
    if (wrapped && Object.keys(body).some((k) => k !== 'routes' && k !== '$schema')) {
      return invalid(['/: only "routes" can change at runtime; server settings need a restart']);
    }
    const routes = (wrapped ? (body as { routes?: unknown }).routes : body) as RouteConfig[];
    const errors = this.check(routes, wrapped ? '' : '/routes');
    return errors ?? this.apply(routes, 200, 0);
  }

  // The same checks as `check` and startup; error paths are rewritten relative to the body as sent.
  private check(routes: unknown, prefix: string): AdminReply | null {
    if (!Array.isArray(routes)) return invalid(['/: expected a route object or an array of routes (or {"routes": [...]} for PUT)']);
    const errors = checkConfig({ routes }, this.limits).map((e) => (prefix !== '' && e.startsWith(prefix) ? e.slice(prefix.length) || '/' : e))
      .map((e) => (e.startsWith(':') ? `/${e}` : e));
    if (errors.length > 0) return invalid(errors);
    const fresh = new Set((routes as RouteConfig[]).map((r) => routeShape(r.path)).filter((s) => !this.patterns.has(s)));
    if (this.patterns.size + fresh.size > MaxConfiguredPaths) {
      return invalid([`/: ${fresh.size} new path(s) but ${this.patterns.size} of the ${MaxConfiguredPaths} distinct configured paths a process can register are taken (uWS cannot unregister a path): reuse registered paths (a removed route's path stays registered; ":name" segments count as one path; GET ${this.limits.adminPrefix}routes lists the routes in force), or restart the server to start over`]);
    }
    return null;
  }

  private async apply(next: readonly RouteConfig[], status: number, replaced: number): Promise<AdminReply> {
    const before = this.routes;
    // Set first: a worker restarted while this is in flight starts with the new list.
    this.routes = next;
    this.remember(next);
    const answers = await this.gather((id) => ({ type: 'routes', id, routes: next }));
    const failed = [...answers.answers.values()].filter((a) => a.type === 'applied' && a.error !== null);
    if (failed.length > 0 || answers.missing.length > 0) {
      this.routes = before;
      void this.gather((id) => ({ type: 'routes', id, routes: before }));
      const why = failed.length > 0 ? (failed[0] as { error: string }).error : `worker(s) ${answers.missing.join(', ')} did not confirm within ${GatherTimeoutMs} ms`;
      return reply(500, serializeError({ error: `routes not changed: ${why}` }));
    }
    return reply(status, serializeRoutes({ routes: next, workers: answers.answers.size, replaced }));
  }

  private async journalAsk(clear: boolean, filter: JournalFilter): Promise<AdminReply> {
    if (!this.journal) {
      return reply(404, serializeError({ error: 'the request journal is off: start the server with --journal N (e.g. --journal 1000)', param: 'journal' }));
    }
    // Each worker applies the filter and sends at most `limit` entries: a small limit moves a small journal.
    const answers = await this.gather((id) => ({ type: 'journal', id, clear, filter }));
    const lists = [...answers.answers.values()].map((a) => (a.type === 'journal' ? a.entries : []));
    const requests: JournalEntry[] = clear ? [] : selectEntries(mergeJournals(lists), filter);
    return reply(200, serializeJournal({ requests, count: requests.length, workers: answers.answers.size, missingWorkers: answers.missing }));
  }

  // Names reach the main thread by message: a claim posted just before this ask may still be queued behind
  // it, so the listing waits one turn of the event loop (a slot still unnamed is listed with key null).
  private async listScenarios(key: string | null): Promise<AdminReply> {
    await new Promise((r) => setImmediate(r));
    const scenarios = this.scenarios.list(key);
    return reply(200, JSON.stringify({ scenarios, count: scenarios.length, capacity: MaxScenarios }));
  }

  // A gRPC health status in every worker (each answers `applied`); kept for workers started later.
  private async setHealth(service: string, status: string): Promise<AdminReply> {
    this.health.delete(service);
    this.health.set(service, status);
    const answers = await this.gather((id) => ({ type: 'grpcHealth', id, service, status }));
    const failed = [...answers.answers.values()].find((a) => a.type === 'applied' && a.error !== null);
    if (failed !== undefined) return reply(500, serializeError({ error: `health not set everywhere: ${(failed as { error: string }).error}` }));
    // An admin reply, not a data route: made once per change.
    return reply(200, JSON.stringify({ service, status, workers: answers.answers.size }));
  }

  // The live heap of every worker (after a full GC) and the process RSS: what a soak compares.
  private async collectGarbage(): Promise<AdminReply> {
    const answers = await this.gather((id) => ({ type: 'gc', id }));
    const workers = [...answers.answers].filter(([, a]) => a.type === 'heap').sort(([a], [b]) => a - b)
      .map(([id, a]) => ({ id, heapUsedBytes: (a as { heapUsed: number }).heapUsed }));
    return reply(200, serializeHeap({ workers, rssBytes: process.memoryUsage.rss(), missingWorkers: answers.missing }));
  }

  // Post a message to every live worker and wait for each one's answer (or its exit, or the timeout).
  private gather(make: (id: number) => ToWorker): Promise<{ answers: Map<number, Answer>; missing: number[] }> {
    const id = this.nextId++;
    const live = this.pool.live();
    return new Promise((resolve) => {
      const g: Gather = {
        waiting: new Set(live),
        answers: new Map(),
        done: () => {
          clearTimeout(timer);
          this.gathers.delete(id);
          resolve({ answers: g.answers, missing: [...g.waiting] });
        },
      };
      const timer = setTimeout(() => g.done(), GatherTimeoutMs);
      this.gathers.set(id, g);
      const msg = make(id);
      for (const i of live) this.pool.post(i, msg);
      if (live.length === 0) g.done();
    });
  }

  private remember(routes: readonly RouteConfig[]): void {
    for (const r of routes) {
      const shape = routeShape(r.path);
      if (!this.patterns.has(shape)) this.patterns.set(shape, r.path);
    }
  }
}

/** Apply a journal filter to entries in arrival order (kept here for existing imports; lives in the journal). */
export { selectEntries };

function reply(status: number, body: string): AdminReply {
  return { status, body };
}

function invalid(errors: string[]): AdminReply {
  return reply(400, serializeError({ error: `invalid route(s): ${errors.length} error(s): ${errors[0]}${errors.length > 1 ? ' ...' : ''}`, param: 'routes', errors }));
}

function methodsOf(r: RouteConfig): Method[] | null {
  return r.method === undefined ? null : (Array.isArray(r.method) ? r.method : [r.method]);
}

// Same path shape and at least one method in common (a route without methods answers every method).
function overlaps(a: RouteConfig, b: RouteConfig): boolean {
  if (routeShape(a.path) !== routeShape(b.path)) return false;
  const ma = methodsOf(a);
  const mb = methodsOf(b);
  return ma === null || mb === null || ma.some((m) => mb.includes(m));
}

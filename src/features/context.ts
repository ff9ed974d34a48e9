// What every route family gets from its worker: config and the per-thread response machinery.
import type { ServerConfig } from '../config/options.js';
import type { GoTimeBodies } from '../http/clock.js';
import type { FillerSender } from '../http/filler.js';
import type { Writer } from '../http/writer.js';
import type { BodyReader } from '../http/body.js';
import type { Responder, Scheduler } from '../http/scheduler.js';
import type { Random } from '../grammar/random.js';
import type { Asked } from './asked.js';
import type { Counters, WorkerCounters } from '../observe/counters.js';
import type { Journal } from '../observe/journal.js';
import type { ScenarioTable } from '../observe/scenarios.js';
import type { RouteConfig } from '../config/file.js';
import type { AdminAsk, AdminReply } from '../http/ask.js';
import type { HttpRequest, HttpResponse } from '../http/uws.js';

/** Per-worker state shared by the route families; nothing in it is shared across threads. */
export interface RouteContext {
  readonly config: ServerConfig;
  /** This worker's response writer: every head and body goes through it. */
  readonly writer: Writer;
  /** This worker's reader of request bodies (echo, anything). */
  readonly bodies: BodyReader;
  readonly clock: GoTimeBodies;
  readonly scheduler: Scheduler;
  readonly filler: FillerSender;
  /** This worker's random stream (seed + worker index with --seed). */
  readonly rng: Random;
  /** Answer with `responder` now or later, applying X-Delay and request controls (see controls.ts). */
  respond(res: HttpResponse, req: HttpRequest, responder: Responder, arg: object | null, n: number, extraMs: number): void;
  /** Answer a configured route: its own controls apply below the request's (see controls.ts). */
  respondRoute(res: HttpResponse, req: HttpRequest, responder: Responder, arg: object | null, route: Asked): void;
  /** Every worker's shared counters (read by metrics and stats). */
  readonly allCounters: Counters;
  /** This worker's counting side. */
  readonly counters: WorkerCounters;
  /** Route names by counter id (filled when the route table is built). */
  readonly routeNames: string[];
  /** The data port actually listened on (--port 0 picks one); 0 when built without a listener. */
  readonly port: number;
  /** Epoch ms the server started. */
  readonly startedAt: number;
  /** True once shutdown began: health answers 503 so balancers stop sending. */
  draining: boolean;
  /** Called once when the worker starts draining (open streams end: SSE with its last chunk, WebSockets with 1001). */
  readonly onDrain: (() => void)[];
  /** The configured routes in force (the file's, or what runtime calls made of them). */
  routeConfigs: readonly RouteConfig[];
  /** Scenario positions, shared by every worker (observe/scenarios.ts). */
  readonly scenarios: ScenarioTable;
  /** This worker's request journal (null: --journal is off). */
  readonly journal: Journal | null;
  /** Carry an admin action to the main thread, which reaches every worker (runtime routes, journal). */
  readonly ask: (ask: AdminAsk) => Promise<AdminReply>;
}

/** A uWS route handler. */
export type Handler = (res: HttpResponse, req: HttpRequest) => void;

/** One row of the route table: uWS pattern (":name" params, "/*" wildcard) and its handler. */
export interface Route {
  readonly pattern: string;
  readonly handler: Handler;
  /** One-line description for the README and the 404 hint. */
  readonly about: string;
}

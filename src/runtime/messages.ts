// The messages between the main thread and worker threads, in one place.
import type { RouteConfig } from '../config/file.js';
import type { ServerConfig } from '../config/options.js';
import type { JournalEntry } from '../observe/journal.js';

/** What a worker thread starts with. */
export interface WorkerInit {
  readonly config: ServerConfig;
  readonly index: number;
  /** The probed port (resolves --port 0 once for every worker). */
  readonly port: number;
  /** The probed admin port (when --admin-port is set). */
  readonly adminPort: number;
  readonly startedAt: number;
  /** The shared per-worker counters (observe/counters.ts). */
  readonly counters: SharedArrayBuffer;
  /** The configured routes in force now (the file's, or what runtime calls made of them). */
  readonly routes: readonly RouteConfig[];
  /** Every configured path registered earlier in this process, in order (keeps route ids equal across workers). */
  readonly patterns: readonly string[];
}

/**
 * An admin action only the main thread can carry out: it owns the route list and reaches every worker.
 * `body` is the parsed JSON request body.
 */
export type AdminAsk =
  | { readonly op: 'routes.add'; readonly body: unknown }
  | { readonly op: 'routes.set'; readonly body: unknown }
  | { readonly op: 'routes.reset' }
  /** Remove the configured routes with this exact path (and this method, when given). */
  | { readonly op: 'routes.remove'; readonly path: string; readonly method: string | null }
  | { readonly op: 'journal.get'; readonly filter: JournalFilter }
  | { readonly op: 'journal.clear' }
  /** Test and bench only (fault-hook phrase): a full GC in every worker, then each one's heap in use. */
  | { readonly op: 'test.gc' };

/** Which journal entries GET /__mock/requests returns (every field optional). */
export interface JournalFilter {
  /** Only this method (case-insensitive). */
  readonly method?: string;
  /** Only URLs whose path starts with this. */
  readonly path?: string;
  /** Only entries answered with this status: a code ('503') or a class ('5xx'). */
  readonly status?: string;
  /** Only the last N (after the other filters). */
  readonly limit?: number;
}

/** The main thread's answer to an AdminAsk: HTTP status and JSON body text. */
export interface AdminReply {
  readonly status: number;
  readonly body: string;
}

/** Main -> worker. `drain`: stop accepting, finish in-flight within graceMs. `stop`: close now. */
export type ToWorker =
  | { readonly type: 'drain'; readonly graceMs: number }
  | { readonly type: 'stop' }
  /** Make these the configured routes; answer `applied` with the same id. */
  | { readonly type: 'routes'; readonly id: number; readonly routes: readonly RouteConfig[] }
  /** Send the journal entries matching `filter` (at most its limit) as `journal`; or clear it and send none. */
  | { readonly type: 'journal'; readonly id: number; readonly clear: boolean; readonly filter: JournalFilter }
  /** Test and bench only: run a full garbage collection, then answer `heap`. */
  | { readonly type: 'gc'; readonly id: number }
  /** The answer to the worker's `ask` with this id. */
  | { readonly type: 'answer'; readonly id: number; readonly reply: AdminReply };

/** Worker -> main. */
export type FromWorker =
  | { readonly type: 'listening' }
  | { readonly type: 'failed'; readonly message: string }
  | { readonly type: 'crashed'; readonly message: string; readonly stack: string }
  /** A route handler threw (a bug): the request got a 500 and the worker kept serving. */
  | { readonly type: 'handlerError'; readonly route: string; readonly message: string; readonly stack: string }
  | { readonly type: 'drained'; readonly cut: number }
  | { readonly type: 'saturation'; readonly saturated: boolean; readonly elu: number }
  | { readonly type: 'ask'; readonly id: number; readonly ask: AdminAsk }
  /** Routes applied (error: why this worker could not). */
  | { readonly type: 'applied'; readonly id: number; readonly error: string | null }
  | { readonly type: 'journal'; readonly id: number; readonly entries: readonly JournalEntry[] }
  /** The worker's V8 heap in use right after a full GC (its live set). */
  | { readonly type: 'heap'; readonly id: number; readonly heapUsed: number };

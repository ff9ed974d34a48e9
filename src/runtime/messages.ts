// The messages between the main thread and worker threads, in one place.
import type { EngineName } from '../http/engines.js';
import type { RouteConfig } from '../config/file.js';
import type { ServerConfig } from '../config/options.js';
import type { JournalEntry, JournalFilter } from '../observe/journal.js';
import type { AdminAsk, AdminReply } from '../http/ask.js';
import type { ScenarioClaim } from '../observe/scenarios.js';

export type { AdminAsk, AdminReply, JournalFilter };

/** What a worker thread starts with. */
export interface WorkerInit {
  readonly config: ServerConfig;
  /** The engine the main thread chose (config.engine may still say what was asked). */
  readonly engine: EngineName;
  readonly index: number;
  /** The probed port (resolves --port 0 once for every worker). */
  readonly port: number;
  /** The probed admin port (when --admin-port is set). */
  readonly adminPort: number;
  /** The probed HTTP/2 port (0: no HTTP/2 listener). */
  readonly h2Port: number;
  readonly startedAt: number;
  /** The shared per-worker counters (observe/counters.ts). */
  readonly counters: SharedArrayBuffer;
  /** The shared scenario table (observe/scenarios.ts). */
  readonly scenarios: SharedArrayBuffer;
  /** The configured routes in force now (the file's, or what runtime calls made of them). */
  readonly routes: readonly RouteConfig[];
  /** Every configured path registered earlier in this process, in order (keeps route ids equal across workers). */
  readonly patterns: readonly string[];
  /** gRPC health statuses set at runtime (service -> ServingStatus name), for a restarted worker. */
  readonly grpcHealth: readonly (readonly [string, string])[];
}

/** Main -> worker. `drain`: stop accepting, finish in-flight within graceMs. `stop`: close now. */
export type ToWorker =
  | { readonly type: 'drain'; readonly graceMs: number }
  | { readonly type: 'stop' }
  /** Make these the configured routes; answer `applied` with the same id. */
  | { readonly type: 'routes'; readonly id: number; readonly routes: readonly RouteConfig[] }
  /** Send the journal entries matching `filter` (at most its limit) as `journal`; or clear it and send none. */
  | { readonly type: 'journal'; readonly id: number; readonly clear: boolean; readonly filter: JournalFilter }
  /** Set this gRPC health status (answer `applied` with the same id). */
  | { readonly type: 'grpcHealth'; readonly id: number; readonly service: string; readonly status: string }
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
  /** The worker claimed a scenario slot: its key and sequence, for GET /__mock/scenarios. */
  | { readonly type: 'scenario'; readonly claim: ScenarioClaim }
  /** Routes applied (error: why this worker could not). */
  | { readonly type: 'applied'; readonly id: number; readonly error: string | null }
  | { readonly type: 'journal'; readonly id: number; readonly entries: readonly JournalEntry[] }
  /** The worker's V8 heap in use right after a full GC (its live set). */
  | { readonly type: 'heap'; readonly id: number; readonly heapUsed: number };

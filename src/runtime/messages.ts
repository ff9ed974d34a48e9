// The messages between the main thread and worker threads, in one place.
import type { ServerConfig } from '../config/options.js';

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
}

/** Main -> worker. `drain`: stop accepting, finish in-flight within graceMs. `stop`: close now. */
export type ToWorker = { readonly type: 'drain'; readonly graceMs: number } | { readonly type: 'stop' };

/** Worker -> main. */
export type FromWorker =
  | { readonly type: 'listening' }
  | { readonly type: 'failed'; readonly message: string }
  | { readonly type: 'crashed'; readonly message: string; readonly stack: string }
  | { readonly type: 'drained'; readonly cut: number }
  | { readonly type: 'saturation'; readonly saturated: boolean; readonly elu: number };

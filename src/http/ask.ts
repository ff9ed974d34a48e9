// What a worker's handler carries to the main thread (which owns the route list and reaches every worker),
// and the answer it gets back. Features send asks through RouteContext.ask; the runtime carries them.
import type { JournalFilter } from '../observe/journal.js';

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
  /** Set a gRPC health status (grpc.health.v1) in every worker; status is a ServingStatus name. */
  | { readonly op: 'grpc.health'; readonly service: string; readonly status: string }
  /** List the scenarios (those of `key` when given) with their positions. */
  | { readonly op: 'scenarios.get'; readonly key: string | null }
  /** Start the scenarios of `key` over, or (no key) empty the table. */
  | { readonly op: 'scenarios.reset'; readonly key: string | null }
  /** Test and bench only (fault-hook phrase): a full GC in every worker, then each one's heap in use. */
  | { readonly op: 'test.gc' };

/** The main thread's answer to an AdminAsk: HTTP status and JSON body text. */
export interface AdminReply {
  readonly status: number;
  readonly body: string;
}

// grpc.health.v1.Health: Check and Watch over a status table settable at runtime (admin.ts). The server
// itself ("") is SERVING from the start; a service never set is unknown: Check answers NOT_FOUND, Watch
// sends SERVICE_UNKNOWN and stays open, as the health-checking spec says.
import type { Call, Method } from './call.js';
import { HealthReplies, WireScan } from './codecs.js';
import { Code, PrefixBytes } from './framing.js';
import { quoteValue } from '../../grammar/errors.js';

/** ServingStatus values of health.proto. */
export const ServingStatus = { UNKNOWN: 0, SERVING: 1, NOT_SERVING: 2, SERVICE_UNKNOWN: 3 } as const;
/** A ServingStatus name. */
export type ServingStatusName = keyof typeof ServingStatus;
const StatusNames = Object.keys(ServingStatus) as ServingStatusName[];

/** The status names setHealth accepts (SERVICE_UNKNOWN forgets the service). */
export const ServingStatusNames: readonly string[] = StatusNames;

/** Told whenever a service's status changes. */
export interface HealthWatcher {
  healthChanged(service: string, status: number): void;
}

/** Serving status per service, with the Watch calls listening to each. One per worker. */
export class HealthTable {
  private readonly statuses = new Map<string, number>([['', ServingStatus.SERVING]]);
  private readonly watchers = new Map<string, Set<HealthWatcher>>();

  /** The status of `service`, or SERVICE_UNKNOWN when it was never set (or was forgotten). */
  get(service: string): number {
    return this.statuses.get(service) ?? ServingStatus.SERVICE_UNKNOWN;
  }

  /** Set `service`'s status (a name or number, 0-3); SERVICE_UNKNOWN forgets it. Watchers hear the change. */
  set(service: string, status: ServingStatusName | number): void {
    const code = typeof status === 'number' ? status : ServingStatus[status];
    if (!Number.isInteger(code) || code < 0 || code > ServingStatus.SERVICE_UNKNOWN) throw new RangeError(`unknown serving status ${String(status)}`);
    const before = this.get(service);
    if (code === ServingStatus.SERVICE_UNKNOWN) this.statuses.delete(service);
    else this.statuses.set(service, code);
    if (before === code) return;
    const set = this.watchers.get(service);
    if (set === undefined) return;
    for (const w of set) w.healthChanged(service, code);
  }

  /** Every known service and its status name, sorted by service. */
  list(): { service: string; status: ServingStatusName }[] {
    return [...this.statuses].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([service, s]) => ({ service, status: StatusNames[s] }));
  }

  /** Watch `service` until unwatch. */
  watch(service: string, w: HealthWatcher): void {
    let set = this.watchers.get(service);
    if (set === undefined) this.watchers.set(service, (set = new Set()));
    set.add(w);
  }

  /** Stop watching (a closed call). */
  unwatch(service: string, w: HealthWatcher): void {
    const set = this.watchers.get(service);
    if (set === undefined) return;
    set.delete(w);
    if (set.size === 0) this.watchers.delete(service);
  }

  /** How many Watch calls listen, over every service (tests check nothing leaks). */
  get watching(): number {
    let n = 0;
    for (const set of this.watchers.values()) n += set.size;
    return n;
  }
}

// The service named by a HealthCheckRequest frame, or null when it is not valid protobuf.
function serviceOf(scan: WireScan, frame: Buffer): string | null {
  if (frame.length === PrefixBytes) return '';
  if (!scan.scan(frame, PrefixBytes)) return null;
  return scan.start1 < 0 ? '' : frame.toString('utf8', scan.start1, scan.end1);
}

/** The two Health methods, sharing one table and one scanner. */
export function healthMethods(table: HealthTable, scan: WireScan, index: number): Method[] {
  const check: Method = {
    path: '/grpc.health.v1.Health/Check',
    index,
    clientStreams: false,
    start(): void {},
    message(call: Call, frame: Buffer): void {
      const service = serviceOf(scan, frame);
      if (service === null) call.finish(Code.INTERNAL, 'grpc: error unmarshalling request: invalid HealthCheckRequest');
      else call.text = service;
    },
    halfClose(call: Call): void {
      if (call.requests === 0) call.finish(Code.INTERNAL, 'grpc: the client sent no request message for a unary call');
      else call.proceed();
    },
    timer(call: Call): void {
      const status = table.get(call.text);
      if (status === ServingStatus.SERVICE_UNKNOWN) {
        call.finish(Code.NOT_FOUND, `unknown service ${quoteValue(call.text)}`);
        return;
      }
      call.send(HealthReplies[status]);
      call.finish(Code.OK);
    },
    closed(): void {},
  };

  // A Watch call is its own HealthWatcher: the call object is registered in the table.
  const watchers = new WeakMap<Call, HealthWatcher>();
  const watch: Method = {
    path: '/grpc.health.v1.Health/Watch',
    index: index + 1,
    clientStreams: false,
    start(): void {},
    message: check.message,
    halfClose: check.halfClose,
    timer(call: Call): void {
      call.send(HealthReplies[table.get(call.text)]);
      const w: HealthWatcher = {
        healthChanged(_service: string, status: number): void {
          if (!call.done) call.send(HealthReplies[status]);
        },
      };
      watchers.set(call, w);
      table.watch(call.text, w);
    },
    closed(call: Call): void {
      const w = watchers.get(call);
      if (w !== undefined) table.unwatch(call.text, w);
    },
  };
  return [check, watch];
}

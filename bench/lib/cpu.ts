// CPU pinning: on a 2-core box the server and wrk must not steal each other's
// core, or the measurement is mostly scheduler noise.
import { availableParallelism } from 'node:os';
import { which } from './proc.js';

/** Where the server and the load generator run. */
export interface Pinning {
  /** CPU list for `taskset -c` of the server, undefined when not pinning. */
  serverCpu: string | undefined;
  /** CPU list for `taskset -c` of wrk, undefined when not pinning. */
  loadCpu: string | undefined;
  /** Human-readable account of the decision, for the results. */
  description: string;
}

/** Server on CPU 0 and wrk on CPU 1 when taskset exists and there are ≥ 2 CPUs; otherwise no pinning. */
export function decidePinning(): Pinning {
  const cpus = availableParallelism();
  if (which('taskset') === undefined) {
    return { serverCpu: undefined, loadCpu: undefined, description: 'none (taskset not found)' };
  }
  if (cpus < 2) {
    return { serverCpu: undefined, loadCpu: undefined, description: `none (${cpus} CPU available)` };
  }
  return { serverCpu: '0', loadCpu: '1', description: 'server on CPU 0, wrk on CPU 1 (taskset -c)' };
}

/** Prefixes a command with `taskset -c <cpu>` when cpu is set. */
export function pinned(cpu: string | undefined, command: string, args: readonly string[]): [string, string[]] {
  return cpu === undefined ? [command, [...args]] : ['taskset', ['-c', cpu, command, ...args]];
}

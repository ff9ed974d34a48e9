// What the numbers were measured on, for the results file.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, release, type as osType } from 'node:os';
import { decidePinning } from './cpu.js';
import { wrkVersion } from './wrk.js';

/** Hardware and software a run used. */
export interface MachineInfo {
  cpuModel: string;
  cores: number;
  kernel: string;
  node: string;
  uws: string;
  wrk: string;
  pinning: string;
}

function cpuModel(): string {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    return match === null ? 'unknown' : match[1].trim();
  } catch {
    return 'unknown (no /proc/cpuinfo)';
  }
}

function uwsVersion(): string {
  try {
    // Installed under the alias uWebSockets.js; its manifest carries the real name.
    const manifest = createRequire(import.meta.url)('uWebSockets.js/package.json') as { name?: string; version?: string };
    return `${manifest.name ?? 'uWebSockets.js'}@${manifest.version ?? 'unknown'} (as uWebSockets.js)`;
  } catch {
    return 'unknown';
  }
}

/** Collects CPU model, core count, kernel, Node, uWS and wrk versions and the pinning used. */
export async function machineInfo(): Promise<MachineInfo> {
  return {
    cpuModel: cpuModel(),
    cores: availableParallelism(),
    kernel: `${osType()} ${release()}`,
    node: process.version,
    uws: uwsVersion(),
    wrk: await wrkVersion(),
    pinning: decidePinning().description,
  };
}

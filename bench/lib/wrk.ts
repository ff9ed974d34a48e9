// wrk: installation, invocation and parsing of its text report.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pinned } from './cpu.js';
import { fromRoot, repoRoot } from './paths.js';
import { runCaptured, which } from './proc.js';

/** One wrk run, parsed. Latencies are in milliseconds. */
export interface WrkResult {
  requestsPerSec: number;
  requests: number;
  durationSec: number;
  p50Ms: number;
  p99Ms: number;
  socketErrors: { connect: number; read: number; write: number; timeout: number };
  /** wrk's "Non-2xx or 3xx responses" (it counts status ≥ 400). */
  non2xx: number;
}

/** What to run. */
export interface WrkOptions {
  url: string;
  threads: number;
  connections: number;
  durationSec: number;
  /** Lua script, absolute path. */
  script?: string;
  /** Pin wrk with `taskset -c <cpu>`. */
  cpu?: string;
}

/** A finished run: the exact command line (from the package root), its parsed report and the raw text. */
export interface WrkRun {
  commandLine: string;
  result: WrkResult;
  raw: string;
}

/** Absolute path of bench/lua/pipeline.lua (wrk script sending 16 pipelined requests per write). */
export function pipelineScript(): string {
  const script = join(repoRoot(), 'bench', 'lua', 'pipeline.lua');
  if (!existsSync(script)) throw new Error(`bench: the wrk pipelining script ${script} is missing`);
  return script;
}

/** Makes wrk available, installing it with apt-get when missing (CI machines start without it). */
export async function ensureWrk(): Promise<void> {
  if (which('wrk') !== undefined) return;
  if (which('apt-get') === undefined) {
    throw new Error('wrk is not installed and apt-get is not available: install wrk (https://github.com/wg/wrk) and rerun');
  }
  if (process.getuid?.() !== 0) {
    throw new Error('wrk is not installed and installing it needs root: run `sudo apt-get install -y wrk` and rerun');
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const aptGet = async (args: string[]): Promise<boolean> => {
    process.stderr.write(`bench: wrk missing, running apt-get ${args.join(' ')}\n`);
    const res = await runCaptured('apt-get', args, { env, timeoutMs: 10 * 60_000 });
    if (res.code !== 0) process.stderr.write(res.stdout.slice(-2_000) + res.stderr.slice(-2_000));
    return res.code === 0;
  };
  // A fresh machine may have no package lists yet; update only when needed.
  const installed = (await aptGet(['install', '-y', 'wrk'])) || ((await aptGet(['update'])) && (await aptGet(['install', '-y', 'wrk'])));
  if (!installed || which('wrk') === undefined) throw new Error('could not install wrk with apt-get (see the output above)');
}

/** wrk's version line, e.g. `wrk debian/4.1.0-3+b2 [epoll]`. */
export async function wrkVersion(): Promise<string> {
  // `wrk -v` prints the version and usage, and exits 1.
  const res = await runCaptured('wrk', ['-v'], { timeoutMs: 10_000 });
  const line = (res.stdout + res.stderr).split('\n').find((l) => l.startsWith('wrk '));
  return line === undefined ? 'unknown' : line.replace(/\s+Copyright.*$/, '').trim();
}

function wrkArgs(options: WrkOptions): string[] {
  const args = [`-t${options.threads}`, `-c${options.connections}`, `-d${options.durationSec}s`, '--latency'];
  if (options.script !== undefined) args.push('-s', fromRoot(options.script));
  args.push(options.url);
  return args;
}

/** The command line runWrk would execute, from the package root. */
export function wrkCommandLine(options: WrkOptions): string {
  const [command, args] = pinned(options.cpu, 'wrk', wrkArgs(options));
  return [command, ...args].join(' ');
}

/** Runs wrk once and parses its report; rejects with wrk's output when it fails. */
export async function runWrk(options: WrkOptions): Promise<WrkRun> {
  const [command, args] = pinned(options.cpu, 'wrk', wrkArgs(options));
  const commandLine = [command, ...args].join(' ');
  // wrk stops on its own after -d; the margin covers start-up and slow connects.
  const res = await runCaptured(command, args, { cwd: repoRoot(), timeoutMs: (options.durationSec + 30) * 1_000 });
  if (res.code !== 0) {
    throw new Error(`${commandLine} failed (code ${String(res.code)}, signal ${String(res.signal)}):\n${res.stdout}${res.stderr}`);
  }
  try {
    return { commandLine, result: parseWrkOutput(res.stdout), raw: res.stdout };
  } catch (err) {
    throw new Error(`${commandLine}: ${err instanceof Error ? err.message : String(err)}\n${res.stdout}${res.stderr}`);
  }
}

const TimeUnitsMs: Record<string, number> = { us: 0.001, ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

function parseTimeMs(value: string, unit: string): number {
  const factor = TimeUnitsMs[unit];
  if (factor === undefined) throw new Error(`unknown wrk time unit ${JSON.stringify(unit)}`);
  return Number(value) * factor;
}

function percentileMs(text: string, percent: number): number {
  const match = new RegExp(`^\\s*${percent}%\\s+([\\d.]+)(us|ms|s|m|h)\\s*$`, 'm').exec(text);
  if (match === null) throw new Error(`no ${percent}% line in wrk's latency distribution (was --latency passed?)`);
  return parseTimeMs(match[1], match[2]);
}

/** Parses the text report of `wrk --latency`. */
export function parseWrkOutput(text: string): WrkResult {
  const rps = /^Requests\/sec:\s+([\d.]+)\s*$/m.exec(text);
  if (rps === null) throw new Error('no "Requests/sec:" line in wrk output');
  const total = /^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h),/m.exec(text);
  if (total === null) throw new Error('no "N requests in T" line in wrk output');
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(text);
  return {
    requestsPerSec: Number(rps[1]),
    requests: Number(total[1]),
    durationSec: parseTimeMs(total[2], total[3]) / 1_000,
    p50Ms: percentileMs(text, 50),
    p99Ms: percentileMs(text, 99),
    socketErrors:
      socket === null
        ? { connect: 0, read: 0, write: 0, timeout: 0 }
        : { connect: Number(socket[1]), read: Number(socket[2]), write: Number(socket[3]), timeout: Number(socket[4]) },
    non2xx: non2xx === null ? 0 : Number(non2xx[1]),
  };
}

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

/** Percentiles for a pipelined run, rebuilt from the histogram pipeline.lua prints (see pipelinedLatency). */
export interface PipelinedLatency {
  depth: number;
  p50Ms: number;
  p99Ms: number;
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
  /** Present when the script printed a usable histogram (pipelined runs). */
  pipelined?: PipelinedLatency;
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
    const result = parseWrkOutput(res.stdout);
    const pipelined = options.script === undefined ? undefined : pipelinedLatency(res.stdout, options.connections);
    return { commandLine, result, raw: res.stdout, ...(pipelined === undefined ? {} : { pipelined }) };
  } catch (err) {
    throw new Error(`${commandLine}: ${err instanceof Error ? err.message : String(err)}\n${res.stdout}${res.stderr}`, { cause: err });
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

// wrk's stats_correct(): for every recorded value n ≥ 2·interval, adds its
// count again at n − interval, n − 2·interval, … while above interval.
function applyCorrection(histogram: Map<number, number>, interval: number): void {
  if (interval <= 0) return;
  const originals = [...histogram.entries()].filter(([value]) => value >= 2 * interval);
  for (const [value, count] of originals) {
    for (let m = value - interval; m > interval; m -= interval) histogram.set(m, (histogram.get(m) ?? 0) + count);
  }
}

// Inverse of applyCorrection on the part of the histogram wrk lets scripts
// see. Walking down from the maximum, a value's own count is known once every
// larger value has handed back what it added. Undefined if the data does not
// fit (a count would go negative).
function undoCorrection(histogram: Map<number, number>, interval: number): Map<number, number> | undefined {
  if (interval <= 0) return new Map(histogram);
  const added = new Map<number, number>();
  const original = new Map<number, number>();
  const values = [...histogram.keys()].sort((a, b) => b - a);
  for (const value of values) {
    const own = (histogram.get(value) ?? 0) - (added.get(value) ?? 0);
    if (own < 0) return undefined;
    if (own === 0) continue;
    original.set(value, own);
    if (value >= 2 * interval) {
      for (let m = value - interval; m > interval; m -= interval) added.set(m, (added.get(m) ?? 0) + own);
    }
  }
  return original;
}

// wrk's stats_percentile() (values in µs).
function percentileUs(histogram: Map<number, number>, percent: number): number {
  let total = 0;
  for (const count of histogram.values()) total += count;
  const rank = Math.round((percent / 100) * total + 0.5);
  let seen = 0;
  for (const value of [...histogram.keys()].sort((a, b) => a - b)) {
    seen += histogram.get(value) ?? 0;
    if (seen >= rank) return value;
  }
  return 0;
}

/**
 * Latency percentiles of a pipelined run, with wrk's coordinated-omission correction redone per batch.
 * wrk applies it with an interval per response (`depth` times too short); undefined when the script printed no usable histogram.
 */
export function pipelinedLatency(text: string, connections: number): PipelinedLatency | undefined {
  const line = /^pipeline-latency depth=(\d+) duration_us=(\d+) requests=(\d+) histogram=(\S+)$/m.exec(text);
  if (line === null || line[4] === 'skipped') return undefined;
  const depth = Number(line[1]);
  const durationUs = Number(line[2]);
  const requests = Number(line[3]);
  const histogram = new Map<number, number>();
  for (const bucket of line[4].split(',')) {
    const [value, count] = bucket.split(':').map(Number);
    if (!Number.isSafeInteger(value) || !Number.isSafeInteger(count)) return undefined;
    histogram.set(value, count);
  }
  // Integer divisions, as in wrk.c.
  const interval = (perConnection: number): number => (perConnection > 0 ? Math.floor(durationUs / perConnection) : 0);
  const original = undoCorrection(histogram, interval(Math.floor(requests / connections)));
  if (original === undefined || original.size === 0) return undefined;
  applyCorrection(original, interval(Math.floor(Math.floor(requests / depth) / connections)));
  return { depth, p50Ms: percentileUs(original, 50) / 1_000, p99Ms: percentileUs(original, 99) / 1_000 };
}

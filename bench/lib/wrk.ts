// wrk: installation, invocation and parsing of its text report.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ensureCommand } from './apt.js';
import { pinned } from './cpu.js';
import { fromRoot, repoRoot } from './paths.js';
import { runCaptured, shellJoin, withNofile } from './proc.js';

/** One wrk run, parsed. Latencies are in milliseconds. */
export interface WrkResult {
  requestsPerSec: number;
  requests: number;
  durationSec: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  socketErrors: { connect: number; read: number; write: number; timeout: number };
  /** wrk's "Non-2xx or 3xx responses" (it counts status ≥ 400). */
  non2xx: number;
}

/** The unrounded figures bench/lua/summary.lua prints (see wrkSummary). Latencies in ms. */
export interface WrkSummary {
  durationSec: number;
  requests: number;
  /** Bytes read, headers included. */
  bytes: number;
  bytesPerSec: number;
  minMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  socketErrors: { connect: number; read: number; write: number; timeout: number };
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
  /** wrk's --timeout in seconds (wrk's default is 2 s). */
  timeoutSec?: number;
  /** Run wrk with a raised open-files limit (see withNofile), for thousands of connections. */
  raiseNofile?: boolean;
}

/** A finished run: the exact command line (from the package root), its parsed report and the raw text. */
export interface WrkRun {
  commandLine: string;
  result: WrkResult;
  raw: string;
  /** Present when the script printed a usable histogram (pipelined runs). */
  pipelined?: PipelinedLatency;
  /** Present when the run used bench/lua/summary.lua. */
  summary?: WrkSummary;
}

/** Absolute path of bench/lua/pipeline.lua (wrk script sending 16 pipelined requests per write). */
export function pipelineScript(): string {
  const script = join(repoRoot(), 'bench', 'lua', 'pipeline.lua');
  if (!existsSync(script)) throw new Error(`bench: the wrk pipelining script ${script} is missing`);
  return script;
}

/** Absolute path of bench/lua/summary.lua (wrk script printing unrounded latencies and bytes). */
export function summaryScript(): string {
  const script = join(repoRoot(), 'bench', 'lua', 'summary.lua');
  if (!existsSync(script)) throw new Error(`bench: the wrk summary script ${script} is missing`);
  return script;
}

/** Makes wrk available, installing it with apt-get when missing (CI machines start without it). */
export async function ensureWrk(): Promise<void> {
  await ensureCommand('wrk', 'wrk', 'https://github.com/wg/wrk');
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
  if (options.timeoutSec !== undefined) args.push('--timeout', `${options.timeoutSec}s`);
  if (options.script !== undefined) args.push('-s', fromRoot(options.script));
  args.push(options.url);
  return args;
}

function wrkCommand(options: WrkOptions): [string, string[]] {
  const [command, args] = options.raiseNofile === true ? withNofile('wrk', wrkArgs(options)) : ['wrk', wrkArgs(options)];
  return pinned(options.cpu, command, args);
}

/** The command line runWrk would execute, from the package root. */
export function wrkCommandLine(options: WrkOptions): string {
  const [command, args] = wrkCommand(options);
  return shellJoin(command, args);
}

/** Runs wrk once and parses its report; rejects with wrk's output when it fails. */
export async function runWrk(options: WrkOptions): Promise<WrkRun> {
  const [command, args] = wrkCommand(options);
  const commandLine = shellJoin(command, args);
  // wrk stops on its own after -d; the margin covers start-up and slow connects.
  const res = await runCaptured(command, args, { cwd: repoRoot(), timeoutMs: (options.durationSec + 30) * 1_000 });
  if (res.code !== 0) {
    throw new Error(`${commandLine} failed (code ${String(res.code)}, signal ${String(res.signal)}):\n${res.stdout}${res.stderr}`);
  }
  try {
    const result = parseWrkOutput(res.stdout);
    const pipelined = options.script === undefined ? undefined : pipelinedLatency(res.stdout, options.connections);
    const summary = wrkSummary(res.stdout);
    return {
      commandLine,
      result,
      raw: res.stdout,
      ...(pipelined === undefined ? {} : { pipelined }),
      ...(summary === undefined ? {} : { summary }),
    };
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

// The "Latency  avg  stdev  max  +/- stdev" row of the thread stats.
function maxLatencyMs(text: string): number {
  const match = /^\s*Latency\s+\S+\s+\S+\s+([\d.]+)(us|ms|s|m|h)\s/m.exec(text);
  if (match === null) throw new Error('no "Latency" row in wrk\'s thread stats');
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
    p90Ms: percentileMs(text, 90),
    p99Ms: percentileMs(text, 99),
    maxMs: maxLatencyMs(text),
    socketErrors:
      socket === null
        ? { connect: 0, read: 0, write: 0, timeout: 0 }
        : { connect: Number(socket[1]), read: Number(socket[2]), write: Number(socket[3]), timeout: Number(socket[4]) },
    non2xx: non2xx === null ? 0 : Number(non2xx[1]),
  };
}

/** The line bench/lua/summary.lua prints, parsed; undefined when absent. */
export function wrkSummary(text: string): WrkSummary | undefined {
  const line = /^wrk-summary (.*)$/m.exec(text);
  if (line === null) return undefined;
  const fields = new Map<string, number>();
  for (const pair of line[1].trim().split(/\s+/)) {
    const [key, value] = pair.split('=');
    fields.set(key, Number(value));
  }
  const get = (key: string): number => {
    const value = fields.get(key);
    if (value === undefined || !Number.isFinite(value)) throw new Error(`wrk-summary line without a numeric ${key}: ${line[0]}`);
    return value;
  };
  const durationSec = get('duration_us') / 1e6;
  return {
    durationSec,
    requests: get('requests'),
    bytes: get('bytes'),
    bytesPerSec: durationSec > 0 ? get('bytes') / durationSec : 0,
    minMs: get('min_us') / 1_000,
    p50Ms: get('p50_us') / 1_000,
    p90Ms: get('p90_us') / 1_000,
    p99Ms: get('p99_us') / 1_000,
    maxMs: get('max_us') / 1_000,
    socketErrors: { connect: get('connect'), read: get('read'), write: get('write'), timeout: get('timeout') },
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

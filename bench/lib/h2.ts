// HTTP/2 for the benches: one request over h2c (response checks, gRPC readiness), and h2load
// (Debian's nghttp2-client): installation, invocation and parsing of its text report.
import { connect, constants } from 'node:http2';
import { ensureCommand } from './apt.js';
import { pinned } from './cpu.js';
import { fromRoot, repoRoot } from './paths.js';
import { runCaptured, shellJoin } from './proc.js';

/** An h2 response: status, headers, body and trailers (gRPC puts its status there). */
export interface H2Result {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  trailers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** One request on a fresh h2c connection (prior knowledge); rejects on errors or after timeoutMs. */
export function h2Request(
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: Buffer },
  timeoutMs: number,
): Promise<H2Result> {
  return new Promise((resolve, reject) => {
    const session = connect(`http://127.0.0.1:${port}`);
    const timer = setTimeout(() => {
      session.destroy();
      reject(new Error(`h2 ${options.method ?? 'GET'} ${path} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    const fail = (err: Error): void => {
      clearTimeout(timer);
      session.destroy();
      reject(err);
    };
    session.once('error', fail);
    const stream = session.request({
      [constants.HTTP2_HEADER_METHOD]: options.method ?? 'GET',
      [constants.HTTP2_HEADER_PATH]: path,
      ...options.headers,
    });
    let headers: Record<string, string | string[] | undefined> = {};
    let trailers: Record<string, string | string[] | undefined> = {};
    const chunks: Buffer[] = [];
    stream.once('response', (h) => (headers = h));
    stream.once('trailers', (t) => (trailers = t));
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.once('error', fail);
    stream.once('end', () => {
      clearTimeout(timer);
      session.close();
      resolve({ status: Number(headers[':status'] ?? 0), headers, trailers, body: Buffer.concat(chunks) });
    });
    stream.end(options.body);
  });
}

/** What one h2load run does. */
export interface H2loadOptions {
  url: string;
  clients: number;
  /** Concurrent streams per connection (-m). */
  streams: number;
  durationSec: number;
  warmupSec: number;
  /** POST this file (-d), absolute path. */
  dataFile?: string;
  headers?: readonly string[];
  /** Per-request log (--log-file), absolute path: latencies for percentiles. */
  logFile?: string;
  cpu?: string;
}

/** h2load's figures; latencies (ms) only when the run had a log file. */
export interface H2loadResult {
  requestsPerSec: number;
  done: number;
  succeeded: number;
  /** failed + errored + timeout. */
  errors: number;
  status2xx: number;
  /** 4xx + 5xx answers (as wrk counts non-2xx: status ≥ 400). */
  status4xx5xx: number;
  meanMs: number;
}

/** A finished run: the command line (from the package root), the parsed figures and the raw text. */
export interface H2loadRun {
  commandLine: string;
  result: H2loadResult;
  raw: string;
}

/** Makes h2load available, installing nghttp2-client with apt-get when missing. */
export async function ensureH2load(): Promise<string> {
  return ensureCommand('h2load', 'nghttp2-client', 'https://nghttp2.org');
}

function h2loadCommand(options: H2loadOptions): [string, string[]] {
  const args = [
    '-t1',
    `-c${options.clients}`,
    `-m${options.streams}`,
    `-D${options.durationSec}`,
    `--warm-up-time=${Math.round(options.warmupSec * 1_000)}ms`,
    ...(options.dataFile === undefined ? [] : ['-d', fromRoot(options.dataFile)]),
    ...(options.headers ?? []).flatMap((h) => ['-H', h]),
    ...(options.logFile === undefined ? [] : [`--log-file=${fromRoot(options.logFile)}`]),
    options.url,
  ];
  return pinned(options.cpu, 'h2load', args);
}

/** The command line runH2load would execute, from the package root. */
export function h2loadCommandLine(options: H2loadOptions): string {
  const [command, args] = h2loadCommand(options);
  return shellJoin(command, args);
}

/** Parses h2load's text report. */
export function parseH2load(text: string): H2loadResult {
  const finished = /^finished in [\d.]+\w+, ([\d.]+) req\/s/m.exec(text);
  const requests = /^requests: \d+ total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/m.exec(text);
  const codes = /^status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/m.exec(text);
  const time = /^time for request:\s+\S+\s+\S+\s+([\d.]+)(us|ms|s)\s/m.exec(text);
  if (finished === null || requests === null || codes === null) throw new Error('h2load printed no "finished in", "requests:" or "status codes:" line');
  const unit = time === null ? 1 : time[2] === 'us' ? 0.001 : time[2] === 's' ? 1_000 : 1;
  return {
    requestsPerSec: Number(finished[1]),
    done: Number(requests[1]),
    succeeded: Number(requests[2]),
    errors: Number(requests[3]) + Number(requests[4]) + Number(requests[5]),
    status2xx: Number(codes[1]),
    status4xx5xx: Number(codes[3]) + Number(codes[4]),
    meanMs: time === null ? Number.NaN : Number(time[1]) * unit,
  };
}

/** Runs h2load once; rejects with its output when it fails or completes nothing. */
export async function runH2load(options: H2loadOptions): Promise<H2loadRun> {
  const [command, args] = h2loadCommand(options);
  const commandLine = shellJoin(command, args);
  const res = await runCaptured(command, args, { cwd: repoRoot(), timeoutMs: (options.durationSec + options.warmupSec + 30) * 1_000 });
  if (res.code !== 0) throw new Error(`${commandLine} failed (code ${String(res.code)}, signal ${String(res.signal)}):\n${res.stdout}${res.stderr}`);
  try {
    const result = parseH2load(res.stdout);
    if (result.succeeded === 0) throw new Error('no request succeeded');
    return { commandLine, result, raw: res.stdout };
  } catch (err) {
    throw new Error(`${commandLine}: ${err instanceof Error ? err.message : String(err)}\n${res.stdout}${res.stderr}`, { cause: err });
  }
}

/** p50 and p99 (ms) of the per-request times in an h2load --log-file (third column, µs). */
export function logPercentiles(text: string): { p50Ms: number; p99Ms: number } | undefined {
  const times: number[] = [];
  for (const line of text.split('\n')) {
    const us = Number(line.split('\t')[2]);
    if (line !== '' && Number.isFinite(us)) times.push(us);
  }
  if (times.length === 0) return undefined;
  times.sort((a, b) => a - b);
  const at = (p: number): number => times[Math.min(times.length - 1, Math.ceil((p / 100) * times.length) - 1)] / 1_000;
  return { p50Ms: at(50), p99Ms: at(99) };
}

// Pieces every bench needs: the specs of mock-upstream and of the bare
// reference servers, run checks, per-round rows, medians and shutdown.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decidePinning, type Pinning } from './cpu.js';
import { fromRoot, repoRoot } from './paths.js';
import { installCleanup } from './proc.js';
import type { RoundRow, Row } from './report.js';
import { describeExit, type RunningServer, type ServerSpec } from './server.js';
import { median } from './stats.js';
import { ensureWrk, type WrkRun } from './wrk.js';
import { parseBenchOptions, type BenchOptions } from './options.js';
import { budgetExitCode, renderBench, type BenchResult } from './report.js';

/** The start of every bench: its children cleaned up whatever happens, wrk installed, CPU pinning decided, and a log prefixed with its name. */
export async function prepareBench(name: string): Promise<{ pinning: Pinning; log: (line: string) => void }> {
  installCleanup();
  await ensureWrk();
  return { pinning: decidePinning(), log: (line) => void process.stderr.write(`[${name}] ${line}\n`) };
}

/** How to start mock-upstream for a bench. */
export interface OursOptions {
  /** Log-file and table id; `mock-upstream` when absent. */
  name?: string;
  /** Worker threads (`--workers`); 1 when absent. */
  workers?: number;
  /** Flags after the usual `--port P --workers N --host 127.0.0.1`. */
  extraArgs?: readonly string[];
  raiseNofile?: boolean;
  /** Environment variables set for the server on top of the bench's own (see ServerSpec.env). */
  env?: Readonly<Record<string, string>>;
}

/** Spec of the built mock-upstream CLI with 1 worker (or options.workers) on 127.0.0.1 (throws when it is not built). */
export function oursSpec(options: OursOptions = {}): ServerSpec {
  const cli = join(repoRoot(), 'dist', 'src', 'cli.js');
  if (!existsSync(cli)) throw new Error(`mock-upstream is not built: ${fromRoot(cli)} is missing (run \`npm run build\`)`);
  return {
    name: options.name ?? 'mock-upstream',
    command: process.execPath,
    displayCommand: 'node',
    args: (port) => [fromRoot(cli), '--port', String(port), '--workers', String(options.workers ?? 1), '--host', '127.0.0.1', ...(options.extraArgs ?? [])],
    readyPath: '/__mock/health',
    ...(options.raiseNofile === true ? { raiseNofile: true } : {}),
    ...(options.env === undefined ? {} : { env: options.env }),
  };
}

/** Spec of a reference server in dist/bench/servers/<file> taking its port as the only argument (throws when it is not built). */
export function benchServerSpec(name: string, file: string, options: { raiseNofile?: boolean } = {}): ServerSpec {
  const script = fileURLToPath(new URL(`../servers/${file}`, import.meta.url));
  if (!existsSync(script)) throw new Error(`the reference server ${fromRoot(script)} is missing (run \`npm run build\`)`);
  return {
    name,
    command: process.execPath,
    displayCommand: 'node',
    args: (port) => [fromRoot(script), String(port)],
    // The bare servers answer every path, so the same probe works for all.
    readyPath: '/__mock/health',
    ...(options.raiseNofile === true ? { raiseNofile: true } : {}),
  };
}

/** Throws with the server's log when it died during a run (its figures would be meaningless). */
export function assertRunning(server: RunningServer): void {
  const info = server.exitInfo();
  if (info !== undefined) throw new Error(`${server.name} died during the bench (${describeExit(info)}); log ${server.logFile}:\n${server.logTail()}`);
}

/** Stops every server, logging the ones that did not shut down cleanly. */
export async function stopAll(servers: readonly RunningServer[], log: (line: string) => void): Promise<void> {
  const stops = servers.map(async (server) => {
    const info = await server.stop();
    if (info.code !== 0 && info.code !== null) log(`warning: ${server.name} exited with ${describeExit(info)} on SIGTERM`);
    if (info.signal === 'SIGKILL') log(`warning: ${server.name} ignored SIGTERM and was killed`);
  });
  await Promise.all(stops);
}

/**
 * Runs body with a list to push every server it starts onto, and stops them all once body is done,
 * whether it returned or threw.
 */
export async function withServers<T>(log: (line: string) => void, body: (started: RunningServer[]) => Promise<T>): Promise<T> {
  const started: RunningServer[] = [];
  try {
    return await body(started);
  } finally {
    await stopAll(started, log);
  }
}

/** The list rotated by round − 1, so over the rounds every entry goes first in turn (slow drift spreads over all). */
export function rotated<T>(list: readonly T[], round: number): T[] {
  const k = (round - 1) % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}

/** A run's row from its wrk report (latencies unrounded when it used bench/lua/summary.lua); benches about bandwidth add bytesPerSec. */
export function roundRow(run: WrkRun, fields: { round: number; server: string; mode: string }): RoundRow {
  const { result, summary } = run;
  const kinds = summary?.socketErrors ?? result.socketErrors;
  return {
    ...fields,
    command: run.commandLine,
    requestsPerSec: result.requestsPerSec,
    p50Ms: summary?.p50Ms ?? result.p50Ms,
    p90Ms: summary?.p90Ms ?? result.p90Ms,
    p99Ms: summary?.p99Ms ?? result.p99Ms,
    maxMs: summary?.maxMs ?? result.maxMs,
    socketErrors: kinds.connect + kinds.read + kinds.write + kinds.timeout,
    socketErrorKinds: { ...kinds },
    non2xx: result.non2xx,
  };
}

function medianOrNull(values: readonly (number | null | undefined)[]): number | null {
  const known = values.filter((v): v is number => v !== null && v !== undefined);
  return known.length === 0 ? null : median(known);
}

/** Medians over the rounds of one server and mode (errors summed); optional figures only when the runs have them. */
export function summarise(runs: readonly RoundRow[], server: string, mode: string): Row {
  const mine = runs.filter((run) => run.server === server && run.mode === mode);
  if (mine.length === 0) throw new Error(`no runs of ${server} in mode ${mode}`);
  const row: Row = {
    server,
    mode,
    requestsPerSec: median(mine.map((run) => run.requestsPerSec)),
    p50Ms: medianOrNull(mine.map((run) => run.p50Ms)),
    p99Ms: medianOrNull(mine.map((run) => run.p99Ms)),
    socketErrors: mine.reduce((sum, run) => sum + run.socketErrors, 0),
    non2xx: mine.reduce((sum, run) => sum + run.non2xx, 0),
  };
  if (mine.some((run) => run.p90Ms !== undefined)) row.p90Ms = medianOrNull(mine.map((run) => run.p90Ms));
  if (mine.some((run) => run.maxMs !== undefined)) row.maxMs = medianOrNull(mine.map((run) => run.maxMs));
  const rates = mine.map((run) => run.bytesPerSec).filter((v): v is number => v !== undefined);
  if (rates.length > 0) row.bytesPerSec = median(rates);
  if (mine.some((run) => run.socketErrorKinds !== undefined)) {
    const sum = { connect: 0, read: 0, write: 0, timeout: 0 };
    for (const run of mine) {
      const kinds = run.socketErrorKinds;
      if (kinds === undefined) continue;
      sum.connect += kinds.connect;
      sum.read += kinds.read;
      sum.write += kinds.write;
      sum.timeout += kinds.timeout;
    }
    row.socketErrorKinds = sum;
  }
  return row;
}

/** The notes that apply to any bench's rows: errors seen, pipelined runs without latencies, and the quick-run caveat. */
export function runNotes(
  summary: readonly Row[],
  runs: readonly RoundRow[],
  quick: boolean,
  quickNote = 'Quick smoke run: one short round, figures are indicative only.',
): string[] {
  const notes: string[] = [];
  if (summary.some((row) => row.socketErrors > 0 || row.non2xx > 0)) {
    notes.push('Some runs had socket errors or non-2xx answers (see the errors column): treat those figures with suspicion.');
  }
  if (runs.some((run) => run.p50Ms === null)) {
    notes.push(
      'n/a: a pipelined run printed no usable latency histogram (skipped after a stall of roughly 100 ms or more, see bench/lua/pipeline.lua); ' +
        'medians use the other rounds.',
    );
  }
  if (quick) notes.push(quickNote);
  return notes;
}

/** Entry point of a bench file run alone: parse flags, run, print its table, exit non-zero on a missed budget. */
export async function runAlone(name: string, run: (options: BenchOptions) => Promise<BenchResult>): Promise<void> {
  try {
    const options = parseBenchOptions(process.argv.slice(2), `node dist/bench/${name}.bench.js [--quick]`);
    const result = await run(options);
    process.stdout.write(`${renderBench(result, 2)}\n`);
    process.exitCode = budgetExitCode([result], options.quick);
  } catch (err) {
    process.stderr.write(`${name}: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}

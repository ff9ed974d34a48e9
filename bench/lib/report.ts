// Structured bench results and their Markdown rendering (the same text goes
// to the console and into bench/RESULTS*.md).

/** One server × mode figure. Latencies in ms; null when they could not be measured. */
export interface Row {
  server: string;
  mode: string;
  requestsPerSec: number;
  p50Ms: number | null;
  p99Ms: number | null;
  socketErrors: number;
  non2xx: number;
}

/** A single wrk run. */
export interface RoundRow extends Row {
  round: number;
  command: string;
}

/** Ours vs the reference for one mode, against its budget. */
export interface Comparison {
  mode: string;
  ours: number;
  reference: number;
  /** ours / reference, in requests per second. */
  ratio: number;
  /** Minimum acceptable ratio. */
  budget: number;
  pass: boolean;
}

/** Everything a bench reports. */
export interface BenchResult {
  name: string;
  title: string;
  /** Markdown paragraphs explaining the method. */
  method: string[];
  rounds: number;
  durationSec: number;
  /** Server command lines as run (from the package root). */
  serverCommands: string[];
  /** wrk command lines as run (from the package root). */
  loadCommands: string[];
  /** Medians over the rounds. */
  summary: Row[];
  comparisons: Comparison[];
  runs: RoundRow[];
  notes: string[];
  pass: boolean;
}

/** Requests per second with thousands separators. */
export function formatRate(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** A latency in µs below 1 ms, else in ms. */
export function formatLatency(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return 'n/a';
  return ms < 1 ? `${Math.round(ms * 1_000)} µs` : `${ms.toFixed(2)} ms`;
}

function formatErrors(row: Row): string {
  if (row.socketErrors === 0 && row.non2xx === 0) return '0';
  const parts: string[] = [];
  if (row.socketErrors > 0) parts.push(`socket ${row.socketErrors}`);
  if (row.non2xx > 0) parts.push(`non-2xx ${row.non2xx}`);
  return parts.join(', ');
}

function table(header: string[], align: ('l' | 'r')[], rows: string[][]): string {
  const lines = [`| ${header.join(' | ')} |`, `|${align.map((a) => (a === 'r' ? '---:' : ':---')).join('|')}|`];
  for (const row of rows) lines.push(`| ${row.join(' | ')} |`);
  return lines.join('\n');
}

/** Table of the median figures per server and mode. */
export function summaryTable(result: BenchResult): string {
  return table(
    ['server', 'mode', 'req/s', 'p50', 'p99', 'errors'],
    ['l', 'l', 'r', 'r', 'r', 'r'],
    result.summary.map((row) => [row.server, row.mode, formatRate(row.requestsPerSec), formatLatency(row.p50Ms), formatLatency(row.p99Ms), formatErrors(row)]),
  );
}

/** Table of the ratios against their budgets. */
export function comparisonTable(result: BenchResult): string {
  return table(
    ['mode', 'ours / bare', 'budget', 'result'],
    ['l', 'r', 'r', 'l'],
    result.comparisons.map((c) => [c.mode, c.ratio.toFixed(3), `≥ ${c.budget.toFixed(2)}`, c.pass ? 'PASS' : '**FAIL**']),
  );
}

/** Table of every individual run. */
export function runsTable(result: BenchResult): string {
  return table(
    ['round', 'server', 'mode', 'req/s', 'p50', 'p99', 'errors'],
    ['r', 'l', 'l', 'r', 'r', 'r', 'r'],
    result.runs.map((run) => [
      String(run.round),
      run.server,
      run.mode,
      formatRate(run.requestsPerSec),
      formatLatency(run.p50Ms),
      formatLatency(run.p99Ms),
      formatErrors(run),
    ]),
  );
}

/** The full Markdown section for one bench; headingLevel is the level of its title. */
export function renderBench(result: BenchResult, headingLevel: number): string {
  const h = '#'.repeat(headingLevel);
  const parts = [
    `${h} ${result.title}`,
    ...result.method,
    `Servers (${result.rounds} round${result.rounds === 1 ? '' : 's'} × ${result.durationSec} s per run, figures are medians over the rounds):`,
    ['```sh', ...result.serverCommands, '```'].join('\n'),
    'Load, one wrk run per server, mode and round:',
    ['```sh', ...result.loadCommands, '```'].join('\n'),
    summaryTable(result),
    comparisonTable(result),
  ];
  if (result.notes.length > 0) parts.push(result.notes.map((note) => `- ${note}`).join('\n'));
  parts.push(`${h}# Every run\n\n${runsTable(result)}`);
  return parts.join('\n\n');
}

/** Process exit code for a finished run: 1 when a budget failed in a full run; smoke runs only prove the rig. */
export function budgetExitCode(results: readonly BenchResult[], quick: boolean): number {
  return !quick && results.some((result) => !result.pass) ? 1 : 0;
}

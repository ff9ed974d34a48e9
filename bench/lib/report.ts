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
  /** Benches that report them set these; the tables show a column only when some row has it. */
  p90Ms?: number | null;
  maxMs?: number | null;
  /** Bytes read per second, headers included. */
  bytesPerSec?: number;
  /** socketErrors by kind. */
  socketErrorKinds?: SocketErrorKinds;
}

/** wrk's socket errors by kind. */
export interface SocketErrorKinds {
  connect: number;
  read: number;
  write: number;
  timeout: number;
}

/** A single wrk run. */
export interface RoundRow extends Row {
  round: number;
  command: string;
}

/** One figure checked against its budget: by default ours / reference in requests per second, which must be at least the budget. */
export interface Comparison {
  mode: string;
  /** What value is, for the tables; `ours / bare` when absent. */
  metric?: string;
  ours: number;
  reference: number;
  /** ours / reference (in requests per second unless metric says otherwise); absent when no ratio means anything. */
  ratio?: number;
  /** The figure checked; ratio when absent (a latency or an error count for absolute budgets). */
  value?: number;
  /** How value is printed: a ratio (default), milliseconds, a count or a signed percentage (growth). */
  unit?: 'ratio' | 'ms' | 'count' | 'percent';
  /** Minimum acceptable value (maximum with bound 'max'); null when the figure is reported without a budget. */
  budget: number | null;
  bound?: 'min' | 'max';
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
  /** Replaces the `Servers (N rounds × D s per run …)` lead-in when the runs are not equal rounds. */
  schedule?: string;
  /** Server command lines as run (from the package root). */
  serverCommands: string[];
  /** Replaces the `Load, one wrk run per server…` lead-in when the load is not wrk runs. */
  loadLead?: string;
  /** wrk command lines as run (from the package root). */
  loadCommands: string[];
  /** Medians over the rounds. */
  summary: Row[];
  comparisons: Comparison[];
  runs: RoundRow[];
  notes: string[];
  /** Further Markdown blocks (tables of figures that are not rows), shown after the checks. */
  extra?: string[];
  pass: boolean;
}

/** Requests per second with thousands separators. */
export function formatRate(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** A latency in µs below 1 ms, in ms below 1 s, else in s with 4 decimals (a 1.005 s budget needs them). */
export function formatLatency(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return 'n/a';
  if (ms < 1) return `${Math.round(ms * 1_000)} µs`;
  return ms < 1_000 ? `${ms.toFixed(2)} ms` : `${(ms / 1_000).toFixed(4)} s`;
}

/** Bytes per second as MB/s (10⁶ bytes). */
export function formatBandwidth(bytesPerSec: number | undefined): string {
  return bytesPerSec === undefined || !Number.isFinite(bytesPerSec) ? 'n/a' : (bytesPerSec / 1e6).toFixed(1);
}

function formatErrors(row: Row): string {
  if (row.socketErrors === 0 && row.non2xx === 0) return '0';
  const parts: string[] = [];
  if (row.socketErrors > 0) {
    const kinds = row.socketErrorKinds;
    parts.push(
      kinds === undefined
        ? `socket ${row.socketErrors}`
        : Object.entries(kinds)
            .filter(([, count]) => count > 0)
            .map(([kind, count]) => `${kind} ${count}`)
            .join(', '),
    );
  }
  if (row.non2xx > 0) parts.push(`non-2xx ${row.non2xx}`);
  return parts.join(', ');
}

/** The figure a comparison checks, formatted in its unit. */
export function formatCheckValue(c: Comparison): string {
  const value = c.value ?? c.ratio ?? Number.NaN;
  if (c.unit === 'ms') return formatLatency(value);
  if (c.unit === 'count') return formatRate(value);
  if (c.unit === 'percent') return formatPercent(value);
  return value.toFixed(3);
}

/** A signed percentage with one decimal (`+1.3 %`, `-0.4 %`). */
export function formatPercent(value: number): string {
  return Number.isFinite(value) ? `${value >= 0 ? '+' : ''}${value.toFixed(1)} %` : 'n/a';
}

/** The budget of a comparison (`≥ 0.95`, `≤ 1.0050 s`), or `—` without one. */
export function formatBudget(c: Comparison): string {
  if (c.budget === null) return '—';
  const op = c.bound === 'max' ? '≤' : '≥';
  if (c.unit === 'ms') return `${op} ${formatLatency(c.budget)}`;
  if (c.unit === 'count') return `${op} ${formatRate(c.budget)}`;
  if (c.unit === 'percent') return `${op} ${formatPercent(c.budget)}`;
  return `${op} ${c.budget.toFixed(2)}`;
}

/** PASS, **FAIL**, or `info` for a figure without a budget. */
export function formatVerdict(c: Comparison): string {
  if (c.budget === null) return 'info';
  return c.pass ? 'PASS' : '**FAIL**';
}

/** A Markdown table. */
export function table(header: string[], align: ('l' | 'r')[], rows: string[][]): string {
  const lines = [`| ${header.join(' | ')} |`, `|${align.map((a) => (a === 'r' ? '---:' : ':---')).join('|')}|`];
  for (const row of rows) lines.push(`| ${row.join(' | ')} |`);
  return lines.join('\n');
}

interface Column<T extends Row = Row> {
  header: string;
  align: 'l' | 'r';
  cell: (row: T) => string;
  /** Shown only when some row has the figure. */
  has?: (row: T) => boolean;
}

const Columns: readonly Column[] = [
  { header: 'server', align: 'l', cell: (row) => row.server },
  { header: 'mode', align: 'l', cell: (row) => row.mode },
  { header: 'req/s', align: 'r', cell: (row) => formatRate(row.requestsPerSec) },
  { header: 'MB/s', align: 'r', cell: (row) => formatBandwidth(row.bytesPerSec), has: (row) => row.bytesPerSec !== undefined },
  { header: 'p50', align: 'r', cell: (row) => formatLatency(row.p50Ms) },
  { header: 'p90', align: 'r', cell: (row) => formatLatency(row.p90Ms), has: (row) => row.p90Ms !== undefined },
  { header: 'p99', align: 'r', cell: (row) => formatLatency(row.p99Ms) },
  { header: 'max', align: 'r', cell: (row) => formatLatency(row.maxMs), has: (row) => row.maxMs !== undefined },
  { header: 'errors', align: 'r', cell: formatErrors },
];

function rowTable<T extends Row>(rows: readonly T[], lead: readonly Column<T>[] = []): string {
  const columns: Column<T>[] = [...lead, ...Columns.filter((column) => column.has === undefined || rows.some(column.has))];
  return table(
    columns.map((column) => column.header),
    columns.map((column) => column.align),
    rows.map((row) => columns.map((column) => column.cell(row))),
  );
}

/** Table of the median figures per server and mode. */
export function summaryTable(result: BenchResult): string {
  return rowTable(result.summary);
}

/** Table of the figures against their budgets. */
export function comparisonTable(result: BenchResult): string {
  return table(
    ['mode', 'check', 'value', 'budget', 'result'],
    ['l', 'l', 'r', 'r', 'l'],
    result.comparisons.map((c) => [c.mode, c.metric ?? 'ours / bare', formatCheckValue(c), formatBudget(c), formatVerdict(c)]),
  );
}

/** Table of every individual run. */
export function runsTable(result: BenchResult): string {
  return rowTable(result.runs, [{ header: 'round', align: 'r', cell: (row) => String(row.round) }]);
}

/** The full Markdown section for one bench; headingLevel is the level of its title. */
export function renderBench(result: BenchResult, headingLevel: number): string {
  const h = '#'.repeat(headingLevel);
  const parts = [
    `${h} ${result.title}`,
    ...result.method,
    result.schedule ??
      `Servers (${result.rounds} round${result.rounds === 1 ? '' : 's'} × ${result.durationSec} s per run, figures are medians over the rounds):`,
    ['```sh', ...result.serverCommands, '```'].join('\n'),
    result.loadLead ?? 'Load, one wrk run per server, mode and round:',
    ['```sh', ...result.loadCommands, '```'].join('\n'),
    ...(result.summary.length > 0 ? [summaryTable(result)] : []),
    comparisonTable(result),
    ...(result.extra ?? []),
  ];
  if (result.notes.length > 0) parts.push(result.notes.map((note) => `- ${note}`).join('\n'));
  if (result.runs.length > 0) parts.push(`${h}# Every run\n\n${runsTable(result)}`);
  return parts.join('\n\n');
}

/** Process exit code for a finished run: 1 when a budget failed in a full run; smoke runs only prove the rig. */
export function budgetExitCode(results: readonly BenchResult[], quick: boolean): number {
  return !quick && results.some((result) => !result.pass) ? 1 : 0;
}

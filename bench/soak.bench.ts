// Soak: 10 million /json/valid requests, pipelined so the count fits the bench's time budget (300k with --quick)
// against mock-upstream with 2 workers, checking that memory stays flat: each
// worker's live V8 heap and the process RSS, right after a full garbage
// collection in every worker (the test-only /__mock/test/gc, behind the fault-hook
// env var), after the warm-up and after the soak. The heaps and RSS that
// /__mock/stats publishes under load are shown too, without a budget.
// Run alone: node dist/bench/soak.bench.js [--quick]
import { FaultHookEnv, FaultHookPhrase } from '../src/config/defaults.js';
import { assertRunning, oursSpec, runNotes, summarise, runAlone, withServers, prepareBench } from './lib/common.js';
import { collectGarbage, readStats, type GcHeap } from './lib/mock-stats.js';
import { type BenchOptions } from './lib/options.js';
import { isMain } from './lib/paths.js';
import { formatPercent, formatRate, table, type BenchResult, type Comparison, type RoundRow } from './lib/report.js';
import { loadOptions, modeRow, Pipelined } from './lib/rounds.js';
import { httpGet, startServer, type RunningServer } from './lib/server.js';
import { runWrk, wrkCommandLine } from './lib/wrk.js';

const Route = '/json/valid';
const Workers = 2;
const Label = `mock-upstream --workers ${Workers}`;
// Pipelined: ~3x the keep-alive rate on 2 cores, through the same request path; what a soak needs is the count.
const Mode = Pipelined;
/** Largest growth, in percent, that still counts as flat. */
const BudgetPercent = 5;
// wrk stops on time, not on a count: the soak is wrk runs back to back, each at most maxChunkSec long,
// the last sized to what is left.
const Full = { requests: 10_000_000, warmupSec: 5, maxChunkSec: 30 };
const Quick = { requests: 300_000, warmupSec: 3, maxChunkSec: 10 };
// Runs that the rate estimate could take; more means the server stalled.
const MaxChunks = 100;
// The workers sample once a second; polling four times as often misses none of their samples and
// leaves a short quick run a few reads per window.
const PollMs = 250;
// Full collections per measurement, each figure taking its lowest: a single post-GC heap read lands up to
// ~3.5 % above the others now and then, most often the first one or two right after load (what the load
// left behind takes more than one collection to go). Each takes a few milliseconds.
const GcReads = 5;

/** One read of /__mock/stats during the soak. `at` is performance.now() in ms. */
interface MemorySample {
  at: number;
  heapUsed: number[];
  rss: number;
}

/** A figure at the start and the end of the soak. */
interface Figure {
  name: string;
  /** How it was measured, for the table. */
  how: string;
  start: number;
  end: number;
  /** Judged against the budget; the sampled floors are reported only. */
  checked: boolean;
}

/** Lowest of GcReads full-GC reads, per figure, and the spread of the reads (largest / lowest − 1, in percent). */
interface SettledHeap {
  heapUsed: number[];
  rss: number;
  reads: GcHeap[];
  spreadPercent: number;
}

function growthPercent(figure: Figure): number {
  return ((figure.end - figure.start) / figure.start) * 100;
}

function formatMB(bytes: number): string {
  return `${(bytes / 1e6).toFixed(2)} MB`;
}

/** Polls /__mock/stats every PollMs until stop(). */
function pollMemory(server: RunningServer): { samples: MemorySample[]; stop: () => Promise<void> } {
  const samples: MemorySample[] = [];
  let polling = true;
  const loop = (async () => {
    while (polling) {
      await new Promise((resolve) => setTimeout(resolve, PollMs));
      try {
        const stats = await readStats(server, 1_000);
        if (polling) samples.push({ at: performance.now(), heapUsed: stats.workers.map((w) => w.heapUsedBytes), rss: stats.totals.rssBytes });
      } catch {
        // A read that timed out under load: the next one will do.
      }
    }
  })();
  return {
    samples,
    stop: async () => {
      polling = false;
      await loop;
    },
  };
}

/** The lowest value of each figure over the reads taken from fromAt to toAt. */
function floors(samples: readonly MemorySample[], fromAt: number, toAt: number, what: string): { heapUsed: number[]; rss: number; count: number } {
  const window = samples.filter((s) => s.at >= fromAt && s.at <= toAt);
  if (window.length === 0) throw new Error(`no /__mock/stats read succeeded during the ${what}`);
  return {
    heapUsed: Array.from({ length: Workers }, (_, i) => Math.min(...window.map((s) => s.heapUsed[i]))),
    rss: Math.min(...window.map((s) => s.rss)),
    count: window.length,
  };
}

/** GcReads calls to /__mock/test/gc back to back: each worker's live heap and the process RSS, the lowest of each. */
async function settledHeap(server: RunningServer): Promise<SettledHeap> {
  const reads: GcHeap[] = [];
  for (let i = 0; i < GcReads; i++) {
    const heap = await collectGarbage(server);
    if (heap.workers.length !== Workers) throw new Error(`${server.name}'s /__mock/test/gc lists ${heap.workers.length} workers, expected ${Workers}`);
    reads.push(heap);
  }
  const columns = [...Array.from({ length: Workers }, (_, w) => reads.map((r) => r.workers[w].heapUsedBytes)), reads.map((r) => r.rssBytes)];
  const spread = Math.max(...columns.map((values) => (Math.max(...values) / Math.min(...values) - 1) * 100));
  return {
    heapUsed: columns.slice(0, Workers).map((values) => Math.min(...values)),
    rss: Math.min(...reads.map((r) => r.rssBytes)),
    reads,
    spreadPercent: spread,
  };
}

function describeReads(settled: SettledHeap): string {
  return settled.reads.map((r) => `${r.workers.map((w) => formatMB(w.heapUsedBytes)).join(' / ')}, RSS ${formatMB(r.rssBytes)}`).join('; ');
}

async function checkServer(server: RunningServer): Promise<void> {
  const res = await httpGet(server.port, Route, 2_000);
  if (res.status !== 200) throw new Error(`${server.name} answered GET ${Route} with ${res.status}: ${res.body.toString('utf8').slice(0, 200)}`);
  const stats = await readStats(server);
  if (stats.workers.length !== Workers) throw new Error(`${server.name}'s /__mock/stats lists ${stats.workers.length} workers, expected ${Workers}`);
}

/** Runs the soak (10M requests, or 300k with quick) and checks that memory grows by at most 5 %; the server is always stopped. */
export async function runSoakBench(options: BenchOptions): Promise<BenchResult> {
  const plan = options.quick ? Quick : Full;
  const { log } = await prepareBench('soak');
  return withServers(log, async (started) => {
    // No pinning, as in the workers bench: pinned to one CPU, two workers could only take turns.
    // The fault-hook env var adds the test-only /__mock/test/gc (and /__mock/test/crash, which this bench never calls).
    const server = await startServer(oursSpec({ name: 'mock-upstream-soak', workers: Workers, env: { [FaultHookEnv]: FaultHookPhrase } }), undefined);
    started.push(server);
    log(`started: ${server.commandLine}`);
    await checkServer(server);

    const warm = await runWrk(loadOptions(server, Route, Mode, plan.warmupSec, undefined));
    assertRunning(server);
    const before = await readStats(server);
    log(`warmed up (${plan.warmupSec} s, ${formatRate(warm.result.requestsPerSec)} req/s)`);
    const gcStart = await settledHeap(server);
    log(`after full GCs (worker heaps, RSS): ${describeReads(gcStart)}`);

    const soakStart = performance.now();
    const poller = pollMemory(server);
    let soakEnd: number;
    const runs: RoundRow[] = [];
    const commands: string[] = [];
    let served = 0;
    let soakSec = 0;
    try {
      let rate = warm.result.requestsPerSec;
      while (served < plan.requests) {
        if (runs.length === MaxChunks) throw new Error(`${served} of ${plan.requests} requests after ${MaxChunks} wrk runs: the server is too slow for this soak`);
        const seconds = Math.min(plan.maxChunkSec, Math.max(1, Math.ceil((plan.requests - served) / Math.max(rate, 1))));
        const run = await runWrk(loadOptions(server, Route, Mode, seconds, undefined));
        assertRunning(server);
        if (run.result.requests === 0) throw new Error(`${run.commandLine} completed no request:\n${run.raw}`);
        served += run.result.requests;
        soakSec += seconds;
        rate = run.result.requestsPerSec;
        runs.push(modeRow(run, Mode, runs.length + 1, Label));
        if (!commands.includes(run.commandLine)) commands.push(run.commandLine);
        log(`run ${runs.length}: ${seconds} s, ${formatRate(run.result.requestsPerSec)} req/s, ${formatRate(served)} of ${formatRate(plan.requests)} requests`);
      }
      soakEnd = performance.now();
    } finally {
      await poller.stop();
    }
    const after = await readStats(server);
    const gcEnd = await settledHeap(server);
    assertRunning(server);
    log(`after full GCs (worker heaps, RSS): ${describeReads(gcEnd)}`);

    // The sampled floors, for reference: the first and the last third of the soak.
    const third = (soakEnd - soakStart) / 3;
    const start = floors(poller.samples, soakStart, soakStart + third, 'first third of the soak');
    const end = floors(poller.samples, soakEnd - third, soakEnd, 'last third of the soak');
    const figures: Figure[] = [
      ...Array.from({ length: Workers }, (_, i): Figure => ({
        name: `worker ${i} live heap`, how: 'after full GC', start: gcStart.heapUsed[i], end: gcEnd.heapUsed[i], checked: true,
      })),
      { name: 'process RSS', how: 'after full GC', start: gcStart.rss, end: gcEnd.rss, checked: true },
      ...Array.from({ length: Workers }, (_, i): Figure => ({
        name: `worker ${i} heapUsed`, how: 'sampled floor under load', start: start.heapUsed[i], end: end.heapUsed[i], checked: false,
      })),
      { name: 'process RSS', how: 'sampled floor under load', start: start.rss, end: end.rss, checked: false },
    ];
    const growth = figures.map(growthPercent);
    const checkedGrowth = growth.filter((_, i) => figures[i].checked);
    const flat = checkedGrowth.every((g) => g <= BudgetPercent);
    const answered = after.totals.requests - before.totals.requests;
    for (const [i, f] of figures.entries()) log(`${f.name} (${f.how}): ${formatMB(f.start)} → ${formatMB(f.end)} (${formatPercent(growth[i])})`);
    log(`flat within ${BudgetPercent} %: ${flat ? 'yes' : 'no'}`);

    const comparisons: Comparison[] = [
      { mode: Mode.name, metric: 'requests (wrk)', ours: served, reference: plan.requests, value: served, unit: 'count', budget: null, pass: true },
      ...figures.map((f, i): Comparison => ({
        mode: Mode.name,
        metric: `${f.name} growth (${f.how})`,
        ours: f.end,
        reference: f.start,
        value: growth[i],
        unit: 'percent',
        ...(f.checked ? { budget: BudgetPercent, bound: 'max' as const, pass: growth[i] <= BudgetPercent } : { budget: null, pass: true }),
      })),
    ];
    const memoryTable = table(
      ['memory', 'measured', 'start', 'end', 'growth', 'judged'],
      ['l', 'l', 'r', 'r', 'r', 'l'],
      figures.map((f, i) => [f.name, f.how, formatMB(f.start), formatMB(f.end), formatPercent(growth[i]), f.checked ? `≤ ${BudgetPercent} %` : 'no (info)']),
    );
    const summary = [summarise(runs, Label, Mode.name)];
    const notes = [
      `**Flat within ${BudgetPercent} %: ${flat ? 'yes' : 'no'}.** Largest growth after full GC ${formatPercent(Math.max(...checkedGrowth))}; ` +
        `the sampled floors under load (not judged) grew by ${growth.filter((_, i) => !figures[i].checked).map(formatPercent).join(', ')}.`,
      `Full-GC reads (worker heaps, RSS) after the warm-up: ${describeReads(gcStart)}; after the soak: ${describeReads(gcEnd)}. ` +
        `Largest spread between the ${GcReads} reads of one figure: ${formatPercent(gcStart.spreadPercent)} at the start, ${formatPercent(gcEnd.spreadPercent)} at the end.`,
      `Requests: ${formatRate(served)} answered according to wrk, ${formatRate(answered)} counted by the server between the /__mock/stats reads right before and after the soak ` +
        '(the difference is the /__mock/stats reads themselves and responses wrk had not finished reading when it stopped).',
      `Sampled floors over ${start.count} read${start.count === 1 ? '' : 's'} in the first third and ${end.count} in the last.`,
    ];
    notes.push(...runNotes(summary, runs, options.quick, `Quick smoke run: ${formatRate(plan.requests)} requests, far too few to show a slow leak; it proves the rig only.`));
    return {
      name: 'soak',
      title: `soak: ${formatRate(plan.requests)} \`${Route}\` requests on ${Workers} workers, memory flat within ${BudgetPercent} %: ${flat ? 'yes' : 'no'}`,
      method: [
        `One mock-upstream process with ${Workers} worker threads answers \`GET ${Route}\` over ${Mode.connections} connections, ${Mode.name} (wrk, 1 thread, pipeline.lua) ` +
          `until at least ${formatRate(plan.requests)} requests are answered: wrk stops on time, not on a count, so the soak is wrk runs back to back, ` +
          `each at most ${plan.maxChunkSec} s, the last sized to what is left at the rate of the one before (pipelined as in the json-valid bench's pipelined rows). ` +
          `Before it, ${plan.warmupSec} s of the same load warm the server up. CPU pinning: none, as in the workers bench (two workers pinned to one CPU could only take turns).`,
        `The verdict compares live memory: right after the warm-up and right after the soak, with no load, the bench calls \`GET /__mock/test/gc\` ${GcReads} times. ` +
          'Each call runs a full (mark-compact) garbage collection in every worker and answers with each worker\'s V8 heap in use right after it (its isolate only) ' +
          'and the process RSS right after (all threads and native memory); each figure takes the lowest of the reads (a single post-GC heap read lands up to about ' +
          '3.5 % above the others now and then, most often the first one or two right after load). A full collection is what makes the heap mean something: without one, a heap in use is the live set plus whatever garbage ' +
          'is waiting for the next collection — young-generation garbage between scavenges and, more slowly, old-generation garbage until the next mark-compact — ' +
          'so two reads of a healthy worker can differ by 10 % and more. After a full GC only the live set remains, and a leak is growth of the live set. ' +
          `Growth is end / start − 1, and memory is flat when each worker's live heap and the RSS grow by at most ${BudgetPercent} % (shrinking is flat: the check is for leaks).`,
        `\`/__mock/test/gc\` is a test and bench endpoint, not part of the server's API: it exists only when the server runs with ` +
          `\`${FaultHookEnv}=${FaultHookPhrase}\`, which the bench sets on the server it starts (see its command line below). The same env var also enables ` +
          '`/__mock/test/crash`, which crashes a worker to test its restart; this bench never calls it. Beyond registering those two admin routes, the env var ' +
          'changes nothing on the path of `' + Route + '`.',
        `For reference only, without a budget: \`/__mock/stats\`, read every ${PollMs} ms on a separate connection during the soak, publishes each worker's heap in use ` +
          '(`workers[i].heapUsedBytes`) and the process RSS (`totals.rssBytes`), each sampled once a second; the table shows their floors, the lowest read over the first ' +
          'and over the last third of the soak. Earlier versions of this bench judged those floors: they follow the old-generation garbage more than ' +
          'the live set, so they move by several percent from one run to the next even when the post-GC figures do not.',
      ],
      rounds: runs.length,
      durationSec: soakSec,
      schedule: `Server (${runs.length} wrk run${runs.length === 1 ? '' : 's'} back to back, ${soakSec} s of load after the ${plan.warmupSec} s warm-up; the table's figures are medians over the runs):`,
      serverCommands: [server.commandLine],
      loadCommands: [wrkCommandLine(loadOptions(server, Route, Mode, plan.warmupSec, undefined)), ...commands],
      summary,
      comparisons,
      runs,
      notes,
      extra: [memoryTable],
      pass: flat,
    };
  });
}

if (isMain(import.meta.url)) await runAlone('soak', runSoakBench);

// Soak: 10 million /json/valid requests, pipelined so the count fits the bench's time budget (300k with --quick)
// against mock-upstream with 2 workers, checking that memory stays flat: each
// worker's V8 heap in use and the process RSS, as /__mock/stats publishes them
// (workers[i].heapUsedBytes, totals.rssBytes), at the start and at the end.
// Run alone: node dist/bench/soak.bench.js [--quick]
import { assertRunning, oursSpec, runNotes, summarise, runAlone, withServers, prepareBench } from './lib/common.js';
import { readStats } from './lib/mock-stats.js';
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

/** One read of /__mock/stats during the soak. `at` is performance.now() in ms. */
interface MemorySample {
  at: number;
  heapUsed: number[];
  rss: number;
}

/** A figure at the start and the end of the soak. */
interface Figure {
  name: string;
  start: number;
  end: number;
  /** Single idle reads right before and after the soak, for reference. */
  before: number;
  after: number;
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
    const server = await startServer(oursSpec({ name: 'mock-upstream-soak', workers: Workers }), undefined);
    started.push(server);
    log(`started: ${server.commandLine}`);
    await checkServer(server);

    const warm = await runWrk(loadOptions(server, Route, Mode, plan.warmupSec, undefined));
    assertRunning(server);
    const before = await readStats(server);
    log(`warmed up (${plan.warmupSec} s, ${formatRate(warm.result.requestsPerSec)} req/s)`);

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

    // Start and end are the first and the last third of the soak.
    const third = (soakEnd - soakStart) / 3;
    const start = floors(poller.samples, soakStart, soakStart + third, 'first third of the soak');
    const end = floors(poller.samples, soakEnd - third, soakEnd, 'last third of the soak');
    const figures: Figure[] = [
      ...Array.from({ length: Workers }, (_, i) => ({
        name: `worker ${i} heapUsed`,
        start: start.heapUsed[i],
        end: end.heapUsed[i],
        before: before.workers[i].heapUsedBytes,
        after: after.workers[i].heapUsedBytes,
      })),
      { name: 'process RSS', start: start.rss, end: end.rss, before: before.totals.rssBytes, after: after.totals.rssBytes },
    ];
    const growth = figures.map(growthPercent);
    const flat = growth.every((g) => g <= BudgetPercent);
    const answered = after.totals.requests - before.totals.requests;
    for (const [i, f] of figures.entries()) log(`${f.name}: ${formatMB(f.start)} → ${formatMB(f.end)} (${formatPercent(growth[i])})`);
    log(`flat within ${BudgetPercent} %: ${flat ? 'yes' : 'no'}`);

    const comparisons: Comparison[] = [
      { mode: Mode.name, metric: 'requests (wrk)', ours: served, reference: plan.requests, value: served, unit: 'count', budget: null, pass: true },
      ...figures.map((f, i): Comparison => ({
        mode: Mode.name,
        metric: `${f.name} growth`,
        ours: f.end,
        reference: f.start,
        value: growth[i],
        unit: 'percent',
        budget: BudgetPercent,
        bound: 'max',
        pass: growth[i] <= BudgetPercent,
      })),
    ];
    const memoryTable = table(
      ['memory', 'start (floor)', 'end (floor)', 'growth', 'idle read before', 'idle read after'],
      ['l', 'r', 'r', 'r', 'r', 'r'],
      figures.map((f, i) => [f.name, formatMB(f.start), formatMB(f.end), formatPercent(growth[i]), formatMB(f.before), formatMB(f.after)]),
    );
    const summary = [summarise(runs, Label, Mode.name)];
    const notes = [
      `**Flat within ${BudgetPercent} %: ${flat ? 'yes' : 'no'}.** Largest growth ${formatPercent(Math.max(...growth))}.`,
      `Requests: ${formatRate(served)} answered according to wrk, ${formatRate(answered)} counted by the server between the idle reads ` +
        '(the difference is the /__mock/stats reads themselves and responses wrk had not finished reading when it stopped).',
      `Floors over ${start.count} reads in the first third and ${end.count} in the last.`,
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
        `Memory comes from \`/__mock/stats\`, read every ${PollMs} ms on a separate connection during the soak: each worker publishes its own V8 heap in use ` +
          '(`workers[i].heapUsedBytes`, its isolate only) and the process RSS (`totals.rssBytes`, all threads and native memory) once a second. ' +
          'A heap in use is a double sawtooth: it climbs by the young generation between scavenges (several a second) and, more slowly, by what is promoted ' +
          'to the old generation until a full collection, so one read can land anywhere on either tooth (reads of a healthy worker 5 s apart differ by 10 % and more). ' +
          'Start and end are therefore floors, the lowest read over the first and over the last third of the soak: long windows, so that each is likely to include a full collection. ' +
          `Growth is end / start − 1, and memory is flat when every figure grows by at most ${BudgetPercent} % (shrinking is flat: the check is for leaks). ` +
          'The single idle reads right before and after the soak (after the warm-up, and once the load stopped) are shown for reference.',
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

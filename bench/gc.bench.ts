// Young-generation garbage collections per million /json/valid requests,
// mock-upstream against the bare uWebSockets.js server: allocation per request
// is what turns into scavenges, and the bare server allocates next to nothing.
// Both run under `node --trace-gc` (a V8 flag the bench passes; src/ is
// untouched), and the `Scavenge` lines each prints during a wrk run are
// divided by the requests wrk completed.
// Run alone: node dist/bench/gc.bench.js [--quick]
import { readFileSync } from 'node:fs';
import { assertRunning, benchServerSpec, oursSpec, rotated, summarise, runAlone, withServers, prepareBench } from './lib/common.js';
import { type BenchOptions } from './lib/options.js';
import { isMain } from './lib/paths.js';
import { KeepAlive, loadOptions, modeRow, startLabelled } from './lib/rounds.js';
import { median } from './lib/stats.js';
import type { BenchResult, Comparison, RoundRow } from './lib/report.js';
import { type RunningServer, type ServerSpec } from './lib/server.js';
import { runWrk, wrkCommandLine } from './lib/wrk.js';

const Route = '/json/valid';
const OursLabel = 'mock-upstream';
const BareLabel = 'bare uWS';
const Mode = KeepAlive;
/** Maximum ours / bare scavenges per million requests. */
const Budget = 1.1;
// Longer than the other benches' quick runs: a scavenge every few thousand requests needs enough of them to count.
const Full = { rounds: 3, durationSec: 5 };
const Quick = { rounds: 1, durationSec: 3 };
const WarmupSec = 1;

// --trace-gc prints one line per GC: `[pid:isolate]  t ms: Scavenge a (b) -> c (d) MB, …`.
const ScavengeLine = /^\[\d+:(0x[0-9a-f]+)\]\s+[\d.]+ ms: Scavenge\b/gm;

function traced(spec: ServerSpec): ServerSpec {
  return { ...spec, args: (port) => ['--trace-gc', ...spec.args(port)] };
}

/** Log bytes so far (the scavenges of a run are those printed after this offset). */
function logLength(server: RunningServer): number {
  return readFileSync(server.logFile).length;
}

function scavengesSince(server: RunningServer, offset: number, isolates: Set<string>): number {
  const text = readFileSync(server.logFile).subarray(offset).toString('utf8');
  let count = 0;
  for (const match of text.matchAll(ScavengeLine)) {
    count++;
    isolates.add(match[1]);
  }
  return count;
}

interface GcRun {
  round: number;
  label: string;
  scavenges: number;
  requests: number;
  perMillion: number;
}

/** Runs the scavenge count (3 rounds × 5 s, or 1 × 3 s with quick) and checks ours / bare ≤ 1.1; servers are always stopped. */
export async function runGcBench(options: BenchOptions): Promise<BenchResult> {
  const { rounds, durationSec } = options.quick ? Quick : Full;
  const { pinning, log } = await prepareBench('gc');
  const specs = [
    { label: OursLabel, spec: traced(oursSpec({ name: 'mock-upstream-gc' })) },
    { label: BareLabel, spec: traced(benchServerSpec('bare-uws-gc', 'bare-uws.js')) },
  ];
  return withServers(log, async (started) => {
    const servers = await startLabelled(specs, pinning.serverCpu, started, log);
    for (const { server } of servers) {
      await runWrk(loadOptions(server, Route, Mode, WarmupSec, pinning.loadCpu));
      assertRunning(server);
    }
    const isolates = new Map(servers.map(({ label }) => [label, new Set<string>()]));
    const runs: RoundRow[] = [];
    const gcRuns: GcRun[] = [];
    for (let round = 1; round <= rounds; round++) {
      for (const { label, server } of rotated(servers, round)) {
        const offset = logLength(server);
        const run = await runWrk(loadOptions(server, Route, Mode, durationSec, pinning.loadCpu));
        assertRunning(server);
        // --trace-gc writes from the isolate's thread as the GC ends; a moment lets the last lines reach the log.
        await new Promise((resolve) => setTimeout(resolve, 100));
        const scavenges = scavengesSince(server, offset, isolates.get(label) ?? new Set());
        const requests = run.result.requests;
        if (requests === 0) throw new Error(`${run.commandLine} completed no request:\n${run.raw}`);
        const perMillion = (scavenges / requests) * 1e6;
        gcRuns.push({ round, label, scavenges, requests, perMillion });
        runs.push(modeRow(run, Mode, round, label));
        log(`round ${round}/${rounds} ${label.padEnd(14)} ${scavenges} scavenges / ${requests} requests = ${perMillion.toFixed(1)} per million`);
      }
    }
    const perMillion = (label: string): number => median(gcRuns.filter((r) => r.label === label).map((r) => r.perMillion));
    const ours = perMillion(OursLabel);
    const bare = perMillion(BareLabel);
    const ratio = bare > 0 ? ours / bare : Number.POSITIVE_INFINITY;
    const comparisons: Comparison[] = [
      { mode: Mode.name, metric: 'scavenges / 1M req (ours)', ours, reference: bare, value: ours, unit: 'count', budget: null, pass: true },
      { mode: Mode.name, metric: 'scavenges / 1M req (bare)', ours, reference: bare, value: bare, unit: 'count', budget: null, pass: true },
      {
        mode: Mode.name,
        metric: 'ours / bare scavenges per request',
        ours,
        reference: bare,
        ratio,
        budget: Budget,
        bound: 'max',
        pass: ratio <= Budget,
      },
    ];
    const notes = [
      'Per run: ' +
        gcRuns.map((r) => `round ${r.round} ${r.label} ${r.scavenges} scavenges / ${r.requests} requests = ${r.perMillion.toFixed(1)} per million`).join('; ') +
        '.',
      `Isolates that printed scavenges during the measured runs: ${[...isolates].map(([label, set]) => `${label} ${set.size}`).join(', ')}. ` +
        'mock-upstream serves from a worker thread; V8 flags are per process, so --trace-gc covers the worker isolate as well as the main one ' +
        '(checked: a mock-upstream log shows lines from two isolate addresses, the main thread\'s during startup and the worker\'s under load), and both are counted.',
      'Caveat: a scavenge runs when the young generation fills, so the count per request also depends on its size, ' +
        'which V8 may size differently for a worker isolate (mock-upstream) than for a main one (bare uWS); read the ratio as allocation per request only to that extent.',
    ];
    if (bare === 0) notes.push('The bare server did no scavenge during the runs: the ratio is infinite, longer runs are needed.');
    if (options.quick) notes.push('Quick smoke run: one short round, few scavenges, figures are indicative only.');
    return {
      name: 'gc',
      title: `gc: young-generation collections per million \`${Route}\` requests, mock-upstream vs bare uWebSockets.js`,
      method: [
        'Both servers run under `node --trace-gc`, which prints a line per collection to the server log (bench/.work/<name>.log). ' +
          'For each wrk run the bench counts the `Scavenge` lines printed during it and divides by the requests wrk completed; ' +
          'the budget is ours / bare ≤ 1.1 (mock-upstream should allocate no more per request than uWS writing a constant buffer).',
        `CPU pinning: ${pinning.description}. Both servers (mock-upstream with 1 worker) are warmed up with ${WarmupSec} s each, ` +
          `then measured for ${rounds} round${rounds === 1 ? '' : 's'} of ${Mode.connections} keep-alive connections, the order alternating. ` +
          'Figures are medians over the rounds.',
      ],
      rounds,
      durationSec,
      serverCommands: started.map((server) => server.commandLine),
      loadCommands: servers.map(({ server }) => wrkCommandLine(loadOptions(server, Route, Mode, durationSec, pinning.loadCpu))),
      summary: servers.map(({ label }) => summarise(runs, label, Mode.name)),
      comparisons,
      runs,
      notes,
      pass: comparisons.every((c) => c.pass),
    };
  });
}

if (isMain(import.meta.url)) await runAlone('gc', runGcBench);

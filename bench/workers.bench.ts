// mock-upstream with --workers 1 against --workers 2 on /json/valid over
// keep-alive: how much a second worker thread buys on this machine.
// Run alone: node dist/bench/workers.bench.js [--quick]
import { oursSpec, runNotes, summarise, runAlone, withServers, prepareBench } from './lib/common.js';
import { type BenchOptions } from './lib/options.js';
import { isMain } from './lib/paths.js';
import { KeepAlive, measureRounds, planRecord, type Labelled, type LoadMode } from './lib/rounds.js';
import type { BenchResult, Comparison } from './lib/report.js';
import { startServer } from './lib/server.js';

const Route = '/json/valid';
const Modes: readonly LoadMode[] = [KeepAlive];
const Full = { rounds: 3, durationSec: 5 };
const Quick = { rounds: 1, durationSec: 1 };
const WarmupSec = 1;

/** Runs --workers 1 vs --workers 2 (3 rounds × 5 s, or 1 × 1 s with quick), unpinned; servers are always stopped. */
export async function runWorkersBench(options: BenchOptions): Promise<BenchResult> {
  const { rounds, durationSec } = options.quick ? Quick : Full;
  const { log } = await prepareBench('workers');
  return withServers(log, async (started) => {
    const servers: Labelled[] = [];
    for (const workers of [1, 2]) {
      // No pinning: see the method text.
      const server = await startServer(oursSpec({ name: `mock-upstream-w${workers}`, workers }), undefined);
      started.push(server);
      servers.push({ label: `--workers ${workers}`, server });
      log(`started: ${server.commandLine}`);
    }
    const plan = { servers, modes: Modes, route: Route, rounds, durationSec, warmupSec: WarmupSec, cpu: undefined, log };
    const runs = await measureRounds(plan);
    const [one, two] = servers.map(({ label }) => summarise(runs, label, Modes[0].name));
    const ratio = two.requestsPerSec / one.requestsPerSec;
    const comparisons: Comparison[] = [
      { mode: Modes[0].name, metric: '2 workers / 1 worker req/s', ours: two.requestsPerSec, reference: one.requestsPerSec, ratio, budget: null, pass: true },
    ];
    const notes = runNotes([one, two], runs, options.quick);
    return {
      name: 'workers',
      title: `workers: mock-upstream \`--workers 1\` vs \`--workers 2\` on \`${Route}\``,
      method: [
        `Two mock-upstream processes, one with 1 worker thread and one with 2, answer \`GET ${Route}\` over ${Modes[0].connections} keep-alive connections (wrk, 1 thread).`,
        'CPU pinning: none, on purpose. The other benches put the server on CPU 0 and wrk on CPU 1, but pinned to one CPU two workers can only share it, ' +
          'so the bench would measure thread switching, not scaling. Unpinned, the two workers and wrk share the 2 cores: ' +
          'on a 2-core machine the second worker competes with wrk for the second core, so the ratio is a floor of what 2 workers give ' +
          'when the load generator runs elsewhere (as it does in front of a real gateway).',
        `Both servers are started once, warmed up with ${WarmupSec} s each, then measured for ${rounds} round${rounds === 1 ? '' : 's'}, ` +
          'the order alternating between rounds. Figures are medians over the rounds.',
      ],
      ...planRecord(plan),
      summary: [one, two],
      comparisons,
      runs,
      notes,
      pass: true,
    };
  });
}

if (isMain(import.meta.url)) await runAlone('workers', runWorkersBench);

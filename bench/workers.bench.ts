// mock-upstream with --workers 1 against --workers 2 on /json/valid over
// keep-alive: how much a second worker thread buys on this machine.
// Run alone: node dist/bench/workers.bench.js [--quick]
import { oursSpec, stopAll, summarise, runAlone } from './lib/common.js';
import { type BenchOptions } from './lib/options.js';
import { isMain } from './lib/paths.js';
import { installCleanup } from './lib/proc.js';
import { loadCommands, measureRounds, type Labelled, type LoadMode } from './lib/rounds.js';
import type { BenchResult, Comparison } from './lib/report.js';
import { startServer, type RunningServer, type ServerSpec } from './lib/server.js';
import { ensureWrk } from './lib/wrk.js';

const Route = '/json/valid';
const Modes: readonly LoadMode[] = [{ name: 'keep-alive', connections: 64, pipelined: false }];
const Full = { rounds: 3, durationSec: 5 };
const Quick = { rounds: 1, durationSec: 2 };
const WarmupSec = 1;

function workersSpec(workers: number): ServerSpec {
  const base = oursSpec({ name: `mock-upstream-w${workers}` });
  return {
    ...base,
    args: (port) => {
      const args = base.args(port);
      args[args.indexOf('--workers') + 1] = String(workers);
      return args;
    },
  };
}

/** Runs --workers 1 vs --workers 2 (3 rounds × 5 s, or 1 × 2 s with quick), unpinned; servers are always stopped. */
export async function runWorkersBench(options: BenchOptions): Promise<BenchResult> {
  installCleanup();
  const { rounds, durationSec } = options.quick ? Quick : Full;
  await ensureWrk();
  const log = (line: string): void => void process.stderr.write(`[workers] ${line}\n`);
  const started: RunningServer[] = [];
  try {
    const servers: Labelled[] = [];
    for (const workers of [1, 2]) {
      // No pinning: see the method text.
      const server = await startServer(workersSpec(workers), undefined);
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
    const notes: string[] = [];
    if ([one, two].some((row) => row.socketErrors > 0 || row.non2xx > 0)) {
      notes.push('Some runs had socket errors or non-2xx answers (see the errors column): treat those figures with suspicion.');
    }
    if (options.quick) notes.push('Quick smoke run: one short round, figures are indicative only.');
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
      rounds,
      durationSec,
      serverCommands: started.map((server) => server.commandLine),
      loadCommands: loadCommands(plan),
      summary: [one, two],
      comparisons,
      runs,
      notes,
      pass: true,
    };
  } finally {
    await stopAll(started, log);
  }
}

if (isMain(import.meta.url)) await runAlone('workers', runWorkersBench);

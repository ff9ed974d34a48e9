// What request controls cost on the hottest route: /json/valid with controls
// on and no query string (the presence check: a query test and the X-Mock
// header lookup), with a query string that holds no control (the check plus a
// lookup in the per-worker cache of parsed query strings), and with
// --no-request-controls (no check at all),
// which every ratio is taken against.
// Run alone: node dist/bench/controls-cost.bench.js [--quick]
import { oursSpec, runNotes, summarise, runAlone, withServers, prepareBench } from './lib/common.js';
import { type BenchOptions } from './lib/options.js';
import { isMain } from './lib/paths.js';
import { type BenchResult, type Comparison } from './lib/report.js';
import { KeepAlive, Pipelined, measureRounds, planRecord, startLabelled, type Labelled, type LoadMode } from './lib/rounds.js';
import { httpGet, type RunningServer } from './lib/server.js';

interface Target {
  /** Row label. */
  label: string;
  /** Short name in the ratio column. */
  short: string;
  /** Which server answers: started with default flags, or with --no-request-controls. */
  controls: boolean;
  path: string;
}

const Off: Target = { label: 'off (--no-request-controls)', short: 'off', controls: false, path: '/json/valid' };
const Targets: readonly Target[] = [
  { label: 'on, no query', short: 'no query', controls: true, path: '/json/valid' },
  { label: 'on, ?x=1', short: '?x=1', controls: true, path: '/json/valid?x=1' },
  Off,
];

// Pipelined first: it shows per-request costs best, since it strips the round trips that dominate keep-alive.
const Modes: readonly LoadMode[] = [Pipelined, KeepAlive];

// Two rounds: the figures are for the record (no budget), and the whole run must stay under 10 minutes.
const Full = { rounds: 2, durationSec: 5 };
const Quick = { rounds: 1, durationSec: 2 };
// Long enough for V8 to optimise both paths (plain and query) before anything is recorded.
const WarmupSec = 1;

// The reference only means something if the flag really turns controls off,
// and the query run only if ?x=1 is answered like the plain request.
async function checkResponses(on: RunningServer, off: RunningServer): Promise<void> {
  const plain = await httpGet(on.port, '/json/valid', 2_000);
  if (plain.status !== 200) throw new Error(`${on.name} answered GET /json/valid with ${plain.status}`);
  const query = await httpGet(on.port, '/json/valid?x=1', 2_000);
  if (query.status !== 200 || query.body.length !== plain.body.length) {
    throw new Error(`${on.name} answered GET /json/valid?x=1 with ${query.status} and ${query.body.length} bytes, unlike the plain request`);
  }
  const asked = await httpGet(on.port, '/json/valid?status=503', 2_000);
  if (asked.status !== 503) throw new Error(`${on.name} ignored ?status=503 (answered ${asked.status}): request controls look off by default`);
  const ignored = await httpGet(off.port, '/json/valid?status=503', 2_000);
  if (ignored.status !== 200) throw new Error(`${off.name} answered ?status=503 with ${ignored.status}: --no-request-controls did not turn controls off`);
}

/** Runs the request-control cost comparison on /json/valid (3 rounds × 5 s, or 1 × 2 s with quick) and returns its figures; servers are always stopped. */
export async function runControlsCostBench(options: BenchOptions): Promise<BenchResult> {
  const { rounds, durationSec } = options.quick ? Quick : Full;
  const { pinning, log } = await prepareBench('controls-cost');
  const specs = [
    { label: 'on', spec: oursSpec() },
    { label: 'off', spec: oursSpec({ name: 'mock-upstream-no-controls', extraArgs: ['--no-request-controls'] }) },
  ];

  return withServers(log, async (started) => {
    await startLabelled(specs, pinning.serverCpu, started, log);
    const [on, off] = started;
    await checkResponses(on, off);
    // One entry per target: its label, the server that answers it and its path (query included).
    const targets: Labelled[] = Targets.map((target) => ({ label: target.label, server: target.controls ? on : off, route: target.path }));
    // Each round another target goes first, so slow drift (heat, neighbours) is spread over all three.
    const plan = { servers: targets, modes: Modes, rounds, durationSec, warmupSec: WarmupSec, cpu: pinning.loadCpu, log };
    const runs = await measureRounds(plan);

    const summary = Modes.flatMap((mode) => Targets.map((target) => summarise(runs, target.label, mode.name)));
    const rate = (target: Target, mode: LoadMode): number => summarise(runs, target.label, mode.name).requestsPerSec;
    const comparisons: Comparison[] = Modes.flatMap((mode) =>
      Targets.filter((target) => target !== Off).map((target) => {
        const ratio = rate(target, mode) / rate(Off, mode);
        // No budget was set for this cost: the figures are reported for the record.
        return { mode: mode.name, metric: `${target.short} / off req/s`, ours: rate(target, mode), reference: rate(Off, mode), ratio, budget: null, pass: true };
      }),
    );

    const notes = runNotes(summary, runs, options.quick);

    return {
      name: 'controls-cost',
      title: 'controls-cost: request-control parsing on `/json/valid`',
      method: [
        'Two mock-upstream servers (1 worker each): one with default flags, one with `--no-request-controls`. Three targets: ' +
          '*on, no query* is `GET /json/valid` on the default server (it checks for a query string and the X-Mock header, finds neither); ' +
          '*on, ?x=1* is `GET /json/valid?x=1` there (the check finds a query string, finds it in the per-worker cache of parsed query strings, parsed with URLSearchParams the first time, and finds no control); ' +
          '*off* is `GET /json/valid` on the `--no-request-controls` server (no check). Ratios are req/s against *off*; no budget is set, the figures are for the record.',
        `CPU pinning: ${pinning.description}. Both servers are started once, checked (?status=503 honoured by one and ignored by the other), ` +
          `warmed up with ${WarmupSec} s of each target and mode, then measured for ${rounds} round${rounds === 1 ? '' : 's'}; ` +
          'each round runs every target back to back per mode, a different target first each round. Figures are medians over the rounds, errors are summed.',
        'Latency percentiles: keep-alive ones are wrk\'s own; pipelined ones are per batch of 16, recomputed from bench/lua/pipeline.lua\'s histogram (see json-valid).',
      ],
      ...planRecord(plan),
      summary,
      comparisons,
      runs,
      notes,
      pass: true,
    };
  });
}

if (isMain(import.meta.url)) await runAlone('controls-cost', runControlsCostBench);

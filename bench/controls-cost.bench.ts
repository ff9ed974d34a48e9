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
import { type BenchResult, type Comparison, type RoundRow, type Row } from './lib/report.js';
import { KeepAlive, Pipelined, measureShared, medianRoundRatio, planRecord, sharedMethod, sharedModeName, startLabelled, type Labelled, type LoadMode } from './lib/rounds.js';
import { httpGet, type RunningServer } from './lib/server.js';

interface Target {
  /** Row label. */
  label: string;
  /** Short name in the ratio column. */
  short: string;
  /** Which server answers: default flags, --mock-headers, or --no-request-controls. */
  server: 'on' | 'named' | 'off' | 'scenarios';
  path: string;
}

const Off: Target = { label: 'off (--no-request-controls)', short: 'off', server: 'off', path: '/json/valid' };
const Targets: readonly Target[] = [
  { label: 'on, no query', short: 'no query', server: 'on', path: '/json/valid' },
  { label: 'on, ?x=1', short: '?x=1', server: 'on', path: '/json/valid?x=1' },
  { label: 'on, --mock-headers', short: '--mock-headers', server: 'named', path: '/json/valid' },
  // The plain request on a server whose shared scenario table holds Scenarios sequences (docs/scenarios.md):
  // the plain path never reads the table, nor Server-Timing's clock, so this row should match "no query".
  { label: 'on, no query, scenarios in use', short: 'no query + scenarios', server: 'scenarios', path: '/json/valid' },
  // A fault control that never fires (0 %): the cached query, one draw, then the ordinary answer.
  { label: 'on, ?fault=reset:0', short: 'fault=reset:0', server: 'on', path: '/json/valid?fault=reset:0' },
  Off,
];

// Pipelined first: it shows per-request costs best, since it strips the round trips that dominate keep-alive.
const Modes: readonly LoadMode[] = [Pipelined, KeepAlive];

/** Scenarios (key + sequence) claimed on the scenarios server before measuring. */
const Scenarios = 256;

// Each round loads one target beside the reference at the same time (shared CPU), per pair and mode.
const Full = { rounds: 3, durationSec: 5 };
const Quick = { rounds: 1, durationSec: 1 };
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

// Claim Scenarios slots of the shared table, each advanced once, and check they are listed.
async function fillScenarios(server: RunningServer): Promise<void> {
  for (let i = 0; i < Scenarios; i++) {
    const r = await httpGet(server.port, `/json/valid?status=503x3,200&key=bench-${i}`, 2_000);
    if (r.status !== 503) throw new Error(`${server.name} answered the first request of a 503x3,200 scenario with ${r.status}`);
  }
  const listed = await httpGet(server.port, '/__mock/scenarios', 2_000);
  const count = (JSON.parse(listed.body.toString()) as { count: number }).count;
  if (count !== Scenarios) throw new Error(`${server.name} lists ${count} scenarios, ${Scenarios} expected`);
}

/** Runs the request-control cost comparison on /json/valid (3 shared rounds × 5 s per pair and mode, or 1 × 1 s with quick) and returns its figures; servers are always stopped. */
export async function runControlsCostBench(options: BenchOptions): Promise<BenchResult> {
  const { rounds, durationSec } = options.quick ? Quick : Full;
  const { pinning, log } = await prepareBench('controls-cost');
  const specs = [
    { label: 'on', spec: oursSpec() },
    { label: 'off', spec: oursSpec({ name: 'mock-upstream-no-controls', extraArgs: ['--no-request-controls'] }) },
    { label: 'named', spec: oursSpec({ name: 'mock-upstream-mock-headers', extraArgs: ['--mock-headers'] }) },
    { label: 'scenarios', spec: oursSpec({ name: 'mock-upstream-scenarios' }) },
  ];

  return withServers(log, async (started) => {
    await startLabelled(specs, pinning.serverCpu, started, log);
    const [on, off, named, scenarios] = started;
    const servers = { on, off, named, scenarios };
    await checkResponses(on, off);
    await fillScenarios(scenarios);
    // One entry per target: its label, the server that answers it and its path (query included).
    const targets: Labelled[] = Targets.map((target) => ({ label: target.label, server: servers[target.server], route: target.path }));
    const plan = { servers: targets, modes: Modes, rounds, durationSec, warmupSec: WarmupSec, cpu: pinning.loadCpu, log };
    // Each target is measured beside the reference, both loaded at once on the shared server CPU: back-to-back
    // runs on this kind of machine differ by ±15 %, more than the costs measured here.
    const runs: RoundRow[] = [];
    const summary: Row[] = [];
    const comparisons: Comparison[] = [];
    for (const mode of Modes) {
      const name = sharedModeName(mode);
      for (const target of Targets.filter((t) => t !== Off)) {
        const offLabel = `${Off.label} beside ${target.short}`;
        const pair: Labelled[] = [targets[Targets.indexOf(target)], { label: offLabel, server: off, route: Off.path }];
        const rows = await measureShared({ ...plan, servers: pair }, mode);
        runs.push(...rows);
        const [mine, reference] = [summarise(rows, target.label, name), summarise(rows, offLabel, name)];
        summary.push(mine, reference);
        // No budget was set for this cost: the figures are reported for the record.
        comparisons.push({
          mode: name, metric: `${target.short} / off req/s (median of per-round ratios)`, ours: mine.requestsPerSec, reference: reference.requestsPerSec,
          ratio: medianRoundRatio(rows, name, target.label, offLabel), budget: null, pass: true,
        });
      }
    }

    const notes = runNotes(summary, runs, options.quick);

    return {
      name: 'controls-cost',
      title: 'controls-cost: request-control parsing on `/json/valid`',
      method: [
        'Four mock-upstream servers (1 worker each): default flags (twice), `--no-request-controls` and `--mock-headers`. Five targets: ' +
          '*on, no query* is `GET /json/valid` on the default server (it checks for a query string and the X-Mock header, finds neither); ' +
          '*on, ?x=1* is `GET /json/valid?x=1` there (the check finds a query string, finds it in the per-worker cache of parsed query strings, parsed with URLSearchParams the first time, and finds no control); ' +
          '*on, --mock-headers* is `GET /json/valid` on a third server started with `--mock-headers` (the check also looks up the five X-Mock-<Name> headers); ' +
          `*on, no query, scenarios in use* is \`GET /json/valid\` on a fourth default server whose shared scenario table holds ${Scenarios} keyed sequences (docs/scenarios.md): the plain path must not pay for them; ` +
          '*off* is `GET /json/valid` on the `--no-request-controls` server (no check). Ratios are req/s against *off*; no budget is set, the figures are for the record.',
        `CPU pinning: ${pinning.description}. The servers are started once and checked (?status=503 honoured with controls on, ignored with them off). ` +
          `Then, per mode, each *on* target is loaded beside *off* for ${rounds} round${rounds === 1 ? '' : 's'} after ${WarmupSec} s of warm-up.`,
        sharedMethod(durationSec, 'target / off'),
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

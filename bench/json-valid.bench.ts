// mock-upstream's /json/valid against a bare uWebSockets.js server sending the
// same bytes: the ratio is the cost of everything mock-upstream adds (routing,
// precomputed responses, logging, admin) on the hottest go-bench-suite route.
// Run alone: node dist/bench/json-valid.bench.js [--quick]
import { benchServerSpec, oursSpec, runNotes, summarise, runAlone, withServers, prepareBench } from './lib/common.js';
import { type BenchOptions } from './lib/options.js';
import { isMain } from './lib/paths.js';
import { type BenchResult, type Comparison, type RoundRow } from './lib/report.js';
import { KeepAlive, Pipelined, measureRounds, measureShared, medianRoundRatio, planRecord, sharedMethod, sharedModeName, startLabelled, type LoadMode } from './lib/rounds.js';
import { httpGet, type HttpResult, type RunningServer, type ServerSpec } from './lib/server.js';

const Route = '/json/valid';
const OursLabel = 'mock-upstream';
const BareLabel = 'bare uWS';

interface Mode extends LoadMode {
  /** Minimum ours/bare ratio in requests per second. */
  budget: number;
}

// Back-to-back runs are reported for their absolute figures; the budgets are judged on the shared-CPU
// rounds (rounds.ts: measureShared), which this machine's noise does not swamp.
const Modes: readonly Mode[] = [
  { ...KeepAlive, budget: 0.95 },
  { ...Pipelined, budget: 0.85 },
];
// Below this, the two servers did not use the whole CPU between them in the shared rounds (the
// back-to-back figures it is computed from move by ±15 %, so the margin is wide).
const MinCpuShare = 0.75;

const Full = { rounds: 3, durationSec: 5 };
const Quick = { rounds: 1, durationSec: 1 };
// Long enough for V8 to optimise the hot path before anything is recorded.
const WarmupSec = 1;

/** Options of runJsonValidBench. */
export interface JsonValidOptions extends BenchOptions {
  /** Stands in for the mock-upstream CLI, to work on the rig without the real server. */
  ours?: ServerSpec;
}

function header(res: HttpResult, name: string): string {
  const value = res.headers[name];
  return Array.isArray(value) ? value.join(', ') : (value ?? '');
}

// A benchmark of a 404 or of a different payload would be meaningless, so both
// servers must answer the route, and like-for-like bodies are checked.
async function checkResponses(ours: RunningServer, bare: RunningServer): Promise<string[]> {
  const notes: string[] = [];
  const answers: HttpResult[] = [];
  for (const server of [ours, bare]) {
    const res = await httpGet(server.port, Route, 2_000);
    if (res.status !== 200) {
      throw new Error(`${server.name} answered GET ${Route} with ${res.status}: ${res.body.toString('utf8').slice(0, 200)}`);
    }
    if (!header(res, 'content-type').startsWith('application/json')) {
      throw new Error(`${server.name} answered GET ${Route} with Content-Type ${JSON.stringify(header(res, 'content-type'))}, expected application/json`);
    }
    answers.push(res);
  }
  const [oursRes, bareRes] = answers;
  if (oursRes.body.length !== bareRes.body.length) {
    notes.push(
      `Body sizes differ: ${OursLabel} sends ${oursRes.body.length} bytes, ${BareLabel} ${bareRes.body.length} bytes; the comparison is not like for like.`,
    );
  }
  const extra = Object.keys(oursRes.headers).filter((name) => !(name in bareRes.headers));
  if (extra.length > 0) notes.push(`Headers only ${OursLabel} sends: ${extra.join(', ')}.`);
  return notes;
}

/** Runs the /json/valid comparison (3 rounds × 5 s, or 1 × 1 s with quick) and returns its figures; servers are always stopped. */
export async function runJsonValidBench(options: JsonValidOptions): Promise<BenchResult> {
  const { rounds, durationSec } = options.quick ? Quick : Full;
  const { pinning, log } = await prepareBench('json-valid');
  const specs = [
    { label: OursLabel, spec: options.ours ?? oursSpec() },
    { label: BareLabel, spec: benchServerSpec('bare-uws', 'bare-uws.js') },
  ];

  return withServers(log, async (started) => {
    const servers = await startLabelled(specs, pinning.serverCpu, started, log);
    const [ours, bare] = started;
    const notes = await checkResponses(ours, bare);
    // Rounds alternate who goes first, which spreads slow drift (heat, neighbours) over both servers.
    const plan = { servers, modes: Modes, route: Route, rounds, durationSec, warmupSec: WarmupSec, cpu: pinning.loadCpu, log };
    const sequential = await measureRounds(plan);
    const shared: RoundRow[] = [];
    for (const mode of Modes) shared.push(...(await measureShared(plan, mode)));
    const runs = [...sequential, ...shared];

    const modeNames = [...Modes.map((m) => m.name), ...Modes.map((m) => sharedModeName(m))];
    const summary = modeNames.flatMap((mode) => [summarise(runs, OursLabel, mode), summarise(runs, BareLabel, mode)]);
    // Back to back: reported without a budget.
    const comparisons: Comparison[] = Modes.map((mode) => {
      const oursRate = summarise(runs, OursLabel, mode.name).requestsPerSec;
      const bareRate = summarise(runs, BareLabel, mode.name).requestsPerSec;
      return { mode: mode.name, ours: oursRate, reference: bareRate, ratio: oursRate / bareRate, budget: null, pass: true };
    });
    for (const mode of Modes) {
      const sharedName = sharedModeName(mode);
      const ratio = medianRoundRatio(shared, sharedName, OursLabel, BareLabel);
      comparisons.push({
        mode: sharedName,
        metric: 'ours / bare (median of per-round ratios)',
        ours: summarise(runs, OursLabel, sharedName).requestsPerSec,
        reference: summarise(runs, BareLabel, sharedName).requestsPerSec,
        ratio,
        budget: mode.budget,
        pass: ratio >= mode.budget,
      });
      // Each server alone has the CPU; sharing it, their rates should add up to one CPU's worth.
      const share = [OursLabel, BareLabel].reduce((sum, label) =>
        sum + summarise(runs, label, sharedName).requestsPerSec / summarise(runs, label, mode.name).requestsPerSec, 0);
      if (share < MinCpuShare) {
        notes.push(`In the ${sharedName} rounds the servers used only ${(share * 100).toFixed(0)} % of their CPU between them (wrk may have been the bottleneck): that ratio understates the difference.`);
      }
    }
    if (pinning.serverCpu === undefined) notes.push('Without CPU pinning the shared rounds do not split one CPU between the servers: their ratios are only indicative.');

    notes.push(...runNotes(summary, runs, options.quick));

    return {
      name: 'json-valid',
      title: `json-valid: mock-upstream \`${Route}\` vs bare uWebSockets.js`,
      method: [
        `Both servers answer \`GET ${Route}\` with a ${'`'}{"time": …}${'`'} body of the same size and \`Content-Type: application/json\`; ` +
          `the bare one is uWebSockets.js writing a precomputed buffer (bench/servers/bare-uws.ts), so ours / bare is what mock-upstream costs on top of uWS.`,
        `CPU pinning: ${pinning.description}. Both servers are started once (mock-upstream with 1 worker), checked, warmed up with ${WarmupSec} s of each mode, ` +
          `then measured for ${rounds} round${rounds === 1 ? '' : 's'}; each round runs every mode against both servers back to back, the order alternating between rounds. ` +
          'Figures are medians over the rounds, errors are summed.',
        sharedMethod(durationSec, 'ours / bare'),
        'Latency percentiles: keep-alive ones are wrk\'s own. Pipelined ones are per batch of 16 (write of the batch to the 16th response), ' +
          'recomputed from the histogram bench/lua/pipeline.lua prints, because wrk 4.x applies its coordinated-omission correction per response ' +
          'instead of per batch and prints wrong pipelined percentiles (often 0.00us, wg/wrk#236).',
      ],
      ...planRecord(plan),
      summary,
      comparisons,
      runs,
      notes,
      pass: comparisons.every((c) => c.pass),
    };
  });
}

if (isMain(import.meta.url)) await runAlone('json-valid', runJsonValidBench);

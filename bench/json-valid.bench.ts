// mock-upstream's /json/valid against a bare uWebSockets.js server sending the
// same bytes: the ratio is the cost of everything mock-upstream adds (routing,
// precomputed responses, logging, admin) on the hottest go-bench-suite route.
// Run alone: node dist/bench/json-valid.bench.js [--quick]
import { assertRunning, benchServerSpec, oursSpec, stopAll, summarise, runAlone } from './lib/common.js';
import { decidePinning } from './lib/cpu.js';
import { type BenchOptions } from './lib/options.js';
import { isMain } from './lib/paths.js';
import { installCleanup } from './lib/proc.js';
import { formatLatency, formatRate, type BenchResult, type Comparison, type RoundRow } from './lib/report.js';
import { httpGet, startServer, type HttpResult, type RunningServer, type ServerSpec } from './lib/server.js';
import { ensureWrk, pipelineScript, runWrk, wrkCommandLine, type WrkOptions } from './lib/wrk.js';

const Route = '/json/valid';
const OursLabel = 'mock-upstream';
const BareLabel = 'bare uWS';

interface Mode {
  name: string;
  connections: number;
  pipelined: boolean;
  /** Minimum ours/bare ratio in requests per second. */
  budget: number;
}

const Modes: readonly Mode[] = [
  { name: 'keep-alive', connections: 64, pipelined: false, budget: 0.95 },
  { name: 'pipelined ×16', connections: 16, pipelined: true, budget: 0.85 },
];

const Full = { rounds: 3, durationSec: 5 };
const Quick = { rounds: 1, durationSec: 2 };
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

function wrkOptions(server: RunningServer, mode: Mode, durationSec: number, cpu: string | undefined): WrkOptions {
  return {
    url: server.url(Route),
    threads: 1,
    connections: mode.connections,
    durationSec,
    ...(mode.pipelined ? { script: pipelineScript() } : {}),
    ...(cpu === undefined ? {} : { cpu }),
  };
}

function label(server: RunningServer, ours: RunningServer): string {
  return server === ours ? OursLabel : BareLabel;
}

/** Runs the /json/valid comparison (3 rounds × 5 s, or 1 × 2 s with quick) and returns its figures; servers are always stopped. */
export async function runJsonValidBench(options: JsonValidOptions): Promise<BenchResult> {
  installCleanup();
  const { rounds, durationSec } = options.quick ? Quick : Full;
  await ensureWrk();
  const pinning = decidePinning();
  const specs = [options.ours ?? oursSpec(), benchServerSpec('bare-uws', 'bare-uws.js')];
  const log = (line: string): void => void process.stderr.write(`[json-valid] ${line}\n`);

  const started: RunningServer[] = [];
  try {
    for (const spec of specs) {
      started.push(await startServer(spec, pinning.serverCpu));
      log(`started ${spec.name}: ${started[started.length - 1].commandLine}`);
    }
    const [ours, bare] = started;
    const notes = await checkResponses(ours, bare);

    for (const server of [ours, bare]) {
      for (const mode of Modes) {
        await runWrk(wrkOptions(server, mode, WarmupSec, pinning.loadCpu));
        assertRunning(server);
      }
    }
    log(`warmed up (${WarmupSec} s per server and mode)`);

    const runs: RoundRow[] = [];
    for (let round = 1; round <= rounds; round++) {
      // Alternating who goes first spreads slow drift (heat, neighbours) over both servers.
      const order = round % 2 === 1 ? [ours, bare] : [bare, ours];
      for (const mode of Modes) {
        for (const server of order) {
          const run = await runWrk(wrkOptions(server, mode, durationSec, pinning.loadCpu));
          assertRunning(server);
          if (run.result.requests === 0) throw new Error(`${run.commandLine} completed no request:\n${run.raw}`);
          const { socketErrors: s } = run.result;
          const row: RoundRow = {
            round,
            server: label(server, ours),
            mode: mode.name,
            command: run.commandLine,
            requestsPerSec: run.result.requestsPerSec,
            p50Ms: mode.pipelined ? (run.pipelined?.p50Ms ?? null) : run.result.p50Ms,
            p99Ms: mode.pipelined ? (run.pipelined?.p99Ms ?? null) : run.result.p99Ms,
            socketErrors: s.connect + s.read + s.write + s.timeout,
            non2xx: run.result.non2xx,
          };
          runs.push(row);
          log(
            `round ${round}/${rounds} ${row.server.padEnd(13)} ${mode.name.padEnd(13)} ${formatRate(row.requestsPerSec).padStart(9)} req/s` +
              `  p50 ${formatLatency(row.p50Ms)}  p99 ${formatLatency(row.p99Ms)}`,
          );
        }
      }
    }

    const summary = Modes.flatMap((mode) => [summarise(runs, OursLabel, mode.name), summarise(runs, BareLabel, mode.name)]);
    const comparisons: Comparison[] = Modes.map((mode) => {
      const oursRate = summarise(runs, OursLabel, mode.name).requestsPerSec;
      const bareRate = summarise(runs, BareLabel, mode.name).requestsPerSec;
      const ratio = oursRate / bareRate;
      return { mode: mode.name, ours: oursRate, reference: bareRate, ratio, budget: mode.budget, pass: ratio >= mode.budget };
    });

    if (summary.some((row) => row.socketErrors > 0 || row.non2xx > 0)) {
      notes.push('Some runs had socket errors or non-2xx answers (see the errors column): treat those figures with suspicion.');
    }
    if (runs.some((run) => run.p50Ms === null)) {
      notes.push(
        'n/a: a pipelined run printed no usable latency histogram (skipped after a stall of roughly 100 ms or more, see bench/lua/pipeline.lua); ' +
          'medians use the other rounds.',
      );
    }
    if (options.quick) notes.push('Quick smoke run: one short round, figures are indicative only.');

    const commandsFor = (server: RunningServer): string[] => Modes.map((mode) => wrkCommandLine(wrkOptions(server, mode, durationSec, pinning.loadCpu)));
    return {
      name: 'json-valid',
      title: `json-valid: mock-upstream \`${Route}\` vs bare uWebSockets.js`,
      method: [
        `Both servers answer \`GET ${Route}\` with a ${'`'}{"time": …}${'`'} body of the same size and \`Content-Type: application/json\`; ` +
          `the bare one is uWebSockets.js writing a precomputed buffer (bench/servers/bare-uws.ts), so ours / bare is what mock-upstream costs on top of uWS.`,
        `CPU pinning: ${pinning.description}. Both servers are started once (mock-upstream with 1 worker), checked, warmed up with ${WarmupSec} s of each mode, ` +
          `then measured for ${rounds} round${rounds === 1 ? '' : 's'}; each round runs every mode against both servers back to back, the order alternating between rounds. ` +
          'Figures are medians over the rounds, errors are summed.',
        'Latency percentiles: keep-alive ones are wrk\'s own. Pipelined ones are per batch of 16 (write of the batch to the 16th response), ' +
          'recomputed from the histogram bench/lua/pipeline.lua prints, because wrk 4.x applies its coordinated-omission correction per response ' +
          'instead of per batch and prints wrong pipelined percentiles (often 0.00us, wg/wrk#236).',
      ],
      rounds,
      durationSec,
      serverCommands: [ours.commandLine, bare.commandLine],
      loadCommands: [...commandsFor(ours), ...commandsFor(bare)],
      summary,
      comparisons,
      runs,
      notes,
      pass: comparisons.every((c) => c.pass),
    };
  } finally {
    await stopAll(started, log);
  }
}

if (isMain(import.meta.url)) await runAlone('json-valid', runJsonValidBench);

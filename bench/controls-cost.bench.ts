// What request controls cost on the hottest route: /json/valid with controls
// on and no query string (the presence check: a query test and five header
// lookups), with a query string that holds no control (the check plus a
// URLSearchParams parse), and with --no-request-controls (no check at all),
// which every ratio is taken against.
// Run alone: node dist/bench/controls-cost.bench.js [--quick]
import { assertRunning, oursSpec, rotated, stopAll, summarise, runAlone } from './lib/common.js';
import { decidePinning } from './lib/cpu.js';
import { type BenchOptions } from './lib/options.js';
import { isMain } from './lib/paths.js';
import { installCleanup } from './lib/proc.js';
import { formatLatency, formatRate, type BenchResult, type Comparison, type RoundRow } from './lib/report.js';
import { httpGet, startServer, type RunningServer } from './lib/server.js';
import { ensureWrk, pipelineScript, runWrk, wrkCommandLine, type WrkOptions } from './lib/wrk.js';

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

interface Mode {
  name: string;
  connections: number;
  pipelined: boolean;
}

// Pipelined first: it shows per-request costs best, since it strips the round trips that dominate keep-alive.
const Modes: readonly Mode[] = [
  { name: 'pipelined ×16', connections: 16, pipelined: true },
  { name: 'keep-alive', connections: 64, pipelined: false },
];

const Full = { rounds: 3, durationSec: 5 };
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

function wrkOptions(server: RunningServer, target: Target, mode: Mode, durationSec: number, cpu: string | undefined): WrkOptions {
  return {
    // wrk sends everything after the authority as the request target, query included (pipeline.lua too).
    url: server.url(target.path),
    threads: 1,
    connections: mode.connections,
    durationSec,
    ...(mode.pipelined ? { script: pipelineScript() } : {}),
    ...(cpu === undefined ? {} : { cpu }),
  };
}

/** Runs the request-control cost comparison on /json/valid (3 rounds × 5 s, or 1 × 2 s with quick) and returns its figures; servers are always stopped. */
export async function runControlsCostBench(options: BenchOptions): Promise<BenchResult> {
  installCleanup();
  const { rounds, durationSec } = options.quick ? Quick : Full;
  await ensureWrk();
  const pinning = decidePinning();
  const log = (line: string): void => void process.stderr.write(`[controls-cost] ${line}\n`);

  const started: RunningServer[] = [];
  try {
    for (const spec of [oursSpec(), oursSpec({ name: 'mock-upstream-no-controls', extraArgs: ['--no-request-controls'] })]) {
      started.push(await startServer(spec, pinning.serverCpu));
      log(`started ${spec.name}: ${started[started.length - 1].commandLine}`);
    }
    const [on, off] = started;
    const serverOf = (target: Target): RunningServer => (target.controls ? on : off);
    await checkResponses(on, off);

    for (const target of Targets) {
      for (const mode of Modes) {
        await runWrk(wrkOptions(serverOf(target), target, mode, WarmupSec, pinning.loadCpu));
        assertRunning(serverOf(target));
      }
    }
    log(`warmed up (${WarmupSec} s per target and mode)`);

    const runs: RoundRow[] = [];
    for (let round = 1; round <= rounds; round++) {
      for (const mode of Modes) {
        // Each round another target goes first, so slow drift (heat, neighbours) is spread over all three.
        for (const target of rotated(Targets, round)) {
          const server = serverOf(target);
          const run = await runWrk(wrkOptions(server, target, mode, durationSec, pinning.loadCpu));
          assertRunning(server);
          if (run.result.requests === 0) throw new Error(`${run.commandLine} completed no request:\n${run.raw}`);
          const { socketErrors: s } = run.result;
          const row: RoundRow = {
            round,
            server: target.label,
            mode: mode.name,
            command: run.commandLine,
            requestsPerSec: run.result.requestsPerSec,
            // Pipelined percentiles per batch, as json-valid reports them (wrk's own are wrong there, wg/wrk#236).
            p50Ms: mode.pipelined ? (run.pipelined?.p50Ms ?? null) : run.result.p50Ms,
            p99Ms: mode.pipelined ? (run.pipelined?.p99Ms ?? null) : run.result.p99Ms,
            socketErrors: s.connect + s.read + s.write + s.timeout,
            non2xx: run.result.non2xx,
          };
          runs.push(row);
          log(
            `round ${round}/${rounds} ${row.server.padEnd(27)} ${mode.name.padEnd(13)} ${formatRate(row.requestsPerSec).padStart(9)} req/s` +
              `  p50 ${formatLatency(row.p50Ms)}  p99 ${formatLatency(row.p99Ms)}`,
          );
        }
      }
    }

    const summary = Modes.flatMap((mode) => Targets.map((target) => summarise(runs, target.label, mode.name)));
    const rate = (target: Target, mode: Mode): number => summarise(runs, target.label, mode.name).requestsPerSec;
    const comparisons: Comparison[] = Modes.flatMap((mode) =>
      Targets.filter((target) => target !== Off).map((target) => {
        const ratio = rate(target, mode) / rate(Off, mode);
        // No budget was set for this cost: the figures are reported for the record.
        return { mode: mode.name, metric: `${target.short} / off req/s`, ours: rate(target, mode), reference: rate(Off, mode), ratio, budget: null, pass: true };
      }),
    );

    const notes: string[] = [];
    if (summary.some((row) => row.socketErrors > 0 || row.non2xx > 0)) {
      notes.push('Some runs had socket errors or non-2xx answers (see the errors column): treat those figures with suspicion.');
    }
    if (runs.some((run) => run.p50Ms === null)) {
      notes.push('n/a: a pipelined run printed no usable latency histogram (see bench/lua/pipeline.lua); medians use the other rounds.');
    }
    if (options.quick) notes.push('Quick smoke run: one short round, figures are indicative only.');

    return {
      name: 'controls-cost',
      title: 'controls-cost: request-control parsing on `/json/valid`',
      method: [
        'Two mock-upstream servers (1 worker each): one with default flags, one with `--no-request-controls`. Three targets: ' +
          '*on, no query* is `GET /json/valid` on the default server (it checks for a query string and the X-Mock header, finds neither); ' +
          '*on, ?x=1* is `GET /json/valid?x=1` there (the check finds a query string, parses it with URLSearchParams and finds no control); ' +
          '*off* is `GET /json/valid` on the `--no-request-controls` server (no check). Ratios are req/s against *off*; no budget is set, the figures are for the record.',
        `CPU pinning: ${pinning.description}. Both servers are started once, checked (?status=503 honoured by one and ignored by the other), ` +
          `warmed up with ${WarmupSec} s of each target and mode, then measured for ${rounds} round${rounds === 1 ? '' : 's'}; ` +
          'each round runs every target back to back per mode, a different target first each round. Figures are medians over the rounds, errors are summed.',
        'Latency percentiles: keep-alive ones are wrk\'s own; pipelined ones are per batch of 16, recomputed from bench/lua/pipeline.lua\'s histogram (see json-valid).',
      ],
      rounds,
      durationSec,
      serverCommands: [on.commandLine, off.commandLine],
      loadCommands: Targets.flatMap((target) =>
        Modes.map((mode) => wrkCommandLine(wrkOptions(serverOf(target), target, mode, durationSec, pinning.loadCpu))),
      ),
      summary,
      comparisons,
      runs,
      notes,
      pass: true,
    };
  } finally {
    await stopAll(started, log);
  }
}

if (isMain(import.meta.url)) await runAlone('controls-cost', runControlsCostBench);

// Large bodies: mock-upstream's /size/1MB, streamed from one precomputed
// buffer with tryEnd/onWritable backpressure, against nginx sending the same
// 1 MiB from a static file with sendfile (zero copy), the usual yardstick for
// pushing bytes. The figure is bytes per second over keep-alive connections.
// Run alone: node dist/bench/large-body.bench.js [--quick]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeFiller } from '../src/http/filler.js';
import { oursSpec, runNotes, summarise, runAlone, withServers, prepareBench } from './lib/common.js';
import { nginxDir, nginxSpec } from './lib/nginx.js';
import { type BenchOptions } from './lib/options.js';
import { fromRoot, isMain } from './lib/paths.js';
import { type BenchResult, type Comparison } from './lib/report.js';
import { measureRounds, measureShared, medianRoundRatio, planRecord, sharedMethod, sharedModeName, startLabelled, type LoadMode } from './lib/rounds.js';
import { httpGet, type RunningServer, type ServerSpec } from './lib/server.js';

// nginx serves a file at the same path, so both load commands differ only in the port.
const Route = '/size/1MB';
const BodyBytes = 1024 * 1024;
const OursLabel = 'mock-upstream';
const NginxLabel = 'nginx (sendfile)';
const NginxName = 'nginx';
// Exact bytes read (bench/lua/summary.lua): wrk prints Transfer/sec rounded to 2 decimals of GB.
const Mode: LoadMode = { name: 'keep-alive ×32', connections: 32, pipelined: false, summary: true };
/** Minimum ours/nginx ratio in bytes per second. */
const Budget = 0.9;

const Full = { rounds: 3, durationSec: 5 };
const Quick = { rounds: 1, durationSec: 1 };
const WarmupSec = 1;

// nginx at its best for static files: sendfile (zero copy), full packets with
// the headers in the first one, and its usual access log.
async function largeBodyNginxSpec(): Promise<ServerSpec> {
  const root = join(nginxDir(NginxName), 'www');
  mkdirSync(join(root, 'size'), { recursive: true });
  // The same bytes as mock-upstream's body, so the two answers differ only in headers.
  writeFileSync(join(root, 'size', '1MB'), makeFiller(BodyBytes));
  return nginxSpec({
    name: NginxName,
    readyPath: Route,
    accessLog: true,
    // No MIME table: an extensionless file is text/plain, as mock-upstream sends.
    httpLines: () => ['sendfile on;', 'tcp_nopush on;', 'default_type text/plain;'],
    serverLines: () => [`root ${root};`],
  });
}

// A bandwidth comparison is meaningless unless both send the same 1 MiB.
async function checkResponses(ours: RunningServer, nginx: RunningServer): Promise<string[]> {
  const bodies: Buffer[] = [];
  for (const server of [ours, nginx]) {
    const res = await httpGet(server.port, Route, 5_000);
    if (res.status !== 200) throw new Error(`${server.name} answered GET ${Route} with ${res.status}: ${res.body.toString('utf8').slice(0, 200)}`);
    if (res.body.length !== BodyBytes) throw new Error(`${server.name} answered GET ${Route} with ${res.body.length} bytes, expected ${BodyBytes}`);
    bodies.push(res.body);
  }
  return bodies[0].equals(bodies[1]) ? [] : ['The two bodies have the same length but different bytes.'];
}

/** Runs the /size/1MB vs nginx bandwidth comparison (3 rounds × 5 s, or 1 × 1 s with quick) and returns its figures; servers are always stopped. */
export async function runLargeBodyBench(options: BenchOptions): Promise<BenchResult> {
  const { rounds, durationSec } = options.quick ? Quick : Full;
  const { pinning, log } = await prepareBench('large-body');

  return withServers(log, async (started) => {
    const specs = [
      { label: OursLabel, spec: oursSpec() },
      { label: NginxLabel, spec: await largeBodyNginxSpec() },
    ];
    const servers = await startLabelled(specs, pinning.serverCpu, started, log);
    const [ours, nginx] = started;
    const notes = await checkResponses(ours, nginx);
    // The order alternates between rounds.
    const plan = { servers, modes: [Mode], route: Route, rounds, durationSec, warmupSec: WarmupSec, cpu: pinning.loadCpu, log };
    const sequential = await measureRounds(plan);
    // The budget is judged on shared-CPU rounds: back-to-back runs on this machine differ by ±15 %.
    const shared = await measureShared(plan, Mode);
    const runs = [...sequential, ...shared];
    const sharedName = sharedModeName(Mode);

    const summary = [Mode.name, sharedName].flatMap((mode) => [summarise(runs, OursLabel, mode), summarise(runs, NginxLabel, mode)]);
    const bytesOf = (mode: string, label: string): number => summarise(runs, label, mode).bytesPerSec ?? Number.NaN;
    const ratio = medianRoundRatio(shared, sharedName, OursLabel, NginxLabel, (row) => row.bytesPerSec ?? Number.NaN);
    const comparisons: Comparison[] = [
      { mode: Mode.name, metric: 'ours / nginx MB/s', ours: bytesOf(Mode.name, OursLabel), reference: bytesOf(Mode.name, NginxLabel),
        ratio: bytesOf(Mode.name, OursLabel) / bytesOf(Mode.name, NginxLabel), budget: null, pass: true },
      { mode: sharedName, metric: 'ours / nginx MB/s (median of per-round ratios)', ours: bytesOf(sharedName, OursLabel), reference: bytesOf(sharedName, NginxLabel),
        ratio, budget: Budget, pass: ratio >= Budget },
    ];
    notes.push(...runNotes(summary, runs, options.quick));

    return {
      name: 'large-body',
      title: `large-body: mock-upstream \`${Route}\` vs nginx serving a 1 MiB file`,
      method: [
        `Both servers answer \`GET ${Route}\` with the same 1 MiB (${BodyBytes} bytes) of letters as text/plain over ${Mode.connections} keep-alive connections. ` +
          'mock-upstream (1 worker) streams them from its precomputed buffer in 64 KiB tryEnd chunks with backpressure; ' +
          `nginx (1 worker, \`sendfile on\`, \`tcp_nopush on\`, config written to ${fromRoot(join(nginxDir(NginxName), 'nginx.conf'))}) sends a static file without copying it through user space.`,
        'MB/s is 10⁶ bytes read by wrk per second, headers included (a few hundred bytes against 1 MiB of body; nginx sends more of them), ' +
          'counted exactly by bench/lua/summary.lua. The budget is ours / nginx.',
        `CPU pinning: ${pinning.description}. Both servers are started once, checked (same body bytes), warmed up with ${WarmupSec} s each, ` +
          `then measured for ${rounds} round${rounds === 1 ? '' : 's'}, the order alternating between rounds. Figures are medians over the rounds, errors are summed.`,
        sharedMethod(durationSec, 'ours / nginx'),
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

if (isMain(import.meta.url)) await runAlone('large-body', runLargeBodyBench);

// nginx as a reverse proxy (keep-alive pool to the upstream) in front of
// mock-upstream: while wrk loads nginx, how much CPU nginx's worker burns and
// how busy the upstream's event loop is. The point of a gateway-bench upstream
// is to have headroom left when the gateway is the bottleneck.
// Run alone: node dist/bench/gateway.bench.js [--quick]
import { readFileSync } from 'node:fs';
import { assertRunning, oursSpec, summarise, runAlone, withServers, prepareBench } from './lib/common.js';
import { childPids, nginxDir, nginxMasterPid, nginxSpec } from './lib/nginx.js';
import { type BenchOptions } from './lib/options.js';
import { fromRoot, isMain } from './lib/paths.js';
import { runCaptured } from './lib/proc.js';
import { KeepAlive, loadOptions, modeRow } from './lib/rounds.js';
import { median } from './lib/stats.js';
import type { BenchResult, Comparison, RoundRow } from './lib/report.js';
import { httpGet, startServer, type RunningServer } from './lib/server.js';
import { runWrk, wrkCommandLine } from './lib/wrk.js';

const Route = '/json/valid';
const Label = 'nginx → mock-upstream';
const Mode = KeepAlive;
const Full = { rounds: 3, durationSec: 5 };
// 3 s: the upstream samples its ELU once a second, and the first sample of a run is dropped.
const Quick = { rounds: 1, durationSec: 3 };
const WarmupSec = 1;
const PollMs = 250;
// Samples taken before this far into a run may still describe the idle second before it.
const SettleMs = 1_200;

async function clockTicks(): Promise<number> {
  const res = await runCaptured('getconf', ['CLK_TCK'], { timeoutMs: 5_000 });
  const ticks = Number(res.stdout.trim());
  return res.code === 0 && ticks > 0 ? ticks : 100;
}

/** utime + stime of pid in clock ticks (fields 14 and 15 of /proc/<pid>/stat). */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces; the fields after it start past the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

async function upstreamElu(upstream: RunningServer): Promise<number | undefined> {
  try {
    const res = await httpGet(upstream.port, '/__mock/stats', 1_000);
    const stats = JSON.parse(res.body.toString('utf8')) as { workers?: { elu?: number }[] };
    const elus = (stats.workers ?? []).map((w) => w.elu).filter((v): v is number => typeof v === 'number');
    return elus.length === 0 ? undefined : Math.max(...elus);
  } catch {
    return undefined;
  }
}

interface GatewayRun {
  round: number;
  nginxCores: number;
  eluMean: number;
  eluMax: number;
  samples: number;
}

/** Runs nginx → mock-upstream (3 rounds × 5 s, or 1 × 3 s with quick), reporting nginx CPU and upstream ELU; servers are always stopped. */
export async function runGatewayBench(options: BenchOptions): Promise<BenchResult> {
  const { rounds, durationSec } = options.quick ? Quick : Full;
  const { log } = await prepareBench('gateway');
  const ticksPerSec = await clockTicks();
  return withServers(log, async (started) => {
    // No pinning (see the method text).
    const upstream = await startServer(oursSpec(), undefined);
    started.push(upstream);
    log(`started upstream: ${upstream.commandLine}`);
    const spec = await nginxSpec({
      name: 'nginx-gateway',
      readyPath: Route,
      httpLines: () => [`upstream mock { server 127.0.0.1:${upstream.port}; keepalive 64; }`],
      serverLines: () => ['location / {', '  proxy_pass http://mock;', '  proxy_http_version 1.1;', '  proxy_set_header Connection "";', '}'],
    });
    const nginx = await startServer(spec, undefined);
    started.push(nginx);
    log(`started nginx: ${nginx.commandLine}`);
    const master = nginxMasterPid('nginx-gateway');
    const workers = master === undefined ? [] : childPids(master);
    if (workers.length !== 1) throw new Error(`expected 1 nginx worker under master ${String(master)}, found ${workers.length}`);
    const worker = workers[0];
    const res = await httpGet(nginx.port, Route, 2_000);
    if (res.status !== 200 || !res.body.toString('utf8').startsWith('{"time"')) {
      throw new Error(`nginx answered GET ${Route} with ${res.status}: ${res.body.toString('utf8').slice(0, 200)}`);
    }

    await runWrk(loadOptions(nginx, Route, Mode, WarmupSec, undefined));
    assertRunning(nginx);
    const runs: RoundRow[] = [];
    const gatewayRuns: GatewayRun[] = [];
    for (let round = 1; round <= rounds; round++) {
      const samples: number[] = [];
      const start = Date.now();
      let polling = true;
      const poller = (async () => {
        while (polling) {
          await new Promise((resolve) => setTimeout(resolve, PollMs));
          const elu = await upstreamElu(upstream);
          if (polling && elu !== undefined && Date.now() - start >= SettleMs) samples.push(elu);
        }
      })();
      const ticksBefore = cpuTicks(worker);
      const t0 = process.hrtime.bigint();
      const run = await runWrk(loadOptions(nginx, Route, Mode, durationSec, undefined));
      const elapsedSec = Number(process.hrtime.bigint() - t0) / 1e9;
      const ticks = cpuTicks(worker) - ticksBefore;
      polling = false;
      await poller;
      assertRunning(nginx);
      assertRunning(upstream);
      if (run.result.requests === 0) throw new Error(`${run.commandLine} completed no request:\n${run.raw}`);
      if (samples.length === 0) throw new Error(`no ELU sample from ${upstream.url('/__mock/stats')} during the run`);
      // wrk's own start-up and teardown are inside elapsedSec, so this slightly underestimates the busy share.
      const nginxCores = ticks / ticksPerSec / elapsedSec;
      const eluMean = samples.reduce((a, b) => a + b, 0) / samples.length;
      const eluMax = Math.max(...samples);
      gatewayRuns.push({ round, nginxCores, eluMean, eluMax, samples: samples.length });
      runs.push(modeRow(run, Mode, round, Label));
      log(
        `round ${round}/${rounds} ${Math.round(run.result.requestsPerSec)} req/s  nginx worker ${(nginxCores * 100).toFixed(1)} % of a core  ` +
          `upstream ELU mean ${eluMean.toFixed(3)} max ${eluMax.toFixed(3)} (${samples.length} samples)`,
      );
    }
    const med = (pick: (r: GatewayRun) => number): number => median(gatewayRuns.map(pick));
    const nginxCores = med((r) => r.nginxCores);
    const eluMean = med((r) => r.eluMean);
    const eluMax = med((r) => r.eluMax);
    const info = (metric: string, value: number): Comparison => ({ mode: Mode.name, metric, ours: value, reference: 1, value, budget: null, pass: true });
    const comparisons = [
      info('nginx worker CPU (cores)', nginxCores),
      info('upstream ELU (mean)', eluMean),
      info('upstream ELU (max)', eluMax),
      info('upstream headroom (1 − mean ELU)', 1 - eluMean),
    ];
    const notes = [
      'Per run: ' +
        gatewayRuns
          .map(
            (r) =>
              `round ${r.round}: nginx worker ${(r.nginxCores * 100).toFixed(1)} % of one core, upstream ELU mean ${r.eluMean.toFixed(3)} / max ${r.eluMax.toFixed(3)} over ${r.samples} samples`,
          )
          .join('; ') +
        '.',
    ];
    if (options.quick) notes.push('Quick smoke run: one short round, few ELU samples, figures are indicative only.');
    return {
      name: 'gateway',
      title: `gateway: nginx reverse proxy in front of mock-upstream, nginx CPU vs upstream event-loop utilisation`,
      method: [
        `wrk loads nginx (1 worker process, \`upstream { server 127.0.0.1:P; keepalive 64; }\`, \`proxy_http_version 1.1; proxy_set_header Connection "";\`, ` +
          `access log off, config in ${fromRoot(nginxDir('nginx-gateway'))}/nginx.conf), which proxies \`GET ${Route}\` to mock-upstream (1 worker) over pooled keep-alive connections.`,
        "nginx CPU: utime + stime of nginx's worker process from /proc/<pid>/stat, before and after the wrk run, over the run's wall time, in cores (1.000 = one core busy). " +
          `Upstream ELU: \`GET /__mock/stats\` on mock-upstream directly every ${PollMs} ms during the run (its workers sample ELU once a second; ` +
          `samples from the first ${SettleMs} ms of a run are dropped), mean and max of the busiest worker's \`elu\`. Headroom is 1 − mean ELU.`,
        'CPU pinning: none. Three processes (wrk, nginx, mock-upstream) share 2 cores; pinning nginx and mock-upstream to one CPU each would leave wrk competing with one of them ' +
          'on a pinned CPU, which skews exactly the two figures compared. Unpinned, the scheduler spreads them, and the per-process CPU and ELU figures stay meaningful.',
        `After a ${WarmupSec} s warm-up, ${rounds} round${rounds === 1 ? '' : 's'} of ${durationSec} s; figures are medians over the rounds.`,
      ],
      rounds,
      durationSec,
      serverCommands: started.map((server) => server.commandLine),
      loadCommands: [wrkCommandLine(loadOptions(nginx, Route, Mode, durationSec, undefined))],
      summary: [summarise(runs, Label, Mode.name)],
      comparisons,
      runs,
      notes,
      pass: true,
    };
  });
}

if (isMain(import.meta.url)) await runAlone('gateway', runGatewayBench);

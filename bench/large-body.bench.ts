// Large bodies: mock-upstream's /size/1MB, streamed from one precomputed
// buffer with tryEnd/onWritable backpressure, against nginx sending the same
// 1 MiB from a static file with sendfile (zero copy), the usual yardstick for
// pushing bytes. The figure is bytes per second over keep-alive connections.
// Run alone: node dist/bench/large-body.bench.js [--quick]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeFiller } from '../src/http/filler.js';
import { ensureCommand } from './lib/apt.js';
import { assertRunning, oursSpec, roundRow, rotated, stopAll, summarise, runAlone } from './lib/common.js';
import { decidePinning } from './lib/cpu.js';
import { type BenchOptions } from './lib/options.js';
import { fromRoot, isMain, workDir } from './lib/paths.js';
import { installCleanup, runCaptured } from './lib/proc.js';
import { formatBandwidth, type BenchResult, type Comparison, type RoundRow } from './lib/report.js';
import { httpGet, startServer, type RunningServer, type ServerSpec } from './lib/server.js';
import { ensureWrk, runWrk, summaryScript, wrkCommandLine, type WrkOptions } from './lib/wrk.js';

// nginx serves a file at the same path, so both load commands differ only in the port.
const Route = '/size/1MB';
const BodyBytes = 1024 * 1024;
const OursLabel = 'mock-upstream';
const NginxLabel = 'nginx (sendfile)';
const Mode = 'keep-alive ×32';
const Connections = 32;
/** Minimum ours/nginx ratio in bytes per second. */
const Budget = 0.9;

const Full = { rounds: 3, durationSec: 5 };
const Quick = { rounds: 1, durationSec: 2 };
const WarmupSec = 1;

// Modules whose temp directories nginx creates at startup under the
// compiled-in /var/lib/nginx, unless the config moves them; a build without the
// module rejects the directive, so only those present are moved.
const TempPathModules = ['proxy', 'fastcgi', 'uwsgi', 'scgi'] as const;

async function nginxSpec(): Promise<ServerSpec> {
  const nginx = await ensureCommand('nginx', 'nginx-light', 'https://nginx.org');
  const version = await runCaptured(nginx, ['-V'], { timeoutMs: 10_000 });
  const configure = version.stdout + version.stderr;
  const dir = join(workDir(), 'nginx');
  const root = join(dir, 'www');
  mkdirSync(join(root, 'size'), { recursive: true });
  // The same bytes as mock-upstream's body, so the two answers differ only in headers.
  writeFileSync(join(root, 'size', '1MB'), makeFiller(BodyBytes));
  const conf = join(dir, 'nginx.conf');
  const tempPaths = [
    `client_body_temp_path ${join(dir, 'client_body')};`,
    ...TempPathModules.filter((m) => !configure.includes(`--without-http_${m}_module`)).map((m) => `${m}_temp_path ${join(dir, m)};`),
  ];
  const writeConf = (port: number): void => {
    const lines = [
      'worker_processes 1;',
      'daemon off;',
      // As root the worker would otherwise run as www-data, which may not be able to read the checkout.
      ...(process.getuid?.() === 0 ? ['user root;'] : []),
      `pid ${join(dir, 'nginx.pid')};`,
      `error_log ${join(dir, 'error.log')} warn;`,
      'events { worker_connections 1024; }',
      'http {',
      `  access_log ${join(dir, 'access.log')};`,
      '  sendfile on;',
      // With sendfile, full packets and the headers in the first one: the usual static-file setup, nginx at its best.
      '  tcp_nopush on;',
      // mock-upstream never closes a keep-alive connection; nginx's default closes one every 1000 requests.
      '  keepalive_requests 1000000;',
      // No MIME table: an extensionless file is text/plain, as mock-upstream sends.
      '  default_type text/plain;',
      ...tempPaths.map((line) => `  ${line}`),
      '  server {',
      `    listen 127.0.0.1:${port};`,
      `    root ${root};`,
      '  }',
      '}',
      '',
    ];
    writeFileSync(conf, lines.join('\n'));
  };
  return {
    name: 'nginx',
    command: nginx,
    displayCommand: 'nginx',
    // -c and -e are relative to the -p prefix. -e is the log for errors before the
    // config is read (else the compiled-in path, /var/log/nginx on some builds).
    args: () => ['-p', `${fromRoot(dir)}/`, '-c', 'nginx.conf', '-e', 'error.log'],
    readyPath: Route,
    beforeStart: writeConf,
  };
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

function wrkOptions(server: RunningServer, durationSec: number, cpu: string | undefined): WrkOptions {
  return {
    url: server.url(Route),
    threads: 1,
    connections: Connections,
    durationSec,
    // Exact bytes read: wrk prints Transfer/sec rounded to 2 decimals of GB.
    script: summaryScript(),
    ...(cpu === undefined ? {} : { cpu }),
  };
}

/** Runs the /size/1MB vs nginx bandwidth comparison (3 rounds × 5 s, or 1 × 2 s with quick) and returns its figures; servers are always stopped. */
export async function runLargeBodyBench(options: BenchOptions): Promise<BenchResult> {
  installCleanup();
  const { rounds, durationSec } = options.quick ? Quick : Full;
  await ensureWrk();
  const pinning = decidePinning();
  const log = (line: string): void => void process.stderr.write(`[large-body] ${line}\n`);

  const started: RunningServer[] = [];
  try {
    for (const spec of [oursSpec(), await nginxSpec()]) {
      started.push(await startServer(spec, pinning.serverCpu));
      log(`started ${spec.name}: ${started[started.length - 1].commandLine}`);
    }
    const [ours, nginx] = started;
    const label = (server: RunningServer): string => (server === ours ? OursLabel : NginxLabel);
    const notes = await checkResponses(ours, nginx);

    for (const server of started) {
      await runWrk(wrkOptions(server, WarmupSec, pinning.loadCpu));
      assertRunning(server);
    }
    log(`warmed up (${WarmupSec} s per server)`);

    const runs: RoundRow[] = [];
    for (let round = 1; round <= rounds; round++) {
      for (const server of rotated(started, round)) {
        const run = await runWrk(wrkOptions(server, durationSec, pinning.loadCpu));
        assertRunning(server);
        if (run.result.requests === 0) throw new Error(`${run.commandLine} completed no request:\n${run.raw}`);
        if (run.summary === undefined) throw new Error(`${run.commandLine} printed no wrk-summary line (bench/lua/summary.lua):\n${run.raw}`);
        const row: RoundRow = { ...roundRow(run, { round, server: label(server), mode: Mode }), bytesPerSec: run.summary.bytesPerSec };
        runs.push(row);
        log(`round ${round}/${rounds} ${row.server.padEnd(16)} ${formatBandwidth(row.bytesPerSec).padStart(8)} MB/s  ${Math.round(row.requestsPerSec)} req/s`);
      }
    }

    const summary = [summarise(runs, OursLabel, Mode), summarise(runs, NginxLabel, Mode)];
    const [oursRate, nginxRate] = summary.map((row) => row.bytesPerSec ?? Number.NaN);
    const ratio = oursRate / nginxRate;
    const comparisons: Comparison[] = [
      { mode: Mode, metric: 'ours / nginx MB/s', ours: oursRate, reference: nginxRate, ratio, budget: Budget, pass: ratio >= Budget },
    ];
    if (summary.some((row) => row.socketErrors > 0 || row.non2xx > 0)) {
      notes.push('Some runs had socket errors or non-2xx answers (see the errors column): treat those figures with suspicion.');
    }
    if (options.quick) notes.push('Quick smoke run: one short round, figures are indicative only.');

    return {
      name: 'large-body',
      title: `large-body: mock-upstream \`${Route}\` vs nginx serving a 1 MiB file`,
      method: [
        `Both servers answer \`GET ${Route}\` with the same 1 MiB (${BodyBytes} bytes) of letters as text/plain over ${Connections} keep-alive connections. ` +
          'mock-upstream (1 worker) streams them from its precomputed buffer in 64 KiB tryEnd chunks with backpressure; ' +
          `nginx (1 worker, \`sendfile on\`, \`tcp_nopush on\`, config written to ${fromRoot(join(workDir(), 'nginx', 'nginx.conf'))}) sends a static file without copying it through user space.`,
        'MB/s is 10⁶ bytes read by wrk per second, headers included (a few hundred bytes against 1 MiB of body; nginx sends more of them), ' +
          'counted exactly by bench/lua/summary.lua. The budget is ours / nginx.',
        `CPU pinning: ${pinning.description}. Both servers are started once, checked (same body bytes), warmed up with ${WarmupSec} s each, ` +
          `then measured for ${rounds} round${rounds === 1 ? '' : 's'}, the order alternating between rounds. Figures are medians over the rounds, errors are summed.`,
      ],
      rounds,
      durationSec,
      serverCommands: [ours.commandLine, nginx.commandLine],
      loadCommands: started.map((server) => wrkCommandLine(wrkOptions(server, durationSec, pinning.loadCpu))),
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

if (isMain(import.meta.url)) await runAlone('large-body', runLargeBodyBench);

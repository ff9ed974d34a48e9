// HTTP/2 and gRPC (issue 19): mock-upstream's h2c listener under h2load beside h2o and nginx serving the
// same bytes as a static file, and ours over HTTP/1.1 (what the h2 listener costs); then gRPC unary calls
// (mock.v1.Echo/Unary, grpc.health.v1.Health/Check) against ours and a bare @grpc/grpc-js server, driven by
// h2load with a raw gRPC frame and by a closed-loop grpc-js client. Ratios, no budgets: node:http2 is
// expected to be the limit, and the figure users need is where the h2 listener saturates per core.
// Run alone: node dist/bench/h2.bench.js [--quick]
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GrpcLoadOptions, GrpcLoadResult } from './clients/grpc-load.js';
import { ensureCommand } from './lib/apt.js';
import { assertRunning, benchServerSpec, oursSpec, rotated, runAlone, summarise, withServers, prepareBench } from './lib/common.js';
import { pinned } from './lib/cpu.js';
import { ensureH2load, h2Request, logPercentiles, runH2load, type H2loadOptions, type H2loadRun } from './lib/h2.js';
import { nginxSpec } from './lib/nginx.js';
import { type BenchOptions } from './lib/options.js';
import { fromRoot, isMain, repoRoot, workDir } from './lib/paths.js';
import { runCaptured, shellJoin } from './lib/proc.js';
import { formatLatency, formatRate, type BenchResult, type Comparison, type RoundRow } from './lib/report.js';
import { KeepAlive, loadOptions } from './lib/rounds.js';
import { freePort, startServer, type RunningServer, type ServerSpec } from './lib/server.js';
import { median } from './lib/stats.js';
import { runWrk, wrkCommandLine } from './lib/wrk.js';

const Route = '/json/valid';
// The bytes h2o and nginx serve as a static file: the length and shape of mock-upstream's /json/valid.
const Body = '{"time": "2026-11-21 22:32:01.140156640 +0000 UTC m=+1.516171360"}';

const EchoPath = '/mock.v1.Echo/Unary';
const HealthPath = '/grpc.health.v1.Health/Check';
// EchoRequest { message = "hello" }: field 1, wire type 2 (tag 0x0a), length 5; behind the gRPC prefix
// (flag 0 = not compressed, 4-byte big-endian length 7).
const EchoMessage = Buffer.from([0x0a, 0x05, ...Buffer.from('hello')]);
const EchoFrame = Buffer.concat([Buffer.from([0, 0, 0, 0, EchoMessage.length]), EchoMessage]);
// An empty HealthCheckRequest (service "" = the whole server): `00 00000000`.
const HealthFrame = Buffer.from([0, 0, 0, 0, 0]);
// A SERVING HealthCheckResponse: status (field 1, varint) = 1.
const ServingFrame = Buffer.from([0, 0, 0, 0, 2, 0x08, 0x01]);
const GrpcHeaders = ['content-type: application/grpc', 'te: trailers'];

const Label = { oursH2: 'mock-upstream h2c', h2o: 'h2o', nginx: 'nginx', oursH1: 'mock-upstream HTTP/1.1', ours: 'mock-upstream', grpcJs: 'grpc-js server' } as const;

// h2load: a few connections × 100 streams each (the listener's default SETTINGS_MAX_CONCURRENT_STREAMS).
const Clients = 4;
const Streams = 100;
// The grpc-js client: 2 channels (2 connections) × 32 calls in flight.
const GrpcChannels = 2;
const GrpcInflight = 32;

const Full = { rounds: 2, durationSec: 5, warmupMs: 1_000 };
const Quick = { rounds: 1, durationSec: 1, warmupMs: 500 };
// Above this share of a core the grpc-js client may be what limits a run (noted).
const ClientBoundCpu = 0.9;

const GrpcModes = { echo: `h2load ${EchoPath}`, health: `h2load ${HealthPath}`, client: `grpc-js client ${EchoPath}` } as const;

/** h2o with 1 thread serving dir on the port (HTTP/1.1 and h2c with prior knowledge on the same port). */
async function h2oSpec(dir: string): Promise<ServerSpec> {
  const h2o = await ensureCommand('h2o', 'h2o', 'https://h2o.examp1e.net');
  const confDir = join(workDir(), 'h2o');
  mkdirSync(confDir, { recursive: true });
  const conf = join(confDir, 'h2o.conf');
  return {
    name: 'h2o',
    command: h2o,
    displayCommand: 'h2o',
    args: () => ['-c', fromRoot(conf)],
    readyPath: Route,
    beforeStart: (port) => {
      const lines = [
        // h2o refuses to run as root without naming a user.
        ...(process.getuid?.() === 0 ? ['user: root'] : []),
        'num-threads: 1',
        `pid-file: ${join(confDir, 'h2o.pid')}`,
        `error-log: ${join(confDir, 'error.log')}`,
        'file.mime.setdefaulttype: application/json',
        'hosts:',
        '  default:',
        '    listen:',
        `      host: 127.0.0.1`,
        `      port: ${port}`,
        '    paths:',
        '      /:',
        `        file.dir: ${dir}`,
        '',
      ];
      writeFileSync(conf, lines.join('\n'));
    },
  };
}

/** :status of a gRPC Health/Check over h2c: the readiness probe of a server that speaks only HTTP/2. */
async function grpcProbe(port: number, path: string, timeoutMs: number): Promise<number> {
  const res = await h2Request(port, path, { method: 'POST', headers: { 'content-type': 'application/grpc', te: 'trailers' }, body: HealthFrame }, timeoutMs);
  return res.status;
}

function grpcStatus(res: { headers: Record<string, unknown>; trailers: Record<string, unknown> }): string {
  // Trailers-only answers carry grpc-status in the headers.
  return String(res.trailers['grpc-status'] ?? res.headers['grpc-status'] ?? 'none');
}

/** undefined when the server answers both calls as gRPC (OK, expected bytes); a reason to skip when it answers them as plain HTTP; throws on a wrong gRPC answer. */
async function grpcWired(name: string, port: number): Promise<string | undefined> {
  const calls = [
    { path: EchoPath, body: EchoFrame, expected: EchoFrame },
    { path: HealthPath, body: HealthFrame, expected: ServingFrame },
  ];
  for (const call of calls) {
    const res = await h2Request(port, call.path, { method: 'POST', headers: { 'content-type': 'application/grpc', te: 'trailers' }, body: call.body }, 5_000);
    const type = String(res.headers['content-type'] ?? '');
    if (res.status !== 200 || !type.startsWith('application/grpc')) {
      return `gRPC not wired: ${name} answered POST ${call.path} (content-type: application/grpc) with HTTP ${res.status}, content-type ${JSON.stringify(type)}`;
    }
    const status = grpcStatus(res);
    if (status !== '0') throw new Error(`${name} answered ${call.path} with grpc-status ${status} (${String(res.trailers['grpc-message'] ?? res.headers['grpc-message'] ?? '')})`);
    if (!res.body.equals(call.expected)) throw new Error(`${name} answered ${call.path} with ${res.body.toString('hex')}, expected ${call.expected.toString('hex')}`);
  }
  return undefined;
}

function clientScript(): string {
  const script = fileURLToPath(new URL('./clients/grpc-load.js', import.meta.url));
  if (!existsSync(script)) throw new Error(`the load client ${fromRoot(script)} is missing (run \`npm run build\`)`);
  return script;
}

function clientCommand(port: number, durationSec: number, warmupSec: number, cpu: string | undefined): [string, string[]] {
  const options: GrpcLoadOptions = { port, channels: GrpcChannels, inflight: GrpcInflight, warmupSec, durationSec };
  return pinned(cpu, process.execPath, [fromRoot(clientScript()), JSON.stringify(options)]);
}

function clientCommandLine(port: number, durationSec: number, warmupSec: number, cpu: string | undefined): string {
  const [command, args] = clientCommand(port, durationSec, warmupSec, cpu);
  return shellJoin(command === process.execPath ? 'node' : command, args.map((a) => (a === process.execPath ? 'node' : a)));
}

async function runGrpcClient(port: number, durationSec: number, warmupSec: number, cpu: string | undefined): Promise<{ commandLine: string; result: GrpcLoadResult }> {
  const [command, args] = clientCommand(port, durationSec, warmupSec, cpu);
  const commandLine = clientCommandLine(port, durationSec, warmupSec, cpu);
  const res = await runCaptured(command, args, { cwd: repoRoot(), timeoutMs: (warmupSec + durationSec + 30) * 1_000 });
  if (res.code !== 0) throw new Error(`${commandLine} failed (code ${String(res.code)}, signal ${String(res.signal)}):\n${res.stdout}${res.stderr}`);
  const result = JSON.parse(res.stdout.trim().split('\n').pop() ?? '') as GrpcLoadResult;
  if (result.calls === 0) throw new Error(`${commandLine} completed no call:\n${res.stdout}${res.stderr}`);
  return { commandLine, result };
}

type H2Row = RoundRow & { clientCpu?: number };

function h2loadRow(run: H2loadRun, round: number, server: string, mode: string, latency?: { p50Ms: number; p99Ms: number }): H2Row {
  const r = run.result;
  return {
    round,
    server,
    mode,
    command: run.commandLine,
    requestsPerSec: r.requestsPerSec,
    p50Ms: latency?.p50Ms ?? null,
    p99Ms: latency?.p99Ms ?? null,
    socketErrors: r.errors,
    non2xx: r.status4xx5xx,
  };
}

/** Runs the HTTP/2 and gRPC comparison (2 rounds × 5 s per run, or 1 × 1 s with quick); servers are always stopped. */
export async function runH2Bench(options: BenchOptions): Promise<BenchResult> {
  const plan = options.quick ? Quick : Full;
  const warmupSec = plan.warmupMs / 1_000;
  const { pinning, log } = await prepareBench('h2');
  await ensureH2load();
  const staticDir = join(workDir(), 'h2-static');
  mkdirSync(join(staticDir, 'json'), { recursive: true });
  writeFileSync(join(staticDir, 'json', 'valid'), Body);
  const frames = { echo: join(workDir(), 'grpc-echo-unary.bin'), health: join(workDir(), 'grpc-health-check.bin') };
  writeFileSync(frames.echo, EchoFrame);
  writeFileSync(frames.health, HealthFrame);

  const oursH2Port = await freePort();
  const nginxH2Port = await freePort();
  const nginx = await nginxSpec({
    name: 'nginx-h2',
    readyPath: Route,
    // Port P answers HTTP/1.1 (the readiness probe); the h2c port only HTTP/2 with prior knowledge (nginx 1.22).
    serverLines: () => [`listen 127.0.0.1:${nginxH2Port} http2;`, `root ${staticDir};`, 'default_type application/json;'],
  });
  const grpcJs: ServerSpec = { ...benchServerSpec('grpc-echo', 'grpc-echo.js'), readyPath: HealthPath, readyProbe: grpcProbe };

  return withServers(log, async (started) => {
    const start = async (spec: ServerSpec): Promise<RunningServer> => {
      const server = await startServer(spec, pinning.serverCpu);
      started.push(server);
      log(`started ${spec.name}: ${server.commandLine}`);
      return server;
    };
    const ours = await start(oursSpec({ extraArgs: ['--h2-port', String(oursH2Port)] }));
    const h2o = await start(await h2oSpec(staticDir));
    const ng = await start(nginx);
    const grpcServer = await start(grpcJs);

    // h2 entries: label, the server (for liveness), the h2c port.
    const h2Entries = [
      { label: Label.oursH2, server: ours, port: oursH2Port },
      { label: Label.h2o, server: h2o, port: h2o.port },
      { label: Label.nginx, server: ng, port: nginxH2Port },
    ];
    const notes: string[] = [];
    const sizes: string[] = [];
    for (const entry of h2Entries) {
      const res = await h2Request(entry.port, Route, {}, 5_000);
      const type = String(res.headers['content-type'] ?? '');
      if (res.status !== 200 || !type.startsWith('application/json')) throw new Error(`${entry.label} answered h2 GET ${Route} with ${res.status}, content-type ${type}`);
      sizes.push(`${entry.label} ${res.body.length} B`);
      if (res.body.length !== Body.length) notes.push(`${entry.label} sends a ${res.body.length}-byte body, the static file is ${Body.length}: not like for like.`);
    }
    const skip = await grpcWired(Label.ours, oursH2Port);
    const refSkip = await grpcWired(Label.grpcJs, grpcServer.port);
    if (refSkip !== undefined) throw new Error(`the reference ${refSkip}`);
    if (skip !== undefined) log(skip);

    const h2loadOptions = (port: number, durationSec: number, extra: Partial<H2loadOptions> = {}): H2loadOptions => ({
      url: `http://127.0.0.1:${port}${Route}`,
      clients: Clients,
      streams: Streams,
      durationSec,
      warmupSec,
      ...(pinning.loadCpu === undefined ? {} : { cpu: pinning.loadCpu }),
      ...extra,
    });
    const grpcOptions = (port: number, path: string, frame: string, logFile: string): H2loadOptions =>
      h2loadOptions(port, plan.durationSec, { url: `http://127.0.0.1:${port}${path}`, dataFile: frame, headers: GrpcHeaders, logFile });
    const h1Options = loadOptions(ours, Route, KeepAlive, plan.durationSec, pinning.loadCpu);

    const runs: H2Row[] = [];
    const httpMode = `h2c ${Route}`;
    const h1Mode = `HTTP/1.1 keep-alive ${Route}`;
    // The wrk run has no warm-up option; one short run first.
    if (!options.quick) await runWrk({ ...h1Options, durationSec: 1 });
    const httpEntries = [...h2Entries.map((e) => ({ ...e, h1: false })), { label: Label.oursH1, server: ours, port: ours.port, h1: true }];
    for (let round = 1; round <= plan.rounds; round++) {
      for (const entry of rotated(httpEntries, round)) {
        let row: H2Row;
        if (entry.h1) {
          const run = await runWrk(h1Options);
          row = { round, server: entry.label, mode: h1Mode, command: run.commandLine, requestsPerSec: run.result.requestsPerSec, p50Ms: run.result.p50Ms, p99Ms: run.result.p99Ms,
            socketErrors: Object.values(run.result.socketErrors).reduce((a, b) => a + b, 0), non2xx: run.result.non2xx };
        } else {
          row = h2loadRow(await runH2load(h2loadOptions(entry.port, plan.durationSec)), round, entry.label, httpMode);
        }
        assertRunning(entry.server);
        runs.push(row);
        log(`round ${round}/${plan.rounds} ${entry.label.padEnd(22)} ${formatRate(row.requestsPerSec).padStart(9)} req/s`);
      }
    }

    const grpcEntries = [
      ...(skip === undefined ? [{ label: Label.ours, server: ours, port: oursH2Port }] : []),
      { label: Label.grpcJs, server: grpcServer, port: grpcServer.port },
    ];
    for (let round = 1; round <= plan.rounds; round++) {
      for (const entry of rotated(grpcEntries, round)) {
        for (const [mode, path, frame] of [[GrpcModes.echo, EchoPath, frames.echo], [GrpcModes.health, HealthPath, frames.health]] as const) {
          const logFile = join(workDir(), `h2load-${entry.server.name}.tsv`);
          const run = await runH2load(grpcOptions(entry.port, path, frame, logFile));
          assertRunning(entry.server);
          const row = h2loadRow(run, round, entry.label, mode, logPercentiles(readFileSync(logFile, 'utf8')));
          runs.push(row);
          log(`round ${round}/${plan.rounds} ${entry.label.padEnd(14)} ${mode.padEnd(42)} ${formatRate(row.requestsPerSec).padStart(9)} req/s  p99 ${formatLatency(row.p99Ms)}`);
        }
        const client = await runGrpcClient(entry.port, plan.durationSec, warmupSec, pinning.loadCpu);
        assertRunning(entry.server);
        const r = client.result;
        runs.push({ round, server: entry.label, mode: GrpcModes.client, command: client.commandLine, requestsPerSec: r.callsPerSec, p50Ms: r.p50Ms, p99Ms: r.p99Ms, socketErrors: r.errors, non2xx: 0, clientCpu: r.clientCpu });
        log(`round ${round}/${plan.rounds} ${entry.label.padEnd(14)} ${GrpcModes.client.padEnd(42)} ${formatRate(r.callsPerSec).padStart(9)} calls/s  p99 ${formatLatency(r.p99Ms)}  client CPU ${(r.clientCpu * 100).toFixed(0)} %`);
      }
    }

    const summary = [
      ...h2Entries.map((e) => summarise(runs, e.label, httpMode)),
      summarise(runs, Label.oursH1, h1Mode),
      ...Object.values(GrpcModes).flatMap((mode) => grpcEntries.map((e) => summarise(runs, e.label, mode))),
    ];
    const rate = (server: string, mode: string): number => summarise(runs, server, mode).requestsPerSec;
    const ratio = (mode: string, metric: string, a: [string, string], b: [string, string]): Comparison => {
      const ours = rate(...a);
      const reference = rate(...b);
      return { mode, metric, ours, reference, ratio: ours / reference, budget: null, pass: true };
    };
    const oursH2 = rate(Label.oursH2, httpMode);
    const comparisons: Comparison[] = [
      { mode: httpMode, metric: 'ours h2c req/s, 1 worker (where the h2 listener saturates per core)', ours: oursH2, reference: oursH2, value: oursH2, unit: 'count', budget: null, pass: true },
      ratio(httpMode, 'ours / h2o req/s', [Label.oursH2, httpMode], [Label.h2o, httpMode]),
      ratio(httpMode, 'ours / nginx req/s', [Label.oursH2, httpMode], [Label.nginx, httpMode]),
      ratio(httpMode, 'ours h2c / ours HTTP/1.1 keep-alive req/s', [Label.oursH2, httpMode], [Label.oursH1, h1Mode]),
    ];
    if (skip === undefined) {
      comparisons.push(
        ratio(GrpcModes.echo, 'ours / grpc-js server req/s', [Label.ours, GrpcModes.echo], [Label.grpcJs, GrpcModes.echo]),
        ratio(GrpcModes.health, 'ours / grpc-js server req/s', [Label.ours, GrpcModes.health], [Label.grpcJs, GrpcModes.health]),
        ratio(GrpcModes.client, 'ours / grpc-js server calls/s', [Label.ours, GrpcModes.client], [Label.grpcJs, GrpcModes.client]),
        ratio(GrpcModes.echo, 'ours gRPC unary / ours h2c GET req/s', [Label.ours, GrpcModes.echo], [Label.oursH2, httpMode]),
      );
      const p99 = summarise(runs, Label.ours, GrpcModes.client).p99Ms ?? Number.NaN;
      comparisons.push({ mode: GrpcModes.client, metric: 'call p99 (ours)', ours: p99, reference: summarise(runs, Label.grpcJs, GrpcModes.client).p99Ms ?? Number.NaN, value: p99, unit: 'ms', budget: null, pass: true });
    } else {
      notes.push(`${skip}: the gRPC rows against mock-upstream are skipped (the grpc-js server's rows still run); they run once gRPC is served on the h2 listener.`);
    }

    notes.push(`What each sends on h2c GET ${Route}: ${sizes.join(', ')}.`);
    const cpuOf = (label: string): number => median(runs.filter((r) => r.server === label && r.mode === GrpcModes.client).map((r) => r.clientCpu ?? 0));
    notes.push(`grpc-js client CPU as a share of its core (median): ${grpcEntries.map((e) => `${e.label} ${(cpuOf(e.label) * 100).toFixed(0)} %`).join(', ')}.`);
    if (grpcEntries.some((e) => cpuOf(e.label) > ClientBoundCpu)) {
      notes.push(`The grpc-js client used over ${ClientBoundCpu * 100} % of its core: its rows measure the client as much as the server; the h2load rows measure the servers.`);
    }
    if (summary.some((r) => r.socketErrors > 0 || r.non2xx > 0)) notes.push('Some runs had errors or non-2xx answers (errors column): treat those figures with suspicion.');
    notes.push('h2load\'s own summary has no percentiles: the h2c GET rows have none (n/a); the gRPC h2load rows take p50/p99 from its --log-file (per-request times, warm-up included).');
    if (options.quick) notes.push('Quick smoke run: one 1 s run each, figures are indicative only.');

    const loadCommands = [
      ...h2Entries.map((e) => `${runs.find((r) => r.server === e.label)?.command ?? ''}`),
      wrkCommandLine(h1Options),
      ...grpcEntries.flatMap((e) => Object.values(GrpcModes).map((mode) => runs.find((r) => r.server === e.label && r.mode === mode)?.command ?? '')),
    ];
    return {
      name: 'h2',
      title: `h2: HTTP/2 (h2c \`${Route}\`) vs h2o and nginx, and gRPC unary vs a bare grpc-js server`,
      method: [
        `HTTP/2: h2load (nghttp2-client) with ${Clients} connections × ${Streams} concurrent streams, h2c with prior knowledge, \`GET ${Route}\` against mock-upstream's ` +
          `\`--h2-port\` listener (1 worker), h2o (1 thread, \`file.dir\`) and nginx (1 worker, \`listen … http2\`, \`keepalive_requests 1000000\`), both serving a static file of the same ${Body.length} bytes ` +
          `as \`application/json\` (configs under bench/.work/h2o and bench/.work/nginx-h2). Ours over HTTP/1.1 (wrk, ${KeepAlive.connections} keep-alive connections, the rig's usual load) ` +
          'gives what the h2 listener costs against the uWS listener of the same process.',
        `gRPC: \`POST ${EchoPath}\` (EchoRequest \`message: "hello"\`, frame \`${EchoFrame.toString('hex')}\`) and \`POST ${HealthPath}\` (\`0000000000\`) with \`content-type: application/grpc\` and \`te: trailers\`, ` +
          `driven by h2load with the raw frame (\`-d\`, same connections and streams), and ${GrpcChannels} @grpc/grpc-js channels × ${GrpcInflight} unary calls in flight (closed loop, bench/clients/grpc-load.ts). ` +
          'The reference is a bare grpc-js server with the same Echo and Health (bench/servers/grpc-echo.ts, @grpc/proto-loader on proto/). Before loading, each answer is checked (grpc-status 0, the expected bytes).',
        `Back to back: every server alone with the load CPU, ${plan.rounds} round${plan.rounds === 1 ? '' : 's'} × ${plan.durationSec} s per run (h2load \`--warm-up-time\` ${plan.warmupMs} ms before each), ` +
          `the order rotating between rounds; medians over rounds. No budgets: ratios are recorded. CPU pinning: ${pinning.description}.`,
      ],
      rounds: plan.rounds,
      durationSec: plan.durationSec,
      serverCommands: started.map((server) => server.commandLine),
      loadLead: 'Load, one run per server, mode and round (h2load, wrk, or the grpc-js client whose JSON argument is its whole configuration):',
      loadCommands,
      summary,
      comparisons,
      runs,
      notes,
      pass: true,
    };
  });
}

if (isMain(import.meta.url)) await runAlone('h2', runH2Bench);

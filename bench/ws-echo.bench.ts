// mock-upstream's /ws/echo against a bare uWebSockets.js echo server (the budget: what mock-upstream adds per
// message) and the `ws` package's echo server (what a Node WebSocket upstream usually is): messages per
// second and round-trip percentiles for 64 B and 4 KB messages, under a closed-loop client
// (bench/clients/ws-echo-load.ts) that keeps a fixed number of messages in flight on every connection.
// Run alone: node dist/bench/ws-echo.bench.js [--quick]
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import type { EchoLoadOptions, EchoLoadResult } from './clients/ws-echo-load.js';
import { assertRunning, benchServerSpec, oursSpec, rotated, runAlone, summarise, withServers, prepareBench } from './lib/common.js';
import { pinned } from './lib/cpu.js';
import { type BenchOptions } from './lib/options.js';
import { fromRoot, isMain, repoRoot } from './lib/paths.js';
import { runCaptured, shellJoin } from './lib/proc.js';
import { formatLatency, formatRate, type BenchResult, type Comparison, type RoundRow } from './lib/report.js';
import { medianRoundRatio, sharedModeName, startLabelled, type Labelled, type LoadMode } from './lib/rounds.js';
import { median } from './lib/stats.js';

const Route = '/ws/echo';
const OursLabel = 'mock-upstream';
const BareLabel = 'bare uWS';
const WsLabel = 'ws package';

/** Minimum ours / bare uWS in messages per second, judged on the shared-CPU rounds. */
const Budget = 0.95;

interface Size {
  name: string;
  bytes: number;
}
const Sizes: readonly Size[] = [
  { name: '64 B', bytes: 64 },
  { name: '4 KB', bytes: 4_096 },
];

// 64 connections × 8 messages in flight: enough to keep one server core busy with either size, without the
// deep per-socket queues (16 × 4 KB in flight) that made the tails on this machine mostly queueing.
const Connections = 64;
const Inflight = 8;

// The budget's shared-CPU rounds get the most time; back-to-back runs are for the absolute figures.
const Full = { sharedRounds: 3, sharedSec: 5, rounds: 2, durationSec: 3 };
const Quick = { sharedRounds: 1, sharedSec: 1, rounds: 1, durationSec: 1 };
// Per client run, before counting: connections open, V8 optimises both sides.
const WarmupSec = 0.5;
// Above this share of a core the client may be what limits a run (it is noted).
const ClientBoundCpu = 0.9;

function clientScript(): string {
  const script = fileURLToPath(new URL('./clients/ws-echo-load.js', import.meta.url));
  if (!existsSync(script)) throw new Error(`the load client ${fromRoot(script)} is missing (run \`npm run build\`)`);
  return script;
}

function clientCommand(port: number, size: Size, durationSec: number, cpu: string | undefined): [string, string[]] {
  const options: EchoLoadOptions = { port, path: Route, connections: Connections, inflight: Inflight, size: size.bytes, warmupSec: WarmupSec, durationSec };
  return pinned(cpu, process.execPath, [fromRoot(clientScript()), JSON.stringify(options)]);
}

function clientCommandLine(port: number, size: Size, durationSec: number, cpu: string | undefined): string {
  const [command, args] = clientCommand(port, size, durationSec, cpu);
  return shellJoin(command === process.execPath ? 'node' : command, args.map((a) => (a === process.execPath ? 'node' : a)));
}

interface ClientRun {
  commandLine: string;
  result: EchoLoadResult;
}

async function runClient(entry: Labelled, size: Size, durationSec: number, cpu: string | undefined): Promise<ClientRun> {
  const [command, args] = clientCommand(entry.server.port, size, durationSec, cpu);
  const commandLine = clientCommandLine(entry.server.port, size, durationSec, cpu);
  const res = await runCaptured(command, args, { cwd: repoRoot(), timeoutMs: (WarmupSec + durationSec + 30) * 1_000 });
  assertRunning(entry.server);
  if (res.code !== 0) throw new Error(`${commandLine} failed (code ${String(res.code)}, signal ${String(res.signal)}):\n${res.stdout}${res.stderr}`);
  const line = res.stdout.trim().split('\n').pop() ?? '';
  const result = JSON.parse(line) as EchoLoadResult;
  if (result.messages === 0) throw new Error(`${commandLine} counted no echo:\n${res.stdout}${res.stderr}`);
  return { commandLine, result };
}

function row(run: ClientRun, round: number, server: string, mode: string): RoundRow & { clientCpu: number } {
  const r = run.result;
  return {
    round,
    server,
    mode,
    command: run.commandLine,
    requestsPerSec: r.messagesPerSec,
    p50Ms: r.p50Ms,
    p90Ms: r.p90Ms,
    p99Ms: r.p99Ms,
    maxMs: r.maxMs,
    socketErrors: r.errors,
    non2xx: 0,
    clientCpu: r.clientCpu,
  };
}

/** Runs the /ws/echo comparison (shared-CPU 3 × 5 s and back-to-back 2 × 3 s per size; 1 × 1 s each with quick); servers are always stopped. */
export async function runWsEchoBench(options: BenchOptions): Promise<BenchResult> {
  const plan = options.quick ? Quick : Full;
  const { pinning, log } = await prepareBench('ws-echo');
  const specs = [
    { label: OursLabel, spec: oursSpec() },
    { label: BareLabel, spec: benchServerSpec('bare-uws-ws', 'bare-uws-ws.js') },
    { label: WsLabel, spec: benchServerSpec('ws-echo', 'ws-echo.js') },
  ];

  return withServers(log, async (started) => {
    const servers = await startLabelled(specs, pinning.serverCpu, started, log);
    const [ours, bare] = servers;
    const runs: (RoundRow & { clientCpu: number })[] = [];

    // Back to back: every server alone with the load CPU, the order rotating between rounds.
    for (let round = 1; round <= plan.rounds; round++) {
      for (const size of Sizes) {
        for (const entry of rotated(servers, round)) {
          const r = row(await runClient(entry, size, plan.durationSec, pinning.loadCpu), round, entry.label, size.name);
          runs.push(r);
          log(`round ${round}/${plan.rounds} ${entry.label.padEnd(13)} ${size.name}  ${formatRate(r.requestsPerSec).padStart(9)} msg/s  p50 ${formatLatency(r.p50Ms)}  p99 ${formatLatency(r.p99Ms)}  client CPU ${(r.clientCpu * 100).toFixed(0)} %`);
        }
      }
    }

    // Shared CPU (the budget): ours and bare on the same server CPU, loaded at the same time by two clients sharing the load CPU.
    for (const size of Sizes) {
      const mode = sharedModeName({ name: size.name } as LoadMode);
      for (let round = 1; round <= plan.sharedRounds; round++) {
        const [a, b] = await Promise.all([ours, bare].map((entry) => runClient(entry, size, plan.sharedSec, pinning.loadCpu)));
        runs.push(row(a, round, OursLabel, mode), row(b, round, BareLabel, mode));
        log(`round ${round}/${plan.sharedRounds} ${mode}: ours ${formatRate(a.result.messagesPerSec)}, bare ${formatRate(b.result.messagesPerSec)} msg/s (${(a.result.messagesPerSec / b.result.messagesPerSec).toFixed(3)})`);
      }
    }

    const summary = Sizes.flatMap((size) => [
      ...servers.map(({ label }) => summarise(runs, label, size.name)),
      ...[OursLabel, BareLabel].map((label) => summarise(runs, label, sharedModeName({ name: size.name } as LoadMode))),
    ]);

    const comparisons: Comparison[] = Sizes.flatMap((size): Comparison[] => {
      const shared = sharedModeName({ name: size.name } as LoadMode);
      const sharedRatio = medianRoundRatio(runs, shared, OursLabel, BareLabel);
      const o = summarise(runs, OursLabel, size.name);
      const b = summarise(runs, BareLabel, size.name);
      const w = summarise(runs, WsLabel, size.name);
      const so = summarise(runs, OursLabel, shared);
      const sb = summarise(runs, BareLabel, shared);
      return [
        { mode: shared, metric: 'ours / bare uWS msg/s', ours: so.requestsPerSec, reference: sb.requestsPerSec, ratio: sharedRatio, budget: Budget, pass: sharedRatio >= Budget },
        { mode: size.name, metric: 'ours / bare uWS msg/s (back to back)', ours: o.requestsPerSec, reference: b.requestsPerSec, ratio: o.requestsPerSec / b.requestsPerSec, budget: null, pass: true },
        { mode: size.name, metric: 'ours / ws package msg/s', ours: o.requestsPerSec, reference: w.requestsPerSec, ratio: o.requestsPerSec / w.requestsPerSec, budget: null, pass: true },
        { mode: size.name, metric: 'round-trip p99 (ours)', ours: o.p99Ms ?? Number.NaN, reference: b.p99Ms ?? Number.NaN, value: o.p99Ms ?? Number.NaN, unit: 'ms', budget: null, pass: true },
      ];
    });

    const notes: string[] = [];
    const cpuOf = (label: string, mode: string): number => median(runs.filter((r) => r.server === label && r.mode === mode).map((r) => r.clientCpu));
    const cpuLine = Sizes.map((size) => `${size.name}: ${servers.map(({ label }) => `${label} ${(cpuOf(label, size.name) * 100).toFixed(0)} %`).join(', ')}`).join('; ');
    notes.push(`Load client CPU, back to back, as a share of its core (median): ${cpuLine}.`);
    if (Sizes.some((size) => cpuOf(BareLabel, size.name) > ClientBoundCpu)) {
      notes.push(`The client used over ${ClientBoundCpu * 100} % of its core against bare uWS: the back-to-back rates may be the client's; the budget is judged on the shared-CPU rounds, where both servers share one core and the two clients the other.`);
    }
    if (summary.some((r) => r.socketErrors > 0)) notes.push('Some runs lost connections (errors column): treat those figures with suspicion.');
    if (options.quick) notes.push('Quick smoke run: one 1 s round of each kind, figures are indicative only.');

    const loadCommands = [
      ...servers.flatMap((entry) => Sizes.map((size) => clientCommandLine(entry.server.port, size, plan.durationSec, pinning.loadCpu))),
      ...[ours, bare].flatMap((entry) => Sizes.map((size) => `${clientCommandLine(entry.server.port, size, plan.sharedSec, pinning.loadCpu)}   # shared-CPU rounds, both at once`)),
    ];
    return {
      name: 'ws-echo',
      title: `ws-echo: \`${Route}\` messages/s and round trips vs bare uWebSockets.js and the \`ws\` package`,
      method: [
        `Every server echoes each WebSocket message back: mock-upstream's \`${Route}\` (1 worker), bare uWebSockets.js (\`app.ws('/*', { message: (ws, m, b) => ws.send(m, b) })\`, ` +
          'compression off, maxPayloadLength, idleTimeout and maxBackpressure as mock-upstream\'s; bench/servers/bare-uws-ws.ts) and the `ws` package\'s `WebSocketServer` ' +
          'on node:http (perMessageDeflate off; bench/servers/ws-echo.ts). No compression is negotiated anywhere.',
        `Load: bench/clients/ws-echo-load.ts, one Node process per server, ${Connections} connections each keeping ${Inflight} binary messages of 64 B or 4 KB in flight ` +
          '(closed loop: every echo received sends the next). Frames are built and masked once at startup, so the client only counts bytes per message; ' +
          'round trips are timed per message from its send to its echo (the server echoes in order), one clock read per socket read, in a 1 µs histogram. ' +
          `Each run opens its connections, warms up ${WarmupSec} s, then counts.`,
        `Shared-CPU rounds (the budget ≥ ${Budget}): mock-upstream and bare uWS both pinned to the server CPU and loaded at the same time by two clients sharing the load CPU, ` +
          `${plan.sharedRounds} round${plan.sharedRounds === 1 ? '' : 's'} × ${plan.sharedSec} s per size; the ratio is the median of the per-round ratios. ` +
          `Back to back (information): each server alone, ${plan.rounds} round${plan.rounds === 1 ? '' : 's'} × ${plan.durationSec} s per size, the order rotating. ` +
          `CPU pinning: ${pinning.description}.`,
      ],
      rounds: plan.rounds,
      durationSec: plan.durationSec,
      schedule: `Servers (back to back ${plan.rounds} × ${plan.durationSec} s, shared CPU ${plan.sharedRounds} × ${plan.sharedSec} s; figures are medians over the rounds; "msg/s" in the req/s column):`,
      serverCommands: started.map((server) => server.commandLine),
      loadLead: 'Load, one client process per server, size and round (the JSON argument is the client\'s whole configuration):',
      loadCommands,
      summary,
      comparisons,
      runs,
      notes,
      pass: comparisons.every((c) => c.pass),
    };
  });
}

if (isMain(import.meta.url)) await runAlone('ws-echo', runWsEchoBench);

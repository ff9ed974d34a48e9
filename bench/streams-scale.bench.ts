// 10,000 server-push streams held open at once: WebSockets on /ws/stream and (separately) Server-Sent Events
// on /sse, one 64-byte stamped message per second each. What it costs the server (RSS per open stream), how
// punctual the server is (each message's send time against its stream's schedule, from the stamps alone,
// so no clock sync is needed), how fast messages arrive (same host), and that the open gauge falls back to 0
// once the client is gone. Run alone: node dist/bench/streams-scale.bench.js [--quick]
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { StreamLoadOptions, StreamLoadResult } from './clients/stream-load.js';
import { assertRunning, oursSpec, runAlone, withServers, prepareBench } from './lib/common.js';
import { pinned } from './lib/cpu.js';
import { type BenchOptions } from './lib/options.js';
import { fromRoot, isMain, repoRoot } from './lib/paths.js';
import { effectiveNofile, shellJoin, spawnTracked, withNofile } from './lib/proc.js';
import { formatLatency, formatRate, table, type BenchResult, type Comparison } from './lib/report.js';
import { httpGet, startServer, type RunningServer } from './lib/server.js';

const IntervalMs = 1_000;

interface Kind {
  name: string;
  kind: StreamLoadOptions['kind'];
  /** The route as /__mock/stats names it. */
  route: string;
  path: string;
}
const Kinds: readonly Kind[] = [
  { name: 'WebSocket', kind: 'ws', route: '/ws/stream', path: '/ws/stream?interval=1s&size=64&count=0' },
  { name: 'SSE', kind: 'sse', route: '/sse', path: '/sse?interval=1s&count=0' },
];

// rampSec: opening paced over two intervals, so the streams' schedules spread over the second (a real
// fleet of clients does not connect in one instant); settleSec: the opening storm is not counted.
const Full = { connections: 10_000, durationSec: 20, rampSec: 2, settleSec: 2 };
const Quick = { connections: 2_000, durationSec: 4, rampSec: 1, settleSec: 1 };

/** Budget for the send-time lateness p99 (ms); the open gauge must be back to 0 and no message lost. */
const Budget = { latenessP99Ms: 5, gaugeAfter: 0, lost: 0 };
// RSS is sampled once a second by the server: wait past one sample before reading it.
const RssSampleMs = 1_200;
// How long the open gauge may take to fall to 0 after the client's process exits (its sockets close at once).
const GaugeTimeoutMs = 10_000;
const SpareFds = 256;

function clientScript(): string {
  const script = fileURLToPath(new URL('./clients/stream-load.js', import.meta.url));
  if (!existsSync(script)) throw new Error(`the load client ${fromRoot(script)} is missing (run \`npm run build\`)`);
  return script;
}

function clientOptions(port: number, kind: Kind, plan: typeof Full): StreamLoadOptions {
  return { kind: kind.kind, port, path: kind.path, connections: plan.connections, intervalMs: IntervalMs, rampSec: plan.rampSec, settleSec: plan.settleSec, durationSec: plan.durationSec };
}

function clientCommand(options: StreamLoadOptions, cpu: string | undefined, node: string): [string, string[]] {
  return pinned(cpu, ...withNofile(node, [fromRoot(clientScript()), JSON.stringify(options)]));
}

/** The status of a GET (the body is not waited for: a stream would never end). */
function statusOf(port: number, path: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, timeout: timeoutMs }, (res) => {
      resolve(res.statusCode ?? 0);
      res.destroy();
    });
    req.once('timeout', () => req.destroy(new Error(`GET ${path} gave no status within ${timeoutMs} ms`)));
    req.once('error', reject);
    req.end();
  });
}

interface ServerView {
  rssBytes: number;
  /** The route's open gauge (0 when the route has no entry yet). */
  open: number;
  closed: number;
}

async function view(server: RunningServer, route: string): Promise<ServerView> {
  const res = await httpGet(server.port, '/__mock/stats', 5_000);
  if (res.status !== 200) throw new Error(`${server.name} answered GET /__mock/stats with ${res.status}`);
  const stats = JSON.parse(res.body.toString('utf8')) as { totals?: { rssBytes?: number }; streams?: { route: string; open: number; closed: number }[] };
  const rssBytes = stats.totals?.rssBytes;
  if (typeof rssBytes !== 'number' || rssBytes <= 0) throw new Error(`${server.name}'s /__mock/stats has no totals.rssBytes yet: ${res.body.toString('utf8').slice(0, 300)}`);
  if (!Array.isArray(stats.streams)) throw new Error(`${server.name}'s /__mock/stats has no streams[] (a build without stream counters?)`);
  const entry = stats.streams.find((s) => s.route === route);
  return { rssBytes, open: entry?.open ?? 0, closed: entry?.closed ?? 0 };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** What one kind measured. */
interface Measured {
  kind: Kind;
  commandLine: string;
  openSec: number;
  before: ServerView;
  during: ServerView;
  after: ServerView;
  /** ms from the client's exit to the gauge reading 0 (null when it did not within GaugeTimeoutMs). */
  gaugeZeroMs: number | null;
  result: StreamLoadResult;
  /** The machine's 1-minute load average when the client finished (2 cores: above 2, jobs queue for CPU). */
  load: number;
}

// Runs the client, reads the server's stats mid-window, then watches the gauge fall once the client has gone.
async function measure(server: RunningServer, kind: Kind, plan: typeof Full, cpu: string | undefined, log: (line: string) => void): Promise<Measured> {
  await sleep(RssSampleMs);
  const before = await view(server, kind.route);
  const options = clientOptions(server.port, kind, plan);
  const [command, args] = clientCommand(options, cpu, process.execPath);
  const shown = clientCommand(options, cpu, 'node');
  const commandLine = shellJoin(...shown);
  const tracked = spawnTracked(command, args, { cwd: repoRoot(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let openSec = Number.NaN;
  let during: Promise<ServerView> | null = null;
  tracked.child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  tracked.child.stdout?.on('data', (chunk: Buffer) => {
    const before = stdout;
    stdout += chunk.toString('utf8');
    // The open event: read the server mid-window, with every stream open and settled.
    if (during === null && !before.includes('\n') && stdout.includes('\n')) {
      const first = JSON.parse(stdout.slice(0, stdout.indexOf('\n'))) as { event: string; seconds: number };
      openSec = first.seconds;
      log(`${kind.name}: ${formatRate(plan.connections)} streams open after ${openSec.toFixed(1)} s`);
      during = sleep((plan.settleSec + plan.durationSec / 2) * 1_000).then(() => view(server, kind.route));
      during.catch(() => undefined);
    }
  });
  const limitMs = (plan.rampSec + plan.settleSec + plan.durationSec + 60) * 1_000;
  let limitTimer: NodeJS.Timeout | undefined;
  const limit = new Promise<null>((resolve) => {
    limitTimer = setTimeout(() => resolve(null), limitMs);
  });
  const info = await Promise.race([tracked.exited, limit]);
  // A pending limit timer would keep the bench alive for a minute after its work is done.
  clearTimeout(limitTimer);
  if (info === null) throw new Error(`${commandLine} did not finish within ${limitMs / 1_000} s:\n${stdout}${stderr}`);
  const exitedAt = performance.now();
  assertRunning(server);
  if (info.code !== 0) throw new Error(`${commandLine} failed (${info.code === null ? `signal ${String(info.signal)}` : `code ${info.code}`}):\n${stdout}${stderr}`);
  if (during === null) throw new Error(`${commandLine} never reported its streams open:\n${stdout}${stderr}`);
  const result = JSON.parse(stdout.trim().split('\n').pop() ?? '') as StreamLoadResult;
  // The gauge falls as the server sees each close; bounded wait, polled every 50 ms.
  let after = await view(server, kind.route);
  while (after.open > 0 && performance.now() - exitedAt < GaugeTimeoutMs) {
    await sleep(50);
    after = await view(server, kind.route);
  }
  const gaugeZeroMs = after.open === 0 ? performance.now() - exitedAt : null;
  const load = loadavg()[0];
  return { kind, commandLine, openSec, before, during: await (during as Promise<ServerView>), after, gaugeZeroMs, result, load };
}

function mb(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(1)} MiB`;
}

/** Runs the 10k-streams bench (2k streams, 4 s with quick) for WebSocket and SSE (skipped while the server has no /sse); servers are always stopped. */
export async function runStreamsScaleBench(options: BenchOptions): Promise<BenchResult> {
  const plan = options.quick ? Quick : Full;
  const { pinning, log } = await prepareBench('streams-scale');
  const nofile = await effectiveNofile();
  if (nofile < plan.connections + SpareFds) {
    throw new Error(`the open-files limit is ${nofile} even after raising it, too low for ${plan.connections} streams; raise the hard limit to at least ${plan.connections + SpareFds}`);
  }
  const n = plan.connections.toLocaleString('en-US');

  return withServers(log, async (started) => {
    const measured: Measured[] = [];
    const notes: string[] = [];
    const serverCommands: string[] = [];
    for (const kind of Kinds) {
      // A fresh server per kind: RSS before is a clean baseline, not what the previous kind left behind.
      const server = await startServer(oursSpec({ name: `mock-upstream-${kind.kind}`, raiseNofile: true }), pinning.serverCpu);
      started.push(server);
      serverCommands.push(server.commandLine);
      log(`started ${server.name}: ${server.commandLine}`);
      const status = await statusOf(server.port, kind.kind === 'ws' ? kind.route : '/sse?interval=1s&count=1', 5_000);
      if (status === 404) {
        notes.push(`${kind.name}: skipped, route missing (\`GET ${kind.route}\` answered 404 on this build); it runs once the route is on main.`);
        log(`${kind.name}: skipped, route missing (404)`);
        await server.stop();
        continue;
      }
      const expected = kind.kind === 'ws' ? 426 : 200;
      if (status !== expected) throw new Error(`${server.name} answered GET ${kind.route} (no upgrade) with ${status}, expected ${expected}`);
      const m = await measure(server, kind, plan, pinning.loadCpu, log);
      measured.push(m);
      const r = m.result;
      log(`${kind.name}: RSS +${mb(m.during.rssBytes - m.before.rssBytes)} (${formatRate((m.during.rssBytes - m.before.rssBytes) / plan.connections)} B/stream), ` +
        `lateness p50 ${formatLatency(r.lateness.p50)} p99 ${formatLatency(r.lateness.p99)} max ${formatLatency(r.lateness.max)}, ` +
        `delivery p99 ${formatLatency(r.delivery.p99)}, open gauge ${m.during.open} → ${m.after.open}` +
        (m.gaugeZeroMs === null ? ' (not 0!)' : ` (0 after ${m.gaugeZeroMs.toFixed(0)} ms)`));
      await server.stop();
    }

    const comparisons: Comparison[] = measured.flatMap((m): Comparison[] => {
      const r = m.result;
      const mode = `${n} ${m.kind.name}`;
      const perConn = (m.during.rssBytes - m.before.rssBytes) / plan.connections;
      const lost = r.gaps + r.errors + (plan.connections - r.open);
      return [
        { mode, metric: 'RSS per open stream (bytes)', ours: perConn, reference: Number.NaN, value: perConn, unit: 'count', budget: null, pass: true },
        { mode, metric: 'send lateness p99', ours: r.lateness.p99, reference: Number.NaN, value: r.lateness.p99, unit: 'ms', budget: Budget.latenessP99Ms, bound: 'max', pass: r.lateness.p99 <= Budget.latenessP99Ms },
        { mode, metric: 'delivery latency p99', ours: r.delivery.p99, reference: Number.NaN, value: r.delivery.p99, unit: 'ms', budget: null, pass: true },
        { mode, metric: 'open gauge after the client left', ours: m.after.open, reference: Number.NaN, value: m.after.open, unit: 'count', budget: Budget.gaugeAfter, bound: 'max', pass: m.after.open <= Budget.gaugeAfter },
        { mode, metric: 'streams failed, messages lost or reordered', ours: lost, reference: Number.NaN, value: lost, unit: 'count', budget: Budget.lost, bound: 'max', pass: lost <= Budget.lost },
      ];
    });

    const extra = measured.length === 0 ? [] : [
      table(
        ['streams', 'open after', 'RSS before → open', 'per stream', 'messages', 'lateness p50 / p99 / max (min)', 'delivery p50 / p99 / max', 'open gauge: open → after', 'client CPU', 'load avg'],
        ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
        measured.map((m) => {
          const r = m.result;
          return [
            `${n} ${m.kind.name}`,
            `${m.openSec.toFixed(1)} s`,
            `${mb(m.before.rssBytes)} → ${mb(m.during.rssBytes)}`,
            `${formatRate((m.during.rssBytes - m.before.rssBytes) / plan.connections)} B`,
            formatRate(r.messages),
            `${formatLatency(r.lateness.p50)} / ${formatLatency(r.lateness.p99)} / ${formatLatency(r.lateness.max)} (${r.lateness.min.toFixed(3)} ms)`,
            `${formatLatency(r.delivery.p50)} / ${formatLatency(r.delivery.p99)} / ${formatLatency(r.delivery.max)}`,
            `${m.during.open} → ${m.after.open}${m.gaugeZeroMs === null ? '' : ` (${m.gaugeZeroMs.toFixed(0)} ms)`}`,
            `${(r.clientCpu * 100).toFixed(0)} %`,
            m.load.toFixed(1),
          ];
        }),
      ),
    ];
    for (const m of measured) {
      const r = m.result;
      if (r.errors > 0) notes.push(`${m.kind.name}: ${r.errors} stream error(s), the first: ${r.firstError}`);
      if (m.gaugeZeroMs === null) notes.push(`${m.kind.name}: the open gauge still read ${m.after.open} ${GaugeTimeoutMs / 1_000} s after the client's process exited (a server bug: closed streams not counted down).`);
      if (r.lateness.min < -0.1 && r.earliest !== null) {
        notes.push(`${m.kind.name}: a message was sent ${(-r.lateness.min).toFixed(2)} ms before its schedule as the stamps tell it (seq ${r.earliest.seq}, first seq ${r.earliest.firstSeq}): ` +
          'the schedule is anchored on each stream\'s first stamp, which is itself late when the server thread was preempted between planning the first message and stamping it (a busy machine), ' +
          'so a negative lateness is the first stamp\'s delay, not an early send.');
      }
      if (r.lateness.p99 > Budget.latenessP99Ms) {
        notes.push(`${m.kind.name}: lateness p99 ${formatLatency(r.lateness.p99)} is over the ${Budget.latenessP99Ms} ms budget; compare the load average (table) and the client's CPU: ` +
          'on this 2-core VM shared with other jobs, the server thread waits for its core as well as for its timer.');
      }
    }
    if (options.quick) notes.push(`Quick smoke run: ${n} streams for ${plan.durationSec} s, figures are indicative only.`);

    const commands = measured.map((m) => m.commandLine);
    return {
      name: 'streams-scale',
      title: `streams-scale: ${n} open WebSocket / SSE streams, one stamped message per second each`,
      method: [
        `A fresh mock-upstream (1 worker, open-files limit raised to ${nofile}) per kind; one client process (bench/clients/stream-load.ts, raw WebSockets with a minimal frame reader, ` +
          `node:http + eventsource-parser for SSE) opens ${n} streams on \`${Kinds[0].path}\` or \`${Kinds[1].path}\`, paced evenly over ${plan.rampSec} s so their schedules spread over the second, ` +
          `waits until every stream has its first message and ${plan.settleSec} s more, then counts for ${plan.durationSec} s and exits (closing every stream at once).`,
        'RSS per open stream: the server\'s `/__mock/stats` totals.rssBytes (whole process, sampled once a second) mid-window minus the reading before the client started, divided by the streams. ' +
          'Send lateness, from the stamps alone (no clock sync): for message i of a stream, sent_i − (sent_1 + (seq_i − seq_1) × 1 s), over every message counted (first messages excluded: 0 by definition). ' +
          'Delivery latency: the client\'s arrival time minus sent (both epoch clocks of this host; includes the client\'s own queueing). ' +
          `The open gauge (streams[].open of the route) is read mid-window and after the client's exit, polled every 50 ms for up to ${GaugeTimeoutMs / 1_000} s.`,
        `Budget: lateness p99 ≤ ${Budget.latenessP99Ms} ms (on 2 cores), the gauge back at 0, no stream failed and no sequence gap. CPU pinning: ${pinning.description}. ` +
          'SSE is skipped with a note while `GET /sse` answers 404 (the route lands on main separately).',
      ],
      rounds: 1,
      durationSec: plan.durationSec,
      schedule: `Servers (one per kind, ${plan.durationSec} s counted each):`,
      serverCommands,
      loadLead: 'Load, one client process per kind (the JSON argument is its whole configuration):',
      loadCommands: commands.length > 0 ? commands : ['(none: every kind was skipped)'],
      summary: [],
      comparisons,
      runs: [],
      notes,
      extra,
      pass: comparisons.every((c) => c.pass),
    };
  });
}

if (isMain(import.meta.url)) await runAlone('streams-scale', runStreamsScaleBench);

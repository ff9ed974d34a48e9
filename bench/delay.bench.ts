// 10,000 responses pending at once: mock-upstream's /delay/1s, which holds
// them in one scheduler with a single armed timer, against bare uWebSockets.js
// giving every request its own setTimeout(1000). The budget is absolute: a
// delayed response must arrive on time, and none may fail, however many wait.
// Run alone: node dist/bench/delay.bench.js [--quick]
import { assertRunning, benchServerSpec, oursSpec, roundRow, rotated, summarise, runAlone, withServers, prepareBench } from './lib/common.js';
import { type BenchOptions } from './lib/options.js';
import { isMain } from './lib/paths.js';
import { effectiveNofile } from './lib/proc.js';
import { formatLatency, type BenchResult, type Comparison, type RoundRow, type Row } from './lib/report.js';
import { httpGet, startServer, type RunningServer } from './lib/server.js';
import { runWrk, summaryScript, wrkCommandLine, type WrkOptions } from './lib/wrk.js';

const Route = '/delay/1s';
const DelayMs = 1_000;
const OursLabel = 'mock-upstream';
const BareLabel = 'bare uWS + setTimeout';

const Full = { rounds: 3, durationSec: 10, connections: 10_000 };
// A smoke run proves the rig, not the 10k figure: 2k connections, 3 delay periods.
const Quick = { rounds: 1, durationSec: 3, connections: 2_000 };
// Two delay periods: one full round trip per connection before anything is recorded.
const WarmupSec = 2;
// Above the delay with room for a slow machine; a response this late is an error, not a latency.
const TimeoutSec = 5;
// Sockets wrk and the server need besides the connections (listeners, pipes, the event loop).
const SpareFds = 256;

/** Latency budgets for mock-upstream, in ms, and its allowance of failed requests. */
const Budget = { p50Ms: 1_005, p99Ms: 1_030, errors: 0 };

// Both must answer 200 with an empty body, and not early: a server that
// ignored the delay would win the bench.
async function checkResponses(servers: readonly RunningServer[]): Promise<void> {
  await Promise.all(
    servers.map(async (server) => {
      const started = performance.now();
      const res = await httpGet(server.port, Route, DelayMs + 5_000);
      const elapsed = performance.now() - started;
      if (res.status !== 200) throw new Error(`${server.name} answered GET ${Route} with ${res.status}: ${res.body.toString('utf8').slice(0, 200)}`);
      if (res.body.length !== 0) throw new Error(`${server.name} answered GET ${Route} with a ${res.body.length}-byte body, expected none`);
      if (elapsed < DelayMs - 5) throw new Error(`${server.name} answered GET ${Route} after ${elapsed.toFixed(1)} ms, before the delay`);
    }),
  );
}

function wrkOptions(server: RunningServer, connections: number, durationSec: number, cpu: string | undefined): WrkOptions {
  return {
    url: server.url(Route),
    threads: 1,
    connections,
    durationSec,
    timeoutSec: TimeoutSec,
    // Unrounded percentiles: wrk itself prints "1.00s", too coarse for a 1.005 s budget.
    script: summaryScript(),
    raiseNofile: true,
    ...(cpu === undefined ? {} : { cpu }),
  };
}

function errorsOf(row: Row): number {
  return row.socketErrors + row.non2xx;
}

function checks(mode: string, ours: Row, bare: Row): Comparison[] {
  const latency = (name: 'p50' | 'p99', o: number | null, b: number | null, budget: number): Comparison => {
    const value = o ?? Number.POSITIVE_INFINITY;
    return {
      mode,
      metric: `${name} (ours)`,
      ours: value,
      reference: b ?? Number.NaN,
      value,
      unit: 'ms',
      budget,
      bound: 'max',
      pass: value <= budget,
    };
  };
  return [
    latency('p50', ours.p50Ms, bare.p50Ms, Budget.p50Ms),
    latency('p99', ours.p99Ms, bare.p99Ms, Budget.p99Ms),
    {
      mode,
      metric: 'errors (ours)',
      ours: errorsOf(ours),
      reference: errorsOf(bare),
      value: errorsOf(ours),
      unit: 'count',
      budget: Budget.errors,
      bound: 'max',
      pass: errorsOf(ours) <= Budget.errors,
    },
  ];
}

/** Runs the 10k-pending /delay/1s comparison (3 rounds × 10 s; 2k connections, 1 × 3 s with quick) and returns its figures; servers are always stopped. */
export async function runDelayBench(options: BenchOptions): Promise<BenchResult> {
  const { rounds, durationSec, connections } = options.quick ? Quick : Full;
  const { pinning, log } = await prepareBench('delay');
  const nofile = await effectiveNofile();
  if (nofile < connections + SpareFds) {
    throw new Error(
      `the open-files limit is ${nofile} even after raising it, too low for ${connections} connections; ` +
        `raise the hard limit (ulimit -Hn, or the container's nofile) to at least ${connections + SpareFds}`,
    );
  }
  const mode = `${connections.toLocaleString('en-US')} conns`;

  return withServers(log, async (started) => {
    for (const spec of [oursSpec({ raiseNofile: true }), benchServerSpec('bare-uws-timeout', 'bare-uws-timeout.js', { raiseNofile: true })]) {
      started.push(await startServer(spec, pinning.serverCpu));
      log(`started ${spec.name}: ${started[started.length - 1].commandLine}`);
    }
    const [ours, bare] = started;
    const label = (server: RunningServer): string => (server === ours ? OursLabel : BareLabel);
    await checkResponses(started);

    for (const server of started) {
      await runWrk(wrkOptions(server, connections, WarmupSec, pinning.loadCpu));
      assertRunning(server);
    }
    log(`warmed up (${WarmupSec} s per server)`);

    const runs: RoundRow[] = [];
    let earliest = { ms: Number.POSITIVE_INFINITY, server: '' };
    for (let round = 1; round <= rounds; round++) {
      // Alternating who goes first spreads slow drift (heat, neighbours) over both servers.
      for (const server of rotated(started, round)) {
        const run = await runWrk(wrkOptions(server, connections, durationSec, pinning.loadCpu));
        assertRunning(server);
        if (run.result.requests === 0) throw new Error(`${run.commandLine} completed no request:\n${run.raw}`);
        if (run.summary === undefined) throw new Error(`${run.commandLine} printed no wrk-summary line (bench/lua/summary.lua):\n${run.raw}`);
        if (run.summary.minMs < earliest.ms) earliest = { ms: run.summary.minMs, server: label(server) };
        const row = roundRow(run, { round, server: label(server), mode });
        runs.push(row);
        log(
          `round ${round}/${rounds} ${row.server.padEnd(21)} p50 ${formatLatency(row.p50Ms)}  p90 ${formatLatency(row.p90Ms)}` +
            `  p99 ${formatLatency(row.p99Ms)}  max ${formatLatency(row.maxMs)}  errors ${errorsOf(row)}`,
        );
      }
    }

    const oursRow = summarise(runs, OursLabel, mode);
    const bareRow = summarise(runs, BareLabel, mode);
    const comparisons = checks(mode, oursRow, bareRow);

    const notes: string[] = [];
    const bareMisses = (bareRow.p50Ms ?? Infinity) > Budget.p50Ms || (bareRow.p99Ms ?? Infinity) > Budget.p99Ms;
    if (comparisons.some((c) => !c.pass) && bareMisses) {
      notes.push(
        `The reference misses the latency budget too (p50 ${formatLatency(bareRow.p50Ms)}, p99 ${formatLatency(bareRow.p99Ms)}), ` +
          'so the excess over 1 s is not down to mock-upstream\'s scheduler alone: compare the two rows before blaming it.',
      );
    }
    if (errorsOf(bareRow) > 0) notes.push(`The reference had errors as well (${errorsOf(bareRow)}).`);
    if (earliest.ms < DelayMs) {
      notes.push(
        `Some responses arrived before the delay as wrk measures it (earliest ${formatLatency(earliest.ms)}, ${earliest.server}): ` +
          (earliest.server === OursLabel
            ? 'mock-upstream\'s scheduler never answers before the delay by its own clock, so this is wrk\'s timing (it stamps the send before the request leaves).'
            : 'Node timers may fire up to 1 ms early; mock-upstream\'s scheduler re-arms instead (never early).'),
      );
    }
    if (options.quick) notes.push(`Quick smoke run: ${connections.toLocaleString('en-US')} connections, one short round, figures are indicative only.`);

    const commandsFor = (server: RunningServer): string => wrkCommandLine(wrkOptions(server, connections, durationSec, pinning.loadCpu));
    return {
      name: 'delay',
      title: `delay: ${connections.toLocaleString('en-US')} pending \`${Route}\` responses, mock-upstream vs uWebSockets.js with a timer per request`,
      method: [
        `wrk keeps ${connections.toLocaleString('en-US')} keep-alive connections each waiting for \`GET ${Route}\`, so that many responses are pending at once. ` +
          'mock-upstream (1 worker) holds them in its scheduler (one timer for all); the reference is uWebSockets.js answering an empty 200 ' +
          'after a setTimeout(1000) per request, with onAborted registered and the deferred write corked (bench/servers/bare-uws-timeout.ts).',
        `Budget, for mock-upstream: p50 ≤ ${formatLatency(Budget.p50Ms)}, p99 ≤ ${formatLatency(Budget.p99Ms)}, no socket error (connect, read, write, ` +
          `timeout after ${TimeoutSec} s) and no non-2xx answer. Percentiles are wrk's own, printed unrounded by bench/lua/summary.lua ` +
          '(wrk rounds seconds to 2 decimals). The reference is measured the same way, to tell the server from the rig.',
        `All connections start together, so requests arrive in waves of ${connections.toLocaleString('en-US')} once per second; ` +
          'the latency above 1 s is expected to be mostly how long one core takes to write a wave of responses and read the next requests, ' +
          'which the reference pays as well.',
        `CPU pinning: ${pinning.description}. Servers and wrk run with the open-files limit raised to ${nofile} (bash ulimit). ` +
          `Both servers are started once, checked (200, empty body, not before 1 s), warmed up with ${WarmupSec} s each, ` +
          `then measured for ${rounds} round${rounds === 1 ? '' : 's'}, the order alternating between rounds. Figures are medians over the rounds, errors are summed.`,
      ],
      rounds,
      durationSec,
      serverCommands: [ours.commandLine, bare.commandLine],
      loadCommands: [commandsFor(ours), commandsFor(bare)],
      summary: [oursRow, bareRow],
      comparisons,
      runs,
      notes,
      pass: comparisons.every((c) => c.pass),
    };
  });
}

if (isMain(import.meta.url)) await runAlone('delay', runDelayBench);

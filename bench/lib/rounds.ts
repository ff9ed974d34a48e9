// The loop most comparisons share: warm every server up, then per round run
// every mode against every server (order rotated between rounds), one wrk run
// each, with the pipelined latencies recomputed per batch.
import { assertRunning, rotated } from './common.js';
import { formatLatency, formatRate, type RoundRow } from './report.js';
import type { RunningServer } from './server.js';
import { pipelineScript, runWrk, wrkCommandLine, type WrkOptions, type WrkRun } from './wrk.js';

/** One way of loading a server. */
export interface LoadMode {
  name: string;
  connections: number;
  /** 16 requests per write (bench/lua/pipeline.lua). */
  pipelined: boolean;
}

/** A started server and the name its rows carry. */
export interface Labelled {
  label: string;
  server: RunningServer;
}

/** The wrk options of one run: 1 thread, the mode's connections, pinned to cpu when given. */
export function loadOptions(server: RunningServer, route: string, mode: LoadMode, durationSec: number, cpu: string | undefined): WrkOptions {
  return {
    url: server.url(route),
    threads: 1,
    connections: mode.connections,
    durationSec,
    ...(mode.pipelined ? { script: pipelineScript() } : {}),
    ...(cpu === undefined ? {} : { cpu }),
  };
}

/** The row of one run; pipelined latencies per batch of 16 (null when the script printed no usable histogram). */
export function modeRow(run: WrkRun, mode: LoadMode, round: number, label: string): RoundRow {
  const s = run.result.socketErrors;
  return {
    round,
    server: label,
    mode: mode.name,
    command: run.commandLine,
    requestsPerSec: run.result.requestsPerSec,
    p50Ms: mode.pipelined ? (run.pipelined?.p50Ms ?? null) : run.result.p50Ms,
    p99Ms: mode.pipelined ? (run.pipelined?.p99Ms ?? null) : run.result.p99Ms,
    socketErrors: s.connect + s.read + s.write + s.timeout,
    non2xx: run.result.non2xx,
  };
}

/** What measureRounds does. */
export interface RoundsPlan {
  servers: readonly Labelled[];
  modes: readonly LoadMode[];
  route: string;
  rounds: number;
  durationSec: number;
  warmupSec: number;
  /** wrk's CPU, when pinning. */
  cpu: string | undefined;
  log: (line: string) => void;
}

/** Warms up, then runs every round; throws when a server dies or a run completes nothing. */
export async function measureRounds(plan: RoundsPlan): Promise<RoundRow[]> {
  const { servers, modes, route, rounds, durationSec, cpu, log } = plan;
  for (const { server } of servers) {
    for (const mode of modes) {
      await runWrk(loadOptions(server, route, mode, plan.warmupSec, cpu));
      assertRunning(server);
    }
  }
  log(`warmed up (${plan.warmupSec} s per server and mode)`);
  const runs: RoundRow[] = [];
  for (let round = 1; round <= rounds; round++) {
    for (const mode of modes) {
      for (const { label, server } of rotated(servers, round)) {
        const run = await runWrk(loadOptions(server, route, mode, durationSec, cpu));
        assertRunning(server);
        if (run.result.requests === 0) throw new Error(`${run.commandLine} completed no request:\n${run.raw}`);
        const row = modeRow(run, mode, round, label);
        runs.push(row);
        log(
          `round ${round}/${rounds} ${label.padEnd(16)} ${mode.name.padEnd(13)} ${formatRate(row.requestsPerSec).padStart(9)} req/s` +
            `  p50 ${formatLatency(row.p50Ms)}  p99 ${formatLatency(row.p99Ms)}`,
        );
      }
    }
  }
  return runs;
}

/** The load command of every server and mode, as run. */
export function loadCommands(plan: Pick<RoundsPlan, 'servers' | 'modes' | 'route' | 'durationSec' | 'cpu'>): string[] {
  return plan.servers.flatMap(({ server }) =>
    plan.modes.map((mode) => wrkCommandLine(loadOptions(server, plan.route, mode, plan.durationSec, plan.cpu))),
  );
}

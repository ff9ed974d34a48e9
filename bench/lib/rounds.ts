// The loop most comparisons share: start the servers, warm every one up, then
// per round run every mode against every server (order rotated between
// rounds), one wrk run each, with the pipelined latencies recomputed per batch.
import { assertRunning, rotated, roundRow } from './common.js';
import { median } from './stats.js';
import { formatBandwidth, formatLatency, formatRate, type BenchResult, type RoundRow } from './report.js';
import { startServer, type RunningServer, type ServerSpec } from './server.js';
import { pipelineScript, runWrk, summaryScript, wrkCommandLine, type WrkOptions, type WrkRun } from './wrk.js';

/** One way of loading a server. */
export interface LoadMode {
  name: string;
  connections: number;
  /** 16 requests per write (bench/lua/pipeline.lua). */
  pipelined: boolean;
  /** Run with bench/lua/summary.lua: unrounded latencies and exact bytes per second (rows get bytesPerSec). Not with pipelined. */
  summary?: boolean;
}

/** The load most benches apply: 64 keep-alive connections, one request at a time on each. */
export const KeepAlive: LoadMode = { name: 'keep-alive', connections: 64, pipelined: false };
/** 16 connections, each writing 16 requests at a time: per-request costs without the round trips. */
export const Pipelined: LoadMode = { name: 'pipelined ×16', connections: 16, pipelined: true };

/** A started server and the name its rows carry. */
export interface Labelled {
  label: string;
  server: RunningServer;
  /** The path this entry loads; the plan's route when absent (several entries may share a server with different routes). */
  route?: string;
}

/**
 * Starts each spec (pinned to cpu when given) and labels it. Every server is pushed onto started as soon
 * as it runs, so the caller's `finally { stopAll(started) }` also stops those started before a failure.
 */
export async function startLabelled(
  specs: readonly { label: string; spec: ServerSpec }[],
  cpu: string | undefined,
  started: RunningServer[],
  log: (line: string) => void,
): Promise<Labelled[]> {
  const servers: Labelled[] = [];
  for (const { label, spec } of specs) {
    const server = await startServer(spec, cpu);
    started.push(server);
    servers.push({ label, server });
    log(`started ${spec.name}: ${server.commandLine}`);
  }
  return servers;
}

/** The wrk options of one run: 1 thread, the mode's connections, pinned to cpu when given. */
export function loadOptions(server: RunningServer, route: string, mode: LoadMode, durationSec: number, cpu: string | undefined): WrkOptions {
  if (mode.pipelined && mode.summary === true) throw new Error(`load mode ${mode.name}: pipelined and summary each need their own wrk script`);
  const script = mode.pipelined ? pipelineScript() : mode.summary === true ? summaryScript() : undefined;
  return {
    // wrk sends everything after the authority as the request target, query included (pipeline.lua too).
    url: server.url(route),
    threads: 1,
    connections: mode.connections,
    durationSec,
    ...(script === undefined ? {} : { script }),
    ...(cpu === undefined ? {} : { cpu }),
  };
}

/**
 * The row of one run. Pipelined latencies are per batch of 16 (null when the script printed no usable
 * histogram); summary modes take bench/lua/summary.lua's unrounded figures and add bytesPerSec.
 */
export function modeRow(run: WrkRun, mode: LoadMode, round: number, label: string): RoundRow {
  if (mode.summary === true) {
    if (run.summary === undefined) throw new Error(`${run.commandLine} printed no wrk-summary line (bench/lua/summary.lua):\n${run.raw}`);
    return { ...roundRow(run, { round, server: label, mode: mode.name }), bytesPerSec: run.summary.bytesPerSec };
  }
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
  /** The path loaded, for every entry without its own route. */
  route?: string;
  rounds: number;
  durationSec: number;
  warmupSec: number;
  /** wrk's CPU, when pinning. */
  cpu: string | undefined;
  log: (line: string) => void;
}

function routeOf(entry: Labelled, plan: Pick<RoundsPlan, 'route'>): string {
  const route = entry.route ?? plan.route;
  if (route === undefined) throw new Error(`no route for ${entry.label}: set it on the entry or on the plan`);
  return route;
}

/** Warms up, then runs every round; throws when a server dies or a run completes nothing. */
export async function measureRounds(plan: RoundsPlan): Promise<RoundRow[]> {
  const { servers, modes, rounds, durationSec, cpu, log } = plan;
  for (const entry of servers) {
    for (const mode of modes) {
      await runWrk(loadOptions(entry.server, routeOf(entry, plan), mode, plan.warmupSec, cpu));
      assertRunning(entry.server);
    }
  }
  log(`warmed up (${plan.warmupSec} s per server and mode)`);
  const width = Math.max(...servers.map(({ label }) => label.length));
  const runs: RoundRow[] = [];
  for (let round = 1; round <= rounds; round++) {
    for (const mode of modes) {
      // Each round another entry goes first, so slow drift (heat, neighbours) is spread over all.
      for (const entry of rotated(servers, round)) {
        const run = await runWrk(loadOptions(entry.server, routeOf(entry, plan), mode, durationSec, cpu));
        assertRunning(entry.server);
        if (run.result.requests === 0) throw new Error(`${run.commandLine} completed no request:\n${run.raw}`);
        const row = modeRow(run, mode, round, entry.label);
        runs.push(row);
        log(
          `round ${round}/${rounds} ${entry.label.padEnd(width)} ${mode.name.padEnd(13)} ${formatRate(row.requestsPerSec).padStart(9)} req/s` +
            (row.bytesPerSec === undefined ? '' : `  ${formatBandwidth(row.bytesPerSec)} MB/s`) +
            `  p50 ${formatLatency(row.p50Ms)}  p99 ${formatLatency(row.p99Ms)}`,
        );
      }
    }
  }
  return runs;
}

/** The mode name of shared-CPU rows (see measureShared). */
export function sharedModeName(mode: LoadMode): string {
  return `${mode.name}, shared CPU`;
}

/**
 * Loads every server at the same time, round after round: the servers were started pinned to one CPU and
 * the wrk runs share the load CPU, so each server gets a share of the same CPU at the same moments. A slow
 * patch of the machine (a neighbour, steal time) then slows all of them alike, and the ratio of two rates
 * is the inverse ratio of their CPU cost per request. Back-to-back runs on this kind of machine disagree
 * by ±15 % between identical servers; concurrent ones by about ±2 %. Rows carry sharedModeName(mode).
 */
export async function measureShared(plan: RoundsPlan, mode: LoadMode): Promise<RoundRow[]> {
  const { servers, rounds, durationSec, cpu, log } = plan;
  const load = (entry: Labelled, sec: number): Promise<WrkRun> => runWrk(loadOptions(entry.server, routeOf(entry, plan), mode, sec, cpu));
  await Promise.all(servers.map((entry) => load(entry, plan.warmupSec)));
  const name = sharedModeName(mode);
  const runs: RoundRow[] = [];
  for (let round = 1; round <= rounds; round++) {
    const results = await Promise.all(servers.map((entry) => load(entry, durationSec)));
    servers.forEach((entry, i) => {
      assertRunning(entry.server);
      const run = results[i];
      if (run.result.requests === 0) throw new Error(`${run.commandLine} completed no request:\n${run.raw}`);
      runs.push(modeRow(run, { ...mode, name }, round, entry.label));
    });
    log(`round ${round}/${rounds} ${name}: ${servers.map((e, i) => `${e.label} ${formatRate(results[i].result.requestsPerSec)} req/s`).join(', ')}`);
  }
  return runs;
}

/** The method paragraph of a bench that judges its budget on measureShared's rounds; `ratio` names it, e.g. "ours / bare". */
export function sharedMethod(durationSec: number, ratio: string): string {
  return `Shared-CPU rounds (the budgets): for each mode, both servers loaded at the same time for ${durationSec} s per round, sharing the server CPU, ` +
    `the two wrk runs sharing the load CPU; each round's ${ratio} is taken from the same seconds, and the figure is their median. ` +
    'Back-to-back runs on this machine differ by up to ±15 % between identical servers (neighbours, steal time); concurrent ones by about ±2 %.';
}

/** The median over rounds of a/b (requests/s unless rate says otherwise), each round's two rates taken at the same time (measureShared's rows). */
export function medianRoundRatio(
  runs: readonly RoundRow[], mode: string, a: string, b: string,
  rate: (row: RoundRow) => number = (row) => row.requestsPerSec,
): number {
  const ratios: number[] = [];
  for (const row of runs) {
    if (row.mode !== mode || row.server !== a) continue;
    const other = runs.find((r) => r.mode === mode && r.server === b && r.round === row.round);
    if (other !== undefined) ratios.push(rate(row) / rate(other));
  }
  if (ratios.length === 0) throw new Error(`no rounds of ${a} and ${b} in mode ${mode}`);
  return median(ratios);
}

/** The load command of every server and mode, as run. */
export function loadCommands(plan: Pick<RoundsPlan, 'servers' | 'modes' | 'route' | 'durationSec' | 'cpu'>): string[] {
  return plan.servers.flatMap((entry) =>
    plan.modes.map((mode) => wrkCommandLine(loadOptions(entry.server, routeOf(entry, plan), mode, plan.durationSec, plan.cpu))),
  );
}

/** What a plan fixes in its bench's result: rounds, run length, and the server and wrk command lines as run. */
export function planRecord(plan: Pick<RoundsPlan, 'servers' | 'modes' | 'route' | 'rounds' | 'durationSec' | 'cpu'>): Pick<BenchResult, 'rounds' | 'durationSec' | 'serverCommands' | 'loadCommands'> {
  const servers = [...new Set(plan.servers.map(({ server }) => server))];
  return {
    rounds: plan.rounds,
    durationSec: plan.durationSec,
    serverCommands: servers.map((server) => server.commandLine),
    loadCommands: loadCommands(plan),
  };
}

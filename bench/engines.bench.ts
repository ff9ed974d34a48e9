// What `--engine portable` costs: mock-upstream's /json/valid on keep-alive connections, served by the
// native uWS engine and by the portable engine (the CLI with --engine portable), beside plain node:http
// writing a constant buffer, in the same run.
// No budget: the figures tell users the price of the portable engine.
// Run alone: node dist/bench/engines.bench.js [--quick]
import { benchServerSpec, oursSpec, runNotes, summarise, runAlone, withServers, prepareBench } from './lib/common.js';
import type { BenchOptions } from './lib/options.js';
import { isMain } from './lib/paths.js';
import type { BenchResult, Comparison } from './lib/report.js';
import { KeepAlive, measureRounds, planRecord, startLabelled } from './lib/rounds.js';

const Route = '/json/valid';
const Native = 'mock-upstream (native uWS)';
const Portable = 'mock-upstream (portable)';
const NodeHttp = 'node:http (constant)';
const Full = { rounds: 3, durationSec: 5 };
const Quick = { rounds: 1, durationSec: 2 };
const WarmupSec = 1;

/** Runs the engines comparison and returns its figures; servers are always stopped. */
export async function runEnginesBench(options: BenchOptions): Promise<BenchResult> {
  const { rounds, durationSec } = options.quick ? Quick : Full;
  const { pinning, log } = await prepareBench('engines');
  const specs = [
    { label: Native, spec: oursSpec() },
    { label: Portable, spec: oursSpec({ name: 'mock-upstream-portable', extraArgs: ['--engine', 'portable'] }) },
    { label: NodeHttp, spec: benchServerSpec('node-http', 'node-http.js') },
  ];
  return withServers(log, async (started) => {
    const servers = await startLabelled(specs, pinning.serverCpu, started, log);
    const plan = { servers, modes: [KeepAlive], route: Route, rounds, durationSec, warmupSec: WarmupSec, cpu: pinning.loadCpu, log };
    const runs = await measureRounds(plan);
    const summary = [Native, Portable, NodeHttp].map((label) => summarise(runs, label, KeepAlive.name));
    const native = summarise(runs, Native, KeepAlive.name).requestsPerSec;
    const comparisons: Comparison[] = [Portable, NodeHttp].map((label) => {
      const rate = summarise(runs, label, KeepAlive.name).requestsPerSec;
      return { mode: `${KeepAlive.name}: ${label}`, metric: `${label} / ${Native}`, ours: rate, reference: native, ratio: rate / native, budget: null, pass: true };
    });
    return {
      name: 'engines',
      title: `engines: mock-upstream \`${Route}\` keep-alive on the native and the portable engine, and node:http`,
      method: [
        `The same app (1 worker) on native uWS (the CLI) and on the portable engine (the CLI with --engine portable: node:http), and node:http ` +
          `answering a constant body of the same size (bench/servers/node-http.ts). CPU pinning: ${pinning.description}. ` +
          `${rounds} round(s) of ${durationSec} s after ${WarmupSec} s of warm-up each, the order rotating between rounds; medians over rounds.`,
      ],
      ...planRecord(plan),
      summary,
      comparisons,
      runs,
      notes: runNotes(summary, runs, options.quick),
      pass: true,
    };
  });
}

if (isMain(import.meta.url)) await runAlone('engines', runEnginesBench);

// The bench runner behind `npm run bench`: runs every bench in turn and
// records the figures with the machine and the exact commands in
// bench/RESULTS.md (or bench/RESULTS.quick.md for a --quick smoke run, so a
// smoke run never overwrites the recorded results).
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runAiStreamsBench } from './ai-streams.bench.js';
import { runControlsCostBench } from './controls-cost.bench.js';
import { runDelayBench } from './delay.bench.js';
import { runGatewayBench } from './gateway.bench.js';
import { runGcBench } from './gc.bench.js';
import { runH2Bench } from './h2.bench.js';
import { runJsonValidBench } from './json-valid.bench.js';
import { runEnginesBench } from './engines.bench.js';
import { runLargeBodyBench } from './large-body.bench.js';
import { groupedBarChart } from './lib/chart.js';
import { machineInfo, type MachineInfo } from './lib/machine.js';
import { parseBenchOptions, type BenchOptions } from './lib/options.js';
import { fromRoot, isMain, repoRoot } from './lib/paths.js';
import { installCleanup } from './lib/proc.js';
import { budgetExitCode, formatBudget, formatCheckValue, formatVerdict, renderBench, type BenchResult } from './lib/report.js';
import { ensureWrk } from './lib/wrk.js';
import { peersChartData, runPeersBench } from './peers.bench.js';
import { runRoutesBench } from './routes.bench.js';
import { runSoakBench } from './soak.bench.js';
import { runStartupBench } from './startup.bench.js';
import { runStreamsScaleBench } from './streams-scale.bench.js';
import { runWorkersBench } from './workers.bench.js';
import { runWsEchoBench } from './ws-echo.bench.js';

interface Bench {
  name: string;
  run: (options: BenchOptions) => Promise<BenchResult>;
}

// One line per bench.
const Benches: readonly Bench[] = [
  { name: 'json-valid', run: runJsonValidBench },
  // What --engine portable costs (information, no budget).
  { name: 'engines', run: runEnginesBench },
  { name: 'controls-cost', run: runControlsCostBench },
  { name: 'routes', run: runRoutesBench },
  { name: 'large-body', run: runLargeBodyBench },
  { name: 'peers', run: runPeersBench },
  { name: 'workers', run: runWorkersBench },
  { name: 'gc', run: runGcBench },
  { name: 'gateway', run: runGatewayBench },
  { name: 'startup', run: runStartupBench },
  // WebSocket echo vs bare uWS (shared-CPU budget) and the ws package.
  { name: 'ws-echo', run: runWsEchoBench },
  // HTTP/2 (h2c vs h2o and nginx) and gRPC unary (vs a bare grpc-js server): ratios, no budgets.
  { name: 'h2', run: runH2Bench },
  // The longest (10M requests): about a minute and a half of load.
  { name: 'soak', run: runSoakBench },
  // Before delay: 10k streams held open for 20 s (WebSocket, then SSE once the route exists).
  { name: 'streams-scale', run: runStreamsScaleBench },
  // 1k and 10k paced AI token streams, and non-streaming chat completions vs /json.
  { name: 'ai-streams', run: runAiStreamsBench },
  // Last: its 10k connections leave the most sockets behind in TIME_WAIT.
  { name: 'delay', run: runDelayBench },
];

function invocation(args: readonly string[]): string {
  // npm sets npm_lifecycle_event, so `npm run bench` can be told from `node dist/bench/run.js`.
  if (process.env.npm_lifecycle_event === 'bench') return ['npm run bench', ...(args.length > 0 ? ['--', ...args] : [])].join(' ');
  return ['node', fromRoot(process.argv[1] ?? 'dist/bench/run.js'), ...args].join(' ');
}

/** File name (in bench/) of the chart a run writes: chart.svg for a full run, chart.quick.svg for a smoke run. */
function chartFile(options: BenchOptions): string {
  return options.quick ? 'chart.quick.svg' : 'chart.svg';
}

/** The main comparison (the peers bench) as a grouped bar chart; undefined when that bench is not in the results. */
function renderChart(results: readonly BenchResult[], options: BenchOptions): string | undefined {
  const peers = results.find((result) => result.name === 'peers');
  if (peers === undefined) return undefined;
  const data = peersChartData(peers);
  return groupedBarChart({
    title: 'GET /json/valid, requests per second (median over rounds)',
    subtitle:
      `1 worker each, ${peers.rounds} round${peers.rounds === 1 ? '' : 's'} × ${peers.durationSec} s, wrk -t1 (keep-alive -c64, pipelined ×16 -c16)` +
      (options.quick ? ', quick smoke run' : ''),
    yLabel: 'requests / s',
    ...data,
  });
}

function renderResults(results: readonly BenchResult[], machine: MachineInfo, options: BenchOptions, command: string, seconds: readonly number[]): string {
  const date = new Date().toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  const lines = [
    options.quick ? '# Benchmark results (quick smoke run)' : '# Benchmark results',
    '',
    `Recorded ${date} by \`${command}\`. Generated: rerun instead of editing.` +
      (options.quick ? ' A `--quick` run is a smoke test of the rig (one short round); the recorded figures are in RESULTS.md.' : ''),
    '',
    `Wall time: ${(seconds.reduce((a, b) => a + b, 0) / 60).toFixed(1)} min (${results.map((r, i) => `${r.name} ${seconds[i].toFixed(0)} s`).join(', ')}), ` +
      'not counting the build.',
    '',
    '## Machine',
    '',
    '| | |',
    '|:---|:---|',
    `| CPU | ${machine.cpuModel} |`,
    `| Cores | ${machine.cores} |`,
    `| Kernel | ${machine.kernel} |`,
    `| Node.js | ${machine.node} |`,
    `| uWebSockets.js | ${machine.uws} |`,
    `| wrk | ${machine.wrk} |`,
    `| CPU pinning | ${machine.pinning} |`,
    '',
    '## How to run',
    '',
    '```sh',
    'npm run bench              # build, every bench in full (rounds and durations in each section), writes bench/RESULTS.md',
    'npm run bench -- --quick   # build, 1 short round per bench, writes bench/RESULTS.quick.md',
    ...Benches.map((bench) => `node dist/bench/${bench.name}.bench.js [--quick]   # one bench alone, prints only (after npm run build)`),
    '```',
    '',
    ...(results.some((result) => result.name === 'peers')
      ? [
          '## Chart',
          '',
          `![/json/valid req/s: mock-upstream, bare uWS, nginx, node http](${chartFile(options)})`,
          '',
          `[${chartFile(options)}](${chartFile(options)}): the peers bench below, written by the same run.`,
          '',
        ]
      : []),
    '## Summary',
    '',
    '| bench | mode | check | value | budget | result |',
    '|:---|:---|:---|---:|---:|:---|',
    ...results.flatMap((result) =>
      result.comparisons.map(
        (c) => `| ${result.name} | ${c.mode} | ${c.metric ?? 'ours / bare'} | ${formatCheckValue(c)} | ${formatBudget(c)} | ${formatVerdict(c)} |`,
      ),
    ),
    '',
    ...results.map((result) => `${renderBench(result, 2)}\n`),
  ];
  return `${lines.join('\n').trimEnd()}\n`;
}

/** Runs every bench, writes bench/RESULTS.md (RESULTS.quick.md with --quick) and returns the results. */
export async function runAll(argv: readonly string[]): Promise<BenchResult[]> {
  installCleanup();
  const options = parseBenchOptions(argv, 'npm run bench [-- --quick]  |  node dist/bench/run.js [--quick]');
  await ensureWrk();
  const machine = await machineInfo();
  const results: BenchResult[] = [];
  // Wall time per bench, recorded so the run's length (a full run should stay under 10 minutes) is on file.
  const seconds: number[] = [];
  for (const bench of Benches) {
    process.stderr.write(`== ${bench.name}${options.quick ? ' (quick)' : ''}\n`);
    const started = performance.now();
    results.push(await bench.run(options));
    seconds.push((performance.now() - started) / 1000);
    process.stderr.write(`== ${bench.name} took ${seconds[seconds.length - 1].toFixed(0)} s\n`);
  }
  const file = join(repoRoot(), 'bench', options.quick ? 'RESULTS.quick.md' : 'RESULTS.md');
  // Written only once every bench succeeded, and atomically, so a failed run leaves the previous files intact.
  const writeAtomically = (path: string, text: string): void => {
    const temporary = `${path}.tmp`;
    writeFileSync(temporary, text);
    renameSync(temporary, path);
  };
  const chart = renderChart(results, options);
  if (chart !== undefined) {
    const chartPath = join(repoRoot(), 'bench', chartFile(options));
    writeAtomically(chartPath, chart);
    process.stdout.write(`wrote ${fromRoot(chartPath)}\n`);
  }
  writeAtomically(file, renderResults(results, machine, options, invocation(argv), seconds));
  for (const result of results) process.stdout.write(`\n${renderBench(result, 2)}\n`);
  process.stdout.write(`\nwrote ${fromRoot(file)}\n`);
  return results;
}

if (isMain(import.meta.url)) {
  const argv = process.argv.slice(2);
  try {
    const results = await runAll(argv);
    process.exitCode = budgetExitCode(results, argv.includes('--quick'));
    if (process.exitCode !== 0) process.stderr.write('bench: a performance budget failed (see the results above)\n');
  } catch (err) {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}

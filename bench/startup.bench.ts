// Start-up to first served request (spec 5: ≤ 300 ms; test fixtures start the server often): the CLI as a
// child process (what a container or another language's test does) and startMockUpstream() in-process.
// Run alone: node dist/bench/startup.bench.js [--quick]
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runAlone, prepareBench } from './lib/common.js';
import { type BenchOptions } from './lib/options.js';
import { fromRoot, isMain, repoRoot } from './lib/paths.js';
import type { BenchResult, Comparison } from './lib/report.js';
import { table } from './lib/report.js';
import { median } from './lib/stats.js';

const Route = '/json/valid';
const BudgetMs = 300;
const Full = { runs: 15 };
const Quick = { runs: 3 };

interface Timing {
  /** Spawn (or call) to the listening line (or the resolved promise). */
  listeningMs: number;
  /** Spawn (or call) to the first 200 on Route. */
  firstMs: number;
}

const cli = (): string => join(repoRoot(), 'dist', 'src', 'cli.js');

// Node's own start-up on this machine: a process that does nothing, to the exit. Every CLI start pays it.
async function nodeBoot(): Promise<Timing> {
  const t0 = performance.now();
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await new Promise((resolve) => child.on('exit', resolve));
  const ms = performance.now() - t0;
  return { listeningMs: ms, firstMs: ms };
}

// One cold start of the CLI: a fresh node process, as `docker run` or a Go test's exec.Command gives.
async function cliStart(workers: number): Promise<Timing> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [cli(), '--port', '0', '--host', '127.0.0.1', '--workers', String(workers)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /"event":"listening"[^\n]*"port":(\d+)/.exec(out);
        if (m !== null) resolve(Number(m[1]));
      });
      void exited.then((code) => reject(new Error(`mock-upstream exited (${code}) before listening: ${out}`)));
    });
    const listeningMs = performance.now() - t0;
    const r = await fetch(`http://127.0.0.1:${port}${Route}`);
    await r.arrayBuffer();
    if (r.status !== 200) throw new Error(`GET ${Route} answered ${r.status}`);
    return { listeningMs, firstMs: performance.now() - t0 };
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

// startMockUpstream() in this process, module already loaded (a test suite imports it once, starts it often).
async function fixtureStart(): Promise<Timing> {
  const { startMockUpstream } = await import(pathToFileURL(join(repoRoot(), 'dist', 'src', 'index.js')).href) as typeof import('../src/index.js');
  const t0 = performance.now();
  const mock = await startMockUpstream({ port: 0, workers: 1 });
  const listeningMs = performance.now() - t0;
  try {
    const r = await fetch(`${mock.url}${Route}`);
    await r.arrayBuffer();
    if (r.status !== 200) throw new Error(`GET ${Route} answered ${r.status}`);
    return { listeningMs, firstMs: performance.now() - t0 };
  } finally {
    await mock.close();
  }
}

/** Times N starts of each kind (15, or 3 with quick), one after another; budget: median to first request ≤ 300 ms. */
export async function runStartupBench(options: BenchOptions): Promise<BenchResult> {
  const { runs } = options.quick ? Quick : Full;
  const { log } = await prepareBench('startup');
  const kinds: { label: string; command: string; start: () => Promise<Timing> }[] = [
    { label: 'node -e 0 (reference: node\'s own start)', command: `node -e 0`, start: nodeBoot },
    { label: 'CLI, --workers 1', command: `node ${fromRoot(cli())} --port 0 --host 127.0.0.1 --workers 1`, start: () => cliStart(1) },
    { label: 'CLI, --workers 2', command: `node ${fromRoot(cli())} --port 0 --host 127.0.0.1 --workers 2`, start: () => cliStart(2) },
    { label: 'startMockUpstream({ port: 0, workers: 1 })', command: "await startMockUpstream({ port: 0, workers: 1 }) (in this process; import not timed)", start: fixtureStart },
  ];
  // A first fixture start loads the module graph; not timed, as a test suite pays it once.
  await fixtureStart();
  const timings = new Map<string, Timing[]>(kinds.map((k) => [k.label, []]));
  for (let i = 0; i < runs; i++) {
    // Interleaved, so drift on a shared machine spreads over every kind.
    for (const k of kinds) (timings.get(k.label) as Timing[]).push(await k.start());
  }
  const rows: string[][] = [];
  const comparisons: Comparison[] = [];
  for (const k of kinds) {
    const t = timings.get(k.label) as Timing[];
    const first = t.map((x) => x.firstMs);
    const med = median(first);
    rows.push([k.label, `${median(t.map((x) => x.listeningMs)).toFixed(0)} ms`, `${med.toFixed(0)} ms`,
      `${Math.min(...first).toFixed(0)} ms`, `${Math.max(...first).toFixed(0)} ms`]);
    // The fixture carries the budget (spec 5: test fixtures start it often; the packaging issue's 300 ms). A CLI
    // start adds node's own boot, measured beside it, which no code of ours can shorten.
    const budgeted = k.start === fixtureStart;
    comparisons.push({ mode: k.label, metric: k.start === nodeBoot ? 'start to exit (median)' : 'start to first 200 (median)', ours: med, reference: BudgetMs, value: med, unit: 'ms',
      budget: budgeted ? BudgetMs : null, bound: 'max', pass: !budgeted || med <= BudgetMs });
    log(`${k.label}: median ${med.toFixed(0)} ms to the first 200`);
  }
  return {
    name: 'startup',
    title: 'startup: start to first served request, CLI and in-process fixture',
    method: [
      `Each start is timed from the spawn (CLI: a fresh node process, as \`docker run\` or another language's test starts it) or the call ` +
        `(\`startMockUpstream\`, module already imported) to the first 200 on \`GET ${Route}\`; "listening" is the time to the listening line or the resolved promise. ` +
        `${runs} starts of each kind, interleaved, after one untimed fixture start. Budget (spec 5, and the fixture's contract): the in-process fixture's median ≤ ${BudgetMs} ms. ` +
        'The CLI rows are for the record beside `node -e 0`, node\'s own start on this machine, which every CLI start pays before any code of ours runs: ' +
        'their difference is what mock-upstream adds.',
    ],
    rounds: runs,
    durationSec: 0,
    schedule: `Starts (${runs} of each, one at a time, nothing else loading the machine):`,
    serverCommands: kinds.map((k) => k.command),
    loadLead: 'Then, timed to its answer, the first request (fetch from the bench process):',
    loadCommands: [`GET http://127.0.0.1:PORT${Route}`],
    summary: [],
    comparisons,
    runs: [],
    notes: [],
    extra: [table(['start', 'listening (median)', 'first 200 (median)', 'fastest', 'slowest'], ['l', 'r', 'r', 'r', 'r'], rows)],
    pass: comparisons.every((c) => c.pass),
  };
}

if (isMain(import.meta.url)) await runAlone('startup', runStartupBench);

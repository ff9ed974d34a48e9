// Configured routes (--config FILE) against the built-in /json/valid, on one
// server in one run: a static JSON route (answered from one precomputed
// response, like the built-ins) and a template route (JSON text with a path
// parameter and the clock filled in per request). Requests per second over
// keep-alive, as ratios to /json/valid.
// Run alone: node dist/bench/routes.bench.js [--quick]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { oursSpec, runNotes, summarise, runAlone, withServers, prepareBench } from './lib/common.js';
import { type BenchOptions } from './lib/options.js';
import { isMain } from './lib/paths.js';
import { type BenchResult, type Comparison } from './lib/report.js';
import { KeepAlive, measureRounds, planRecord, startLabelled, type Labelled } from './lib/rounds.js';
import { httpGet, type RunningServer } from './lib/server.js';

const StaticBody = { id: 42, name: 'Ada Lovelace', email: 'ada@example.com', active: true };
const UserId = '42';
/** The config file the server is started with (written to a temporary directory). */
const Config = {
  routes: [
    { path: '/api/static', body: { json: StaticBody } },
    { path: '/api/users/:id', body: { template: { id: '{{params.id}}', at: '{{now}}' } } },
  ],
};

interface Target {
  /** Row label. */
  label: string;
  /** Short name in the ratio column. */
  short: string;
  path: string;
  /** Throws when the parsed body is not what this route should answer. */
  check: (body: unknown) => void;
}

const BuiltIn: Target = {
  label: '/json/valid (built-in)',
  short: 'built-in',
  path: '/json/valid',
  check: (body) => {
    if (typeof (body as { time?: unknown }).time !== 'string') throw new Error(`expected {"time": …}, got ${JSON.stringify(body)}`);
  },
};
const Targets: readonly Target[] = [
  BuiltIn,
  {
    label: '/api/static (configured json)',
    short: 'static',
    path: '/api/static',
    check: (body) => {
      if (JSON.stringify(body) !== JSON.stringify(StaticBody)) throw new Error(`expected ${JSON.stringify(StaticBody)}, got ${JSON.stringify(body)}`);
    },
  },
  {
    label: `/api/users/${UserId} (configured template)`,
    short: 'template',
    path: `/api/users/${UserId}`,
    check: (body) => {
      const { id, at } = body as { id?: unknown; at?: unknown };
      if (id !== UserId || typeof at !== 'string' || at === '') throw new Error(`expected {"id":"${UserId}","at":"<now>"}, got ${JSON.stringify(body)}`);
    },
  },
];

// The same load as json-valid's keep-alive mode.
const Mode = KeepAlive;
const Full = { rounds: 3, durationSec: 5 };
const Quick = { rounds: 1, durationSec: 1 };
const WarmupSec = 1;

// A configured route that fell through to a 404 (config not loaded) would win the bench: each target must answer its own body.
async function checkResponses(server: RunningServer): Promise<string[]> {
  const sizes: string[] = [];
  for (const target of Targets) {
    const res = await httpGet(server.port, target.path, 2_000);
    const text = res.body.toString('utf8');
    if (res.status !== 200) throw new Error(`${server.name} answered GET ${target.path} with ${res.status}: ${text.slice(0, 200)}`);
    const type = res.headers['content-type'];
    if (typeof type !== 'string' || !type.startsWith('application/json')) {
      throw new Error(`${server.name} answered GET ${target.path} with Content-Type ${JSON.stringify(type)}, expected application/json`);
    }
    try {
      target.check(JSON.parse(text));
    } catch (err) {
      throw new Error(`${server.name} answered GET ${target.path} with the wrong body: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    sizes.push(`${target.path} ${res.body.length} B`);
  }
  return [`Body sizes: ${sizes.join(', ')}.`];
}

/** Runs configured static and template routes against /json/valid (3 rounds × 5 s, or 1 × 1 s with quick); the server is always stopped. */
export async function runRoutesBench(options: BenchOptions): Promise<BenchResult> {
  const { rounds, durationSec } = options.quick ? Quick : Full;
  const { pinning, log } = await prepareBench('routes');
  const dir = mkdtempSync(join(tmpdir(), 'mock-upstream-routes-'));
  try {
    return await withServers(log, async (started) => {
      const configFile = join(dir, 'routes.json');
      writeFileSync(configFile, `${JSON.stringify(Config, null, 2)}\n`);
      const spec = oursSpec({ name: 'mock-upstream-routes', extraArgs: ['--config', configFile] });
      await startLabelled([{ label: 'mock-upstream', spec }], pinning.serverCpu, started, log);
      const [server] = started;
      const notes = await checkResponses(server);
      // One server, one entry per route; each round another route goes first.
      const entries: Labelled[] = Targets.map((target) => ({ label: target.label, server, route: target.path }));
      const plan = { servers: entries, modes: [Mode], rounds, durationSec, warmupSec: WarmupSec, cpu: pinning.loadCpu, log };
      const runs = await measureRounds(plan);

      const summary = Targets.map((target) => summarise(runs, target.label, Mode.name));
      const rate = (target: Target): number => summarise(runs, target.label, Mode.name).requestsPerSec;
      const comparisons: Comparison[] = Targets.filter((target) => target !== BuiltIn).map((target) => {
        const ratio = rate(target) / rate(BuiltIn);
        return { mode: Mode.name, metric: `${target.short} / built-in req/s`, ours: rate(target), reference: rate(BuiltIn), ratio, budget: null, pass: true };
      });
      notes.push(...runNotes(summary, runs, options.quick));

      return {
        name: 'routes',
        title: 'routes: configured static and template routes vs the built-in `/json/valid`',
        method: [
          'One mock-upstream server (1 worker) started with `--config FILE`, the file written to a temporary directory at bench time ' +
            `(removed afterwards) with this content: \`${JSON.stringify(Config)}\`. ` +
            `Three targets on that server: \`GET /json/valid\` (built-in), \`GET /api/static\` (a configured \`json\` body, precomputed at startup) and ` +
            `\`GET /api/users/${UserId}\` (a configured \`template\`, rendered per request with the path parameter and the /json/valid clock). ` +
            'Ratios are req/s against /json/valid; no budget is set, the figures are for the record.',
          `CPU pinning: ${pinning.description}. The server is started once, each route checked (status, Content-Type, body), ` +
            `warmed up with ${WarmupSec} s each, then measured for ${rounds} round${rounds === 1 ? '' : 's'} of ${Mode.connections} keep-alive connections (wrk, 1 thread, as json-valid's keep-alive mode); ` +
            'each round runs the three routes back to back, a different one first each round. Figures are medians over the rounds, errors are summed.',
        ],
        ...planRecord(plan),
        summary,
        comparisons,
        runs,
        notes,
        pass: true,
      };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) await runAlone('routes', runRoutesBench);

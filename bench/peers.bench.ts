// mock-upstream's /json/valid against its peers answering the same bytes:
// nginx (`return 200`), Node's http module and the bare uWebSockets.js server,
// keep-alive and pipelined ×16. ours / peer in requests per second and the p99
// of each; the figures also feed bench/chart.svg.
// Run alone: node dist/bench/peers.bench.js [--quick]
import { benchServerSpec, oursSpec, runNotes, summarise, runAlone, withServers, prepareBench } from './lib/common.js';
import { nginxDir, nginxSpec } from './lib/nginx.js';
import { type BenchOptions } from './lib/options.js';
import { fromRoot, isMain } from './lib/paths.js';
import { KeepAlive, Pipelined, measureRounds, planRecord, startLabelled, type Labelled, type LoadMode } from './lib/rounds.js';
import type { BenchResult, Comparison, Row } from './lib/report.js';
import { httpGet } from './lib/server.js';

const Route = '/json/valid';
// The bytes bench/servers/bare-uws.ts and node-http.ts send (same length as mock-upstream's).
const Body = '{"time": "2026-11-21 22:32:01.140156640 +0000 UTC m=+1.516171360"}';

/** Table labels, in chart order. */
export const PeerLabels = { ours: 'mock-upstream', bare: 'bare uWS', nginx: 'nginx', node: 'node http' } as const;

const Modes: readonly LoadMode[] = [KeepAlive, Pipelined];

// Two rounds: the figures are for the record (no budget), and the whole run must stay under 10 minutes.
const Full = { rounds: 2, durationSec: 5 };
const Quick = { rounds: 1, durationSec: 1 };
const WarmupSec = 1;

/** The chart's data: median req/s per mode (groups) and server (bars). */
export interface ChartData {
  groups: string[];
  series: string[];
  values: number[][];
}

/** Median req/s of the peers result per mode and server, in the order of PeerLabels. */
export function peersChartData(result: BenchResult): ChartData {
  const series = Object.values(PeerLabels);
  const groups = Modes.map((mode) => mode.name);
  const rate = (server: string, mode: string): number =>
    result.summary.find((row) => row.server === server && row.mode === mode)?.requestsPerSec ?? 0;
  return { groups, series, values: groups.map((mode) => series.map((server) => rate(server, mode))) };
}

async function checkResponses(servers: readonly Labelled[]): Promise<string[]> {
  const notes: string[] = [];
  const sizes: string[] = [];
  for (const { label, server } of servers) {
    const res = await httpGet(server.port, Route, 2_000);
    if (res.status !== 200) throw new Error(`${label} answered GET ${Route} with ${res.status}: ${res.body.toString('utf8').slice(0, 200)}`);
    const type = res.headers['content-type'];
    if (typeof type !== 'string' || !type.startsWith('application/json')) {
      throw new Error(`${label} answered GET ${Route} with Content-Type ${JSON.stringify(type)}, expected application/json`);
    }
    sizes.push(`${label} ${res.body.length} B body, headers ${Object.keys(res.headers).join(', ')}`);
    if (res.body.length !== Body.length) notes.push(`${label} sends a ${res.body.length}-byte body, the others ${Body.length}: not like for like.`);
  }
  notes.push(`What each sends: ${sizes.join('; ')}.`);
  return notes;
}

/** Runs the peers comparison (3 rounds × 5 s, or 1 × 1 s with quick); servers are always stopped. */
export async function runPeersBench(options: BenchOptions): Promise<BenchResult> {
  const { rounds, durationSec } = options.quick ? Quick : Full;
  const { pinning, log } = await prepareBench('peers');
  const nginx = await nginxSpec({
    name: 'nginx-peers',
    readyPath: Route,
    serverLines: () => ['default_type application/json;', `location / { return 200 '${Body}'; }`],
  });
  const specs = [
    { label: PeerLabels.ours, spec: oursSpec() },
    { label: PeerLabels.bare, spec: benchServerSpec('bare-uws', 'bare-uws.js') },
    { label: PeerLabels.nginx, spec: nginx },
    { label: PeerLabels.node, spec: benchServerSpec('node-http', 'node-http.js') },
  ];

  return withServers(log, async (started) => {
    const servers = await startLabelled(specs, pinning.serverCpu, started, log);
    const notes = await checkResponses(servers);
    const plan = { servers, modes: Modes, route: Route, rounds, durationSec, warmupSec: WarmupSec, cpu: pinning.loadCpu, log };
    const runs = await measureRounds(plan);

    const summary: Row[] = Modes.flatMap((mode) => servers.map(({ label }) => summarise(runs, label, mode.name)));
    const comparisons: Comparison[] = Modes.flatMap((mode) => {
      const ours = summarise(runs, PeerLabels.ours, mode.name);
      return servers
        .filter(({ label }) => label !== PeerLabels.ours)
        .map(({ label }): Comparison => {
          const peer = summarise(runs, label, mode.name);
          const ratio = ours.requestsPerSec / peer.requestsPerSec;
          return { mode: mode.name, metric: `ours / ${label} req/s`, ours: ours.requestsPerSec, reference: peer.requestsPerSec, ratio, budget: null, pass: true };
        });
    });
    notes.push(...runNotes(summary, runs, options.quick));

    return {
      name: 'peers',
      title: `peers: mock-upstream \`${Route}\` vs nginx, Node's http module and bare uWebSockets.js`,
      method: [
        `Every server answers \`GET ${Route}\` with a ${Body.length}-byte \`{"time": …}\` body and \`Content-Type: application/json\`: ` +
          `mock-upstream (1 worker), the bare uWS server (bench/servers/bare-uws.ts), nginx with 1 worker process (\`default_type application/json; return 200 '…';\`, ` +
          `access log off, config written to ${fromRoot(nginxDir('nginx-peers'))}/nginx.conf) and Node's \`http\` module (bench/servers/node-http.ts). ` +
          'The ratios ours / peer are in requests per second, without a budget (reported, not enforced).',
        `CPU pinning: ${pinning.description} (nginx's worker inherits the master's affinity). All four are started once, checked, warmed up with ${WarmupSec} s of each mode, ` +
          `then measured for ${rounds} round${rounds === 1 ? '' : 's'}; the server order rotates between rounds. Figures are medians over the rounds, errors are summed. ` +
          'Pipelined latencies are per batch of 16, as in the json-valid bench.',
      ],
      ...planRecord(plan),
      summary,
      comparisons,
      runs,
      notes,
      pass: true,
    };
  });
}

if (isMain(import.meta.url)) await runAlone('peers', runPeersBench);

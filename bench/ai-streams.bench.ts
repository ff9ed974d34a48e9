// The AI-gateway upstream under load: 1,000 and 10,000 concurrent streamed chat completions (closed loop,
// each 20 tokens, ttft 100 ms, itl 50 ms): streams completed per second and how punctual the token writes
// are as the client sees them (lateness against the stream's own schedule, anchor + i × itl), and
// non-streaming chat completions per second against GET /json in the same run (wrk, 64 connections).
// Run alone: node dist/bench/ai-streams.bench.js [--quick]
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { AiLoadOptions, AiLoadResult } from './clients/ai-load.js';
import { assertRunning, oursSpec, prepareBench, runAlone, withServers } from './lib/common.js';
import { type BenchOptions } from './lib/options.js';
import { fromRoot, isMain, repoRoot } from './lib/paths.js';
import { runCaptured, shellJoin, withNofile } from './lib/proc.js';
import type { BenchResult, Comparison, RoundRow, Row } from './lib/report.js';
import { startServer, type RunningServer } from './lib/server.js';
import { runWrk } from './lib/wrk.js';

const Stream = { ttftMs: 100, itlMs: 50, tokens: 20 };
const Full = { streams: [1_000, 10_000], rampSec: 2, settleSec: 2, durationSec: 10, wrkSec: 5 };
const Quick = { streams: [1_000, 10_000], rampSec: 2, settleSec: 1, durationSec: 4, wrkSec: 3 };
// No budget: on 2 shared cores the Node client that reads the streams is the bottleneck (at 1,000 streams its
// event-loop turns exceed the 50 ms itl, so tokens arrive in pairs), and its delays are in the figure.

async function streams(server: RunningServer, connections: number, plan: typeof Full): Promise<{ result: AiLoadResult; command: string }> {
  const script = fileURLToPath(new URL('./clients/ai-load.js', import.meta.url));
  const options: AiLoadOptions = { port: server.port, connections, ...Stream, rampSec: plan.rampSec, settleSec: plan.settleSec, durationSec: plan.durationSec };
  const [cmd, args] = withNofile(process.execPath, [script, JSON.stringify(options)]);
  const run = await runCaptured(cmd, args, { timeoutMs: (plan.rampSec + plan.settleSec + plan.durationSec + 60) * 1000 });
  const line = run.stdout.split('\n').find((l) => l.startsWith('{"event":"result"'));
  if (line === undefined) throw new Error(`ai-load printed no result (exit ${run.code}):\n${run.stderr.slice(-2000)}`);
  return { result: JSON.parse(line) as AiLoadResult, command: shellJoin('node', [fromRoot(script), JSON.stringify(options)]) };
}

/** Streams at 1k and 10k, then non-streaming chat vs /json; the server is always stopped. */
export async function runAiStreamsBench(options: BenchOptions): Promise<BenchResult> {
  const plan = options.quick ? Quick : Full;
  const { log } = await prepareBench('ai-streams');
  return withServers(log, async (started) => {
    const server = await startServer(oursSpec({ raiseNofile: true }), undefined);
    started.push(server);
    log(`started: ${server.commandLine}`);
    const summary: Row[] = [];
    const runs: RoundRow[] = [];
    const comparisons: Comparison[] = [];
    const loadCommands: string[] = [];
    const notes: string[] = [];
    for (const n of plan.streams) {
      const { result, command } = await streams(server, n, plan);
      assertRunning(server);
      loadCommands.push(command);
      log(`${n} streams: ${JSON.stringify(result)}`);
      const mode = `${n.toLocaleString('en-US')} streams`;
      const row: Row = { server: 'mock-upstream', mode, requestsPerSec: result.streamsPerSec, p50Ms: result.latenessP50Ms, p99Ms: result.latenessP99Ms,
        maxMs: result.latenessMaxMs, socketErrors: result.failed, non2xx: 0 };
      summary.push(row);
      runs.push({ ...row, round: 1, command });
      comparisons.push({ mode, metric: 'token write lateness p99', ours: result.latenessP99Ms, reference: 0, value: result.latenessP99Ms, unit: 'ms',
        budget: null, pass: true });
      comparisons.push({ mode, metric: 'streams completed per second', ours: result.streamsPerSec, reference: 0, value: result.streamsPerSec, unit: 'count', budget: null, pass: true });
      comparisons.push({ mode, metric: 'TTFT lateness p99', ours: result.ttftP99Ms, reference: 0, value: result.ttftP99Ms, unit: 'ms', budget: null, pass: true });
      notes.push(`${mode}: ${result.streamsCompleted} streams completed in ${plan.durationSec} s, ${result.tokens} tokens judged, ${result.failed} streams failed.`);
    }
    const script = join(repoRoot(), 'bench', 'lua', 'ai-chat.lua');
    const chat = await runWrk({ url: server.url('/v1/chat/completions'), threads: 1, connections: 64, durationSec: plan.wrkSec, script });
    const json = await runWrk({ url: server.url('/json'), threads: 1, connections: 64, durationSec: plan.wrkSec });
    assertRunning(server);
    loadCommands.push(chat.commandLine, json.commandLine);
    for (const [mode, r, cmd] of [['POST /v1/chat/completions (16 tokens, no pacing)', chat.result, chat.commandLine], ['GET /json', json.result, json.commandLine]] as const) {
      const row: Row = { server: 'mock-upstream', mode, requestsPerSec: r.requestsPerSec, p50Ms: r.p50Ms, p99Ms: r.p99Ms, socketErrors: 0, non2xx: r.non2xx };
      summary.push(row);
      runs.push({ ...row, round: 1, command: cmd });
    }
    comparisons.push({ mode: 'non-streaming chat / json', metric: 'req/s ratio', ours: chat.result.requestsPerSec, reference: json.result.requestsPerSec,
      ratio: chat.result.requestsPerSec / json.result.requestsPerSec, budget: null, pass: true });
    return {
      name: 'ai-streams',
      title: 'AI endpoints: paced token streams at 1k and 10k, non-streaming chat vs /json',
      method: [
        `Closed-loop streamed chat completions (X-Mock: ttft=${Stream.ttftMs}ms&itl=${Stream.itlMs}ms&tokens=${Stream.tokens}) from one Node client process on the same host, ` +
        `opened over ${plan.rampSec} s and counted for ${plan.durationSec} s after ${plan.settleSec} s. A token's lateness is its arrival minus (anchor + i × itl), the anchor the earliest schedule start any token of its stream implies, ` +
        'the schedule the server keeps; the client shares the 2 cores, so its own delays are in the figure.',
        'Then wrk (64 connections, 1 thread) on non-streaming chat completions (default pacing 0) and on GET /json, back to back.',
      ],
      rounds: 1,
      durationSec: plan.durationSec,
      serverCommands: [server.commandLine],
      loadLead: 'Load (the AI client, then wrk):',
      loadCommands,
      summary,
      comparisons,
      runs,
      notes,
      pass: comparisons.every((c) => c.pass),
    };
  });
}

if (isMain(import.meta.url)) await runAlone('ai-streams', runAiStreamsBench);

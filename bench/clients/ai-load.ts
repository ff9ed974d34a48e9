// Holds `connections` streamed chat completions open at once, closed loop (a finished stream is replaced at
// once), each `tokens` tokens paced by X-Mock ttft/itl, and judges every token by its arrival: lateness is its
// arrival minus (anchor + i × itl), the anchor being the earliest schedule start any of the stream's tokens
// implies (arrival_j - j × itl), so no clock is shared with the server and a late first token is not blamed
// on every later one. Prints one result line (AiLoadResult) and exits.
// Usage: node dist/bench/clients/ai-load.js '{"port":P,"connections":1000,"ttftMs":100,"itlMs":50,"tokens":20,…}'
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';

/** What the parent asks for. */
export interface AiLoadOptions {
  port: number;
  connections: number;
  ttftMs: number;
  itlMs: number;
  tokens: number;
  /** Opening is paced evenly over this long. */
  rampSec: number;
  /** Tokens and streams are counted from this long after the last stream opened. */
  settleSec: number;
  durationSec: number;
}

/** What the client prints at the end. */
export interface AiLoadResult {
  event: 'result';
  streamsCompleted: number;
  streamsPerSec: number;
  tokens: number;
  latenessP50Ms: number;
  latenessP99Ms: number;
  latenessMaxMs: number;
  ttftP99Ms: number;
  failed: number;
}

const opts = JSON.parse(process.argv[2] ?? '{}') as AiLoadOptions;
const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
const body = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true });
const mock = `ttft=${opts.ttftMs}ms&itl=${opts.itlMs}ms&tokens=${opts.tokens}`;
const Token = '"delta":{"content":"';
const lateness: number[] = [];
const ttfts: number[] = [];
let completed = 0;
let failed = 0;
let countFrom = Infinity;
let stopAt = Infinity;
let stopping = false;

function stream(): void {
  if (stopping) return;
  const sent = performance.now();
  let first = -1;
  let i = 0;
  // Token i's arrival less i × itl: the schedule start each token implies; the earliest is the stream's anchor.
  const implied: number[] = [];
  let tail = '';
  const req = request({ host: '127.0.0.1', port: opts.port, path: '/v1/chat/completions', method: 'POST', agent, headers: { 'content-type': 'application/json', 'x-mock': mock } }, (res) => {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      const now = performance.now();
      const text = tail + chunk;
      const end = text.lastIndexOf('\n\n');
      tail = end < 0 ? text : text.slice(end + 2);
      const whole = end < 0 ? '' : text.slice(0, end);
      for (let at = whole.indexOf(Token); at >= 0; at = whole.indexOf(Token, at + 1)) {
        if (first < 0) {
          first = now;
          if (sent >= countFrom) ttfts.push(now - sent - opts.ttftMs);
        }
        if (first >= countFrom && now < stopAt) implied.push(now - i * opts.itlMs);
        i++;
      }
    });
    res.on('end', () => {
      // Lateness against the schedule the stream kept best: a late first token (the client busy) does not
      // make every later token look early, nor late.
      let anchor = Infinity;
      for (const t of implied) if (t < anchor) anchor = t;
      for (const t of implied) lateness.push(t - anchor);
      if (i === opts.tokens && performance.now() >= countFrom && performance.now() < stopAt) completed++;
      else if (i !== opts.tokens) failed++;
      stream();
    });
  });
  req.on('error', () => { failed++; if (!stopping) setTimeout(stream, 100); });
  req.end(body);
}

function pct(a: number[], p: number): number {
  if (a.length === 0) return 0;
  const s = Float64Array.from(a).sort();
  return Math.round(s[Math.min(s.length - 1, Math.floor(p * s.length))] * 100) / 100;
}

const start = performance.now();
for (let c = 0; c < opts.connections; c++) setTimeout(stream, (c / opts.connections) * opts.rampSec * 1000);
countFrom = start + (opts.rampSec + opts.settleSec) * 1000;
stopAt = countFrom + opts.durationSec * 1000;
setTimeout(() => {
  stopping = true;
  const result: AiLoadResult = {
    event: 'result', streamsCompleted: completed, streamsPerSec: Math.round(completed / opts.durationSec), tokens: lateness.length,
    latenessP50Ms: pct(lateness, 0.5), latenessP99Ms: pct(lateness, 0.99), latenessMaxMs: pct(lateness, 1), ttftP99Ms: pct(ttfts, 0.99), failed,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}, stopAt - start);

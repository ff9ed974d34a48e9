// Token pacing by arrival times (few tokens, lower bounds with slack for a loaded client, no upper bound: a
// shared machine may be slow, the server is never early), the X-Mock header and the query as control sources, server defaults
// (--ai-ttft, --ai-itl), ttft-per-token, the status control on an AI route, and SSE over the HTTP/2 listener.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { availableEngines } from '../../helpers/engines.js';
import { h2PortOf, h2Session } from '../../helpers/h2.js';
import { startServer, type TestServer } from '../../helpers/server.js';

interface Arrival {
  readonly event: EventSourceMessage;
  /** ms since the request was sent. */
  readonly at: number;
}

/** POST a JSON body and collect the SSE events with their arrival times; fails after timeoutMs. */
function streamEvents(port: number, path: string, body: object, headers: Record<string, string> = {}, timeoutMs = 15_000): Promise<{ status: number; events: Arrival[] }> {
  return new Promise((resolve, reject) => {
    const events: Arrival[] = [];
    const t0 = performance.now();
    let now = 0;
    const parser = createParser({ onEvent: (event) => events.push({ event, at: now }) });
    const timer = setTimeout(() => { req.destroy(); reject(new Error(`${path}: no end within ${timeoutMs} ms`)); }, timeoutMs);
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers: { 'content-type': 'application/json', ...headers }, agent: false }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { now = performance.now() - t0; parser.feed(chunk); });
      res.on('end', () => { clearTimeout(timer); resolve({ status: res.statusCode ?? 0, events }); });
      res.on('error', (e) => { clearTimeout(timer); reject(e); });
    });
    req.on('error', (e) => { clearTimeout(timer); reject(e); });
    req.end(JSON.stringify(body));
  });
}

/**
 * The server keeps at least `itl` between two token writes; a client on a loaded machine may read one token a
 * little late and the next on time. So: the span covers every gap (n - 1 itl, less 10 ms) and no gap is a burst
 * (each at least 60 % of itl). Lower bounds only.
 */
function assertGaps(times: readonly number[], itl: number): void {
  const shown = times.map((t) => t.toFixed(0)).join(', ');
  assert.ok(times[times.length - 1] - times[0] >= (times.length - 1) * itl - 10, `span of ${times.length} tokens: ${shown}`);
  for (let i = 1; i < times.length; i++) assert.ok(times[i] - times[i - 1] >= 0.6 * itl, `gap ${i}: ${shown}`);
}

const chat = (extra: object = {}): object => ({ model: 'm', messages: [{ role: 'user', content: 'hi there' }], stream: true, ...extra });

/** The arrival times of the chat deltas that carry content. */
function tokenTimes(events: Arrival[]): number[] {
  return events.filter((a) => a.event.data !== '[DONE]' && (JSON.parse(a.event.data) as { choices: { delta: { content?: string } }[] }).choices[0]?.delta.content)
    .map((a) => a.at);
}

for (const engine of availableEngines()) {
  describe(`AI pacing (${engine} engine)`, () => {
    let server: TestServer;
    before(async () => { server = await startServer(['--engine', engine, '--h2-port', '0']); });
    after(async () => { assert.equal(await server.stop(), 0); });

    const sources: [string, string, Record<string, string>][] = [
      ['X-Mock header', '/v1/chat/completions', { 'X-Mock': 'ttft=200ms&itl=50ms&tokens=4' }],
      ['query', '/v1/chat/completions?ttft=200ms&itl=50ms&tokens=4', {}],
    ];
    for (const [name, path, headers] of sources) {
      test(`ttft=200ms&itl=50ms by ${name}: the first token after >= ~190 ms, the gaps >= ~45 ms`, async () => {
        const { status, events } = await streamEvents(server.port, path, chat(), headers);
        assert.equal(status, 200);
        const times = tokenTimes(events);
        assert.equal(times.length, 4);
        assert.ok(times[0] >= 190, `first token at ${times[0].toFixed(1)} ms`);
        assertGaps(times, 50);
      });
    }

    test('Anthropic: message_start comes with the head, the first delta after the ttft', async () => {
      const { events } = await streamEvents(server.port, '/v1/messages', { model: 'c', max_tokens: 3, messages: [{ role: 'user', content: 'hi' }], stream: true },
        { 'X-Mock': 'ttft=200ms&itl=50ms' });
      const start = events.find((a) => a.event.event === 'message_start');
      const deltas = events.filter((a) => a.event.event === 'content_block_delta');
      assert.ok(start !== undefined && deltas.length === 3);
      assert.ok(start.at < deltas[0].at);
      assert.ok(deltas[0].at >= 190, `first delta at ${deltas[0].at.toFixed(1)} ms`);
      assertGaps(deltas.map((d) => d.at), 50);
    });

    test('ttft-per-token adds to the ttft per prompt token (20 tokens x 10ms)', async () => {
      const { events } = await streamEvents(server.port, '/v1/chat/completions', chat({ messages: [{ role: 'user', content: 'w '.repeat(20) }] }),
        { 'X-Mock': 'ttft=0ms&ttft-per-token=10ms&tokens=1' });
      const times = tokenTimes(events);
      assert.ok(times[0] >= 190, `first token at ${times[0].toFixed(1)} ms`);
    });

    test('a non-streamed answer takes ttft + the remaining tokens\' itl', async () => {
      const t0 = performance.now();
      const r = await fetch(`${server.url}/v1/chat/completions`, { method: 'POST', headers: { 'X-Mock': 'ttft=100ms&itl=30ms&tokens=5' }, body: JSON.stringify(chat({ stream: false })) });
      const body = await r.json() as { usage: { completion_tokens: number } };
      assert.ok(performance.now() - t0 >= 100 + 4 * 30 - 10, `${(performance.now() - t0).toFixed(1)} ms`);
      assert.equal(body.usage.completion_tokens, 5);
    });

    test('weighted status on an AI route: status=429:100 always refuses, with the API shape', async () => {
      const r = await fetch(`${server.url}/v1/chat/completions?status=429:100`, { method: 'POST', body: JSON.stringify(chat()) });
      assert.equal(r.status, 429);
      assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'rate_limit_exceeded');
    });

    test('a stream under backpressure goes on once the socket drains (each event 200 KB: the model is in every chunk)', async () => {
      // The writable handler was never registered: the first write the socket pushed back stalled the stream for good.
      const model = 'm'.repeat(200_000);
      const { status, events } = await streamEvents(server.port, '/v1/chat/completions?tokens=20&ttft=0&itl=0', { model, messages: [{ role: 'user', content: 'hi' }], stream: true });
      assert.equal(status, 200);
      const deltas = events.filter((e) => e.event.data !== '[DONE]' && (JSON.parse(e.event.data) as { choices: { delta: { content?: string } }[] }).choices[0]?.delta.content);
      assert.equal(deltas.length, 20);
      assert.equal(events[events.length - 1].event.data, '[DONE]');
    });

    test('a bad AI control is a 400 naming it; GET on a POST endpoint is a 405 in the API shape', async () => {
      const r = await fetch(`${server.url}/v1/chat/completions`, { method: 'POST', headers: { 'X-Mock': 'itl=soon' }, body: JSON.stringify(chat()) });
      assert.equal(r.status, 400);
      assert.match(JSON.stringify(await r.json()), /X-Mock itl/);
      const g = await fetch(`${server.url}/v1/messages`);
      assert.equal(g.status, 405);
      assert.equal(((await g.json()) as { type: string }).type, 'error');
    });

    test('SSE over the HTTP/2 listener: the chat stream, paced, ends with [DONE]', async () => {
      const session = await h2Session(await h2PortOf(server));
      try {
        const events: Arrival[] = [];
        const t0 = performance.now();
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('no end within 15 s')), 15_000);
          let now = 0;
          const parser = createParser({ onEvent: (event) => events.push({ event, at: now }) });
          const s = session.request({ ':method': 'POST', ':path': '/v1/chat/completions', 'x-mock': 'ttft=100ms&itl=30ms&tokens=3' });
          s.setEncoding('utf8');
          s.on('response', (h) => { if (h[':status'] !== 200) reject(new Error(`status ${h[':status']}`)); });
          s.on('data', (c: string) => { now = performance.now() - t0; parser.feed(c); });
          s.on('end', () => { clearTimeout(timer); resolve(); });
          s.on('error', (e) => { clearTimeout(timer); reject(e); });
          s.end(JSON.stringify(chat()));
        });
        const times = tokenTimes(events);
        assert.equal(times.length, 3);
        assert.ok(times[0] >= 90, `first token at ${times[0].toFixed(1)} ms`);
        assert.equal(events[events.length - 1].event.data, '[DONE]');
      } finally {
        session.close();
      }
    });
  });
}

describe('AI server defaults', () => {
  let server: TestServer;
  before(async () => { server = await startServer(['--ai-ttft', '150ms', '--ai-itl', '40ms']); });
  after(async () => { assert.equal(await server.stop(), 0); });

  test('--ai-ttft and --ai-itl pace a request that asks nothing', async () => {
    const { events } = await streamEvents(server.port, '/v1/chat/completions', chat({ max_tokens: 3 }));
    const times = tokenTimes(events);
    assert.equal(times.length, 3);
    assert.ok(times[0] >= 140, `first token at ${times[0].toFixed(1)} ms`);
    assertGaps(times, 40);
  });
});

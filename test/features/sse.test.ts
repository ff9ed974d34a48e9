// GET /sse against the real server, on every engine this Node runs: the stream read with node:http and parsed
// with eventsource-parser (a real SSE parser), timings taken per chunk as it arrives.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { availableEngines } from '../helpers/engines.js';
import { rawRequest, startServer, type TestServer } from '../helpers/server.js';
import { MinStampBytes, readStamp } from '../../src/serializers/stamp.js';

/** One event as the client saw it: the parsed event, its stamp, and when its chunk arrived (epoch ms). */
interface Received extends EventSourceMessage {
  readonly seq: number;
  readonly sent: number;
  readonly at: number;
}

interface SseResult {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly events: Received[];
  readonly comments: string[];
  readonly retries: number[];
  /** Everything in arrival order: `event <id>`, `comment`, `retry`. */
  readonly order: string[];
  /** The body as text (for non-SSE answers). */
  readonly body: string;
  /** Body chunks as they arrived, with the number of events each completed. */
  readonly chunks: { at: number; events: number }[];
  /** The response ended with its terminating chunk (not cut). */
  readonly complete: boolean;
}

const now = (): number => performance.timeOrigin + performance.now();

/** Read a whole /sse answer on a new connection; fails after timeoutMs (a stream that never ends is a bug here). */
function readSse(port: number, path: string, headers: Record<string, string> = {}, method = 'GET', timeoutMs = 10_000): Promise<SseResult> {
  return new Promise((resolve, reject) => {
    const events: Received[] = [];
    const comments: string[] = [];
    const retries: number[] = [];
    const order: string[] = [];
    const chunks: { at: number; events: number }[] = [];
    let body = '';
    let arrived = 0;
    const parser = createParser({
      onEvent: (e) => {
        const stamp = readStamp(e.data);
        assert.ok(stamp !== null, `event data is not a stamp: ${e.data.slice(0, 100)}`);
        events.push({ ...e, seq: stamp.seq, sent: stamp.sent, at: arrived });
        order.push(`event ${e.id}`);
      },
      onComment: (c) => { comments.push(c); order.push('comment'); },
      onRetry: (r) => { retries.push(r); order.push('retry'); },
      onError: (e) => reject(new Error(`SSE parse error: ${e.message}`)),
    });
    const timer = setTimeout(() => { req.destroy(); reject(new Error(`${path}: no end within ${timeoutMs} ms`)); }, timeoutMs);
    const req = request({ host: '127.0.0.1', port, path, method, headers, agent: false }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (text: string) => {
        arrived = now();
        body += text;
        const before = events.length;
        if ((res.statusCode ?? 0) < 300) parser.feed(text);
        chunks.push({ at: arrived, events: events.length - before });
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, events, comments, retries, order, body, chunks, complete: res.complete });
      });
      res.on('error', (err) => { clearTimeout(timer); reject(err); });
    });
    req.on('error', (err) => { clearTimeout(timer); reject(err); });
    req.end();
  });
}

/** The ids of the events, as numbers. */
const ids = (r: SseResult): number[] => r.events.map((e) => Number(e.id));

for (const engine of availableEngines()) {
  describe(`/sse on the ${engine} engine`, () => {
    let server: TestServer;
    before(async () => { server = await startServer(['--engine', engine]); });
    after(async () => { assert.equal(await server.stop(), 0); });

    test('count stamped events in order, ids from 1, each data the stamp of its id; then a clean end', async () => {
      const r = await readSse(server.port, '/sse?count=5&interval=10ms');
      assert.equal(r.status, 200);
      assert.equal(r.headers['content-type'], 'text/event-stream');
      assert.equal(r.headers['cache-control'], 'no-cache');
      assert.equal(r.headers['x-accel-buffering'], undefined, 'no X-Accel-Buffering: a buffering proxy must be seen to hold events back');
      assert.equal(r.headers['transfer-encoding'], 'chunked');
      assert.ok(r.complete, 'the stream ended with its terminating chunk');
      assert.deepEqual(ids(r), [1, 2, 3, 4, 5]);
      for (const e of r.events) {
        assert.equal(e.seq, Number(e.id));
        assert.equal(e.event, undefined);
        assert.equal(e.data.length, MinStampBytes, 'no size: the bare stamp');
      }
      // Due an interval apart from the first (a late event does not delay the next one's due time).
      for (let i = 1; i < r.events.length; i++) assert.ok(r.events[i].sent - r.events[0].sent >= i * 10 - 2, 'sent on the interval schedule');
    });

    test('without count, 10 events', async () => {
      const r = await readSse(server.port, '/sse?interval=0');
      assert.deepEqual(ids(r), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    });

    test('size: the data is exactly size bytes (the bare stamp below its minimum), also above the 16 KB copy limit', async () => {
      for (const [size, bytes] of [['200', 200], ['10', MinStampBytes], ['64KB', 65536], ['1MiB', 1048576]] as const) {
        const r = await readSse(server.port, `/sse?count=3&interval=0&size=${size}`);
        assert.deepEqual(ids(r), [1, 2, 3], `size=${size}`);
        for (const e of r.events) {
          assert.equal(e.data.length, bytes, `size=${size}`);
          assert.equal(e.seq, Number(e.id), 'the stamp matches its id line');
        }
      }
    });

    test('event= names every event; retry= is written once, before the first event', async () => {
      const r = await readSse(server.port, '/sse?count=3&interval=0&event=price-update&retry=1500ms');
      assert.deepEqual(r.retries, [1500]);
      assert.equal(r.order[0], 'retry');
      assert.deepEqual(r.events.map((e) => e.event), ['price-update', 'price-update', 'price-update']);
      const u = await readSse(server.port, `/sse?count=1&event=${encodeURIComponent('Grüße')}`);
      assert.equal(u.events[0].event, 'Grüße');
    });

    test('heartbeat= writes a comment whenever that long passes without an event', async () => {
      const r = await readSse(server.port, '/sse?count=2&interval=300ms&heartbeat=50ms');
      assert.deepEqual(ids(r), [1, 2]);
      assert.ok(r.comments.every((c) => c === 'heartbeat'), JSON.stringify(r.comments));
      // Heartbeats at 50, 100, ... 250 ms after the first event (never early; late timers on a busy machine drop some).
      assert.ok(r.comments.length >= 2 && r.comments.length <= 5, `${r.comments.length} heartbeats in 300 ms`);
      assert.deepEqual([r.order[0], r.order.at(-1)], ['event 1', 'event 2'], 'heartbeats only between events');
      const none = await readSse(server.port, '/sse?count=3&interval=10ms&heartbeat=1s');
      assert.deepEqual(none.comments, [], 'no heartbeat while events flow');
    });

    test('Last-Event-ID (header) and lastEventId (query) resume at the next id; the header wins', async () => {
      const cases: [string, Record<string, string>, number[]][] = [
        ['/sse?interval=0', { 'Last-Event-ID': '7' }, [8, 9, 10]],
        ['/sse?interval=0&lastEventId=8', {}, [9, 10]],
        ['/sse?interval=0&lastEventId=8', { 'Last-Event-ID': '5' }, [6, 7, 8, 9, 10]],
        ['/sse?interval=0&count=3', { 'Last-Event-ID': '0' }, [1, 2, 3]],
        // At or past the end: the stream ends at once, with no event.
        ['/sse?interval=0&count=3', { 'Last-Event-ID': '3' }, []],
        ['/sse?interval=0&count=3&lastEventId=900', {}, []],
      ];
      for (const [path, headers, want] of cases) {
        const r = await readSse(server.port, path, headers);
        assert.equal(r.status, 200);
        assert.ok(r.complete);
        assert.deepEqual(ids(r), want, `${path} ${JSON.stringify(headers)}`);
        for (const e of r.events) assert.equal(e.seq, Number(e.id));
      }
    });

    test('bad values answer 400 JSON naming the parameter', async () => {
      const cases: [string, Record<string, string>, string][] = [
        ['/sse', { 'Last-Event-ID': 'abc' }, 'Last-Event-ID'],
        ['/sse?lastEventId=-1', {}, 'lastEventId'],
        ['/sse?lastEventId=99999999999', {}, 'lastEventId'],
        ['/sse?count=ten', {}, 'count'],
        ['/sse?count=1000000000', {}, 'count'],
        ['/sse?interval=fast', {}, 'interval'],
        ['/sse?interval=10m', {}, 'interval'],
        ['/sse?size=2MiB', {}, 'size'],
        ['/sse?size=-1', {}, 'size'],
        ['/sse?event=a%0Ab', {}, 'event'],
        ['/sse?event=a%0Db', {}, 'event'],
        ['/sse?event=', {}, 'event'],
        [`/sse?event=${'e'.repeat(129)}`, {}, 'event'],
        ['/sse?retry=soon', {}, 'retry'],
        ['/sse?heartbeat=-5s', {}, 'heartbeat'],
        ['/sse?status=abc', {}, 'status'],
        ['/sse', { 'X-Mock': 'size=1KB' }, 'size'],
      ];
      for (const [path, headers, param] of cases) {
        const r = await readSse(server.port, path, headers);
        assert.equal(r.status, 400, `${path} ${JSON.stringify(headers)}: ${r.body}`);
        assert.equal(r.headers['content-type'], 'application/json');
        const body = JSON.parse(r.body) as { error: string; param: string };
        assert.equal(body.param, param, body.error);
      }
      const cap = JSON.parse((await readSse(server.port, '/sse?size=2MiB')).body) as { error: string };
      assert.match(cap.error, /1MiB \(a fixed limit of \/sse\)/);
    });

    test('a non-2xx status control refuses the stream with that status; a 2xx one streams under it', async () => {
      for (const [path, headers, code] of [
        ['/sse?status=503', {}, 503], ['/sse', { 'X-Mock': 'status=429' }, 429], ['/sse?status=204', {}, 204],
      ] as const) {
        const r = await readSse(server.port, path, headers);
        assert.equal(r.status, code);
        assert.equal(r.body, '');
        assert.deepEqual(r.events, []);
      }
      const ok = await readSse(server.port, '/sse?status=201&count=2&interval=0&header=X-Stream:yes');
      assert.equal(ok.status, 201);
      assert.equal(ok.headers['x-stream'], 'yes');
      assert.deepEqual(ids(ok), [1, 2]);
    });

    test('delay= (and X-Delay) hold the head and the first event back', async () => {
      for (const [path, headers] of [['/sse?count=1&delay=150ms', {}], ['/sse?count=1', { 'X-Delay': '150ms' }]] as const) {
        const t0 = now();
        const r = await readSse(server.port, path, headers);
        assert.deepEqual(ids(r), [1]);
        assert.ok(r.events[0].sent - t0 >= 149, `first event sent ${r.events[0].sent - t0} ms after the request`);
      }
    });

    test('a finished stream leaves its connection reusable; close=100 closes it after the terminating chunk', async () => {
      const ends = (d: string, n: number): boolean => (d.match(/\r\n0\r\n\r\n/g) ?? []).length >= n;
      // Two streams one after the other on one connection (not pipelined: uWS closes on a request behind a pending one).
      const data = await new Promise<string>((resolve, reject) => {
        const sock = connect(server.port, '127.0.0.1', () => sock.write('GET /sse?count=2&interval=0 HTTP/1.1\r\nHost: t\r\n\r\n'));
        let text = '';
        const timer = setTimeout(() => { sock.destroy(); reject(new Error(`no second stream; got ${JSON.stringify(text)}`)); }, 10_000);
        sock.setEncoding('latin1');
        sock.on('data', (d: string) => {
          const first = ends(text, 1);
          text += d;
          if (!first && ends(text, 1)) sock.write('GET /sse?count=1&interval=0 HTTP/1.1\r\nHost: t\r\n\r\n');
          if (ends(text, 2)) { clearTimeout(timer); sock.destroy(); resolve(text); }
        });
        sock.on('close', () => reject(new Error(`closed after ${JSON.stringify(text)}`)));
        sock.on('error', reject);
      });
      assert.equal((data.match(/HTTP\/1\.1 200/g) ?? []).length, 2);
      assert.equal((data.match(/\nid: /g) ?? []).length, 3);
      const closing = await rawRequest(server.port, 'GET /sse?count=2&interval=0&close=100 HTTP/1.1\r\nHost: t\r\n\r\n');
      assert.ok(closing.closed, 'the server closed the connection');
      assert.ok(ends(closing.data, 1), `ended with the terminating chunk: ${JSON.stringify(closing.data.slice(-40))}`);
      assert.equal((closing.data.match(/\nid: /g) ?? []).length, 2);
    });

    test('HEAD answers the head a GET gets, and no events', async () => {
      const r = await readSse(server.port, '/sse?count=3', {}, 'HEAD');
      assert.equal(r.status, 200);
      assert.equal(r.headers['content-type'], 'text/event-stream');
      assert.equal(r.body, '');
    });

    test('each event is flushed on its own as it falls due, on a schedule that does not drift', async () => {
      const interval = 100;
      const r = await readSse(server.port, `/sse?count=5&interval=${interval}ms`);
      assert.deepEqual(ids(r), [1, 2, 3, 4, 5]);
      assert.ok(r.chunks.every((c) => c.events <= 1), 'no chunk carried two events');
      const first = r.events[0];
      assert.ok(first.at < r.events[1].sent, `event 1 arrived ${first.at - r.events[1].sent} ms after event 2 was sent`);
      for (let i = 1; i < r.events.length; i++) {
        const e = r.events[i];
        // Due at first + i × interval (measured from due times, so lateness does not add up), never early.
        assert.ok(e.sent - first.sent >= i * interval - 2, `event ${e.id} sent ${e.sent - first.sent} ms after the first`);
        assert.ok(e.sent - first.sent < i * interval + 150, `event ${e.id} sent ${e.sent - first.sent} ms after the first: far behind its schedule`);
        // Arrived when sent, not held back for the end of the stream: before the next event was even sent
        // (a gap between arrivals would also fail when a busy client read the first one late).
        const next = r.events[i + 1];
        if (next !== undefined) assert.ok(e.at < next.sent, `event ${e.id} arrived ${e.at - next.sent} ms after event ${next.id} was sent`);
        assert.ok(e.at >= e.sent - 5, 'arrived after it was sent');
      }
    });

    test('a backlog behind a slow reader arrives whole: contiguous ids, valid stamps, send times in order', async () => {
      // 64 KB events (above the 16 KB copy limit) as fast as possible; the reader yields after every chunk.
      const r = await new Promise<Received[]>((resolve, reject) => {
        const events: Received[] = [];
        const parser = createParser({
          onEvent: (e) => {
            const s = readStamp(e.data);
            if (s === null) reject(new Error(`not a stamp: ${e.data.slice(0, 80)}`));
            else events.push({ ...e, seq: s.seq, sent: s.sent, at: now() });
          },
        });
        const timer = setTimeout(() => { req.destroy(); reject(new Error('no end within 20 s')); }, 20_000);
        const req = request({ host: '127.0.0.1', port: server.port, path: '/sse?count=150&interval=0&size=64KB', agent: false }, (res) => {
          res.setEncoding('utf8');
          res.on('data', (t: string) => { parser.feed(t); res.pause(); setImmediate(() => res.resume()); });
          res.on('end', () => { clearTimeout(timer); resolve(events); });
        });
        req.on('error', reject);
        req.end();
      });
      assert.deepEqual(r.map((e) => Number(e.id)), Array.from({ length: 150 }, (_, i) => i + 1));
      for (let i = 0; i < r.length; i++) {
        assert.equal(r[i].seq, i + 1, 'the data is the stamp of its own id (no bytes rewritten while queued)');
        assert.equal(r[i].data.length, 65536);
        if (i > 0) assert.ok(r[i].sent >= r[i - 1].sent);
      }
    });
  });
}

/** Open /sse on a raw socket, wait for `events` id lines, then destroy the socket (an abrupt client exit). */
function leaveAfter(port: number, path: string, events: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(`GET ${path} HTTP/1.1\r\nHost: t\r\n\r\n`));
    let text = '';
    s.setEncoding('latin1');
    s.on('data', (d: string) => {
      text += d;
      if ((text.match(/\nid: /g) ?? []).length >= events) { s.destroy(); resolve(); }
    });
    s.on('error', reject);
  });
}

interface Stats { totals: { inFlight: number }; streams: { route: string; open: number; messagesOut: number; closed: number }[] }

/** The /sse entry of /__mock/stats's stream routes (open now, events out, streams closed). */
function sseEntry(s: Stats): { open: number; messagesOut: number; closed: number } {
  return s.streams.find((e) => e.route === '/sse') ?? { open: 0, messagesOut: 0, closed: 0 };
}

/** Poll /__mock/stats until `want` holds; the gauges are sampled once a second, so a few seconds bound the wait. */
async function statsUntil(server: TestServer, want: (s: Stats) => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const t0 = performance.now();
  let last: Stats | null = null;
  while (performance.now() - t0 < timeoutMs) {
    last = await (await fetch(`${server.url}/__mock/stats`)).json() as Stats;
    if (want(last)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`${what}: not within ${timeoutMs} ms; last stats ${JSON.stringify(last?.totals)}`);
}

describe('/sse streams and the worker', () => {
  test('clients leaving mid-stream release their streams: the in-flight gauge returns to 0, the worker serves on', { timeout: 30_000 }, async () => {
    // A long grace: a stream still held after its client left would make shutdown wait for it.
    const server = await startServer(['--grace', '60s']);
    try {
      const s = connect(server.port, '127.0.0.1', () => s.write('GET /sse?count=0&interval=20ms HTTP/1.1\r\nHost: t\r\n\r\n'));
      s.on('error', () => {});
      await statsUntil(server, (st) => st.totals.inFlight === 1 && sseEntry(st).open === 1, 'the open stream counted as in flight and open');
      s.destroy();
      await Promise.all(Array.from({ length: 10 }, () => leaveAfter(server.port, '/sse?count=0&interval=5ms&size=1KB', 3)));
      await statsUntil(server, (st) => st.totals.inFlight === 0 && sseEntry(st).open === 0 && sseEntry(st).closed === 11,
        'every stream released (open back to 0, 11 closed) after its client left');
      const r = await readSse(server.port, '/sse?count=2&interval=0');
      assert.deepEqual(ids(r), [1, 2]);
      const t0 = performance.now();
      server.proc.kill('SIGTERM');
      assert.equal(await server.exited, 0);
      assert.ok(performance.now() - t0 < 10_000, 'shutdown waited for a stream whose client had left');
    } finally {
      // On a failure: what is still held would make a graceful stop wait out the long grace.
      await server.stop('SIGKILL');
    }
  });

  test('a draining worker ends endless streams cleanly (terminating chunk) instead of waiting out the grace', { timeout: 30_000 }, async () => {
    const server = await startServer(['--grace', '60s']);
    try {
      let opened = 0;
      let allOpen!: () => void;
      const started = new Promise<void>((resolve) => { allOpen = resolve; });
      const streams = Array.from({ length: 3 }, (_, i) => new Promise<{ complete: boolean; events: number }>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: server.port, path: `/sse?count=0&interval=${i === 0 ? '30s' : '50ms'}`, agent: false }, (res) => {
          let events = 0;
          res.setEncoding('utf8');
          res.on('data', (t: string) => {
            const was = events;
            events += (t.match(/^id: /gm) ?? []).length;
            if (was === 0 && events > 0 && ++opened === 3) allOpen();
          });
          res.on('end', () => resolve({ complete: res.complete, events }));
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end();
      }));
      await started;
      const t0 = performance.now();
      server.proc.kill('SIGTERM');
      const ended = await Promise.all(streams);
      assert.equal(await server.exited, 0);
      assert.ok(performance.now() - t0 < 10_000, `shutdown took ${performance.now() - t0} ms`);
      for (const e of ended) {
        assert.ok(e.complete, 'ended with the terminating chunk, not cut');
        assert.ok(e.events >= 1);
      }
    } finally {
      // On a failure: what is still held would make a graceful stop wait out the long grace.
      await server.stop('SIGKILL');
    }
  });
});

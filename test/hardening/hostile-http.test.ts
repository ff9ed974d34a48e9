// Hostile HTTP over raw TCP: malformed request lines, bad methods, oversized and numerous headers, broken
// chunked bodies, oversized /echo bodies, slowloris, a 500-request pipelined burst and half-closed
// sockets. Each case: the server answers (2xx/4xx) or closes, a fresh connection still gets a 200 and the
// process never exits (a native crash in any worker would take it down).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { rawRequest, startServer, statusLines, type TestServer } from '../helpers/server.js';
import { assertServes } from './util.js';

/** Longer than uWS's HTTP idle timeout (10 s, checked every 4 s): a silent server must close by then. */
const IdleCloseMs = 20_000;

/** Done once a complete response head has arrived (the tests only need the status). */
const gotHead = (d: string): boolean => d.includes('\r\n\r\n');

/** rawRequest, where a reset (the server closing while we still write) counts as a close. */
function hostile(port: number, payload: string | Buffer, timeoutMs = 10_000): Promise<{ data: string; closed: boolean }> {
  return rawRequest(port, payload, gotHead, timeoutMs).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ECONNRESET' || err.code === 'EPIPE') return { data: '', closed: true };
    throw err;
  });
}

/** The server answered with 2xx/4xx or closed without answering; never 5xx. */
function assertAnsweredOrClosed(r: { data: string; closed: boolean }, label: string): void {
  const lines = statusLines(r.data);
  if (lines.length === 0) {
    assert.ok(r.closed, `${label}: neither an answer nor a close: ${JSON.stringify(r.data.slice(0, 200))}`);
    return;
  }
  for (const l of lines) assert.match(l, /^HTTP\/1\.1 [24]\d\d/, `${label}: ${l}`);
}

describe('hostile HTTP', () => {
  let server: TestServer;
  before(async () => { server = await startServer(['--workers', '2', '--max-body', '1KB']); });
  after(async () => { assert.equal(await server.stop(), 0); });

  const malformed: [string, string | Buffer][] = [
    ['garbage request line', 'GARBAGE\r\n\r\n'],
    ['method only', 'GET\r\n\r\n'],
    ['no version', 'GET /json\r\n\r\n'],
    ['unknown version', 'GET /json HTTP/9.9\r\nHost: t\r\n\r\n'],
    ['extra token on the request line', 'GET /json HTTP/1.1 extra\r\nHost: t\r\n\r\n'],
    ['bare LF line endings', 'GET /json HTTP/1.1\nHost: t\n\n'],
    ['NUL in the target', 'GET /js\u0000on HTTP/1.1\r\nHost: t\r\n\r\n'],
    ['target without a slash', 'GET json HTTP/1.1\r\nHost: t\r\n\r\n'],
    ['absolute-form target', 'GET http://example.com/json HTTP/1.1\r\nHost: t\r\n\r\n'],
    ['space in the target', 'GET /js on HTTP/1.1\r\nHost: t\r\n\r\n'],
    ['10 KB target', `GET /${'a'.repeat(10_240)} HTTP/1.1\r\nHost: t\r\n\r\n`],
    ['random binary', Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 73 + 11) % 256))],
    ['header without colon', 'GET /json HTTP/1.1\r\nHost: t\r\nNoColonHere\r\n\r\n'],
    ['header name with space', 'GET /json HTTP/1.1\r\nHost: t\r\nBad Name: x\r\n\r\n'],
    ['obs-fold continuation line', 'GET /json HTTP/1.1\r\nHost: t\r\nX-A: 1\r\n  folded\r\n\r\n'],
    ['CR without LF in a header', 'GET /json HTTP/1.1\r\nHost: t\r\nX-A: 1\r2\r\n\r\n'],
    ['negative Content-Length', 'POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: -5\r\n\r\nhello'],
    ['non-numeric Content-Length', 'POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: abc\r\n\r\nhello'],
    ['huge Content-Length', 'POST /json HTTP/1.1\r\nHost: t\r\nContent-Length: 99999999999999999999999\r\n\r\nhello'],
    ['two Content-Lengths', 'POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!'],
    ['Content-Length and chunked', 'POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n'],
  ];
  for (const method of ['G@T', 'GE\u0001T', 'BREW', 'get', '\u00ff\u00feGET', 'A'.repeat(2000)]) {
    malformed.push([`method ${JSON.stringify(method.slice(0, 12))}`, `${method} /json HTTP/1.1\r\nHost: t\r\n\r\n`]);
  }
  const chunked: [string, string][] = [
    ['non-hex chunk size', 'ZZZ\r\nhello\r\n0\r\n\r\n'],
    ['chunk shorter than declared', '10\r\nhello\r\n0\r\n\r\n'],
    ['chunk longer than declared', '2\r\nhello\r\n0\r\n\r\n'],
    ['missing CRLF after chunk', '5\r\nhello0\r\n\r\n'],
    ['overflowing chunk size', 'ffffffffffffffffffffff\r\nhello\r\n0\r\n\r\n'],
    ['negative chunk size', '-5\r\nhello\r\n0\r\n\r\n'],
    ['chunk extension garbage', '5;\u0000\u0001=\r\nhello\r\n0\r\n\r\n'],
  ];
  for (const [label, body] of chunked) {
    for (const path of ['/echo', '/json', '/anything']) {
      malformed.push([`invalid chunked body (${label}) on ${path}`, `POST ${path} HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n${body}`]);
    }
  }
  // uWS answers some malformed requests with 400 or a close at once, but for others (an unparsable
  // request line, bare LF, a header without a colon, ...) it neither answers nor closes until its ~10 s
  // idle timeout. Both count as "answered or closed"; the cases run concurrently so that wait is paid once.
  test(`${malformed.length} malformed requests and invalid chunked bodies (concurrently): each answered or closed, server keeps serving`, async (t) => {
    const results = await Promise.all(malformed.map(async ([label, payload]) => {
      const t0 = performance.now();
      const r = await hostile(server.port, typeof payload === 'string' ? Buffer.from(payload, 'latin1') : payload, IdleCloseMs);
      return { label, r, ms: performance.now() - t0 };
    }));
    for (const { label, r, ms } of results) {
      assertAnsweredOrClosed(r, label);
      t.diagnostic(`${label}: ${statusLines(r.data)[0] ?? 'closed'} after ${ms.toFixed(0)} ms`);
    }
    await assertServes(server);
  });

  test('a 100 KB header value: answered or closed', async () => {
    const r = await hostile(server.port, `GET /json HTTP/1.1\r\nHost: t\r\nX-Big: ${'v'.repeat(100 * 1024)}\r\n\r\n`);
    assertAnsweredOrClosed(r, '100 KB header');
    await assertServes(server);
  });

  test('a 100 KB X-Mock and X-Delay header: answered or closed', async () => {
    for (const name of ['X-Mock', 'X-Delay']) {
      const r = await hostile(server.port, `GET /json HTTP/1.1\r\nHost: t\r\n${name}: ${'delay=1ms&'.repeat(10 * 1024)}\r\n\r\n`);
      assertAnsweredOrClosed(r, name);
    }
    await assertServes(server);
  });

  test('1,000 headers: answered or closed', async () => {
    const headers = Array.from({ length: 1000 }, (_, i) => `X-H${i}: ${i}\r\n`).join('');
    const r = await hostile(server.port, `GET /headers HTTP/1.1\r\nHost: t\r\n${headers}\r\n`);
    assertAnsweredOrClosed(r, '1000 headers');
    await assertServes(server);
  });

  test('1,000 headers on /echo and /anything (they walk every header): answered or closed', async () => {
    const headers = Array.from({ length: 1000 }, (_, i) => `X-H${i}: ${i}\r\n`).join('');
    for (const path of ['/echo', '/anything']) {
      const r = await hostile(server.port, `GET ${path} HTTP/1.1\r\nHost: t\r\n${headers}\r\n`);
      assertAnsweredOrClosed(r, path);
    }
    await assertServes(server);
  });

  test('/echo body over --max-body answers 413 JSON {error, param: "body"} (Content-Length and chunked)', async () => {
    const body = 'x'.repeat(4096);
    const a = await rawRequest(server.port, `POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      (d) => d.includes('"param":"body"}'));
    assert.match(a.data, /^HTTP\/1\.1 413 /);
    const chunks = Array.from({ length: 8 }, () => `200\r\n${'y'.repeat(512)}\r\n`).join('');
    const b = await rawRequest(server.port, `POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n${chunks}0\r\n\r\n`,
      (d) => d.includes('"param":"body"}'));
    assert.match(b.data, /^HTTP\/1\.1 413 /);
    const json = JSON.parse(b.data.slice(b.data.indexOf('\r\n\r\n') + 4)) as { error: string; param: string };
    assert.equal(json.param, 'body');
    assert.equal(typeof json.error, 'string');
    await assertServes(server);
  });

  test('a slowloris client (one header byte every 50 ms) does not delay other clients', async () => {
    const slow = connect(server.port, '127.0.0.1');
    slow.on('error', () => { /* the server may cut it */ });
    await new Promise<void>((r) => slow.once('connect', () => r()));
    slow.write('GET /json HTTP/1.1\r\nHost: t\r\nX-Slow: ');
    const drip = setInterval(() => { if (!slow.destroyed) slow.write('a'); }, 50);
    try {
      // While the slow client dribbles, 10 rounds of 20 concurrent normal requests are each served promptly.
      for (let round = 0; round < 10; round++) {
        const t0 = performance.now();
        const rs = await Promise.all(Array.from({ length: 20 }, () =>
          rawRequest(server.port, 'GET /json/valid HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n', (d) => d.endsWith('"}'))));
        const ms = performance.now() - t0;
        for (const r of rs) assert.match(r.data, /^HTTP\/1\.1 200 /);
        assert.ok(ms < 1000, `round ${round} took ${ms.toFixed(0)} ms`);
      }
    } finally {
      clearInterval(drip);
      slow.destroy();
    }
    await assertServes(server);
  });

  test('a pipelined burst of 500 requests in one write gets 500 responses in order', async () => {
    const one = (i: number): string => `GET /resource/${i % 100} HTTP/1.1\r\nHost: t\r\n\r\n`;
    const payload = Array.from({ length: 500 }, (_, i) => one(i)).join('');
    const r = await rawRequest(server.port, payload, (d) => statusLines(d).length === 500 && d.endsWith('}'), 20_000);
    const lines = statusLines(r.data);
    assert.equal(lines.length, 500);
    for (const l of lines) assert.match(l, /^HTTP\/1\.1 200/);
    const ids = [...r.data.matchAll(/\{"Id":(\d+)/g)].map((m) => Number(m[1]));
    assert.deepEqual(ids, Array.from({ length: 500 }, (_, i) => i % 100));
    await assertServes(server);
  });

  test('a pipelined burst of 500 mixed requests (controls, 404s, bad values) in one write', async () => {
    // Only immediate answers: see the next test for a request pipelined behind a delayed one.
    const paths = ['/json?status=503', '/nope', '/delay/abc', '/json?header=X-A:1', '/size/10', '/status/418', '/echo', '/json/valid'];
    const payload = Array.from({ length: 500 }, (_, i) => `GET ${paths[i % paths.length]} HTTP/1.1\r\nHost: t\r\n\r\n`).join('');
    const r = await rawRequest(server.port, payload, (d) => statusLines(d).length === 500, 20_000);
    assert.equal(statusLines(r.data).length, 500);
    await assertServes(server);
  });

  // uWebSockets.js refuses "async pipelining": a request that arrives while the previous response on the
  // same connection is still pending closes the connection, losing both responses. Known limitation (not
  // fixable locally); this pins that it is a close, never a hang or a crash, and the server keeps serving.
  for (const first of ['/delay/20ms', '/json?delay=1ms', '/drip?numbytes=2&duration=20ms', '/size/8MB']) {
    test(`a request pipelined behind ${first}: both responses arrive`, { todo: 'uWS refuses async pipelining' }, async () => {
      const r = await rawRequest(server.port, `GET ${first} HTTP/1.1\r\nHost: t\r\n\r\nGET /json HTTP/1.1\r\nHost: t\r\n\r\n`,
        (d) => d.endsWith('{"message":"Hello, World!"}'));
      assert.equal(statusLines(r.data).length, 2);
    });
    test(`a request pipelined behind ${first}: answered or closed, server keeps serving`, async (t) => {
      const r = await rawRequest(server.port, `GET ${first} HTTP/1.1\r\nHost: t\r\n\r\nGET /json HTTP/1.1\r\nHost: t\r\n\r\n`,
        (d) => d.endsWith('{"message":"Hello, World!"}'));
      assertAnsweredOrClosed(r, first);
      t.diagnostic(`${first} + /json pipelined: ${statusLines(r.data).length} responses, closed=${r.closed}`);
      await assertServes(server);
    });
  }

  /** Send one request, end() our side (half-close) and collect everything until the server closes. */
  function halfClosed(path: string): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      const s = connect({ port: server.port, host: '127.0.0.1', allowHalfOpen: true });
      let got = '';
      const timer = setTimeout(() => { s.destroy(); reject(new Error(`no close; got ${JSON.stringify(got.slice(0, 200))}`)); }, 10_000);
      s.on('connect', () => s.end(`GET ${path} HTTP/1.1\r\nHost: t\r\n\r\n`));
      s.on('data', (d) => { got += d.toString('latin1'); });
      s.on('close', () => { clearTimeout(timer); resolve(got); });
      s.on('error', (e) => { clearTimeout(timer); reject(e); });
    });
  }

  function assertComplete200(data: string): void {
    assert.match(data, /^HTTP\/1\.1 200 /);
    const m = /content-length: (\d+)/i.exec(data);
    if (m) assert.equal(data.length - data.indexOf('\r\n\r\n') - 4, Number(m[1]), 'the whole body arrived');
  }

  for (const path of ['/json/valid', '/echo', '/size/100KB']) {
    test(`half-closed socket: the client end()s after sending a request to ${path}; the response still arrives`, async () => {
      assertComplete200(await halfClosed(path));
      await assertServes(server);
    });
  }

  // uWebSockets.js closes a connection as soon as it reads the client's FIN ("HTTP does not support
  // half-closed sockets"): a response that is not written synchronously is lost (delays) or cut short
  // (large streams: /size/8MB arrives truncated). Not fixable from src/; the real tests pin that the server
  // closes (no hang, no crash) and the todo tests record the behaviour the brief asks for.
  for (const path of ['/delay/10ms', '/json?delay=5ms', '/drip?numbytes=2&duration=10ms', '/size/8MB']) {
    test(`half-closed socket on ${path}: the server closes (never hangs) and keeps serving`, async (t) => {
      const data = await halfClosed(path);
      t.diagnostic(`${path} half-closed: ${data.length} bytes before the close`);
      await assertServes(server);
    });
    test(`half-closed socket on ${path}: the full response still arrives`, { todo: 'uWS closes on FIN' }, async () => {
      assertComplete200(await halfClosed(path));
    });
  }
});

// The HTTP/2 listener (--h2-port) with real clients: curl (h2c prior knowledge, h2 over TLS with ALPN and
// HTTP/1.1 on the same port), h2load, nghttp's view of our SETTINGS, node:http2 sessions for GOAWAY and the
// stream limit, and hostile input that must not take the worker down.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { constants, type ClientHttp2Session } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, rawRequest, type TestServer } from '../helpers/server.js';
import { h2Ask, h2PortOf, h2Session, have, run, tlsFiles } from '../helpers/h2.js';
import { startMockUpstream } from '../../src/index.js';
import { reusePortSupported } from '../../src/http/portable/engine.js';

const tools = { skip: have('h2load') && have('nghttp') ? false : 'h2load/nghttp missing: apt-get install -y nghttp2-client' };

/** One curl call: status, HTTP version, body. */
async function curl(args: readonly string[]): Promise<{ status: number; version: string; body: string }> {
  const r = await run('curl', ['-sS', '-o', '-', '-w', '\n%{http_code} %{http_version}', ...args]);
  assert.equal(r.code, 0, r.stderr);
  const cut = r.stdout.lastIndexOf('\n');
  const [status, version] = r.stdout.slice(cut + 1).split(' ');
  return { status: Number(status), version, body: r.stdout.slice(0, cut) };
}

/** Resolves with the session's GOAWAY (code, lastStreamID), rejects after timeoutMs. */
function goawayOf(session: ClientHttp2Session, timeoutMs = 10_000): Promise<{ code: number; last: number }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no GOAWAY within ${timeoutMs} ms`)), timeoutMs);
    session.once('goaway', (code, last) => { clearTimeout(timer); resolve({ code, last }); });
  });
}

describe('h2c with prior knowledge (curl)', () => {
  let server: TestServer;
  let port: number;
  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'h2-conf-'));
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ routes: [{ path: '/api/users/:id', status: 201, body: { template: { id: '{{params.id}}' } } }] }));
    server = await startServer(['--h2-port', '0', '--config', config]);
    port = await h2PortOf(server);
  });
  after(async () => { assert.equal(await server.stop(), 0); });

  const rows: { name: string; args: string[]; status: number; body?: (b: string) => void }[] = [
    { name: 'GET /json/valid', args: ['/json/valid'], status: 200, body: (b) => assert.match(b, /^\{"time": "/) },
    { name: 'POST /echo echoes the body', args: ['/echo', '-d', 'hello h2'], status: 200, body: (b) => assert.equal(JSON.parse(b).Body, 'hello h2') },
    { name: 'GET /status/503', args: ['/status/503'], status: 503 },
    { name: 'GET /delay/100ms', args: ['/delay/100ms'], status: 200, body: (b) => assert.equal(b, '') },
    { name: 'GET /size/100KB', args: ['/size/100KB'], status: 200, body: (b) => assert.equal(b.length, 102_400) },
    { name: 'HEAD /json: no body', args: ['/json', '-I'], status: 200, body: (b) => assert.match(b, /^HTTP\/2 200/) },
    { name: 'a configured route', args: ['/api/users/42'], status: 201, body: (b) => assert.deepEqual(JSON.parse(b), { id: '42' }) },
    { name: 'an admin route', args: ['/__mock/health'], status: 200, body: (b) => assert.equal(b, '{"status":"ok"}') },
    { name: 'a control: status=418 in the query', args: ['/json?status=418'], status: 418 },
  ];
  for (const row of rows) {
    test(row.name, async () => {
      const [path, ...rest] = row.args;
      const r = await curl(['--http2-prior-knowledge', `http://127.0.0.1:${port}${path}`, ...rest]);
      assert.equal(r.version, '2');
      assert.equal(r.status, row.status);
      row.body?.(r.body);
    });
  }

  test('HEAD keeps Content-Length and sends no body; no connection-specific headers', async () => {
    const a = await h2Ask(port, 'HEAD', '/size/1KB');
    assert.equal(a.status, 200);
    assert.equal(a.headers['content-length'], '1024');
    assert.equal(a.body.length, 0);
    const g = await h2Ask(port, 'GET', '/json?close=100');
    assert.equal(g.headers.connection, undefined);
    assert.equal(g.headers['content-length'], '27');
  });

  test('a runtime route added over h2 answers on both listeners', async () => {
    const added = await h2Ask(port, 'POST', '/__mock/routes', { 'content-type': 'application/json' }, JSON.stringify({ path: '/rt/:x', status: 202, body: { text: 'rt' } }));
    assert.equal(added.status, 201, added.body.toString());
    assert.equal((await h2Ask(port, 'GET', '/rt/1')).status, 202);
    assert.equal((await fetch(`${server.url}/rt/1`)).status, 202);
  });

  test('/__mock/stats and the metrics name the h2 port and count sessions and streams', async () => {
    const s = await h2Session(port);
    try {
      await h2Ask(s, 'GET', '/json');
      const stats = JSON.parse((await h2Ask(s, 'GET', '/__mock/stats')).body.toString()) as { h2: { port: number; sessions: number; streams: number } };
      assert.equal(stats.h2.port, port);
      assert.ok(stats.h2.sessions >= 1, JSON.stringify(stats.h2));
      assert.ok(stats.h2.streams >= 1, JSON.stringify(stats.h2));
      const metrics = (await h2Ask(s, 'GET', '/__mock/metrics')).body.toString();
      assert.match(metrics, /^mock_upstream_h2_sessions_open [1-9]/m);
      assert.match(metrics, /^mock_upstream_h2_goaways_total /m);
    } finally { s.close(); }
  });

  test('h2load: 2000 requests, 2 connections, 10 streams each, no errors', tools, async () => {
    const r = await run('h2load', ['-n', '2000', '-c', '2', '-m', '10', `http://127.0.0.1:${port}/json/valid`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /requests: 2000 total, 2000 started, 2000 done, 2000 succeeded, 0 failed, 0 errored, 0 timeout/);
    assert.match(r.stdout, /status codes: 2000 2xx/);
  });

  test('the HTTP/1.1 port answers Upgrade: h2c with a normal HTTP/1.1 response', async () => {
    const { data } = await rawRequest(server.port, 'GET /json HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n',
      (d) => d.includes('Hello, World!'));
    assert.match(data, /^HTTP\/1\.1 200 OK\r\n/);
  });
});

describe('the h2c port on the portable engine', () => {
  test('HTTP/2 routes answer, and the HTTP/1.1 port answers Upgrade: h2c normally', async () => {
    const server = await startServer(['--engine', 'portable', '--h2-port', '0']);
    try {
      const port = await h2PortOf(server);
      assert.equal((await h2Ask(port, 'GET', '/status/204')).status, 204);
      const { data } = await rawRequest(server.port, 'GET /json HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n',
        (d) => d.includes('Hello, World!'));
      assert.match(data, /^HTTP\/1\.1 200 OK\r\n/);
    } finally { assert.equal(await server.stop(), 0); }
  });
});

describe('h2 over TLS: ALPN picks h2, and HTTP/1.1 on the same port', () => {
  let server: TestServer;
  let port: number;
  before(async () => {
    const { cert, key } = tlsFiles();
    server = await startServer(['--h2-port', '0', '--tls-cert', cert, '--tls-key', key]);
    port = await h2PortOf(server);
  });
  after(async () => { assert.equal(await server.stop(), 0); });

  test('curl --http2 negotiates h2', async () => {
    const r = await curl(['-k', '--http2', `https://127.0.0.1:${port}/json`]);
    assert.equal(r.version, '2');
    assert.equal(r.body, '{"message":"Hello, World!"}');
  });

  test('curl --http1.1 on the same port is served as on the portable engine', async () => {
    const r = await curl(['-k', '--http1.1', '-i', `https://127.0.0.1:${port}/json?status=503`]);
    assert.equal(r.version, '1.1');
    assert.equal(r.status, 503);
    assert.match(r.body, /^HTTP\/1\.1 503 Service Unavailable\r\n/);
    const post = await curl(['-k', '--http1.1', `https://127.0.0.1:${port}/echo`, '-d', 'over tls']);
    assert.equal(JSON.parse(post.body).Body, 'over tls');
  });

  test('node:http2 over TLS; goaway=now ends the session after the response', async () => {
    const s = await h2Session(port, true);
    try {
      const g = goawayOf(s);
      const a = await h2Ask(s, 'GET', '/json?goaway=now');
      assert.equal(a.status, 200);
      assert.equal(a.body.toString(), '{"message":"Hello, World!"}');
      const { code, last } = await g;
      assert.equal(code, constants.NGHTTP2_NO_ERROR);
      assert.equal(last, 1);
    } finally { s.close(); }
  });
});

describe('SETTINGS, GOAWAY and the stream limit', () => {
  test('nghttp -v shows our SETTINGS', tools, async () => {
    const server = await startServer(['--h2-port', '0', '--h2-max-streams', '7', '--h2-window', '131072', '--h2-max-frame', '32768']);
    try {
      const port = await h2PortOf(server);
      const r = await run('nghttp', ['-v', `http://127.0.0.1:${port}/json`]);
      assert.equal(r.code, 0, r.stderr);
      const recv = r.stdout.slice(r.stdout.indexOf('recv SETTINGS'));
      assert.match(recv, /SETTINGS_MAX_CONCURRENT_STREAMS\(0x03\):7\b/);
      assert.match(recv, /SETTINGS_INITIAL_WINDOW_SIZE\(0x04\):131072\b/);
      assert.match(recv, /SETTINGS_MAX_FRAME_SIZE\(0x05\):32768\b/);
    } finally { assert.equal(await server.stop(), 0); }
  });

  test('goaway=now: the client sees GOAWAY naming this stream; a new connection works; HTTP/1.1 gets Connection: close', async () => {
    const server = await startServer(['--h2-port', '0']);
    try {
      const port = await h2PortOf(server);
      const s = await h2Session(port);
      await h2Ask(s, 'GET', '/json');
      const g = goawayOf(s);
      const a = await h2Ask(s, 'GET', '/json', { 'x-mock': 'goaway=now' });
      assert.equal(a.status, 200);
      assert.deepEqual(await g, { code: 0, last: 3 });
      s.close();
      assert.equal((await h2Ask(port, 'GET', '/json')).status, 200);
      const h1 = await fetch(`${server.url}/json?goaway=now`);
      assert.equal(h1.headers.get('connection'), 'close');
      assert.equal((await h2Ask(port, 'GET', '/json?goaway=later')).status, 400);
      const stats = JSON.parse((await h2Ask(port, 'GET', '/__mock/stats')).body.toString()) as { h2: { goaways: number } };
      assert.ok(stats.h2.goaways >= 1);
    } finally { assert.equal(await server.stop(), 0); }
  });

  test('--h2-goaway-after 3: GOAWAY after the third stream; --h2-goaway-after 200ms: GOAWAY on an idle session', async () => {
    const server = await startServer(['--h2-port', '0', '--h2-goaway-after', '3']);
    try {
      const port = await h2PortOf(server);
      const s = await h2Session(port);
      const g = goawayOf(s);
      for (let i = 0; i < 3; i++) assert.equal((await h2Ask(s, 'GET', '/json')).status, 200);
      assert.deepEqual(await g, { code: 0, last: 5 });
      s.close();
      assert.equal((await h2Ask(port, 'GET', '/json')).status, 200);
    } finally { assert.equal(await server.stop(), 0); }
    const timed = await startServer(['--h2-port', '0', '--h2-goaway-after', '200ms']);
    try {
      const s = await h2Session(await h2PortOf(timed));
      const g = goawayOf(s, 5_000);
      await h2Ask(s, 'GET', '/json');
      assert.equal((await g).code, 0);
      s.close();
    } finally { assert.equal(await timed.stop(), 0); }
  });

  test('--h2-idle-timeout 200ms: GOAWAY on a quiet session; a stream still open (quiet too) is answered first', async () => {
    const server = await startServer(['--h2-port', '0', '--h2-idle-timeout', '200ms']);
    try {
      const s = await h2Session(await h2PortOf(server));
      const g = goawayOf(s, 5_000);
      // No frame either way while the server waits out the delay: the idle GOAWAY comes during it.
      const slow = h2Ask(s, 'GET', '/delay/800ms');
      assert.equal((await g).code, 0);
      assert.equal((await slow).status, 200);
      s.close();
      const stats = await (await fetch(`${server.url}/__mock/stats`)).json() as { h2: { goaways: number } };
      assert.ok(stats.h2.goaways >= 1);
    } finally { assert.equal(await server.stop(), 0); }
  });

  test('more concurrent streams than --h2-max-streams: each is answered or refused (REFUSED_STREAM), the server keeps serving', async () => {
    const server = await startServer(['--h2-port', '0', '--h2-max-streams', '2']);
    try {
      const port = await h2PortOf(server);
      const s = await h2Session(port);
      try {
        // Sent before our SETTINGS arrive: over the limit, nghttp2 refuses (a client may retry those).
        const early = await Promise.allSettled(Array.from({ length: 6 }, () => h2Ask(s, 'GET', '/delay/150ms')));
        const ok = early.filter((r) => r.status === 'fulfilled' && r.value.status === 200).length;
        const refused = early.filter((r) => r.status === 'rejected' && /REFUSED_STREAM/.test(String(r.reason))).length;
        assert.equal(ok + refused, 6, JSON.stringify(early));
        assert.ok(ok >= 2, `only ${ok} answered`);
        // Once the client knows the limit it holds streams back itself: every one is answered, 2 at a time.
        assert.equal(s.remoteSettings.maxConcurrentStreams, 2);
        const t0 = performance.now();
        const later = await Promise.allSettled(Array.from({ length: 6 }, () => h2Ask(s, 'GET', '/delay/150ms')));
        const answered = later.filter((r) => r.status === 'fulfilled' && r.value.status === 200).length;
        assert.ok(answered >= 2, JSON.stringify(later));
        assert.ok(performance.now() - t0 >= 140);
        assert.equal((await h2Ask(s, 'GET', '/json')).status, 200);
      } finally { s.close(); }
    } finally { assert.equal(await server.stop(), 0); }
  });
});

describe('hostile input on the h2c port: the worker survives', () => {
  let server: TestServer;
  let port: number;
  before(async () => {
    server = await startServer(['--h2-port', '0']);
    port = await h2PortOf(server);
  });
  after(async () => {
    assert.equal(await server.stop(), 0);
    assert.ok(!server.lines.some((l) => l.includes('"crashed"') || l.includes('restarting')), server.lines.join('\n'));
  });

  /** Write bytes on a fresh connection; resolves once the server closes it (or after 5 s, destroyed). */
  function send(bytes: Buffer | string): Promise<Buffer> {
    return new Promise((resolve) => {
      const sock = netConnect(port, '127.0.0.1');
      const got: Buffer[] = [];
      const timer = setTimeout(() => sock.destroy(), 5_000);
      sock.on('data', (d) => got.push(d));
      sock.on('error', () => {});
      sock.on('close', () => { clearTimeout(timer); resolve(Buffer.concat(got)); });
      sock.on('connect', () => sock.write(bytes));
    });
  }

  const preface = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
  const frame = (type: number, flags: number, stream: number, payload: Buffer = Buffer.alloc(0)): Buffer => {
    const h = Buffer.alloc(9);
    h.writeUIntBE(payload.length, 0, 3);
    h[3] = type;
    h[4] = flags;
    h.writeUInt32BE(stream, 5);
    return Buffer.concat([h, payload]);
  };

  test('garbage bytes: the connection closes', async () => {
    await send(Buffer.from('\x00\xff garbage \r\n\r\n'.repeat(100), 'latin1'));
    assert.equal((await h2Ask(port, 'GET', '/json')).status, 200);
  });

  test('an HTTP/1.1 request on the h2c port: closed (GOAWAY), no crash', async () => {
    const got = await send('GET /json HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.ok(!got.toString('latin1').includes('Hello, World!'));
    assert.equal((await h2Ask(port, 'GET', '/json')).status, 200);
  });

  test('a SETTINGS flood (10,000 frames, no ACKs read) is cut by node\'s bounds', async () => {
    const settings = frame(4, 0, 0, Buffer.from([0, 3, 0, 0, 0, 100]));
    await send(Buffer.concat([preface, ...Array.from({ length: 10_000 }, () => settings)]));
    assert.equal((await h2Ask(port, 'GET', '/json')).status, 200);
  });

  test('an RST_STREAM storm (rapid reset: 2,000 streams opened and cancelled) leaves the worker serving', async () => {
    const s = await h2Session(port);
    s.on('error', () => {});
    for (let i = 0; i < 2000 && !s.destroyed; i++) {
      const st = s.request({ ':path': '/delay/1s' });
      st.on('error', () => {});
      st.close(constants.NGHTTP2_CANCEL);
    }
    s.destroy();
    assert.equal((await h2Ask(port, 'GET', '/json')).status, 200);
  });

  // node:http2 throws on these in a response head (each was a handler error and a stream ended with no status).
  const heads: { query: string; name: string; value: string | undefined }[] = [
    { query: 'header=TE:gzip', name: 'te', value: undefined },
    { query: 'header=HTTP2-Settings:AAMAAABkAAQAoAAAAAIAAAAA', name: 'http2-settings', value: undefined },
    { query: 'header=Age:1&header=age:2', name: 'age', value: '2' },
    { query: 'header=ETag:%22a%22&header=ETag:%22b%22&header=X-A:1&header=X-A:2', name: 'etag', value: '"b"' },
  ];
  for (const method of ['GET', 'HEAD']) {
    for (const row of heads) {
      test(`${method} ?${row.query}: answered 200, ${row.name} ${row.value === undefined ? 'dropped' : `once (${row.value})`}`, async () => {
        const from = server.lines.length;
        const r = await h2Ask(port, method, `/json/valid?${row.query}`);
        assert.equal(r.status, 200);
        assert.equal(r.headers[row.name], row.value);
        assert.deepEqual(server.lines.slice(from).filter((l) => l.includes('handler-error')), []);
      });
    }
  }

  test('a PING flood and frames on unopened streams', async () => {
    const ping = frame(6, 0, 0, Buffer.alloc(8));
    const stray = frame(0, 0, 99, Buffer.from('x'));
    await send(Buffer.concat([preface, frame(4, 0, 0), ...Array.from({ length: 5_000 }, () => ping), stray]));
    assert.equal((await h2Ask(port, 'GET', '/json')).status, 200);
  });
});

describe('shutdown drains the h2 listener', () => {
  test('SIGTERM: open sessions get GOAWAY, an in-flight stream finishes within --grace', async () => {
    const server = await startServer(['--h2-port', '0', '--grace', '5s']);
    const port = await h2PortOf(server);
    const s = await h2Session(port);
    try {
      await h2Ask(s, 'GET', '/json');
      const g = goawayOf(s);
      const slow = h2Ask(s, 'GET', '/delay/400ms');
      await server.waitForLine((l) => l.event === 'listening');
      // Let the stream reach the server before the signal (its HEADERS frame is on the wire with the next ping's ACK).
      await new Promise<void>((r) => s.ping(() => r()));
      const exited = server.stop();
      assert.equal((await g).code, 0);
      assert.equal((await slow).status, 200);
      assert.equal(await exited, 0);
    } finally { s.destroy(); }
  });
});

describe('the fixture', () => {
  test('startMockUpstream({ h2Port: 0 }) returns h2Url; without it, null', async () => {
    const up = await startMockUpstream({ h2Port: 0, h2MaxStreams: 10, h2GoawayAfter: 2 });
    try {
      assert.equal(up.h2Url, `http://127.0.0.1:${up.h2Port}`);
      const s = await h2Session(up.h2Port as number);
      const g = goawayOf(s);
      assert.equal((await h2Ask(s, 'GET', '/json')).status, 200);
      assert.equal((await h2Ask(s, 'GET', '/json')).status, 200);
      assert.deepEqual(await g, { code: 0, last: 3 });
      assert.equal(s.remoteSettings.maxConcurrentStreams, 10);
      s.close();
    } finally { await up.close(); }
    const plain = await startMockUpstream();
    try {
      assert.equal(plain.h2Url, null);
      assert.equal(plain.h2Port, null);
    } finally { await plain.close(); }
  });
});

describe('several workers', () => {
  test('every worker listens on the h2 port where reusePort exists; before Node 22.12 worker 0 alone, with a warning', async () => {
    const server = await startServer(['--workers', '2', '--h2-port', '0']);
    try {
      const port = await h2PortOf(server);
      const warned = server.lines.some((l) => l.includes('"event":"h2-one-worker"'));
      assert.equal(warned, !reusePortSupported());
      const answers = await Promise.all(Array.from({ length: 8 }, () => h2Ask(port, 'GET', '/json')));
      assert.ok(answers.every((a) => a.status === 200));
    } finally { assert.equal(await server.stop(), 0); }
  });
});

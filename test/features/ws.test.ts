// WebSocket routes against the real server with a real client (the `ws` package): echo, stream, the
// upgrade controls, close codes, deflate, oversize messages, abrupt disconnects, configured routes,
// counters, the journal and shutdown.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as netConnect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startServer, withServer, type TestServer } from '../helpers/server.js';
import { connect, Refused, within } from '../helpers/ws-client.js';
import { readStamp } from '../../src/serializers/stamp.js';
import { availableEngines } from '../helpers/engines.js';

interface StreamEntry { route: string; open: number; messagesIn: number; messagesOut: number; bytesIn: number; bytesOut: number; refused: number; closed: number }

async function streams(url: string): Promise<StreamEntry[]> {
  const stats = await (await fetch(`${url}/__mock/stats`)).json() as { streams: StreamEntry[] };
  return stats.streams;
}

function wsUrl(server: TestServer, path: string): string {
  return `ws://127.0.0.1:${server.port}${path}`;
}

// The open gauge of a route, once it reaches `want` (each step waits on the server; bounded).
async function openBecomes(url: string, route: string, want: number, timeoutMs = 5000): Promise<StreamEntry | undefined> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const entry = (await streams(url)).find((s) => s.route === route);
    if ((entry?.open ?? 0) === want) return entry;
    if (performance.now() > deadline) throw new Error(`open sockets on ${route} stayed at ${entry?.open}, expected ${want}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('WebSocket routes', () => {
  let server: TestServer;
  before(async () => { server = await startServer(['--ws-max-message', '64KB']); });
  after(async () => { await server.stop(); });

  it('/ws/echo echoes text and binary messages as received, and counts them', async () => {
    const c = connect(wsUrl(server, '/ws/echo'));
    await c.opened;
    c.ws.send('hello');
    c.ws.send(Buffer.from([0, 1, 2, 255]));
    c.ws.send('x'.repeat(40_000));
    const got = await c.received(3);
    assert.deepEqual(got.map((m) => [m.binary, m.data.length]), [[false, 5], [true, 4], [false, 40_000]]);
    assert.equal(got[0].data.toString(), 'hello');
    assert.deepEqual([...got[1].data], [0, 1, 2, 255]);
    c.ws.close(1000, 'bye');
    assert.deepEqual(await within(c.closed, 5000, 'close'), { code: 1000, reason: 'bye' });
    const entry = await openBecomes(server.url, '/ws/echo', 0);
    assert.ok(entry !== undefined && entry.messagesIn >= 3 && entry.messagesOut >= 3 && entry.bytesIn >= 40_009, JSON.stringify(entry));
  });

  it('/ws/stream pushes count stamped messages of size bytes every interval, then closes with 1000', async () => {
    const c = connect(wsUrl(server, '/ws/stream?count=5&interval=20ms&size=200'));
    const close = await within(c.closed, 5000, 'stream end');
    assert.deepEqual(close, { code: 1000, reason: 'stream complete' });
    assert.equal(c.messages.length, 5);
    const stamps = c.messages.map((m) => {
      assert.equal(m.data.length, 200);
      assert.equal(m.binary, false);
      const s = readStamp(m.data.toString());
      assert.ok(s !== null, m.data.toString());
      // The stamp is the server's wall clock in epoch ms, so on one host it lands near the arrival time. Not
      // "sent <= arrival": each thread samples performance.timeOrigin on its own and CI measured 1.1 ms of skew
      // between the server's worker and this client, so the check is closeness (a unit or epoch error is far off).
      assert.ok(Math.abs(m.at - s.sent) < 50, `sent ${s.sent}, arrived ${m.at}`);
      return s;
    });
    assert.deepEqual(stamps.map((s) => s.seq), [1, 2, 3, 4, 5]);
    // The schedule runs from the first message: message i is due i × 20 ms after it (timers never fire early).
    for (let i = 1; i < 5; i++) assert.ok(stamps[i].sent - stamps[0].sent >= i * 20 - 1, `message ${i + 1} at +${stamps[i].sent - stamps[0].sent} ms`);
  });

  it('/ws/stream: binary frames, jitter and the default size (the bare stamp)', async () => {
    const c = connect(wsUrl(server, '/ws/stream?count=3&interval=1ms&jitter=5ms&binary=on'));
    await within(c.closed, 5000, 'stream end');
    assert.equal(c.messages.length, 3);
    for (const m of c.messages) {
      assert.equal(m.binary, true);
      assert.ok(readStamp(m.data.toString()) !== null);
    }
  });

  const refusals: [string, number, RegExp][] = [
    ['/ws/echo?status=503', 503, /refused: the status control picked 503/],
    ['/ws/echo?status=429', 429, /picked 429/],
    ['/ws/stream?interval=soon', 400, /interval/],
    ['/ws/stream?count=-1', 400, /message count/],
    ['/ws/echo?close=1006', 400, /close code/],
    ['/ws/echo?deflate=maybe', 400, /switch/],
    ['/ws/echo?max-message=1GB', 400, /--ws-max-message/],
    ['/ws/echo?delay=1h', 400, /delay|--max-delay|maximum/],
  ];
  for (const [path, status, error] of refusals) {
    it(`refuses ${path} with ${status} and a JSON reason`, async () => {
      const c = connect(wsUrl(server, path));
      const err = await c.opened.then(() => null, (e: unknown) => e);
      assert.ok(err instanceof Refused, String(err));
      assert.equal(err.status, status);
      assert.match((JSON.parse(err.body) as { error: string }).error, error);
    });
  }

  it('takes controls from X-Mock too (the header wins), and refuses an unknown X-Mock control', async () => {
    const c = connect(wsUrl(server, '/ws/echo?status=200'), [], { headers: { 'X-Mock': 'status=502' } });
    const err = await c.opened.then(() => null, (e: unknown) => e);
    assert.ok(err instanceof Refused && err.status === 502, String(err));
    const u = connect(wsUrl(server, '/ws/echo'), [], { headers: { 'X-Mock': 'header=A:b' } });
    const bad = await u.opened.then(() => null, (e: unknown) => e);
    if (!(bad instanceof Refused)) u.ws.terminate();
    assert.ok(bad instanceof Refused && bad.status === 400 && /unknown control "header"/.test((JSON.parse(bad.body) as { error: string }).error), String(bad));
  });

  it('counts refused upgrades per route', async () => {
    const before = (await streams(server.url)).find((s) => s.route === '/ws/stream')?.refused ?? 0;
    const c = connect(wsUrl(server, '/ws/stream?status=500'));
    await c.opened.catch(() => undefined);
    const after = (await streams(server.url)).find((s) => s.route === '/ws/stream')?.refused ?? 0;
    assert.equal(after, before + 1);
  });

  it('delay holds the upgrade back before accepting', async () => {
    const t0 = performance.now();
    const c = connect(wsUrl(server, '/ws/echo?delay=150ms'));
    await within(c.opened, 5000, 'delayed open');
    assert.ok(performance.now() - t0 >= 150, `opened after ${performance.now() - t0} ms`);
    c.ws.close();
  });

  const closes: [string, (c: ReturnType<typeof connect>) => void, number, string, number][] = [
    ['close=1001 closes at once', () => undefined, 1001, 'closed by the close control', 0],
    ['close=4000:2 closes after two messages sent', (c) => { c.ws.send('a'); c.ws.send('b'); c.ws.send('c'); }, 4000, 'closed by the close control', 2],
    ['close=4001:100ms closes after a duration', () => undefined, 4001, 'closed by the close control', 0],
    ['idle=100ms closes a quiet socket with 1001', () => undefined, 1001, 'idle timeout', 0],
  ];
  const query = ['close=1001', 'close=4000:2', 'close=4001:100ms', 'idle=100ms'];
  closes.forEach(([name, act, code, reason, echoed], i) => {
    it(name, async () => {
      const c = connect(wsUrl(server, `/ws/echo?${query[i]}`));
      await c.opened;
      act(c);
      assert.deepEqual(await within(c.closed, 5000, 'server close'), { code, reason });
      assert.equal(c.messages.length, echoed);
    });
  });

  it('max-message closes with 1009 on a larger message; over --ws-max-message the connection is dropped', async () => {
    const c = connect(wsUrl(server, '/ws/echo?max-message=16B'));
    await c.opened;
    c.ws.send('0123456789abcdef');
    await c.received(1);
    c.ws.send('0123456789abcdefg');
    assert.deepEqual(await within(c.closed, 5000, '1009'), { code: 1009, reason: 'message over the max-message limit' });
    const big = connect(wsUrl(server, '/ws/echo'));
    await big.opened;
    big.ws.send(Buffer.alloc(64 * 1024 + 1));
    const closed = await within(big.closed, 5000, 'oversize drop');
    assert.ok([1006, 1009].includes(closed.code), `closed with ${closed.code}`);
    assert.equal(big.messages.length, 0);
  });

  it('deflate=on negotiates permessage-deflate when offered; off by default', async () => {
    const on = connect(wsUrl(server, '/ws/echo?deflate=on'), [], { perMessageDeflate: true });
    await on.opened;
    assert.match(on.ws.extensions, /permessage-deflate/);
    on.ws.send('z'.repeat(10_000));
    const [m] = await on.received(1);
    assert.equal(m.data.toString(), 'z'.repeat(10_000));
    on.ws.close();
    const off = connect(wsUrl(server, '/ws/echo'), [], { perMessageDeflate: true });
    await off.opened;
    assert.equal(off.ws.extensions, '');
    off.ws.close();
  });

  it('answers pings with pongs and accepts the first subprotocol offered', async () => {
    const c = connect(wsUrl(server, '/ws/echo'), ['chat.v2', 'chat.v1']);
    await c.opened;
    assert.equal(c.ws.protocol, 'chat.v2');
    const pong = new Promise<string>((resolve) => c.ws.once('pong', (d: Buffer) => resolve(d.toString())));
    c.ws.ping('are you there');
    assert.equal(await within(pong, 5000, 'pong'), 'are you there');
    c.ws.close();
  });

  it('answers a plain GET with 426 and an Upgrade header, HEAD likewise without a body', async () => {
    const r = await fetch(`${server.url}/ws/echo`);
    assert.equal(r.status, 426);
    assert.equal(r.headers.get('upgrade'), 'websocket');
    assert.match((await r.json() as { error: string }).error, /WebSocket route/);
    const h = await fetch(`${server.url}/ws/stream`, { method: 'HEAD' });
    assert.equal(h.status, 426);
    assert.equal(await h.text(), '');
  });

  it('abrupt disconnects leave no socket counted open, and the server keeps serving', async () => {
    const clients = Array.from({ length: 20 }, (_, i) => connect(wsUrl(server, i % 2 === 0 ? '/ws/stream?count=0&interval=5ms' : '/ws/echo')));
    await Promise.all(clients.map((c) => c.opened));
    await openBecomes(server.url, '/ws/stream', 10);
    for (const c of clients) c.ws.terminate();
    await openBecomes(server.url, '/ws/stream', 0);
    await openBecomes(server.url, '/ws/echo', 0);
    assert.equal((await fetch(`${server.url}/json/valid`)).status, 200);
  });

  it('a stream to a client that does not read waits for the drain instead of queueing without bound', async () => {
    const c = connect(wsUrl(server, '/ws/stream?count=0&interval=0ms&size=60KB'));
    await c.opened;
    // Stop reading: the server's queue fills to its bound and the stream holds.
    (c.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    await new Promise((r) => setTimeout(r, 300));
    const sent1 = (await streams(server.url)).find((s) => s.route === '/ws/stream')?.bytesOut ?? 0;
    await new Promise((r) => setTimeout(r, 300));
    const sent2 = (await streams(server.url)).find((s) => s.route === '/ws/stream')?.bytesOut ?? 0;
    assert.equal(sent2, sent1, 'bytes kept being queued for a client that reads nothing');
    c.ws.terminate();
  });
});

describe('WebSocket routes: configured, journal, metrics, TLS, shutdown', () => {
  it('serves configured WebSocket routes: a script with a close code, an echo with its own controls', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mock-ws-'));
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ routes: [
      { path: '/chat/:room', ws: { messages: ['hello', { json: { n: 1 } }, { binary: Buffer.from([1, 2, 3]).toString('base64') }], interval: '10ms', close: 4001 } },
      { path: '/mirror', ws: { echo: true, controls: 'close=4002:2' } },
      { path: '/refuse', status: 503, ws: {} },
    ] }));
    await withServer({ args: ['--config', file] }, async (server) => {
      const c = connect(wsUrl(server, '/chat/lobby'));
      assert.deepEqual(await within(c.closed, 5000, 'script end'), { code: 4001, reason: 'stream complete' });
      assert.deepEqual(c.messages.map((m) => [m.binary, m.data.toString('hex')]),
        [[false, Buffer.from('hello').toString('hex')], [false, Buffer.from('{"n":1}').toString('hex')], [true, '010203']]);
      const m = connect(wsUrl(server, '/mirror'));
      await m.opened;
      m.ws.send('one');
      m.ws.send('two');
      assert.equal((await within(m.closed, 5000, 'mirror close')).code, 4002);
      assert.deepEqual(m.messages.map((x) => x.data.toString()), ['one', 'two']);
      // The request's own controls win over the route's.
      const m2 = connect(wsUrl(server, '/mirror?close=4003:1'));
      await m2.opened;
      m2.ws.send('x');
      assert.equal((await within(m2.closed, 5000, 'mirror close')).code, 4003);
      const r = connect(wsUrl(server, '/refuse'));
      const err = await r.opened.then(() => null, (e: unknown) => e);
      assert.ok(err instanceof Refused && err.status === 503, String(err));
      assert.equal((await fetch(`${server.url}/chat/x`)).status, 426);
    });
  });

  it('rejects a bad WebSocket route in the config file with its JSON path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mock-ws-'));
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ routes: [{ path: '/w', ws: { interval: 'often', close: 1006, controls: 'deflate=perhaps' }, body: { text: 'x' } }] }));
    const { runCli } = await import('../helpers/server.js');
    const r = await runCli(['--config', file, '--port', '0']);
    assert.equal(r.code, 1);
    for (const p of ['/routes/0/ws/interval', '/routes/0/ws/close', '/routes/0/ws/controls', '/routes/0/body']) assert.match(r.stderr, new RegExp(p));
  });

  it('serves WebSocket routes added at runtime through the admin API, and stops when they are removed', async () => {
    await withServer({}, async (server) => {
      const add = await fetch(`${server.url}/__mock/routes`, { method: 'POST', body: JSON.stringify({ path: '/live', ws: { messages: ['hi'], close: 1000 } }) });
      assert.equal(add.status, 201, await add.text());
      const c = connect(wsUrl(server, '/live'));
      assert.equal((await within(c.closed, 5000, 'runtime route')).code, 1000);
      assert.equal(c.messages[0].data.toString(), 'hi');
      assert.equal((await fetch(`${server.url}/__mock/routes`, { method: 'DELETE' })).status, 200);
      const gone = connect(wsUrl(server, '/live'));
      const err = await gone.opened.then(() => null, (e: unknown) => e);
      assert.ok(err instanceof Refused && err.status === 404, String(err));
    });
  });

  it('records upgrades in the journal (status 101) and exposes stream metrics', async () => {
    await withServer({ args: ['--journal', '10'] }, async (server) => {
      const c = connect(wsUrl(server, '/ws/echo?x=1'));
      await c.opened;
      c.ws.send('hi');
      await c.received(1);
      c.ws.close();
      await within(c.closed, 5000, 'close');
      const { requests: entries } = await (await fetch(`${server.url}/__mock/requests`)).json() as { requests: { url: string; status: number | null; headers: Record<string, string> }[] };
      const up = entries.find((e) => e.url === '/ws/echo?x=1');
      assert.ok(up !== undefined, JSON.stringify(entries));
      assert.equal(up.status, 101);
      assert.equal(up.headers.upgrade, 'websocket');
      await openBecomes(server.url, '/ws/echo', 0);
      const metrics = await (await fetch(`${server.url}/__mock/metrics`)).text();
      assert.match(metrics, /mock_upstream_stream_messages_total\{route="\/ws\/echo",direction="in"\} 1/);
      assert.match(metrics, /mock_upstream_stream_open\{route="\/ws\/echo"\} 0/);
      assert.match(metrics, /mock_upstream_requests_total\{route="\/ws\/echo",status="1xx"\} 1/);
    });
  });

  it('serves wss:// on the TLS listener', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mock-tls-'));
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
    await withServer({ args: ['--tls-cert', cert, '--tls-key', key] }, async (server) => {
      const c = connect(`wss://127.0.0.1:${server.port}/ws/echo`, [], { rejectUnauthorized: false });
      await c.opened;
      c.ws.send('secure');
      assert.equal((await c.received(1))[0].data.toString(), 'secure');
      c.ws.close();
    });
  });

  it('tells open sockets 1001 Going Away at shutdown', async () => {
    const server = await startServer();
    const c = connect(wsUrl(server, '/ws/stream?count=0&interval=50ms'));
    await c.opened;
    const stopping = server.stop();
    assert.deepEqual(await within(c.closed, 10_000, 'going away'), { code: 1001, reason: 'server shutting down' });
    assert.equal(await stopping, 0);
  });
});

for (const engine of availableEngines()) {
  describe(`a ping flood from a client that reads nothing (${engine} engine)`, () => {
    it('the pongs it does not read are not queued without bound: 128 MB of pings grow the worker\'s heap by less than 64 MB', async () => {
      await withServer({ args: ['--engine', engine] }, async (server) => {
        const heap = async (): Promise<number> => ((await (await fetch(`${server.url}/__mock/stats`)).json()) as { workers: { heapUsedBytes: number }[] }).workers[0].heapUsedBytes;
        const before = await heap();
        const s = netConnect(server.port, '127.0.0.1');
        s.on('error', () => undefined);
        try {
          await within(new Promise<void>((resolve) => {
            s.once('connect', () => s.write('GET /ws/echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n'));
            s.once('data', () => { s.pause(); resolve(); });
          }), 10_000, 'the 101');
          // Masked PINGs with 125-byte payloads (the most a control frame carries); each asks for a 127-byte PONG.
          const ping = Buffer.concat([Buffer.from([0x89, 0x80 | 125, 0, 0, 0, 0]), Buffer.alloc(125, 0x61)]);
          const batch = Buffer.concat(Array.from({ length: 8192 }, () => ping));
          // Each write completes once the server read far enough: the last one means it took nearly all of them.
          for (let sent = 0; sent < 128 * 1024 * 1024; sent += batch.length) {
            await within(new Promise<void>((resolve, reject) => s.write(batch, (e) => (e ? reject(e) : resolve()))), 60_000, 'the server reading the pings');
          }
          const grown = (await heap()) - before;
          assert.ok(grown < 64 * 1024 * 1024, `heap grew by ${grown >> 20} MB`);
        } finally {
          s.destroy();
        }
      });
    });
  });
}

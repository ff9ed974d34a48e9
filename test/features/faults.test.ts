// The fault control on the wire: each fault against a real client (raw TCP sockets, curl, node:http2),
// on both HTTP/1.1 engines and the HTTP/2 listener; the server goes on serving other connections, and
// counters, metrics and the journal name the faults served.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startServer, type TestServer } from '../helpers/server.js';
import { availableEngines } from '../helpers/engines.js';
import { MaxCapturedBodyBytes } from '../../src/features/faults.js';
import { FaultHookEnv, FaultHookPhrase } from '../../src/config/defaults.js';
import { gcReport } from '../hardening/util.js';
import { h2PortOf, h2Session, run } from '../helpers/h2.js';

/** What a raw client saw: the bytes, how the connection ended, and how many reads the bytes took. */
interface Seen {
  data: Buffer;
  end: 'fin' | 'reset' | 'timeout';
  reads: number;
}

/** One request on a fresh connection; waits for the connection to end (FIN or RST), at most timeoutMs. */
function rawAsk(port: number, requestLine: string, timeoutMs = 10_000): Promise<Seen> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const s = connect(port, '127.0.0.1', () => s.write(`${requestLine} HTTP/1.1\r\nHost: x\r\n\r\n`));
    const done = (end: Seen['end']): void => {
      clearTimeout(timer);
      s.destroy();
      resolve({ data: Buffer.concat(chunks), end, reads: chunks.length });
    };
    const timer = setTimeout(() => done('timeout'), timeoutMs);
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('end', () => done('fin'));
    s.on('error', (e: NodeJS.ErrnoException) => done(e.code === 'ECONNRESET' ? 'reset' : 'timeout'));
  });
}

function split(data: Buffer): { head: string; body: Buffer } {
  const at = data.indexOf('\r\n\r\n');
  return at < 0 ? { head: data.toString('latin1'), body: Buffer.alloc(0) } : { head: data.subarray(0, at).toString('latin1'), body: data.subarray(at + 4) };
}

function contentLength(head: string): number {
  const m = /\r\ncontent-length: *(\d+)/i.exec(head);
  return m === null ? -1 : Number(m[1]);
}

/**
 * `n` clients GET `path`, read their first bytes, then stop reading and hold on: the worker's RSS growth meanwhile
 * (live, after a full GC: /__mock/test/gc) and each client's first bytes. The clients are gone when it resolves.
 */
async function rssWhileHeld(port: number, path: string, n: number): Promise<{ grown: number; firsts: string[] }> {
  const before = (await gcReport(port)).rssBytes;
  const held = await Promise.all(Array.from({ length: n }, () => new Promise<{ s: ReturnType<typeof connect>; first: string }>((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`));
    const timer = setTimeout(() => { s.destroy(); reject(new Error('no head within 30 s')); }, 30_000);
    s.once('data', (d: Buffer) => { clearTimeout(timer); s.pause(); resolve({ s, first: d.toString('latin1') }); });
    s.on('error', () => undefined);
  })));
  try {
    return { grown: (await gcReport(port)).rssBytes - before, firsts: held.map((h) => h.first) };
  } finally {
    for (const h of held) h.s.destroy();
  }
}

for (const engine of availableEngines()) {
  describe(`faults on the ${engine} engine`, () => {
    let server: TestServer;
    before(async () => {
      // The fault hook opens /__mock/test/gc: the live RSS after a full GC (stats' RSS is a once-a-second sample).
      server = await startServer(['--engine', engine, '--journal', '100', '--max-delay', '1s'], { [FaultHookEnv]: FaultHookPhrase });
    });
    after(async () => {
      await server?.stop();
    });

    it(engine === 'portable' ? 'reset sends a TCP RST: the client sees ECONNRESET' : 'reset closes with no byte sent (uWS 20.30 has no RST: a FIN, docs/faults.md)', async () => {
      const seen = await rawAsk(server.port, 'GET /json/valid?fault=reset');
      assert.equal(seen.data.length, 0);
      assert.equal(seen.end, engine === 'portable' ? 'reset' : 'fin');
    });

    it('a body over MaxCapturedBodyBytes is refused with a 400 naming fault (it was held whole in memory per connection); at the bound it is served', async () => {
      const over = await fetch(`${server.url}/json/valid?size=${MaxCapturedBodyBytes + 1}&fault=slow-body(1)`);
      assert.equal(over.status, 400);
      const why = await over.json() as { error: string; param: string };
      assert.equal(why.param, 'fault');
      assert.match(why.error, /at most 16MiB/);
      const at = await fetch(`${server.url}/json/valid?size=${MaxCapturedBodyBytes}&fault=slow-body(1GB)`);
      assert.equal(at.status, 200);
      assert.equal((await at.arrayBuffer()).byteLength, MaxCapturedBodyBytes);
    });

    it('empty closes (FIN) without sending anything; curl says "Empty reply" (52)', async () => {
      const seen = await rawAsk(server.port, 'GET /json/valid?fault=empty');
      assert.deepEqual([seen.data.length, seen.end], [0, 'fin']);
      const curl = await run('curl', ['-sS', '--max-time', '10', `${server.url}/json/valid?fault=empty`]);
      assert.equal(curl.code, 52, curl.stderr);
    });

    it('garbage sends bytes that are not an HTTP response, then closes', async () => {
      const seen = await rawAsk(server.port, 'GET /json/valid?fault=garbage');
      assert.equal(seen.end, 'fin');
      assert.ok(seen.data.length >= 64, `${seen.data.length} bytes`);
      assert.doesNotMatch(seen.data.toString('latin1'), /^HTTP\/1\.1 \d{3} /);
    });

    it('truncate(N) sends the head with the full Content-Length, N body bytes, then closes; curl exits 18', async () => {
      const whole = Buffer.from(await (await fetch(`${server.url}/json/valid`)).arrayBuffer());
      for (const n of [0, 1, 2, 10, 30]) {
        const seen = await rawAsk(server.port, `GET /json/valid?fault=truncate(${n})`);
        const { head, body } = split(seen.data);
        assert.equal(seen.end, 'fin');
        assert.match(head, /^HTTP\/1\.1 200 OK\r\n/);
        assert.equal(contentLength(head), whole.length, head);
        // Exactly the first N bytes of the route's body: nothing of the engine's framing after them.
        assert.equal(body.toString('latin1'), whole.subarray(0, n).toString('latin1'), `truncate(${n})`);
      }
      const curl = await run('curl', ['-sS', '--max-time', '10', `${server.url}/json/valid?fault=truncate(10)`]);
      assert.equal(curl.code, 18, curl.stderr);
    });

    it('truncate on HEAD: the GET head with its Content-Length, no body, then the close', async () => {
      const seen = await rawAsk(server.port, 'HEAD /json/valid?fault=truncate(10)');
      const { head, body } = split(seen.data);
      assert.equal(seen.end, 'fin');
      assert.ok(contentLength(head) > 60, head);
      assert.equal(body.length, 0);
    });

    it('malformed-chunk sends a chunked body whose second chunk size is not hexadecimal; curl exits 56', async () => {
      const seen = await rawAsk(server.port, 'GET /json/valid?fault=malformed-chunk');
      const { head, body } = split(seen.data);
      assert.equal(seen.end, 'fin');
      assert.match(head, /\r\nTransfer-Encoding: chunked/i);
      assert.match(body.toString('latin1'), /^[0-9a-f]+\r\n[^]*\r\nzz\r\n/);
      const curl = await run('curl', ['-sS', '--max-time', '10', `${server.url}/json/valid?fault=malformed-chunk`]);
      assert.equal(curl.code, 56, curl.stderr);
    });

    it('hang answers nothing until --max-delay, then drops the connection', async () => {
      const seen = await rawAsk(server.port, 'GET /json/valid?fault=hang');
      assert.deepEqual([seen.data.length, seen.end], [0, 'fin']);
    });

    it('slow-headers(D) sends the head in pieces, then the whole response', async () => {
      const seen = await rawAsk(server.port, 'GET /json/valid?fault=slow-headers(300ms)&header=X-A:1&header=X-B:2');
      const { head, body } = split(seen.data);
      assert.ok(seen.reads >= 3, `${seen.reads} reads`);
      assert.match(head, /\r\nX-B: 2/);
      assert.equal(body.length, contentLength(head));
    });

    it('slow-body(RATE) paces the body at RATE bytes/s', async () => {
      const seen = await rawAsk(server.port, 'GET /size/30?fault=slow-body(100)&close=100');
      const { head, body } = split(seen.data);
      assert.equal(contentLength(head), 30);
      assert.equal(body.length, 30);
      // 10 bytes per 100 ms tick: the head, then three pieces.
      assert.ok(seen.reads >= 3, `${seen.reads} reads`);
    });

    it('big-headers(SIZE) pads the head up to SIZE bytes', async () => {
      const seen = await rawAsk(server.port, 'GET /json/valid?fault=big-headers(20KB)&close=100');
      const { head, body } = split(seen.data);
      assert.ok(head.length >= 20 * 1024, `${head.length}`);
      assert.match(head, /\r\nX-Pad-0: a+/);
      assert.equal(body.length, contentLength(head));
    });

    it('weights: fault=reset:0 never faults; bad faults are 400 with a reason', async () => {
      const ok = await fetch(`${server.url}/json/valid?fault=reset:0`);
      assert.equal(ok.status, 200);
      for (const bad of ['truncate:100', 'nope', 'reset(1)', 'slow-body(0)', 'hang:60,reset:60']) {
        const r = await fetch(`${server.url}/json/valid?fault=${encodeURIComponent(bad)}`);
        assert.equal(r.status, 400, bad);
        assert.match(((await r.json()) as { error: string }).error, /fault/);
      }
    });

    it('a fault scenario: fault=emptyx2,none under one key closes that client\'s first two requests, then answers', async () => {
      const key = `faults-${engine}-${process.pid}`;
      const ask = (): Promise<Seen> => new Promise((resolve) => {
        const chunks: Buffer[] = [];
        const s = connect(server.port, '127.0.0.1', () => s.write(`GET /json/valid?fault=emptyx2,none HTTP/1.1\r\nHost: x\r\nX-Mock-Key: ${key}\r\nConnection: close\r\n\r\n`));
        const timer = setTimeout(() => { s.destroy(); resolve({ data: Buffer.concat(chunks), end: 'timeout', reads: chunks.length }); }, 10_000);
        s.on('data', (d: Buffer) => chunks.push(d));
        s.on('close', () => { clearTimeout(timer); resolve({ data: Buffer.concat(chunks), end: 'fin', reads: chunks.length }); });
        s.on('error', () => undefined);
      });
      const seen = [await ask(), await ask(), await ask(), await ask()];
      assert.deepEqual(seen.map((x) => x.data.length === 0 ? 'empty' : x.data.toString('latin1').slice(0, 12)), ['empty', 'empty', 'HTTP/1.1 200', 'HTTP/1.1 200']);
      const other = await fetch(`${server.url}/json/valid?fault=emptyx2,none`, { headers: { 'X-Mock-Key': `${key}-other` } }).then(() => 'answered', () => 'failed');
      assert.equal(other, 'failed', 'another key starts its own sequence');
    });

    it('slow-body on a body at MaxCapturedBodyBytes holds views, not copies: 6 such clients leave the worker\'s RSS under +64 MB', async () => {
      // Each client reads its head (the capture is complete by then) and holds the connection; the body would take months.
      const { grown, firsts } = await rssWhileHeld(server.port, `/size/${MaxCapturedBodyBytes}?fault=slow-body(1)`, 6);
      for (const f of firsts) assert.match(f, /^HTTP\/1\.1 200 /);
      // A copy of each body and the join of the copies were 32 MB per request: 192 MB for these six.
      assert.ok(grown < 64 * 1024 * 1024, `RSS grew by ${grown >> 20} MB`);
    });

    it('big-headers on a body at MaxCapturedBodyBytes goes out as the socket takes it: non-readers pin little, a reader gets every byte', async () => {
      const path = `/size/${MaxCapturedBodyBytes}?fault=big-headers(2KB)`;
      // The first bytes are in: the server has offered what the socket takes. Then each client stops reading.
      const { grown } = await rssWhileHeld(server.port, path, 10);
      // end() of the joined body: a 16 MB join per request, and the engine queueing what the socket did not take.
      assert.ok(grown < 64 * 1024 * 1024, `RSS grew by ${grown >> 20} MB`);
      const r = await fetch(`${server.url}${path}`);
      assert.equal(r.status, 200);
      assert.ok((r.headers.get('x-pad-0') ?? '').length > 0);
      const body = Buffer.from(await r.arrayBuffer());
      assert.equal(body.length, MaxCapturedBodyBytes);
      assert.match(body.subarray(body.length - 64).toString('latin1'), /^[a-zA-Z]{64}$/);
    });

    it('keeps serving, and counts and journals every fault', async () => {
      const r = await fetch(`${server.url}/json/valid`);
      assert.equal(r.status, 200);
      const stats = (await (await fetch(`${server.url}/__mock/stats`)).json()) as { faults: Record<string, number> };
      for (const k of ['reset', 'empty', 'garbage', 'truncate', 'malformed-chunk', 'hang', 'slow-headers', 'slow-body', 'big-headers']) {
        assert.ok(stats.faults[k] >= 1, `${k}: ${JSON.stringify(stats.faults)}`);
      }
      const metrics = await (await fetch(`${server.url}/__mock/metrics`)).text();
      assert.match(metrics, /mock_upstream_faults_total\{fault="reset"\} [1-9]/);
      const journal = (await (await fetch(`${server.url}/__mock/requests?path=/json/valid`)).json()) as { requests: { url: string; fault?: string; status: number | null }[] };
      const reset = journal.requests.find((e) => e.url.endsWith('fault=reset'));
      assert.deepEqual([reset?.fault, reset?.status], ['reset', null]);
      const truncated = journal.requests.find((e) => e.url.endsWith('fault=truncate(10)'));
      assert.deepEqual([truncated?.fault, truncated?.status], ['truncate(10)', 200]);
      const plain = journal.requests.find((e) => e.url === '/json/valid');
      assert.equal(plain?.fault, undefined);
    });
  });
}

describe('faults: server default and X-Mock', () => {
  it('--default-fault applies to every data response; a request\'s own fault (or reset:0) wins', async () => {
    const server = await startServer(['--default-fault', 'empty']);
    try {
      assert.deepEqual((await rawAsk(server.port, 'GET /json/valid')).data.length, 0);
      const r = await fetch(`${server.url}/json/valid`, { headers: { 'X-Mock': 'fault=reset:0' } });
      assert.equal(r.status, 200);
    } finally {
      await server.stop();
    }
  });
});

describe('faults over HTTP/2 (--h2-port)', () => {
  let server: TestServer;
  let h2Port = 0;
  before(async () => {
    server = await startServer(['--h2-port', '0', '--max-delay', '1s']);
    h2Port = await h2PortOf(server);
  });
  after(async () => {
    await server?.stop();
  });

  // The stream's RST_STREAM code and whether any HEADERS came, on one session that must survive every fault.
  const table: readonly (readonly [string, number, boolean])[] = [
    ['reset', 2, false], ['empty', 8, false], ['garbage', 1, false], ['truncate(10)', 2, true], ['malformed-chunk', 1, true], ['hang', 8, false],
  ];
  it('each fault is a RST_STREAM with its code; the session goes on', async () => {
    const session = await h2Session(h2Port);
    try {
      for (const [fault, code, headers] of table) {
        const seen = await new Promise<[number, boolean]>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`${fault}: no end`)), 10_000);
          const stream = session.request({ ':path': `/json/valid?fault=${fault}` });
          let gotHeaders = false;
          stream.on('response', () => { gotHeaders = true; });
          stream.on('error', () => {});
          stream.resume();
          stream.on('close', () => { clearTimeout(timer); resolve([stream.rstCode ?? -1, gotHeaders]); });
          stream.end();
        });
        assert.deepEqual(seen, [code, headers], fault);
      }
      const ok = await new Promise<number>((resolve) => {
        const stream = session.request({ ':path': '/json/valid?fault=slow-body(1KB)' });
        stream.on('response', (h) => resolve(Number(h[':status'])));
        stream.resume();
        stream.end();
      });
      assert.equal(ok, 200);
    } finally {
      session.close();
    }
  });
});

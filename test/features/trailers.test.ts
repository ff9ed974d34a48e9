// The trailer control and /trailers on every engine: the response goes out chunked with `Trailer:` announced and
// the fields after the last chunk; read by Node's http client (res.trailers), curl --raw, raw sockets (keep-alive
// reuse after a trailered response) and node:http2 (the 'trailers' event).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { startServer, type TestServer } from '../helpers/server.js';
import { availableEngines } from '../helpers/engines.js';
import { MaxCapturedBodyBytes } from '../../src/features/faults.js';
import { h2PortOf, h2Session, run } from '../helpers/h2.js';

interface Got { status: number; headers: IncomingHttpHeaders; trailers: NodeJS.Dict<string>; body: string; reused: boolean }

function get(port: number, path: string, agent: Agent | false = false, method = 'GET', headers: Record<string, string> = {}): Promise<Got> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent, headers, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, trailers: res.trailers, body: Buffer.concat(chunks).toString(), reused: req.reusedSocket }));
    });
    req.on('timeout', () => req.destroy(new Error(`${path}: no answer in 10 s`)));
    req.on('error', reject);
    req.end();
  });
}

/** Two requests on one connection, written one after the other: the second answer must parse after the trailered first. */
function twoOnOneConnection(port: number, first: string, second: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let data = '';
    const timer = setTimeout(() => { s.destroy(); reject(new Error(`no second answer in 10 s: ${JSON.stringify(data)}`)); }, 10_000);
    s.on('connect', () => s.write(`GET ${first} HTTP/1.1\r\nHost: x\r\n\r\n`));
    s.on('data', (d: Buffer) => {
      const before = data;
      data += d.toString('latin1');
      // A trailered response ends with its trailer section: "0", field lines, a blank line.
      const ends = (t: string): number => (t.match(/\r\n0\r\n(?:[^\r\n]+\r\n)*\r\n/g) ?? []).length;
      if (ends(before) === 0 && ends(data) === 1) s.write(`GET ${second} HTTP/1.1\r\nHost: x\r\n\r\n`);
      if (ends(data) === 2) { clearTimeout(timer); s.destroy(); resolve(data); }
    });
    s.on('error', (e) => { clearTimeout(timer); reject(e); });
  });
}

for (const engine of availableEngines()) {
  describe(`trailers on the ${engine} engine`, () => {
    let server: TestServer;
    before(async () => {
      server = await startServer(['--engine', engine, '--h2-port', '0']);
    });
    after(async () => {
      await server?.stop();
    });

    it('a body over MaxCapturedBodyBytes is refused with a 400 naming trailer (it was held whole in memory); a HEAD of it is answered', async () => {
      const path = `/json/valid?size=${MaxCapturedBodyBytes + 1}&trailer=X-A:1`;
      const over = await get(server.port, path);
      assert.equal(over.status, 400);
      assert.equal((JSON.parse(over.body) as { param: string }).param, 'trailer');
      const head = await get(server.port, path, false, 'HEAD');
      assert.equal(head.status, 200);
    });

    const cases: { name: string; path: string; headers?: Record<string, string>; trailers: Record<string, string> }[] = [
      { name: 'one trailer by query', path: '/json/valid?trailer=X-Checksum:abc123', trailers: { 'x-checksum': 'abc123' } },
      { name: 'several trailers', path: '/json?trailer=X-A:1&trailer=X-B:two%20words&trailer=Grpc-Status:0', trailers: { 'x-a': '1', 'x-b': 'two words', 'grpc-status': '0' } },
      { name: 'by X-Mock, with a delay', path: '/plaintext', headers: { 'X-Mock': 'trailer=X-A:1&delay=5ms' }, trailers: { 'x-a': '1' } },
      { name: '/trailers (go-httpbin)', path: '/trailers?X-Foo=bar&X-Baz=1', trailers: { 'x-foo': 'bar', 'x-baz': '1' } },
    ];
    for (const c of cases) {
      it(`Node's http client reads them: ${c.name}`, async () => {
        const r = await get(server.port, c.path, false, 'GET', c.headers);
        assert.equal(r.status, 200);
        assert.equal(r.headers['transfer-encoding'], 'chunked');
        assert.deepEqual(r.headers.trailer?.split(', ').map((n) => n.toLowerCase()), Object.keys(c.trailers));
        // The native engine's trailer section also holds uWS's own Date line (docs/trailers.md).
        const { date, ...got } = r.trailers;
        assert.equal(date === undefined, engine !== 'native', `date trailer: ${String(date)}`);
        assert.deepEqual(got, c.trailers);
        assert.ok(r.body.length > 0);
      });
    }

    it('/trailers answers the pairs as JSON', async () => {
      const r = await get(server.port, '/trailers?X-Foo=bar');
      assert.deepEqual(JSON.parse(r.body), { trailers: { 'X-Foo': 'bar' } });
    });

    it('curl --raw shows the trailer section after the last chunk', async () => {
      const r = await run('curl', ['-s', '--raw', '-i', `http://127.0.0.1:${server.port}/json/valid?trailer=X-A:1&trailer=X-B:2`]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /\r\nTrailer: X-A, X-B\r\n/);
      assert.match(r.stdout, /\r\n0\r\nX-A: 1\r\nX-B: 2\r\n(?:Date: [^\r\n]+\r\n)?\r\n$/);
    });

    const bad: [string, RegExp][] = [
      ['trailer=X-A', /invalid trailer/],
      ['trailer=X-A:a%0Db', /invalid trailer/],
      ['trailer=Bad%20Name:1', /invalid trailer/],
      ['trailer=Content-Length:5', /cannot be sent as a trailer/],
      ['trailer=Transfer-Encoding:chunked', /cannot be sent as a trailer/],
      ['trailer=Trailer:X', /cannot be sent as a trailer/],
      ['trailer=Host:x', /cannot be sent as a trailer/],
    ];
    for (const [q, reason] of bad) {
      it(`a bad trailer is a 400 with a reason: ${q}`, async () => {
        const r = await get(server.port, `/json/valid?${q}`);
        assert.equal(r.status, 400);
        const body = JSON.parse(r.body) as { error: string; param: string };
        assert.match(body.error, reason);
        assert.equal(body.param, 'trailer');
      });
    }
    it('/trailers with a framing name is a 400', async () => {
      const r = await get(server.port, '/trailers?Content-Length=1');
      assert.equal(r.status, 400);
    });

    it('HEAD: the head with Trailer announced, no body, no trailers', async () => {
      const raw = await run('curl', ['-s', '-I', '--max-time', '10', `http://127.0.0.1:${server.port}/json/valid?trailer=X-A:1`]);
      assert.equal(raw.code, 0, raw.stderr);
      assert.match(raw.stdout, /^HTTP\/1\.1 200/);
      // Announced on native; node:http refuses a Trailer header on a response it does not chunk (a HEAD).
      if (engine === 'native') assert.match(raw.stdout, /\r\nTrailer: X-A\r\n/);
      assert.doesNotMatch(raw.stdout, /X-A: 1/);
      const r = await get(server.port, '/json/valid?trailer=X-A:1&delay=5ms', false, 'HEAD');
      assert.equal(r.body, '');
      assert.deepEqual(r.trailers, {});
    });

    it('the connection is reused after a trailered response', async () => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const first = await get(server.port, '/json/valid?trailer=X-A:1', agent);
        assert.equal(first.trailers['x-a'], '1');
        const second = await get(server.port, '/json/valid', agent);
        assert.equal(second.status, 200);
        assert.equal(second.reused, true);
      } finally {
        agent.destroy();
      }
      const raw = await twoOnOneConnection(server.port, '/json/valid?trailer=X-A:1', '/trailers?X-B=2');
      assert.equal((raw.match(/HTTP\/1\.1 200 OK/g) ?? []).length, 2, raw);
    });

    it('with close=100: Connection: close in the head, the trailers, then the server closes the connection', async () => {
      const raw = await new Promise<string>((resolve, reject) => {
        const s = connect(server.port, '127.0.0.1');
        let data = '';
        const timer = setTimeout(() => { s.destroy(); reject(new Error(`no close in 10 s: ${JSON.stringify(data)}`)); }, 10_000);
        s.on('connect', () => s.write('GET /json/valid?trailer=X-A:1&close=100 HTTP/1.1\r\nHost: x\r\n\r\n'));
        s.on('data', (d: Buffer) => { data += d.toString('latin1'); });
        s.on('end', () => { clearTimeout(timer); resolve(data); });
        s.on('error', (e) => { clearTimeout(timer); reject(e); });
      });
      assert.match(raw, /^HTTP\/1\.1 200 OK\r\n/);
      assert.match(raw, /\r\nConnection: close\r\n/i);
      assert.match(raw, /\r\n0\r\nX-A: 1\r\n/i);
      const r = await get(server.port, '/json/valid?trailer=X-A:1&close=100');
      assert.deepEqual([r.headers.connection, r.trailers['x-a']], ['close', '1']);
    });

    it('HTTP/2: a trailing HEADERS frame (the client\'s trailers event)', async () => {
      const session = await h2Session(await h2PortOf(server));
      try {
        const got = await new Promise<{ status: number; trailers: Record<string, unknown>; body: string }>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('no h2 answer in 10 s')), 10_000);
          const stream = session.request({ ':method': 'GET', ':path': '/json/valid?trailer=X-A:1&trailer=X-B:2' });
          let status = 0;
          let trailers: Record<string, unknown> = {};
          const chunks: Buffer[] = [];
          stream.on('response', (h) => { status = Number(h[':status']); });
          stream.on('trailers', (t) => { trailers = { ...t }; });
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => { clearTimeout(timer); resolve({ status, trailers, body: Buffer.concat(chunks).toString() }); });
          stream.on('error', (e) => { clearTimeout(timer); reject(e); });
          stream.end();
        });
        assert.equal(got.status, 200);
        assert.equal(got.trailers['x-a'], '1');
        assert.equal(got.trailers['x-b'], '2');
        assert.ok(got.body.includes('time'));
      } finally {
        session.close();
      }
    });
  });
}

// The portable engine (node:http behind uWS's module surface): its router against uWS 20.30's order (probed
// on the native build), the request and response adapters over real sockets, and the real app answering
// the same status and bytes as on the native engine. Loads on any Node: the native build is only tried in
// the comparison test, which skips where it does not load.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPortableEngine, reusePortSupported } from '../../src/http/portable/engine.js';
import { Router } from '../../src/http/portable/router.js';
import { queryValue } from '../../src/http/portable/request.js';
import { parseHead } from '../../src/http/portable/response.js';
import type { AppHandler, Engine, EngineApp, EngineRequest, EngineResponse, ListenToken } from '../../src/http/engine.js';

const engine = createPortableEngine();

// --- router -------------------------------------------------------------------------------------------

type Reg = [method: string | null, pattern: string, tag: string];
const Yield = '<yield>';

/** Route `method path` through a router of regs; the tags of the handlers tried, in order, and the params. */
function routeOf(regs: readonly Reg[], method: string, path: string): { tried: string[]; params: string[]; answered: boolean } {
  const r = new Router();
  const tried: string[] = [];
  for (const [m, p, tag] of regs) {
    const h: AppHandler = () => { tried.push(tag); };
    r.add(m, p, h);
  }
  let params: string[] = [];
  const answered = r.route(method, path.slice(1).split('/'), (h) => {
    h(null as unknown as EngineResponse, null as unknown as EngineRequest);
    params = r.params.slice(0, r.paramCount);
    return !tried[tried.length - 1].endsWith(Yield);
  });
  return { tried, params, answered };
}

// Every row was checked against uWS 20.30 (scratch probe with the native build, 2026-12-05).
const RouterCases: { name: string; regs: Reg[]; req: string; want: string | null; params?: string[]; tried?: string[] }[] = [
  { name: 'static beats param', regs: [[null, '/a/:x', 'param'], [null, '/a/s', 'static']], req: 'GET /a/s', want: 'static' },
  { name: 'a digit static beats param', regs: [[null, '/a/:x', 'param'], [null, '/a/123', 'static']], req: 'GET /a/123', want: 'static' },
  { name: 'param beats wildcard', regs: [[null, '/a/*', 'wild'], [null, '/a/:x', 'param']], req: 'GET /a/z', want: 'param', params: ['z'] },
  { name: 'static any beats a method wildcard', regs: [['get', '/c/*', 'get-wild'], [null, '/c/s', 'any-static']], req: 'GET /c/s', want: 'any-static' },
  { name: 'static any beats a method param', regs: [['get', '/d/:p', 'get-param'], [null, '/d/x', 'any-static']], req: 'GET /d/x', want: 'any-static' },
  { name: 'a method route beats any on the same pattern', regs: [[null, '/b', 'any'], ['get', '/b', 'get']], req: 'GET /b', want: 'get' },
  { name: 'any answers other methods', regs: [[null, '/b', 'any'], ['get', '/b', 'get']], req: 'POST /b', want: 'any' },
  { name: 'head routes only HEAD', regs: [['head', '/j', 'head'], [null, '/j', 'any']], req: 'HEAD /j', want: 'head' },
  { name: 'del registers delete', regs: [['delete', '/j', 'del'], [null, '/j', 'any']], req: 'DELETE /j', want: 'del' },
  { name: 'same kind: registration order', regs: [[null, '/e', 'first'], [null, '/e', 'second']], req: 'GET /e', want: 'first' },
  { name: 'static first, then backtrack to param', regs: [[null, '/g/:a/x', 'param-x'], [null, '/g/y/:b', 'y-param']], req: 'GET /g/y/x', want: 'y-param', params: ['x'] },
  { name: 'backtracking into param after a static dead end', regs: [[null, '/g/:a/x', 'param-x'], [null, '/g/y/q', 'y-q']], req: 'GET /g/y/x', want: 'param-x', params: ['y'] },
  { name: 'deeper param beats a wildcard', regs: [[null, '/h/*', 'wild'], [null, '/h/:a/z', 'param-z']], req: 'GET /h/a/z', want: 'param-z' },
  { name: 'two params', regs: [[null, '/p/:a/:b', 'two'], [null, '/p/:a', 'one']], req: 'GET /p/1/2', want: 'two', params: ['1', '2'] },
  { name: 'a param never matches an empty segment', regs: [[null, '/p/:a/:b', 'two'], [null, '/p/:a', 'one']], req: 'GET /p/1/', want: null },
  { name: 'empty middle segment', regs: [[null, '/p/:a/:b', 'two']], req: 'GET /p//2', want: null },
  { name: 'wildcard matches an empty rest', regs: [[null, '/a/*', 'wild']], req: 'GET /a/', want: 'wild' },
  { name: 'wildcard does not match the bare prefix', regs: [[null, '/a/*', 'wild']], req: 'GET /a', want: null },
  { name: 'exact vs wildcard', regs: [[null, '/w', 'exact'], [null, '/w/*', 'wild']], req: 'GET /w', want: 'exact' },
  { name: 'no prefix match of a segment', regs: [[null, '/w', 'exact'], [null, '/w/*', 'wild']], req: 'GET /wx', want: null },
  { name: 'root wildcard catches everything', regs: [[null, '/x', 'x'], [null, '/*', 'all']], req: 'GET /nothing/here', want: 'all' },
  { name: 'root path', regs: [[null, '/', 'root'], [null, '/*', 'all']], req: 'GET /', want: 'root' },
  { name: 'yield passes to any on the same pattern', regs: [['get', '/f', `get${Yield}`], [null, '/f', 'any']], req: 'GET /f', want: 'any', tried: [`get${Yield}`, 'any'] },
  { name: 'yield passes to the wildcard', regs: [['get', '/y/:p', `param${Yield}`], [null, '/y/x', `static${Yield}`], [null, '/y/*', 'wild']], req: 'GET /y/x', want: 'wild', tried: [`static${Yield}`, `param${Yield}`, 'wild'] },
  { name: 'everything yields: no match', regs: [[null, '/z/*', `wild${Yield}`]], req: 'GET /z/q', want: null },
  { name: 'params of an abandoned branch are dropped', regs: [[null, '/q/:a/:b/x', 'no'], [null, '/q/*', 'wild']], req: 'GET /q/1/2/y', want: 'wild', params: [] },
  { name: 'unregistered path', regs: [[null, '/a', 'a']], req: 'GET /b', want: null },
];

for (const c of RouterCases) {
  test(`router: ${c.name}`, () => {
    const [method, path] = c.req.split(' ');
    const { tried, params, answered } = routeOf(c.regs, method.toLowerCase(), path);
    assert.equal(answered ? tried[tried.length - 1] : null, c.want);
    if (c.params !== undefined) assert.deepEqual(params, c.params);
    if (c.tried !== undefined) assert.deepEqual(tried, c.tried);
  });
}

test('router: only the first 100 segments count (uWS), and a wildcard must end its pattern', () => {
  const long = '/a'.repeat(100);
  assert.equal(routeOf([[null, long, 'hundred']], 'get', `${long}/b/c`).answered, true);
  assert.throws(() => new Router().add(null, '/a/*/b', () => {}), /wildcard must end/);
});

test('queryValue decodes like uWS getQuery(name): first key wins, + is a space, %XX is UTF-8', () => {
  const cases: [string, string, string | undefined][] = [
    ['a=1%202+3&a=2&b', 'a', '1 2 3'],
    ['b=1', 'a', undefined],
    ['a', 'a', undefined],
    ['=1&a=&a=3', 'a', ''],
    ['b=1&a=%41%2b', 'a', 'A+'],
    ['a=%C3%A9', 'a', 'é'],
    ['ab=1&a=2', 'a', '2'],
    ['a=%zz%41', 'a', '%zzA'],
  ];
  for (const [q, name, want] of cases) assert.equal(queryValue(q, name), want, `${q} ${name}`);
});

test('parseHead: a status line alone, or followed by CRLF-joined header lines', () => {
  assert.deepEqual(parseHead('503 Service Unavailable').headers, []);
  const h = parseHead('200 OK\r\nContent-Type: application/json\r\nX-A:b');
  assert.equal(h.code, 200);
  assert.equal(h.reason, 'OK');
  assert.deepEqual(h.headers, ['Content-Type', 'application/json', 'X-A', 'b']);
  assert.throws(() => parseHead('OK'), /no status code/);
});

test('reusePort only where Node has it (22.12+, 23.1+) and SO_REUSEPORT balances', () => {
  assert.equal(reusePortSupported('20.20.2', 'linux'), false);
  assert.equal(reusePortSupported('22.11.0', 'linux'), false);
  assert.equal(reusePortSupported('22.12.0', 'linux'), true);
  assert.equal(reusePortSupported('23.0.0', 'linux'), false);
  assert.equal(reusePortSupported('23.1.0', 'linux'), true);
  assert.equal(reusePortSupported('24.1.0', 'linux'), true);
  assert.equal(reusePortSupported('24.1.0', 'darwin'), false);
});

// --- over sockets -----------------------------------------------------------------------------------

async function serve(e: Engine, setup: (app: EngineApp) => void, options = 0): Promise<{ app: EngineApp; port: number; token: ListenToken; close(): void }> {
  const app = e.App();
  setup(app);
  const token = await new Promise<ListenToken>((resolve, reject) => {
    app.listen('127.0.0.1', 0, options, (t) => (t === false ? reject(new Error('listen failed')) : resolve(t)));
  });
  return { app, token, port: e.us_socket_local_port(token), close: () => { app.close(); } };
}

/** Send raw bytes; resolve with everything read when `done(data)` holds or the server closes. */
function raw(port: number, payload: string, done: (data: string) => boolean = () => false, timeoutMs = 3000): Promise<{ data: string; closed: boolean }> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let data = '';
    let closed = false;
    const finish = (): void => { clearTimeout(t); s.destroy(); resolve({ data, closed }); };
    const t = setTimeout(finish, timeoutMs);
    s.on('data', (d) => { data += d.toString('latin1'); if (done(data)) finish(); });
    s.on('end', () => { closed = true; finish(); });
    s.on('error', () => finish());
    s.write(payload);
  });
}

const get = (path: string, extra = ''): string => `GET ${path} HTTP/1.1\r\nHost: x\r\n${extra}\r\n`;
const complete = (n: number) => (d: string): boolean => {
  // n responses with Content-Length bodies, or chunked ones ending in 0\r\n\r\n.
  let at = 0;
  for (let i = 0; i < n; i++) {
    const h = d.indexOf('\r\n\r\n', at);
    if (h < 0) return false;
    const m = /content-length: (\d+)/i.exec(d.slice(at, h));
    if (m !== null) at = h + 4 + Number(m[1]);
    else { const z = d.indexOf('0\r\n\r\n', h); if (z < 0) return false; at = z + 5; }
    if (at > d.length) return false;
  }
  return true;
};
const bodyOf = (d: string): string => d.slice(d.indexOf('\r\n\r\n') + 4);
function dechunk(b: string): string {
  let out = '';
  for (let at = 0; ;) {
    const eol = b.indexOf('\r\n', at);
    const n = Number.parseInt(b.slice(at, eol), 16);
    if (n === 0) return out;
    out += b.slice(eol + 2, eol + 2 + n);
    at = eol + 4 + n;
  }
}

test('request adapter: url, method, query, params, headers (first of a name), forEach', async () => {
  let seen: Record<string, unknown> = {};
  let kept: EngineRequest | null = null;
  const s = await serve(engine, (app) => app.any('/r/:a/:b', (res, req) => {
    const all: string[] = [];
    req.forEach((k, v) => all.push(`${k}=${v}`));
    seen = { url: req.getUrl(), m: req.getMethod(), cm: req.getCaseSensitiveMethod(), q: req.getQuery(), qa: req.getQuery('a'),
      qz: req.getQuery('z'), p0: req.getParameter(0), p1: req.getParameter(1), p2: req.getParameter(2), h: req.getHeader('x-d'),
      none: req.getHeader('x-none'), all };
    kept = req;
    res.end('ok');
  }));
  try {
    await raw(s.port, get('/r/x%20y/2?a=1+2&a=3', 'X-D: 1\r\nx-d: 2\r\nX-Up: A\r\n'), complete(1));
    assert.deepEqual(seen, { url: '/r/x%20y/2', m: 'get', cm: 'GET', q: 'a=1+2&a=3', qa: '1 2', qz: undefined, p0: 'x%20y', p1: '2', p2: '',
      h: '1', none: '', all: ['host=x', 'x-d=1', 'x-d=2', 'x-up=A'] });
    // uWS's req dies with its handler; here reading it later throws rather than answer for another request.
    assert.throws(() => (kept as unknown as EngineRequest).getUrl(), /only inside its handler/);
    await raw(s.port, get('/r/a/b'), complete(1));
    assert.equal(seen.q, undefined, 'no ? : undefined, as uWS 20.30');
    await raw(s.port, get('/r/a/b?'), complete(1));
    assert.equal(seen.q, '');
  } finally { s.close(); }
});

test('writeStatus with header lines, writeHeader, Content-Length, and the precomputed head reused', async () => {
  const head = new Uint8Array(Buffer.from('201 Created\r\nContent-Type: application/json\r\nX-A: b')).buffer;
  const s = await serve(engine, (app) => {
    app.any('/h', (res) => { res.writeStatus(head); res.writeHeader('X-Extra', Buffer.from('é')); res.end(Buffer.from('{"a":1}')); });
    app.any('/plain', (res) => { res.writeStatus(head); res.end('hi'); });
    app.any('/status', (res) => { res.writeStatus('503 Service Unavailable'); res.writeStatus('200 OK'); res.end(); });
    app.any('/close', (res) => { res.end('bye', true); });
  });
  try {
    const { data } = await raw(s.port, get('/h') + get('/plain') + get('/plain') + get('/status'), complete(4));
    const parts = data.split('HTTP/1.1 ').slice(1);
    assert.equal(parts.length, 4);
    assert.match(parts[0], /^201 Created\r\n/);
    assert.match(parts[0], /\r\nContent-Type: application\/json\r\nX-A: b\r\nX-Extra: \xc3\xa9\r\nContent-Length: 7\r\n/);
    assert.match(parts[0], /\r\nDate: /);
    assert.ok(parts[0].endsWith('\r\n\r\n{"a":1}'));
    for (const p of parts.slice(1, 3)) {
      assert.match(p, /^201 Created\r\nContent-Type: application\/json\r\nX-A: b\r\nContent-Length: 2\r\n/);
      assert.ok(p.endsWith('\r\n\r\nhi'));
    }
    assert.match(parts[3], /^503 Service Unavailable\r\n[^]*Content-Length: 0\r\n/, 'the first status wins');
    const c = await raw(s.port, get('/close'));
    assert.match(c.data, /Connection: close\r\n/);
    assert.ok(c.closed && c.data.endsWith('bye'));
  } finally { s.close(); }
});

test('write() goes out chunked; endWithoutBody keeps the length it is given; HEAD gets no body', async () => {
  const s = await serve(engine, (app) => {
    app.any('/wr', (res) => { res.write('abc'); res.end('def'); });
    app.any('/len', (res) => { res.endWithoutBody(5); });
    app.any('/hello', (res) => { res.end('hello'); });
    app.any('/none', (res) => { res.writeStatus('204 No Content'); res.endWithoutBody(); });
  });
  try {
    const w = await raw(s.port, get('/wr'), complete(1));
    assert.match(w.data, /Transfer-Encoding: chunked\r\n/);
    // Node 20 sends the two chunks as written; Node 24 joins them ("6\r\nabcdef"): same body either way.
    assert.equal(dechunk(bodyOf(w.data)), 'abcdef');
    const h = await raw(s.port, `HEAD /len HTTP/1.1\r\nHost: x\r\n\r\n${get('/hello')}`, complete(2));
    // The HEAD answer has Content-Length: 5 and no bytes after its head, so the GET after it parses.
    assert.match(h.data, /^HTTP\/1.1 200 OK\r\n[^]*Content-Length: 5\r\n[^]*\r\n\r\nHTTP\/1.1 200 OK\r\n[^]*\r\n\r\nhello$/);
    const head = await raw(s.port, `HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\n${get('/none')}`, (d) => d.split('HTTP/1.1').length === 3 && d.endsWith('\r\n\r\n'));
    assert.match(head.data, /Content-Length: 5\r\n[^]*\r\n\r\nHTTP\/1.1 204 No Content\r\n/);
    assert.doesNotMatch(head.data, /hello/);
  } finally { s.close(); }
});

test('no route takes the request: the connection closes without an answer (uWS)', async () => {
  const s = await serve(engine, (app) => app.any('/only', (res) => { res.end('x'); }));
  try {
    const r = await raw(s.port, get('/other'));
    assert.deepEqual(r, { data: '', closed: true });
  } finally { s.close(); }
});

test('pipelined requests are answered in order, a deferred one first', async () => {
  const s = await serve(engine, (app) => {
    app.any('/slow', (res) => {
      let gone = false;
      res.onAborted(() => { gone = true; });
      setTimeout(() => { if (!gone) res.cork(() => res.end('slow')); }, 50);
    });
    app.any('/fast/:n', (res, req) => { res.end(`fast${req.getParameter(0)}`); });
  });
  try {
    const r = await raw(s.port, get('/slow') + get('/fast/1') + get('/fast/2'), complete(3));
    const bodies = r.data.split('HTTP/1.1 ').slice(1).map(bodyOf);
    assert.deepEqual(bodies, ['slow', 'fast1', 'fast2']);
  } finally { s.close(); }
});

test('onData: one empty last chunk without a body (as uWS), the bytes with isLast otherwise', async () => {
  const calls: [number, boolean][][] = [];
  const s = await serve(engine, (app) => app.any('/b', (res) => {
    const mine: [number, boolean][] = [];
    calls.push(mine);
    res.onAborted(() => {});
    res.onData((chunk, last) => { mine.push([chunk.byteLength, last]); if (last) res.end(String(mine.length)); });
  }));
  try {
    await raw(s.port, get('/b'), complete(1));
    await raw(s.port, 'POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc', complete(1));
    await raw(s.port, 'POST /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n', complete(1));
    assert.deepEqual(calls[0], [[0, true]]);
    assert.deepEqual(calls[1], [[3, true]]);
    assert.equal(calls[2].reduce((n, [len]) => n + len, 0), 5);
    assert.deepEqual(calls[2][calls[2].length - 1][1], true);
  } finally { s.close(); }
});

test('onAborted fires when the client leaves a pending response, never after it completed', async () => {
  let aborted = 0;
  let answered = 0;
  const s = await serve(engine, (app) => {
    app.any('/pending', (res) => { res.onAborted(() => { aborted++; }); });
    app.any('/done', (res) => { res.onAborted(() => { aborted++; }); res.end('x'); answered++; });
  });
  try {
    await raw(s.port, get('/pending'), () => false, 100);
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(aborted, 1);
    await raw(s.port, get('/done'), complete(1));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(answered, 1);
    assert.equal(aborted, 1);
  } finally { s.close(); }
});

test('a client that half-closes: a deferred answer is aborted and the connection closes (as uWS on FIN)', async () => {
  let aborted = 0;
  const s = await serve(engine, (app) => {
    app.any('/d', (res) => {
      let gone = false;
      res.onAborted(() => { gone = true; aborted++; });
      setTimeout(() => { if (!gone) res.cork(() => res.end('late')); }, 50);
    });
    app.any('/now', (res) => { res.end('now'); });
  });
  const halfClosed = (path: string): Promise<string> => new Promise((resolve) => {
    const c = connect(s.port, '127.0.0.1');
    let d = '';
    c.on('data', (x) => { d += x.toString(); });
    c.on('close', () => resolve(d));
    c.end(get(path));
  });
  try {
    assert.equal(await halfClosed('/d'), '');
    assert.equal(aborted, 1);
    assert.ok((await halfClosed('/now')).endsWith('\r\n\r\nnow'), 'an answer written at once still arrives');
  } finally { s.close(); }
});

test('res.close() runs onAborted at once, as uWS does', async () => {
  const log: string[] = [];
  const s = await serve(engine, (app) => app.any('/c', (res) => {
    res.onAborted(() => log.push('aborted'));
    setTimeout(() => { res.close(); log.push('closed'); }, 20);
  }));
  try {
    const r = await raw(s.port, get('/c'));
    assert.equal(r.closed, true);
    await new Promise((res) => setTimeout(res, 20));
    assert.deepEqual(log, ['aborted', 'closed']);
  } finally { s.close(); }
});

test('app.close() aborts pending responses; us_listen_socket_close stops accepting only', async () => {
  let aborted = 0;
  const s = await serve(engine, (app) => app.any('/pending', (res) => { res.onAborted(() => { aborted++; }); }));
  const pending = raw(s.port, get('/pending'));
  await new Promise((r) => setTimeout(r, 50));
  engine.us_listen_socket_close(s.token);
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(aborted, 0, 'the open connection stays');
  s.close();
  const r = await pending;
  assert.equal(r.closed, true);
  await new Promise((res) => setTimeout(res, 50));
  assert.equal(aborted, 1);
  await assert.rejects(raw(s.port, get('/pending')).then((x) => { if (x.data === '' && !x.closed) throw new Error('refused'); return x; }));
});

test('tryEnd streams with real backpressure: a slow reader stalls it, onWritable resumes it', async () => {
  const total = 8 * 1024 * 1024;
  const src = Buffer.alloc(total, 'z');
  let stalls = 0;
  let maxAhead = 0;
  let done = false;
  const s = await serve(engine, (app) => app.any('/big', (res) => {
    res.onAborted(() => { done = true; });
    const pump = (): boolean => {
      for (;;) {
        const at = res.getWriteOffset();
        const [ok, fin] = res.tryEnd(src.subarray(at, Math.min(total, at + 64 * 1024)), total);
        if (fin) { done = true; return true; }
        if (!ok) { stalls++; return false; }
      }
    };
    res.onWritable(() => pump());
    pump();
  }));
  try {
    const got = await new Promise<number>((resolve, reject) => {
      const req = httpRequest({ port: s.port, host: '127.0.0.1', path: '/big' }, (res) => {
        assert.equal(res.headers['content-length'], String(total));
        let n = 0;
        res.pause();
        // While the client does not read, the server stops well short of the whole body.
        setTimeout(() => {
          maxAhead = stalls;
          res.on('data', (d: Buffer) => { n += d.length; });
          res.on('end', () => resolve(n));
          res.resume();
        }, 200);
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(got, total);
    assert.ok(maxAhead >= 1, 'tryEnd reported backpressure while the client did not read');
    assert.ok(done);
  } finally { s.close(); }
});

test('TLS: SSLApp serves over node:https; a missing key throws "App construction failed"', async () => {
  assert.throws(() => engine.SSLApp({ cert_file_name: '/nonexistent.pem', key_file_name: '/nonexistent.key' }), /App construction failed/);
  const dir = mkdtempSync(join(tmpdir(), 'portable-tls-'));
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  const app = engine.SSLApp({ cert_file_name: cert, key_file_name: key });
  app.any('/*', (res, req) => { res.end(`tls ${req.getUrl()}`); });
  const token = await new Promise<ListenToken | false>((r) => app.listen('127.0.0.1', 0, r));
  assert.notEqual(token, false);
  try {
    const body = await new Promise<string>((resolve, reject) => {
      const r = httpsRequest({ host: '127.0.0.1', port: engine.us_socket_local_port(token as ListenToken), path: '/x', rejectUnauthorized: false }, (res) => {
        let b = '';
        res.on('data', (d: Buffer) => { b += d.toString(); });
        res.on('end', () => resolve(b));
      });
      r.on('error', reject);
      r.end();
    });
    assert.equal(body, 'tls /x');
  } finally {
    app.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('listen: an exclusive listener refuses a taken port (cb false); sharing follows reusePort support', async () => {
  const a = await serve(engine, (app) => app.any('/*', (res) => { res.end('a'); }));
  try {
    const exclusive = await new Promise<ListenToken | false>((r) => engine.App().listen('127.0.0.1', a.port, engine.LIBUS_LISTEN_EXCLUSIVE_PORT, r));
    assert.equal(exclusive, false);
    const app2 = engine.App();
    app2.any('/*', (res) => { res.end('b'); });
    const shared = await new Promise<ListenToken | false>((r) => app2.listen('127.0.0.1', a.port, r));
    assert.equal(shared !== false, reusePortSupported(), `Node ${process.versions.node}: second listener ${shared === false ? 'refused' : 'shares the port'}`);
    app2.close();
  } finally { a.close(); }
});

// --- the real app on both engines ---------------------------------------------------------------------

test('the app answers the same status and bytes on the portable engine as on native uWS', async (t) => {
  const { createApp } = await import('../../src/app/app.js');
  const { parseCommand } = await import('../../src/config/options.js');
  const cmd = parseCommand(['--workers', '1'], {});
  if (cmd.kind !== 'serve') throw new Error('serve expected');
  let native: Engine | null = null;
  try {
    const { loadUws, nativeEngine } = await import('../../src/http/uws.js');
    native = nativeEngine(loadUws());
  } catch (err) {
    t.diagnostic(`native uWS not available on Node ${process.versions.node}: ${(err as Error).message}; portable only`);
  }
  const headDone = (d: string): boolean => d.endsWith('\r\n\r\n');
  const asks: [string, (d: string) => boolean][] = [
    [get('/json/valid'), complete(1)],
    [get('/delay/100ms'), complete(1)],
    ['POST /echo?x=1 HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello', complete(1)],
    [get('/no/such/route'), complete(1)],
    [get(`${cmd.config.adminPrefix}health`), complete(1)],
    [`HEAD /json/valid HTTP/1.1\r\nHost: x\r\n\r\n`, headDone],
    [get('/size/1KB') + get('/status/503'), complete(2)],
    [get('/json/valid?x=1', 'X-Mock: close\r\n'), complete(1)],
    [get('/json/valid', 'X-Delay: 20ms\r\n'), complete(1)],
    [get('/anything/a/b?q=%C3%A9'), complete(1)],
    // Streamed with tryEnd/onWritable (bodies over 8 KB), chunked with timers and cork, gzip negotiated.
    [get('/size/300KB'), complete(1)],
    [get('/drip?numbytes=4&duration=0.05&delay=0'), complete(1)],
    [get('/stream-bytes/3000?chunk_size=1000&seed=1'), complete(1)],
    [get('/payloads/', 'Accept-Encoding: gzip\r\n'), complete(1)],
    [get('/redirect/2'), complete(1)],
    [get('/headers', 'X-Dup: 1\r\nX-Dup: 2\r\n'), complete(1)],
  ];
  const answers = async (e: Engine): Promise<string[]> => {
    const built = createApp(e, { config: cmd.config, startedAt: Date.now(), workerIndex: 0 });
    const port = await new Promise<number>((resolve, reject) => built.app.listen('127.0.0.1', 0, (tok: ListenToken | false) =>
      (tok === false ? reject(new Error('listen')) : resolve(e.us_socket_local_port(tok)))));
    try {
      const out: string[] = [];
      for (const [payload, done] of asks) out.push(normalize((await raw(port, payload, done)).data));
      return out;
    } finally { built.app.close(); }
  };
  const portable = await answers(engine);
  assert.match(portable[0], /^HTTP\/1.1 200 OK\n/);
  assert.match(portable[1], /^HTTP\/1.1 200 OK\n/);
  assert.match(portable[2], /"Body":"hello"/);
  assert.match(portable[3], /^HTTP\/1.1 404 /);
  assert.match(portable[4], /^HTTP\/1.1 200 OK\n/);
  assert.match(portable[10], /^HTTP\/1.1 200 OK\n[^]*Content-Length: 307200\n/);
  assert.ok(portable[10].length > 307_200);
  assert.match(portable[11], /Transfer-Encoding: chunked|Content-Length: 4\n/);
  assert.match(portable[15], /"X-Dup"/);
  if (native === null) return;
  const reference = await answers(native);
  for (let i = 0; i < asks.length; i++) assert.equal(portable[i], reference[i], asks[i][0].split('\r\n')[0]);
});

// Headers in a canonical order without the ones that differ by design (Date's second, node's
// "Connection: keep-alive"), and the digits of bodies masked (clock times, ports, durations).
function normalize(data: string): string {
  return data.split(/(?=HTTP\/1\.1 \d{3} )/).map((one) => {
    const at = one.indexOf('\r\n\r\n');
    const [status, ...headers] = one.slice(0, at).split('\r\n');
    const kept = headers.filter((h) => !/^(date|connection):/i.test(h)).sort();
    const body = one.slice(at + 4).replace(/\d/g, '#');
    return [status, ...kept, '', body].join('\n');
  }).join('\n---\n');
}

// Request controls by query and by X-Mock-* header, their precedence, --seed and --no-request-controls.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { runCli, startServer, type TestServer } from '../helpers/server.js';

type Via = 'query' | 'header';

function url(server: TestServer, path: string, via: Via, controls: [string, string][]): [string, RequestInit] {
  if (via === 'query') {
    const q = new URLSearchParams(controls).toString();
    return [`${server.url}${path}${path.includes('?') ? '&' : '?'}${q}`, {}];
  }
  return [`${server.url}${path}`, { headers: { 'X-Mock': new URLSearchParams(controls).toString() } }];
}

describe('request controls', () => {
  let server: TestServer;
  before(async () => { server = await startServer(['--max-delay', '2s', '--max-size', '1MiB']); });
  after(async () => { assert.equal(await server.stop(), 0); });

  test('a query string seen before is answered from the per-worker cache exactly as the first time', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await fetch(`${server.url}/json?status=418&x=1`);
      assert.equal(r.status, 418);
      const plain = await fetch(`${server.url}/json?x=1`);
      assert.equal(plain.status, 200, 'a query without controls stays plain');
      // The header channel is read on top of a cached query, never hidden by it.
      const both = await fetch(`${server.url}/json?x=1`, { headers: { 'X-Mock': 'status=503' } });
      assert.equal(both.status, 503);
      const bad = await fetch(`${server.url}/json?status=99`);
      assert.equal(bad.status, 400, 'a bad value is refused every time, not remembered as plain');
    }
  });

  for (const via of ['query', 'header'] as Via[]) {
    test(`status by ${via} replaces the status and keeps the body`, async () => {
      const r = await fetch(...url(server, '/json', via, [['status', '503']]));
      assert.equal(r.status, 503);
      assert.equal(await r.text(), '{"message":"Hello, World!"}');
    });

    test(`delay by ${via} delays the response`, async () => {
      const t0 = performance.now();
      const r = await fetch(...url(server, '/plaintext', via, [['delay', '150ms']]));
      assert.equal(await r.text(), 'Hello, World!');
      assert.ok(performance.now() - t0 >= 149);
    });

    test(`size by ${via} replaces the body with filler`, async () => {
      const r = await fetch(...url(server, '/json/valid', via, [['size', '2KB']]));
      const body = await r.text();
      assert.equal(body.length, 2048);
      assert.match(body, /^[a-zA-Z]+$/);
    });

    test(`header by ${via} adds headers (repeatable)`, async () => {
      const r = await fetch(...url(server, '/json', via, [['header', 'Cache-Control:no-store'], ['header', 'X-Extra: two']]));
      assert.equal(r.headers.get('cache-control'), 'no-store');
      assert.equal(r.headers.get('x-extra'), 'two');
      // A Content-Type control replaces the route's own (fetch would join two as "a, b").
      const typed = await fetch(...url(server, '/json', via, [['header', 'Content-Type:application/problem+json']]));
      assert.equal(typed.headers.get('content-type'), 'application/problem+json');
    });

    test(`close by ${via} sends Connection: close`, async () => {
      const r = await fetch(...url(server, '/json', via, [['close', '100']]));
      assert.equal(r.headers.get('connection'), 'close');
      const keep = await fetch(...url(server, '/json', via, [['close', '0']]));
      assert.notEqual(keep.headers.get('connection'), 'close');
      // A body over 16 KB streams with backpressure; the close is announced there too.
      const big = await fetch(...url(server, '/json', via, [['close', '100'], ['size', '1MB']]));
      assert.equal(big.headers.get('connection'), 'close');
      assert.equal((await big.arrayBuffer()).byteLength, 1024 * 1024);
    });

    test(`bad values by ${via} answer 400 naming the control`, async () => {
      for (const [name, value] of [['header', 'Content-Length:5'], ['header', 'transfer-encoding:chunked'], ['delay', 'later'], ['status', '700'], ['size', 'huge'], ['header', 'nocolon'], ['close', '101'], ['delay', '3s'], ['size', '2MiB'], ['status', '503:80,404:30']]) {
        const r = await fetch(...url(server, '/json', via, [[name, value]]));
        assert.equal(r.status, 400, `${name}=${value}`);
        const body = await r.json() as { param: string };
        assert.match(body.param, new RegExp(name, 'i'));
      }
    });
  }

  test('weighted status follows its weights', async () => {
    const counts: Record<number, number> = {};
    const n = 400;
    const statuses = await Promise.all(Array.from({ length: n }, () => fetch(`${server.url}/json?status=503:50,404:20`).then((r) => r.status)));
    for (const s of statuses) counts[s] = (counts[s] ?? 0) + 1;
    // 5 standard deviations of a binomial proportion at n = 400.
    for (const [code, p] of [[503, 0.5], [404, 0.2], [200, 0.3]] as const) {
      const tol = 5 * Math.sqrt((p * (1 - p)) / n);
      assert.ok(Math.abs((counts[code] ?? 0) / n - p) <= tol, `${code}: ${counts[code]} of ${n}`);
    }
  });

  test('latency distributions work as delay controls', async () => {
    const t0 = performance.now();
    const r = await fetch(`${server.url}/json?delay=${encodeURIComponent('uniform(100ms,150ms)')}`);
    assert.equal(r.status, 200);
    const took = performance.now() - t0;
    assert.ok(took >= 99, `took ${took}`);
  });

  test('the header wins over the query parameter', async () => {
    const r = await fetch(`${server.url}/json?status=404`, { headers: { 'X-Mock': 'status=202' } });
    assert.equal(r.status, 202);
  });

  test('controls work on deferred routes: /delay with status', async () => {
    const r = await fetch(`${server.url}/delay/50ms?status=500`);
    assert.equal(r.status, 500);
  });

  test('an unknown control in X-Mock answers 400 naming it', async () => {
    const r = await fetch(`${server.url}/json`, { headers: { 'X-Mock': 'stauts=503' } });
    assert.equal(r.status, 400);
    assert.match((await r.json() as { error: string }).error, /unknown control "stauts"/);
  });

  test('unrelated query parameters leave the response alone', async () => {
    const r = await fetch(`${server.url}/json?foo=bar`);
    assert.equal(r.status, 200);
    assert.equal(await r.text(), '{"message":"Hello, World!"}');
  });
});

describe('--no-request-controls', () => {
  test('ignores query and header controls', async () => {
    const server = await startServer(['--no-request-controls']);
    try {
      const r = await fetch(`${server.url}/json?status=503&size=10`, { headers: { 'X-Mock': 'status=500&delay=nonsense' } });
      assert.equal(r.status, 200);
      assert.equal(await r.text(), '{"message":"Hello, World!"}');
    } finally {
      await server.stop();
    }
  });
});

// Repeated header lines need node:http: fetch joins them into one "a, b" line.
function getWithHeaders(url: string, headers: Record<string, string | string[]>): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('--mock-headers: the X-Mock-<Name> headers', () => {
  let server: TestServer;
  before(async () => { server = await startServer(['--mock-headers', '--max-delay', '2s']); });
  after(async () => { assert.equal(await server.stop(), 0); });

  const cases: { name: string; path?: string; headers: Record<string, string | string[]>; status: number; check?: (r: { headers: Record<string, unknown>; body: string }) => void }[] = [
    { name: 'X-Mock-Status sets the status', headers: { 'X-Mock-Status': '503' }, status: 503 },
    { name: 'X-Mock-Size replaces the body', headers: { 'X-Mock-Size': '10' }, status: 200, check: (r) => assert.equal(r.body.length, 10) },
    { name: 'X-Mock-Close closes', headers: { 'X-Mock-Close': '100' }, status: 200, check: (r) => assert.equal(r.headers.connection, 'close') },
    { name: 'repeated X-Mock-Header lines each add a header', headers: { 'X-Mock-Header': ['X-A:1', 'X-B:2'] }, status: 200,
      check: (r) => { assert.equal(r.headers['x-a'], '1'); assert.equal(r.headers['x-b'], '2'); } },
    { name: 'X-Mock-Status wins over X-Mock and the query', path: '/json?status=502', headers: { 'X-Mock-Status': '418', 'X-Mock': 'status=500' }, status: 418 },
    { name: 'a bad value is a 400 naming the header', headers: { 'X-Mock-Delay': 'soon' }, status: 400,
      check: (r) => assert.equal((JSON.parse(r.body) as { param: string }).param, 'X-Mock-Delay') },
    { name: 'other X-Mock-* names are not controls', headers: { 'X-Mock-Trace': 'abc' }, status: 200,
      check: (r) => assert.equal(r.body, '{"message":"Hello, World!"}') },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const r = await getWithHeaders(`${server.url}${c.path ?? '/json'}`, c.headers);
      assert.equal(r.status, c.status, r.body);
      c.check?.(r);
    });
  }

  test('X-Mock-Delay delays the response', async () => {
    const t0 = performance.now();
    const r = await getWithHeaders(`${server.url}/json/valid`, { 'X-Mock-Delay': '150ms' });
    assert.equal(r.status, 200);
    assert.ok(performance.now() - t0 >= 150);
  });

  test('without --mock-headers they are not read (the default: no lookups on the hot path)', async () => {
    const plain = await startServer([]);
    try {
      const r = await getWithHeaders(`${plain.url}/json`, { 'X-Mock-Status': '503' });
      assert.equal(r.status, 200);
    } finally {
      await plain.stop();
    }
  });
});

describe('--seed', () => {
  async function sequence(seed: string): Promise<number[]> {
    const server = await startServer(['--seed', seed]);
    try {
      const out: number[] = [];
      for (let i = 0; i < 30; i++) out.push((await fetch(`${server.url}/json?status=500:50`)).status);
      return out;
    } finally {
      await server.stop();
    }
  }
  test('the same seed gives the same sequence of random choices', async () => {
    const a = await sequence('42');
    const b = await sequence('42');
    const c = await sequence('43');
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  });
});

describe('server defaults (--default-*)', () => {
  test('apply to every data route; a request control wins over them', async () => {
    const server = await startServer(['--default-status', '503', '--default-delay', '100ms', '--default-close', '100']);
    try {
      const t0 = performance.now();
      const r = await fetch(`${server.url}/json`);
      assert.equal(r.status, 503);
      assert.ok(performance.now() - t0 >= 99);
      assert.equal(r.headers.get('connection'), 'close');
      assert.equal(await r.text(), '{"message":"Hello, World!"}');
      const own = await fetch(`${server.url}/json?status=201&close=0&delay=0`);
      assert.equal(own.status, 201);
      assert.notEqual(own.headers.get('connection'), 'close');
      // Admin routes are not data routes.
      assert.equal((await fetch(`${server.url}/__mock/health`)).status, 200);
    } finally {
      await server.stop();
    }
  });

  test('a bad default is a usage error at startup', async () => {
    
    const r = await runCli(['--default-status', '700']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--default-status/);
  });
});

// A 204 or 304 carries no body (RFC 9110): bytes after one would be read as the next response.
describe('bodiless statuses', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer([]);
    const r = await fetch(`${server.url}/__mock/routes`, { method: 'POST', body: JSON.stringify({ path: '/nc', status: 204, body: { text: 'xyz' } }) });
    assert.equal(r.status, 201, await r.text());
  });
  after(async () => { assert.equal(await server.stop(), 0); });

  /** Two pipelined requests on one connection: the raw bytes of both answers. */
  async function pipelined(path: string): Promise<string> {
    const { connect } = await import('node:net');
    return new Promise((resolve, reject) => {
      const s = connect(server.port, '127.0.0.1');
      let out = '';
      s.on('data', (d: Buffer) => {
        out += d.toString('latin1');
        if (out.endsWith('Hello, World!')) { s.destroy(); resolve(out); }
      });
      s.on('error', reject);
      s.write(`GET ${path} HTTP/1.1\r\nHost: t\r\n\r\nGET /plaintext HTTP/1.1\r\nHost: t\r\n\r\n`);
    });
  }

  for (const path of ['/json?status=204', '/json?status=304', '/size/20000?status=204', '/status/204', '/status/304', '/nc',
    '/drip?code=204&numbytes=5&duration=0']) {
    test(`${path}: no body and no Content-Length, and the connection stays usable`, async () => {
      const raw = await pipelined(path);
      const [first, ...rest] = raw.split(/(?=HTTP\/1\.1 )/);
      assert.match(first, /^HTTP\/1\.1 (204|304) /);
      assert.ok(first.endsWith('\r\n\r\n'), `a body followed the head: ${JSON.stringify(first)}`);
      assert.doesNotMatch(first, /content-length/i);
      assert.match(rest.join(''), /^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\nHello, World!$/);
    });
  }

  test('node\'s http client reads a keep-alive 204 with a body configured, then the next response', async () => {
    const agent = new (await import('node:http')).Agent({ keepAlive: true, maxSockets: 1 });
    const get = (path: string): Promise<{ status: number; body: string }> => new Promise((resolve, reject) => {
      request(`${server.url}${path}`, { agent }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => { body += d.toString(); });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      }).on('error', reject).end();
    });
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(await get('/nc'), { status: 204, body: '' });
      assert.deepEqual(await get('/json'), { status: 200, body: '{"message":"Hello, World!"}' });
    }
    agent.destroy();
  });
});

describe('controls on the routes that read a body first (/echo, /anything)', () => {
  let server: TestServer;
  before(async () => { server = await startServer(['--max-delay', '2s']); });
  after(async () => { assert.equal(await server.stop(), 0); });

  const post = (path: string, mock: string, body = '{"a":2}', key = ''): Promise<Response> =>
    fetch(`${server.url}${path}`, { method: 'POST', body, headers: { 'X-Mock': mock, 'content-type': 'application/json', ...(key === '' ? {} : { 'X-Mock-Key': key }) } });

  for (const path of ['/echo', '/anything']) {
    test(`${path}: status, header and Server-Timing apply; the echo of the body is still the body`, async () => {
      const r = await post(path, 'status=503&header=X-A:1&delay=50ms&server-timing=on');
      assert.equal(r.status, 503);
      assert.equal(r.headers.get('x-a'), '1');
      assert.ok(Number(/dur=([\d.]+)/.exec(r.headers.get('server-timing') ?? '')?.[1]) >= 50, r.headers.get('server-timing') ?? 'no Server-Timing');
      const echoed = await r.json() as { Body?: string; data?: string };
      assert.equal(echoed.Body ?? echoed.data, '{"a":2}');
    });

    test(`${path}: a fault breaks the answer; a scenario walks its sequence; a failed expectation is a 412 diff`, async () => {
      await assert.rejects(post(path, 'fault=empty'));
      const codes: number[] = [];
      for (let i = 0; i < 3; i++) codes.push((await post(path, 'status=429x2,200', '{}', `held-${path}`)).status);
      assert.deepEqual(codes, [429, 429, 200]);
      const failed = await post(path, 'expect-body-json=/a:1&expect-method=POST');
      assert.equal(failed.status, 412);
      assert.deepEqual((await failed.json() as { failed: unknown }).failed, [{ check: 'body-json /a', expected: 1, received: 2 }]);
      assert.equal((await post(path, 'expect-body-json=/a:2')).status, 200);
      const bad = await post(path, 'status=99');
      assert.equal(bad.status, 400);
    });
  }
});

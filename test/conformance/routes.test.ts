// Conformance: the same requests answered with the same statuses, headers that matter and body bytes by
// every engine this Node can run (native uWS where its build loads, the portable node:http engine always).
// Each row states what a user relies on; when two engines ran, their answers are also compared byte for
// byte (rows whose body holds the time compare its shape). This file runs on every Node major in CI.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { startServer, rawRequest, statusLines, type TestServer } from '../helpers/server.js';
import { availableEngines, nativeLoads, serverEngine } from '../helpers/engines.js';
import { h2Ask, h2PortOf } from '../helpers/h2.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

interface Row {
  readonly name: string;
  readonly method: string;
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** What a user relies on, checked on every engine. */
  readonly check: (a: Answer) => void;
  /** The body holds the current time or other per-request text: engines are compared on status and type only. */
  readonly varies?: boolean;
  /** The check asserts HTTP/1.1 framing (chunked): over HTTP/2 only status, type and body are compared. */
  readonly framing?: boolean;
}

const TimeBody = /^\{"time": "\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{9} \+0000 UTC m=\+\d+\.\d{9}"\}$/;

const json = (a: Answer): Record<string, unknown> => JSON.parse(a.body.toString('utf8')) as Record<string, unknown>;

const Rows: readonly Row[] = [
  { name: 'GET /json/valid', method: 'GET', path: '/json/valid', varies: true, check: (a) => {
    assert.equal(a.status, 200);
    assert.equal(a.headers['content-type'], 'application/json');
    assert.match(a.body.toString(), TimeBody);
  } },
  { name: 'HEAD /json/valid: headers, no body', method: 'HEAD', path: '/json/valid', check: (a) => {
    assert.equal(a.status, 200);
    assert.equal(a.headers['content-type'], 'application/json');
    assert.equal(a.body.length, 0);
  } },
  { name: 'GET /json/invalid', method: 'GET', path: '/json/invalid', varies: true, check: (a) => {
    assert.equal(a.status, 200);
    assert.match(a.body.toString(), /^\{time": "/);
  } },
  { name: 'GET /json (TechEmpower)', method: 'GET', path: '/json', check: (a) => {
    assert.equal(a.status, 200);
    assert.equal(a.body.toString(), '{"message":"Hello, World!"}');
  } },
  { name: 'GET /plaintext', method: 'GET', path: '/plaintext', check: (a) => {
    assert.equal(a.status, 200);
    assert.equal(a.body.toString(), 'Hello, World!');
  } },
  { name: 'GET /size/4KB: 4096 letters', method: 'GET', path: '/size/4KB', check: (a) => {
    assert.equal(a.status, 200);
    assert.equal(a.body.length, 4096);
    assert.match(a.body.toString(), /^[a-zA-Z]+$/);
  } },
  { name: 'GET /size/64KB: a body over the queued limit, with backpressure', method: 'GET', path: '/size/64KB', check: (a) => {
    assert.equal(a.status, 200);
    assert.equal(a.body.length, 65536);
    assert.equal(a.headers['content-length'], '65536');
  } },
  { name: 'GET /bytes/100', method: 'GET', path: '/bytes/100', check: (a) => {
    assert.equal(a.status, 200);
    assert.equal(a.headers['content-type'], 'application/octet-stream');
    assert.equal(a.body.length, 100);
  } },
  { name: 'GET /stream-bytes/30000 (chunked)', method: 'GET', path: '/stream-bytes/30000?chunk_size=10000', framing: true, check: (a) => {
    assert.equal(a.status, 200);
    assert.equal(a.headers['transfer-encoding'], 'chunked');
    assert.equal(a.body.length, 30000);
  } },
  { name: 'GET /delay/100ms: empty 200 after the delay', method: 'GET', path: '/delay/100ms', check: (a) => {
    assert.equal(a.status, 200);
    assert.equal(a.body.length, 0);
  } },
  { name: 'GET /status/418', method: 'GET', path: '/status/418', check: (a) => assert.equal(a.status, 418) },
  { name: 'GET /status/204: no body, no Content-Length', method: 'GET', path: '/status/204', check: (a) => {
    assert.equal(a.status, 204);
    assert.equal(a.headers['content-length'], undefined);
    assert.equal(a.body.length, 0);
  } },
  { name: 'GET /xml', method: 'GET', path: '/xml', check: (a) => {
    assert.equal(a.status, 200);
    assert.equal(a.headers['content-type'], 'application/xml');
    assert.equal(a.body.length, 470);
  } },
  { name: 'GET /resource/7', method: 'GET', path: '/resource/7', check: (a) => {
    assert.equal(a.status, 200);
    assert.equal(json(a).Id, 7);
  } },
  { name: 'GET /resource/100: 404 JSON naming the id', method: 'GET', path: '/resource/100', check: (a) => {
    assert.equal(a.status, 404);
    assert.equal(json(a).param, 'id');
  } },
  { name: 'POST /echo with a body', method: 'POST', path: '/echo?a=1', body: 'hello', headers: { 'content-type': 'text/plain' }, varies: true, check: (a) => {
    assert.equal(a.status, 200);
    const e = json(a);
    assert.equal(e.Method, 'POST');
    assert.equal(e.RequestURI, '/echo?a=1');
    assert.equal(e.Body, 'hello');
  } },
  { name: 'POST /anything/x with JSON', method: 'POST', path: '/anything/x?q=1', body: '{"a":1}', headers: { 'content-type': 'application/json' }, varies: true, check: (a) => {
    assert.equal(a.status, 200);
    const e = json(a);
    assert.deepEqual(e.json, { a: 1 });
    assert.deepEqual(e.args, { q: '1' });
    assert.equal(e.method, 'POST');
  } },
  { name: 'an unknown path: 404 JSON with param "path"', method: 'GET', path: '/no/such/route', check: (a) => {
    assert.equal(a.status, 404);
    assert.equal(json(a).param, 'path');
  } },
  { name: 'a bad duration: 400 JSON', method: 'GET', path: '/delay/abc', check: (a) => {
    assert.equal(a.status, 400);
    assert.match(String(json(a).error), /invalid duration "abc"/);
  } },
  { name: 'status control in the query', method: 'GET', path: '/json?status=503', check: (a) => {
    assert.equal(a.status, 503);
    assert.equal(a.body.toString(), '{"message":"Hello, World!"}');
  } },
  { name: 'X-Mock header controls: status and an extra header', method: 'GET', path: '/json', headers: { 'x-mock': 'status=201&header=X-A:1' }, check: (a) => {
    assert.equal(a.status, 201);
    assert.equal(a.headers['x-a'], '1');
  } },
  { name: 'an unknown X-Mock control: 400', method: 'GET', path: '/json', headers: { 'x-mock': 'nope=1' }, check: (a) => assert.equal(a.status, 400) },
  { name: 'GET /redirect/2', method: 'GET', path: '/redirect/2', check: (a) => {
    assert.equal(a.status, 302);
    assert.equal(a.headers.location, '/redirect/1');
  } },
  { name: 'GET /__mock/health', method: 'GET', path: '/__mock/health', check: (a) => {
    assert.equal(a.status, 200);
    assert.equal(a.body.toString(), '{"status":"ok"}');
  } },
  { name: 'GET /__mock/stats', method: 'GET', path: '/__mock/stats', varies: true, check: (a) => {
    assert.equal(a.status, 200);
    assert.ok(Array.isArray(json(a).workers));
  } },
];

/** One request with Node's http client (a new connection each: no agent reuse across engines). */
function ask(port: number, row: { method: string; path: string; headers?: Record<string, string>; body?: string }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method: row.method, path: row.path, headers: row.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(row.body);
  });
}

const engines = availableEngines();
const answers = new Map<string, Map<string, Answer>>();

for (const engine of engines) {
  describe(`conformance on the ${engine} engine`, () => {
    let server: TestServer;
    const mine = new Map<string, Answer>();
    answers.set(engine, mine);
    before(async () => { server = await startServer(['--engine', engine]); });
    after(async () => { await server.stop(); });

    for (const row of Rows) {
      test(row.name, async () => {
        const a = await ask(server.port, row);
        mine.set(row.name, a);
        row.check(a);
      });
    }

    test('a runtime route added through the admin API answers', async () => {
      const added = await ask(server.port, { method: 'POST', path: '/__mock/routes', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ path: '/conf/:id', status: 201, body: { size: '10' } }) });
      assert.equal(added.status, 201, added.body.toString());
      const a = await ask(server.port, { method: 'GET', path: '/conf/7' });
      assert.equal(a.status, 201);
      assert.equal(a.body.length, 10);
    });

    test('pipelined requests are answered in order on one connection', async () => {
      const one = 'GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n';
      const last = 'GET /json HTTP/1.1\r\nHost: x\r\n\r\n';
      const { data } = await rawRequest(server.port, one + one + last, (d) => d.includes('Hello, World!"}'));
      assert.equal(statusLines(data).length, 3);
      assert.ok(data.indexOf('Hello, World!"}') > data.lastIndexOf('\r\n\r\nHello, World!'));
    });

    test('the listening log line and /__mock/stats name the engine', async () => {
      const line = await server.waitForLine((l) => l.event === 'listening');
      assert.equal(line.engine, engine);
      const stats = await ask(server.port, { method: 'GET', path: '/__mock/stats' });
      assert.equal(json(stats).engine, engine);
    });
  });
}

// The same table over the HTTP/2 listener (--h2-port, h2c): the same statuses, types and bodies as the
// HTTP/1.1 port of the same server; HTTP/2 has no chunked framing, so that row's check is left out.
describe('conformance over HTTP/2 (--h2-port, h2c)', () => {
  let server: TestServer;
  let port: number;
  before(async () => {
    // The data port's engine as the suite runs it, or portable where the native build does not load (Node 22+ without MOCK_ENGINE).
    server = await startServer(['--h2-port', '0', '--engine', nativeLoads() ? serverEngine() : 'portable']);
    port = await h2PortOf(server);
  });
  after(async () => { assert.equal(await server.stop(), 0); });

  for (const row of Rows) {
    test(row.name, async () => {
      const headers = { ...row.headers, ...(row.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(row.body)) }) };
      const a = await h2Ask(port, row.method, row.path, headers, row.body);
      if (row.framing !== true) row.check({ status: a.status, headers: a.headers, body: a.body });
      const b = await ask(server.port, row);
      assert.equal(a.status, b.status);
      assert.equal(a.headers['content-type'], b.headers['content-type']);
      if (row.varies === true) assert.equal(a.body.length > 0, b.body.length > 0);
      else {
        assert.deepEqual(a.body, b.body);
        if (row.framing !== true) assert.equal(a.headers['content-length'], b.headers['content-length']);
      }
    });
  }
});

if (engines.length > 1) {
  describe('engines agree', () => {
    for (const row of Rows) {
      test(row.name, () => {
        const [a, b] = engines.map((e) => answers.get(e)?.get(row.name));
        assert.ok(a !== undefined && b !== undefined, 'both engines answered');
        assert.equal(b.status, a.status);
        assert.equal(b.headers['content-type'], a.headers['content-type']);
        assert.equal(b.headers['transfer-encoding'], a.headers['transfer-encoding']);
        // A varying body (the time, the engine's name in /__mock/stats) may differ in length too.
        if (row.varies !== true) assert.equal(b.headers['content-length'], a.headers['content-length']);
        if (row.varies === true) assert.equal(b.body.length > 0, a.body.length > 0);
        else assert.deepEqual(b.body, a.body);
      });
    }
  });
}

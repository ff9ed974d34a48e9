// go-bench-suite compatible routes, TechEmpower routes and 404s, over real sockets, on 1 and 2 workers.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rawRequest, startServer, statusLines, type TestServer } from '../helpers/server.js';

// Go time.String() with 9 fraction digits and the monotonic reading.
const GoTime = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{9} \+0000 UTC m=\+\d+\.\d{9}$/;

function goTimeToMs(s: string): number {
  return Date.parse(`${s.slice(0, 10)}T${s.slice(11, 23)}Z`);
}

for (const workers of [1, 2]) {
  describe(`compat routes, ${workers} worker(s)`, () => {
    let server: TestServer;
    before(async () => { server = await startServer(['--workers', String(workers), '--max-size', '8MiB', '--max-delay', '10s']); });
    after(async () => { assert.equal(await server.stop(), 0); });

    test('/json/valid answers {"time": "<Go time.String()>"} as JSON with the current time', async () => {
      const before = Date.now();
      const r = await fetch(`${server.url}/json/valid`);
      const afterMs = Date.now();
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('content-type'), 'application/json');
      assert.equal(r.headers.get('uwebsockets'), null, 'the uWebSockets: 20 header must be silenced');
      const body = await r.text();
      const parsed = JSON.parse(body) as { time: string };
      assert.match(body, /^\{"time": "/);
      assert.match(parsed.time, GoTime);
      const t = goTimeToMs(parsed.time);
      assert.ok(t >= before - 1 && t <= afterMs + 1, `time ${parsed.time} not within the request window`);
    });

    test('/json/valid time moves between requests', async () => {
      const a = JSON.parse(await (await fetch(`${server.url}/json/valid`)).text()) as { time: string };
      // Wait for the wall clock to move past the first answer's millisecond, without sleeping blindly.
      const start = goTimeToMs(a.time);
      while (Date.now() <= start + 1) await new Promise((r) => setImmediate(r));
      const b = JSON.parse(await (await fetch(`${server.url}/json/valid`)).text()) as { time: string };
      assert.notEqual(a.time, b.time);
      assert.ok(goTimeToMs(b.time) >= goTimeToMs(a.time));
    });

    test('/json/invalid answers the same shape with the deliberate missing quote', async () => {
      const r = await fetch(`${server.url}/json/invalid`);
      const body = await r.text();
      assert.equal(r.status, 200);
      assert.match(body, /^\{time": "\d{4}-.* UTC m=\+\d+\.\d{9}"\}$/);
      assert.throws(() => JSON.parse(body));
    });

    const statics: [string, string, string | RegExp][] = [
      ['/json', 'application/json', '{"message":"Hello, World!"}'],
      ['/plaintext', 'text/plain', 'Hello, World!'],
      ['/xml', 'application/xml', /^<\?xml version='1\.0' encoding='us-ascii'\?>\n[\s\S]*<\/slideshow>$/],
      ['/soap', 'text/xml; charset=utf-8', /<soap:Envelope[\s\S]*<\/soap:Envelope>/],
    ];
    for (const [path, type, body] of statics) {
      test(`${path} answers its fixed body as ${type}`, async () => {
        const r = await fetch(`${server.url}${path}`);
        assert.equal(r.status, 200);
        assert.equal(r.headers.get('content-type'), type);
        const text = await r.text();
        if (typeof body === 'string') assert.equal(text, body);
        else assert.match(text, body);
      });
    }

    test('/xml is the 470-byte httpbin slideshow', async () => {
      const text = await (await fetch(`${server.url}/xml`)).text();
      assert.equal(Buffer.byteLength(text), 470);
    });

    for (const method of ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      test(`data routes accept ${method}`, async () => {
        const r = await fetch(`${server.url}/json`, { method, body: method === 'GET' || method === 'OPTIONS' ? undefined : 'x' });
        assert.equal(r.status, 200);
        assert.equal(await r.text(), '{"message":"Hello, World!"}');
      });
    }

    const sizes: [string, number][] = [['0', 0], ['1', 1], ['512', 512], ['4KB', 4096], ['0.25K', 256], ['1MiB', 1048576], ['5MB', 5 * 1048576]];
    for (const [text, bytes] of sizes) {
      test(`/size/${text} answers ${bytes} bytes of [a-zA-Z]`, async () => {
        const r = await fetch(`${server.url}/size/${text}`);
        assert.equal(r.status, 200);
        assert.equal(r.headers.get('content-type'), 'text/plain');
        assert.equal(r.headers.get('content-length'), String(bytes));
        const body = Buffer.from(await r.arrayBuffer());
        assert.equal(body.length, bytes);
        assert.match(body.subarray(0, 70000).toString('latin1'), /^[a-zA-Z]*$/);
        if (bytes > 1048576) assert.match(body.subarray(bytes - 70000).toString('latin1'), /^[a-zA-Z]*$/);
      });
    }

    test('/resource answers the first 10 resources keyed by id; ?limit=N the first N', async () => {
      const ten = await (await fetch(`${server.url}/resource`)).json() as Record<string, { Id: number; Name: string }>;
      assert.deepEqual(Object.keys(ten).map(Number), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      for (const [k, v] of Object.entries(ten)) {
        assert.equal(v.Id, Number(k));
        assert.match(v.Name, /^[a-zA-Z]{10}$/);
      }
      const three = await (await fetch(`${server.url}/resource?limit=3`)).json() as Record<string, unknown>;
      assert.equal(Object.keys(three).length, 3);
      const all = await (await fetch(`${server.url}/resource?limit=1000`)).json() as Record<string, unknown>;
      assert.equal(Object.keys(all).length, 100);
      const zero = await (await fetch(`${server.url}/resource?limit=0`)).json() as Record<string, unknown>;
      assert.equal(Object.keys(zero).length, 10, 'limit=0 means the default, as in go-bench-suite');
    });

    test('/resource/{id} answers one resource, the same as in the index, on every worker', async () => {
      const index = await (await fetch(`${server.url}/resource`)).json() as Record<string, unknown>;
      for (let i = 0; i < 4; i++) {
        // A fresh connection each time so both workers answer.
        const r = await fetch(`${server.url}/resource/7`, { headers: { connection: 'close' } });
        assert.equal(r.status, 200);
        assert.equal(r.headers.get('content-type'), 'application/json');
        assert.deepEqual(await r.json(), index['7']);
      }
    });

    const badInput: [string, number, string][] = [
      ['/resource/100', 404, 'id'],
      ['/resource/abc', 400, 'id'],
      ['/resource?limit=-1', 400, 'limit'],
      ['/resource?limit=ten', 400, 'limit'],
      ['/size/abc', 400, 'size'],
      ['/size/-5', 400, 'size'],
      ['/size/9MiB', 400, 'size'],
      ['/delay/abc', 400, 'duration'],
      ['/delay/-1s', 400, 'duration'],
      ['/delay/11s', 400, 'duration'],
      ['/nope', 404, 'path'],
      ['/json/valid/extra', 404, 'path'],
    ];
    for (const [path, status, param] of badInput) {
      test(`${path} answers ${status} JSON naming "${param}"`, async () => {
        const r = await fetch(`${server.url}${path}`);
        assert.equal(r.status, status);
        assert.equal(r.headers.get('content-type'), 'application/json');
        const body = await r.json() as { error: string; param: string };
        assert.equal(body.param, param);
        assert.ok(body.error.length > 20, 'the error says what was wrong and how to fix it');
      });
    }

    test('/delay/{duration} answers an empty 200 after the duration', async () => {
      const t0 = performance.now();
      const r = await fetch(`${server.url}/delay/150ms`);
      const took = performance.now() - t0;
      assert.equal(r.status, 200);
      assert.equal(await r.text(), '');
      assert.ok(took >= 149, `answered after ${took} ms`);
    });

    test('/delay/{n} with a bare number means seconds', async () => {
      const t0 = performance.now();
      const r = await fetch(`${server.url}/delay/0.2`);
      assert.equal(r.status, 200);
      assert.ok(performance.now() - t0 >= 199);
    });

    test('/echo reflects method, URI, headers, query and body', async () => {
      const r = await fetch(`${server.url}/echo?a=1&b=two`, { method: 'PUT', headers: { 'x-test': 'yes', 'content-type': 'text/plain' }, body: 'héllo body' });
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('content-type'), 'application/json');
      const e = await r.json() as Record<string, unknown>;
      assert.equal(e.Method, 'PUT');
      assert.equal(e.RequestURI, '/echo?a=1&b=two');
      assert.equal(e.Body, 'héllo body');
      assert.equal(e.Host, `127.0.0.1:${server.port}`);
      assert.deepEqual(e.QueryArgs, { a: '1', b: 'two' });
      assert.equal((e.Headers as Record<string, string>)['x-test'], 'yes');
      assert.match(e.Header as string, /x-test: yes\r\n/);
    });

    test('a request body on a non-buffering route is drained: keep-alive continues', async () => {
      const body = 'x'.repeat(100_000);
      const raw = `POST /json HTTP/1.1\r\nHost: a\r\nContent-Length: ${body.length}\r\n\r\n${body}GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n`;
      const { data } = await rawRequest(server.port, raw, (d) => d.endsWith('Hello, World!'));
      assert.deepEqual(statusLines(data), ['HTTP/1.1 200 OK', 'HTTP/1.1 200 OK']);
    });

    test('a chunked request body is drained too', async () => {
      const raw = 'POST /json HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\nGET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n';
      const { data } = await rawRequest(server.port, raw, (d) => d.endsWith('Hello, World!'));
      assert.equal(statusLines(data).length, 2);
    });

    test('pipelined requests are all answered in order', async () => {
      const raw = 'GET /json HTTP/1.1\r\nHost: a\r\n\r\n'.repeat(16) + 'GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n';
      const { data } = await rawRequest(server.port, raw, (d) => d.endsWith('Hello, World!'));
      assert.equal(statusLines(data).length, 17);
    });
  });
}

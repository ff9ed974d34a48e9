// Issue 15 ("Hostile input, round 2"): deep JSON, prototype keys, redaction, journal limits, header names
// with '_', and the admin-exposure warning. Each of these once killed a worker, hung a call, or leaked.
import { nativeOnly, portableOnly } from '../helpers/engines.js';
import { test } from 'node:test';
import { connect } from 'node:net';
import assert from 'node:assert/strict';
import { rawRequest, statusLines, withServer } from '../helpers/server.js';
import { MaxJsonDepth } from '../../src/config/defaults.js';
import { jsonDepth } from '../../src/http/depth.js';

const deep = (n: number): string => '['.repeat(n) + ']'.repeat(n);

test('jsonDepth counts bracket nesting outside strings and stops past the limit', () => {
  assert.equal(jsonDepth('{"a":[1,{"b":2}]}'), 3);
  assert.equal(jsonDepth('"[[[[[["'), 0);
  assert.equal(jsonDepth('["\\"[[[", [1]]'), 2);
  assert.equal(jsonDepth(''), 0);
  assert.equal(jsonDepth(deep(20_000), 64), 65);
  assert.equal(jsonDepth(deep(MaxJsonDepth)), MaxJsonDepth);
});

test('deeply nested JSON gets a 400 naming the limit, from /anything and /__mock/routes, and no worker dies', async () => {
  await withServer({ args: ['--workers', '1'] }, async (server) => {
    const r = await fetch(`${server.url}/anything`, { method: 'POST', body: deep(20_000), headers: { 'content-type': 'application/json' } });
    assert.equal(r.status, 400);
    const body = await r.json() as { error: string; param: string };
    assert.match(body.error, new RegExp(`nesting deeper than ${MaxJsonDepth}`));
    assert.equal(body.param, 'body');
    // At the limit, /anything still parses the body into "json" as httpbin does.
    const ok = await fetch(`${server.url}/anything`, { method: 'POST', body: deep(MaxJsonDepth) });
    assert.equal(ok.status, 200);
    let json = (await ok.json() as { json: unknown }).json;
    for (let i = 0; i < MaxJsonDepth - 1; i++) json = (json as unknown[])[0];
    assert.deepEqual(json, []);
    for (const method of ['PUT', 'POST']) {
      const a = await fetch(`${server.url}/__mock/routes`, { method, body: deep(5_000) });
      assert.equal(a.status, 400, method);
      const e = await a.json() as { error: string; param: string };
      assert.match(e.error, /nesting deeper than/);
      assert.equal(e.param, 'body');
    }
    const objects = '{"a":'.repeat(5_000) + '1' + '}'.repeat(5_000);
    assert.equal((await fetch(`${server.url}/__mock/routes`, { method: 'PUT', body: objects })).status, 400);
    assert.equal((await fetch(`${server.url}/json`)).status, 200);
    assert.ok(!server.lines.some((l) => /crashed|exited with code|restarting/.test(l)), `no worker died:\n${server.lines.join('\n')}`);
  });
});

test('header and query keys named after Object.prototype members are plain keys in /echo, /anything and the journal', async () => {
  await withServer({ args: ['--workers', '1', '--journal', '10'] }, async (server) => {
    const q = '?__proto__=1&constructor=x&toString=y&hasOwnProperty=z';
    const headers = { constructor: 'c', 'hasOwnProperty': 'h', tostring: 't' };
    const echo = await (await fetch(`${server.url}/echo${q}`, { headers })).json() as { Headers: Record<string, string>; QueryArgs: Record<string, string> };
    assert.equal(echo.Headers.constructor, 'c');
    assert.equal(echo.Headers.hasownproperty, 'h');
    assert.equal(echo.Headers.tostring, 't');
    assert.deepEqual({ ...echo.QueryArgs }, JSON.parse('{"__proto__":"1","constructor":"x","toString":"y","hasOwnProperty":"z"}'));
    const any = await (await fetch(`${server.url}/anything${q}`, { headers })).json() as { args: Record<string, string>; headers: Record<string, string> };
    assert.equal(any.args.constructor, 'x');
    assert.equal(Object.getOwnPropertyDescriptor(any.args, '__proto__')?.value, '1');
    assert.equal(any.headers.Constructor, 'c');
    const text = JSON.stringify([echo, any]);
    assert.ok(!text.includes('[native code]'), text);
    const journal = await (await fetch(`${server.url}/__mock/requests?path=/echo`)).json() as { requests: { headers: Record<string, string> }[] };
    assert.equal(journal.requests[0].headers.constructor, 'c');
    assert.ok(!JSON.stringify(journal).includes('[native code]'));
  });
});

test('the journal redacts API keys and auth tokens by default', async () => {
  await withServer({ args: ['--workers', '1', '--journal', '10'] }, async (server) => {
    const secrets = { 'x-api-key': 's1', apikey: 's2', 'x-auth-token': 's3', 'proxy-authorization': 's4', authorization: 's5' };
    assert.equal((await fetch(`${server.url}/json`, { headers: secrets })).status, 200);
    const journal = await (await fetch(`${server.url}/__mock/requests`)).json() as { requests: { headers: Record<string, string> }[] };
    for (const name of Object.keys(secrets)) assert.equal(journal.requests[0].headers[name], '[redacted]', name);
    assert.ok(!/"s\d"/.test(JSON.stringify(journal)));
  });
});

test('GET /__mock/requests?limit=N returns at most N entries across workers, the newest', async () => {
  await withServer({ args: ['--workers', '2', '--journal', '1000'] }, async (server) => {
    for (let i = 0; i < 40; i++) assert.equal((await fetch(`${server.url}/json?i=${i}`, { headers: { connection: 'close' } })).status, 200);
    const all = await (await fetch(`${server.url}/__mock/requests?path=/json`)).json() as { requests: { url: string }[]; count: number };
    assert.equal(all.count, 40);
    const last = await (await fetch(`${server.url}/__mock/requests?path=/json&limit=3`)).json() as { requests: { url: string }[]; count: number; workers: number };
    assert.equal(last.count, 3);
    assert.equal(last.workers, 2);
    assert.deepEqual(last.requests.map((r) => r.url), ['/json?i=37', '/json?i=38', '/json?i=39']);
  });
});

test("a header name with '_' gets no response from uWS (pinned), and the server keeps serving", nativeOnly(), async () => {
  await withServer({ args: ['--workers', '1'] }, async (server) => {
    // Today's behaviour of this uWS build: the request is dropped without a response and the connection stops
    // being parsed (a pipelined request behind it is not answered either); it closes at the idle timeout.
    const sock = connect(server.port, '127.0.0.1');
    let got = '';
    sock.on('data', (d: Buffer) => { got += d.toString('latin1'); });
    await new Promise<void>((resolve) => sock.write('GET /json HTTP/1.1\r\nHost: x\r\nX_Thing: 1\r\n\r\nGET /json HTTP/1.1\r\nHost: x\r\n\r\n', () => resolve()));
    // Requests on fresh connections, sent after those bytes were written, are answered: the worker is alive.
    for (let i = 0; i < 3; i++) {
      const r = await rawRequest(server.port, 'GET /json HTTP/1.1\r\nHost: x\r\n\r\n', (d) => statusLines(d).length === 1);
      assert.deepEqual(statusLines(r.data), ['HTTP/1.1 200 OK']);
    }
    sock.destroy();
    assert.equal(got, '', `uWS now answers a '_' header: update the docs and this test: ${got}`);
    assert.ok(!server.lines.some((l) => /crashed|exited with code/.test(l)));
  });
});

test("a header name with '_' is served by the portable engine (node:http accepts it)", portableOnly(), async () => {
  await withServer({ args: ['--workers', '1'] }, async (server) => {
    const r = await rawRequest(server.port, 'GET /json HTTP/1.1\r\nHost: x\r\nX_Thing: 1\r\n\r\nGET /json HTTP/1.1\r\nHost: x\r\n\r\n', (d) => statusLines(d).length === 2);
    assert.deepEqual(statusLines(r.data), ['HTTP/1.1 200 OK', 'HTTP/1.1 200 OK']);
  });
});

test('admin on the data port on a non-loopback host logs one warning; on loopback none', async () => {
  await withServer({ args: ['--host', '0.0.0.0'] }, async (open) => {
    const listening = await open.waitForLine((l) => l.event === 'listening');
    assert.equal(listening.host, '0.0.0.0', 'the later --host wins');
    const warn = await open.waitForLine((l) => l.event === 'admin-exposed');
    assert.equal(warn.level, 'warn');
    assert.match(String(warn.msg), /any client can replace routes/);
  });
  await withServer({}, async (local) => {
    assert.equal((await fetch(`${local.url}/__mock/health`)).status, 200);
    assert.ok(!local.lines.some((l) => l.includes('admin-exposed')));
  });
});

// Server-Timing (--server-timing, server-timing=on) and the load-aware latency linear(): the server reports
// its own time, so these tests assert on what it says, not on the client's clock.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { get, type ClientRequest } from 'node:http';
import { startServer, waitForPending, type TestServer } from '../helpers/server.js';
import { h2Ask, h2PortOf } from '../helpers/h2.js';

const Timing = /^upstream;dur=(\d+\.\d{2})$/;

function dur(value: string | string[] | null | undefined): number {
  const m = Timing.exec(String(value));
  assert.ok(m !== null, `Server-Timing ${JSON.stringify(value)} is upstream;dur=<ms with two decimals>`);
  return Number(m[1]);
}

describe('--server-timing', () => {
  let server: TestServer;
  let h2Port: number;
  before(async () => {
    server = await startServer(['--server-timing', '--h2-port', '0']);
    h2Port = await h2PortOf(server);
    const added = await fetch(`${server.url}/__mock/routes`, { method: 'POST', body: JSON.stringify({ path: '/configured', latency: '40ms', body: { json: { ok: true } } }) });
    assert.equal(added.status, 201);
  });
  after(async () => { assert.equal(await server.stop(), 0); });

  test('a plain request carries it', async () => {
    const r = await fetch(`${server.url}/json/valid`);
    assert.equal(r.status, 200);
    assert.ok(dur(r.headers.get('server-timing')) >= 0);
  });

  test('a delayed request reports at least its delay; a configured route its latency', async () => {
    const r = await fetch(`${server.url}/json/valid?delay=60ms`);
    assert.ok(dur(r.headers.get('server-timing')) >= 60);
    const c = await fetch(`${server.url}/configured`);
    assert.deepEqual(await c.json(), { ok: true });
    assert.ok(dur(c.headers.get('server-timing')) >= 40);
  });

  test('server-timing=off turns it off for one request', async () => {
    const r = await fetch(`${server.url}/json/valid?server-timing=off`);
    assert.equal(r.headers.get('server-timing'), null);
  });

  test('over HTTP/2, plain and delayed', async () => {
    const plain = await h2Ask(h2Port, 'GET', '/json/valid');
    assert.equal(plain.status, 200);
    assert.ok(dur(plain.headers['server-timing']) >= 0);
    const delayed = await h2Ask(h2Port, 'GET', '/json/valid?delay=30ms');
    assert.ok(dur(delayed.headers['server-timing']) >= 30);
  });
});

describe('server-timing=on per request', () => {
  let server: TestServer;
  before(async () => { server = await startServer(['--workers', '1']); });
  after(async () => { assert.equal(await server.stop(), 0); });

  test('without the setting or the control the response has no Server-Timing', async () => {
    for (const path of ['/json/valid', '/json/valid?status=201', '/json/valid?delay=1ms']) {
      assert.equal((await fetch(`${server.url}${path}`)).headers.get('server-timing'), null, path);
    }
  });

  test('asked by query or X-Mock, on plain and delayed answers', async () => {
    assert.ok(dur((await fetch(`${server.url}/json/valid?server-timing=on`)).headers.get('server-timing')) >= 0);
    const r = await fetch(`${server.url}/json/valid`, { headers: { 'X-Mock': 'server-timing=on&delay=25ms' } });
    assert.ok(dur(r.headers.get('server-timing')) >= 25);
    const bad = await fetch(`${server.url}/json/valid?server-timing=yes`);
    assert.equal(bad.status, 400);
  });

  test('linear(): with N requests held in flight the delay reported grows by N times per', async () => {
    const linear = 'delay=linear(base=1ms,per=25ms)&server-timing=on';
    const idle = dur((await fetch(`${server.url}/json/valid?${linear}`)).headers.get('server-timing'));
    const held = 8;
    const holds: ClientRequest[] = [];
    try {
      for (let i = 0; i < held; i++) {
        const req = get({ host: '127.0.0.1', port: server.port, path: '/json/valid?delay=30s', agent: false });
        req.on('error', () => {});
        holds.push(req);
      }
      await waitForPending(server.url, held, 15_000);
      const loaded = dur((await fetch(`${server.url}/json/valid?${linear}`)).headers.get('server-timing'));
      assert.ok(loaded >= 1 + held * 25, `with ${held} held the server waited ${loaded} ms, at least ${1 + held * 25} expected`);
      assert.ok(idle < 1 + held * 25, `idle it waited ${idle} ms`);
    } finally {
      for (const h of holds) h.destroy();
    }
  });

  test('linear() is capped by --max-delay like any latency', async () => {
    const r = await fetch(`${server.url}/json/valid?delay=linear(base=1ms,per=10m)`);
    assert.equal(r.status, 400);
  });
});

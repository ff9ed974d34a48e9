// The in-process fixture API, as a Node test suite would use it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MockUpstreamError, startMockUpstream } from '../src/index.js';
import { UsageError } from '../src/config/options.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitForPending } from './helpers/server.js';

test('startMockUpstream starts on a free port, serves, and closes', async () => {
  const t0 = performance.now();
  const mock = await startMockUpstream();
  const startMs = performance.now() - t0;
  try {
    assert.match(mock.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(mock.port > 0);
    const r = await fetch(`${mock.url}/json/valid`);
    assert.equal(r.status, 200);
    assert.match(await r.text(), /^\{"time": "/);
    // Not a budget assertion (those live in bench/); a gross regression guard for fixture start-up.
    assert.ok(startMs < 5000, `started in ${startMs} ms`);
  } finally {
    await mock.close();
  }
  await assert.rejects(fetch(`${mock.url}/json`));
});

test('options map to the CLI flags and are validated by the same parser', async () => {
  const mock = await startMockUpstream({ workers: 2, maxSize: '1KB' });
  try {
    assert.equal(mock.config.workers, 2);
    assert.equal((await fetch(`${mock.url}/size/2KB`)).status, 400);
    assert.equal((await fetch(`${mock.url}/size/1KB`)).status, 200);
  } finally {
    await mock.close();
  }
  await assert.rejects(startMockUpstream({ maxDelay: 'soon' }), UsageError);
});

test('payloads and adminPrefix options: a folder of your own, the admin API elsewhere', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mock-payloads-'));
  writeFileSync(join(dir, 'hello.json'), '{"hello":"world"}');
  const mock = await startMockUpstream({ payloads: dir, adminPrefix: '/_admin/', routes: [{ path: '/hi', body: { file: 'hello.json' } }] });
  try {
    assert.deepEqual(await (await fetch(`${mock.url}/payloads/hello`)).json(), { hello: 'world' });
    assert.deepEqual(await (await fetch(`${mock.url}/hi`)).json(), { hello: 'world' });
    assert.equal((await fetch(`${mock.url}/_admin/health`)).status, 200);
    assert.equal((await fetch(`${mock.url}/__mock/health`)).status, 404);
  } finally {
    await mock.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the fixture reads X-Mock-<Name> headers unless mockHeaders is false', async () => {
  for (const [options, status] of [[{}, 503], [{ mockHeaders: false }, 200]] as const) {
    const mock = await startMockUpstream(options);
    try {
      assert.equal(mock.config.mockHeaders, status === 503);
      assert.equal((await fetch(`${mock.url}/json`, { headers: { 'X-Mock-Status': '503' } })).status, status);
    } finally {
      await mock.close();
    }
  }
});

test('the seed option makes random choices reproducible', async () => {
  const statuses = async (): Promise<number[]> => {
    const mock = await startMockUpstream({ seed: 7 });
    try {
      const out: number[] = [];
      for (let i = 0; i < 20; i++) out.push((await fetch(`${mock.url}/json?status=500:50`)).status);
      return out;
    } finally {
      await mock.close();
    }
  };
  assert.deepEqual(await statuses(), await statuses());
});

test('close() waits for in-flight delayed responses', async () => {
  const mock = await startMockUpstream();
  const pending = fetch(`${mock.url}/delay/1500ms`);
  await waitForPending(mock.url, 1);
  await mock.close();
  assert.equal((await pending).status, 200);
});

test('fixture API: start with routes, add, replace, reset; read and clear the journal', async () => {
  const mock = await startMockUpstream({ workers: 2, journal: 100, routes: [{ path: '/api/users/:id', body: { template: { id: '{{params.id}}' } } }] });
  try {
    const get = async (path: string): Promise<Response> => fetch(`${mock.url}${path}`, { headers: { connection: 'close' } });
    assert.deepEqual(await (await get('/api/users/7')).json(), { id: '7' });
    await mock.addRoute({ method: 'POST', path: '/api/orders', status: 201, body: { json: { created: true } } });
    const posted = await fetch(`${mock.url}/api/orders`, { method: 'POST', body: '{"sku":"A-1"}' });
    assert.equal(posted.status, 201);
    await mock.setRoutes([{ path: '/only', body: { text: 'only' } }]);
    assert.equal((await get('/api/users/7')).status, 404);
    assert.equal(await (await get('/only')).text(), 'only');
    await mock.resetRoutes();
    assert.equal((await get('/only')).status, 404);
    assert.deepEqual(await (await get('/api/users/8')).json(), { id: '8' }, 'reset returns to the routes it started with');
    const seen = await mock.requests();
    assert.deepEqual((await mock.requests({ method: 'POST' })).map((e) => e.url), ['/api/orders']);
    const order = seen.find((e) => e.url === '/api/orders');
    assert.equal(order?.method, 'POST');
    assert.equal(order?.body, '{"sku":"A-1"}');
    await mock.clearRequests();
    assert.deepEqual(await mock.requests(), []);
    await mock.addRoute({ method: 'POST', path: '/api/orders', status: 201 });
    await mock.removeRoute('/api/orders', 'POST');
    assert.equal((await fetch(`${mock.url}/api/orders`, { method: 'POST', body: '{}' })).status, 404);
    await assert.rejects(mock.removeRoute('/api/orders'), (err: MockUpstreamError) => err.status === 404);
    await assert.rejects(mock.addRoute({ path: '/bad', latency: 'soon' }), (err: MockUpstreamError) => {
      assert.equal(err.status, 400);
      assert.match(err.errors[0], /^\/latency: invalid duration "soon"/);
      return true;
    });
  } finally {
    await mock.close();
  }
  await assert.rejects(startMockUpstream({ routes: [{ path: 'no-slash' }] }), /\/routes\/0\/path/);
  const quiet = await startMockUpstream();
  try {
    await assert.rejects(quiet.requests(), /--journal N/);
  } finally {
    await quiet.close();
  }
});

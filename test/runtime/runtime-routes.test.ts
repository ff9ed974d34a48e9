// Runtime routes (/__mock/routes): every worker has a change before the call returns; invalid routes get
// the same JSON-path errors as `check`; DELETE returns to the file's routes.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { startServer, withServer, type TestServer } from '../helpers/server.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../../../test/fixtures/${name}`, import.meta.url));
const payloads = fileURLToPath(new URL('../../../payloads', import.meta.url));

/** A request on a fresh connection (so SO_REUSEPORT spreads them over the workers). */
async function fresh(url: string, init: RequestInit = {}): Promise<{ status: number; text: string; headers: Headers }> {
  const r = await fetch(url, { ...init, headers: { ...(init.headers as Record<string, string> | undefined), connection: 'close' } });
  return { status: r.status, text: await r.text(), headers: r.headers };
}

function json(method: string, body: unknown): RequestInit {
  return { method, body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json' } };
}

describe('runtime routes with 2 workers', () => {
  let server: TestServer;
  let base: string;
  before(async () => {
    server = await startServer(['--workers', '2', '--journal', '1000', '--config', fixture('config-good.json'), '--payloads', payloads]);
    base = server.url;
  });
  after(async () => {
    assert.equal(await server.stop(), 0);
  });

  test('POST adds a route that every worker serves as soon as the call returns', async () => {
    await fresh(`${base}/__mock/requests`, { method: 'DELETE' });
    const added = await fresh(`${base}/__mock/routes`, json('POST', {
      method: 'GET', path: '/api/orders/:id', headers: { 'X-Fixture': 'orders' },
      body: { template: { order: '{{params.id}}' } },
    }));
    assert.equal(added.status, 201, added.text);
    const reply = JSON.parse(added.text) as { routes: { path: string }[]; workers: number; replaced: number };
    assert.equal(reply.workers, 2);
    assert.equal(reply.replaced, 0);
    assert.ok(reply.routes.some((r) => r.path === '/api/orders/:id'));
    // No waiting: the very next requests, on fresh connections, hit both workers.
    for (let i = 0; i < 30; i++) {
      const r = await fresh(`${base}/api/orders/${i}`);
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('x-fixture'), 'orders');
      assert.deepEqual(JSON.parse(r.text), { order: String(i) });
    }
    const journal = JSON.parse((await fresh(`${base}/__mock/requests`)).text) as { requests: { url: string; worker: number }[] };
    const workers = new Set(journal.requests.filter((e) => e.url.startsWith('/api/orders/')).map((e) => e.worker));
    assert.deepEqual([...workers].sort(), [0, 1], 'both workers served the new route');
  });

  test('POST with the same method and path shape replaces the earlier route', async () => {
    const r = await fresh(`${base}/__mock/routes`, json('POST', { method: 'GET', path: '/api/orders/:orderId', status: 404, body: { json: { gone: true } } }));
    assert.equal(r.status, 201, r.text);
    assert.equal((JSON.parse(r.text) as { replaced: number }).replaced, 1);
    for (let i = 0; i < 10; i++) {
      const got = await fresh(`${base}/api/orders/${i}`);
      assert.equal(got.status, 404);
      assert.deepEqual(JSON.parse(got.text), { gone: true });
    }
  });

  test('a runtime route takes over a built-in path for its methods only', async () => {
    const r = await fresh(`${base}/__mock/routes`, json('POST', { method: 'POST', path: '/json/valid', status: 201, body: { text: 'posted' } }));
    assert.equal(r.status, 201, r.text);
    for (let i = 0; i < 10; i++) {
      const posted = await fresh(`${base}/json/valid`, { method: 'POST', body: 'x' });
      assert.equal(posted.status, 201);
      assert.equal(posted.text, 'posted');
      assert.match((await fresh(`${base}/json/valid`)).text, /^\{"time": "/, 'GET still reaches the built-in route');
    }
  });

  test('invalid routes: 400 with every error at its JSON path, and nothing changes', async () => {
    const before = (await fresh(`${base}/__mock/routes`)).text;
    const one = await fresh(`${base}/__mock/routes`, json('POST', { path: '/x', status: 'abc', latency: '1q', bogus: 1 }));
    assert.equal(one.status, 400);
    const body = JSON.parse(one.text) as { error: string; param: string; errors: string[] };
    assert.equal(body.param, 'routes');
    assert.ok(body.errors.includes('/: must NOT have additional properties "bogus"'), body.errors.join('\n'));
    assert.ok(body.errors.some((e) => e.startsWith('/status: invalid status code "abc"')), body.errors.join('\n'));
    assert.ok(body.errors.some((e) => e.startsWith('/latency: invalid duration "1q"')), body.errors.join('\n'));
    const many = await fresh(`${base}/__mock/routes`, json('PUT', [{ path: '/ok' }, { path: '/__mock/mine' }]));
    assert.equal(many.status, 400);
    assert.match((JSON.parse(many.text) as { errors: string[] }).errors.join('\n'), /^\/1\/path: \/__mock\/mine is under the reserved admin prefix/m);
    const wrapped = await fresh(`${base}/__mock/routes`, json('PUT', { routes: [{ path: '/a', body: { file: 'nope.json' } }] }));
    assert.match((JSON.parse(wrapped.text) as { errors: string[] }).errors.join('\n'), /^\/routes\/0\/body\/file: nope\.json not found/m);
    const settings = await fresh(`${base}/__mock/routes`, json('PUT', { server: { port: 1 }, routes: [] }));
    assert.equal(settings.status, 400);
    assert.match(settings.text, /server settings need a restart/);
    // Response splitting through a runtime route is refused like any invalid value.
    const split = await fresh(`${base}/__mock/routes`, json('POST', { path: '/split', headers: { 'X-A': 'v\r\nSet-Cookie: stolen=1' } }));
    assert.equal(split.status, 400);
    assert.match((JSON.parse(split.text) as { errors: string[] }).errors.join('\n'), /^\/headers\/X-A: must match pattern/m);
    const notJson = await fresh(`${base}/__mock/routes`, json('POST', '{"path": '));
    assert.equal(notJson.status, 400);
    assert.match(notJson.text, /not JSON/);
    assert.equal((await fresh(`${base}/__mock/routes`, { method: 'PATCH' })).status, 405);
    assert.equal((await fresh(`${base}/__mock/routes`)).text, before, 'the route list is unchanged');
  });

  test('DELETE ?path=[&method=] removes matching routes only', async () => {
    await fresh(`${base}/__mock/routes`, json('POST', { method: ['GET', 'POST'], path: '/gone', body: { text: 'here' } }));
    await fresh(`${base}/__mock/routes`, json('POST', { path: '/kept', body: { text: 'kept' } }));
    const onlyPost = await fresh(`${base}/__mock/routes?path=/gone&method=post`, { method: 'DELETE' });
    assert.equal(onlyPost.status, 200, onlyPost.text);
    assert.equal((JSON.parse(onlyPost.text) as { replaced: number }).replaced, 1);
    for (let i = 0; i < 6; i++) {
      assert.equal((await fresh(`${base}/gone`)).text, 'here');
      assert.equal((await fresh(`${base}/gone`, { method: 'POST' })).status, 405, 'POST was removed, GET stays');
    }
    assert.equal((await fresh(`${base}/__mock/routes?path=/gone`, { method: 'DELETE' })).status, 200);
    const missing = await fresh(`${base}/__mock/routes?path=/gone`, { method: 'DELETE' });
    assert.equal(missing.status, 404);
    assert.match(missing.text, /no configured route with any method \/gone/);
    for (let i = 0; i < 6; i++) {
      assert.equal((await fresh(`${base}/gone`)).status, 404);
      assert.equal((await fresh(`${base}/kept`)).text, 'kept');
    }
    // /kept answers every method: removing only GET cannot be done, and the answer says so rather than "not found".
    const oneOfAny = await fresh(`${base}/__mock/routes?path=/kept&method=GET`, { method: 'DELETE' });
    assert.equal(oneOfAny.status, 400, oneOfAny.text);
    assert.deepEqual(JSON.parse(oneOfAny.text), {
      error: 'the configured route /kept answers every method, so GET alone cannot be removed: DELETE without method removes the route, POST one with "method" narrows it',
      param: 'method',
    });
    assert.equal((await fresh(`${base}/kept`, { method: 'PUT' })).text, 'kept', 'the route is unchanged');
  });

  test('a body.file outside the payload folder, or not a regular file, is refused (no file leaves the folder)', async () => {
    for (const file of ['../package.json', '../../../../../../etc/passwd', '/etc/passwd', '.', 'nope.json']) {
      const r = await fresh(`${base}/__mock/routes`, json('POST', { path: '/leak', body: { file } }));
      assert.equal(r.status, 400, `${file}: ${r.text}`);
      const body = JSON.parse(r.text) as { errors: string[] };
      assert.match(body.errors[0], /^\/body\/file: /);
      assert.match(body.errors[0], file === 'nope.json' ? /not found/ : file === '.' ? /not a regular file/ : /outside the payload folder/);
    }
    assert.equal((await fresh(`${base}/leak`)).status, 404);
    // A file in the folder is served.
    const ok = await fresh(`${base}/__mock/routes`, json('POST', { path: '/users-file', body: { file: 'users-1kb.json' } }));
    assert.equal(ok.status, 201, ok.text);
    assert.equal((await fresh(`${base}/users-file`)).status, 200);
    assert.equal((await fresh(`${base}/__mock/routes?path=/users-file`, { method: 'DELETE' })).status, 200);
  });

  test('the journal records a request once after its configured route was removed (the 404 records it)', async () => {
    await fresh(`${base}/__mock/routes`, json('POST', { path: '/brief', body: { text: 'brief' } }));
    assert.equal((await fresh(`${base}/__mock/routes?path=/brief`, { method: 'DELETE' })).status, 200);
    await fresh(`${base}/__mock/requests`, { method: 'DELETE' });
    for (let i = 0; i < 6; i++) assert.equal((await fresh(`${base}/brief?n=${i}`)).status, 404);
    const journal = JSON.parse((await fresh(`${base}/__mock/requests`)).text) as { requests: { url: string; status: number | null }[] };
    const mine = journal.requests.filter((e) => e.url.startsWith('/brief'));
    assert.equal(mine.length, 6, JSON.stringify(mine));
    assert.ok(mine.every((e) => e.status === 404));
  });

  test('PUT replaces every configured route; DELETE resets to the file\'s', async () => {
    const put = await fresh(`${base}/__mock/routes`, json('PUT', { routes: [{ path: '/only', body: { text: 'only' } }] }));
    assert.equal(put.status, 200, put.text);
    for (let i = 0; i < 10; i++) {
      assert.equal((await fresh(`${base}/only`)).text, 'only');
      // The file's route and the earlier runtime route are gone.
      assert.equal((await fresh(`${base}/api/orders/1`)).status, 404);
      assert.equal((await fresh(`${base}/catalog`)).status, 404);
      assert.match((await fresh(`${base}/json/valid`, { method: 'POST' })).text, /^\{"time": "/, 'the built-in route is back');
    }
    const config = JSON.parse((await fresh(`${base}/__mock/config`)).text) as { routes: { path: string }[] };
    assert.deepEqual(config.routes.map((r) => r.path), ['/only'], '/__mock/config shows the routes in force');
    const reset = await fresh(`${base}/__mock/routes`, { method: 'DELETE' });
    assert.equal(reset.status, 200);
    assert.equal((JSON.parse(reset.text) as { routes: unknown[] }).routes.length, 6);
    for (let i = 0; i < 10; i++) {
      assert.equal((await fresh(`${base}/only`)).status, 404);
      assert.deepEqual(JSON.parse((await fresh(`${base}/catalog`)).text), { items: [1, 2, 3] });
    }
  });
});

test('a worker restarted after a runtime change serves the routes in force', async () => {
  await withServer({ args: ['--workers', '2'], env: { MOCK_UPSTREAM_FAULT_HOOK: 'crash-workers-for-tests' } }, async (server) => {
    const added = await fresh(`${server.url}/__mock/routes`, json('POST', { path: '/late/:id', body: { template: { id: '{{params.id}}' } } }));
    assert.equal(added.status, 201);
    // Crash workers (whichever answers) until both have been replaced.
    const restarted = (): Set<string> => new Set(server.lines.map((l) => /"msg":"worker (\d+) restarted"/.exec(l)?.[1]).filter((w) => w !== undefined));
    for (let attempt = 0; restarted().size < 2 && attempt < 20; attempt++) {
      const seen = server.lines.filter((l) => l.includes(' restarted"')).length;
      assert.equal((await fresh(`${server.url}/__mock/test/crash`)).status, 202);
      await server.waitForLine(() => server.lines.filter((l) => l.includes(' restarted"')).length > seen);
    }
    assert.equal(restarted().size, 2, 'both workers were restarted');
    for (let i = 0; i < 20; i++) assert.deepEqual(JSON.parse((await fresh(`${server.url}/late/${i}`)).text), { id: String(i) });
  });
});

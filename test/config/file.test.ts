// Config files: `mock-upstream check` on good and bad files (exact JSON paths), serving configured routes.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { runCli, startServer } from '../helpers/server.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../../../test/fixtures/${name}`, import.meta.url));
const payloads = fileURLToPath(new URL('../../../payloads', import.meta.url));

describe('mock-upstream check', () => {
  test('a good file: exit 0 and a summary of its routes', async () => {
    const r = await runCli(['check', fixture('config-good.json'), '--payloads', payloads]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /ok, 6 route\(s\): GET \/api\/users\/:id; ANY \/flaky; GET,POST \/catalog/);
  });

  test('a bad file: exit 1 and every error with its JSON path', async () => {
    const r = await runCli(['check', fixture('config-bad.json'), '--payloads', payloads]);
    assert.equal(r.code, 1);
    const expected: RegExp[] = [
      /\/routes\/1: must NOT have additional properties "bogus"/,
      /\/routes\/1\/path: must match pattern "\^\/"/,
      /\/routes\/0\/path: \/__mock\/mine is under the reserved admin prefix/,
      /\/routes\/0\/status: .*percentage 150/,
      /\/routes\/0\/latency: invalid duration "soon"/,
      /\/routes\/0\/body\/file: missing\.json not found in the payload folder/,
      /\/routes\/2\/body\/template: \{\{params\.b\}\} but the path \/t\/:a has no :b/,
      /\/routes\/2\/body\/template: unknown placeholder \{\{nope\}\}/,
      /\/routes\/3: duplicate route ANY \/t\/:z/,
      // A route without a body still has its status and latency checked.
      /\/routes\/4\/status: invalid status code "abc"/,
      /\/routes\/4\/latency: invalid duration "1q"/,
      /\/routes\/4\/headers\/Content-Length: the server writes Content-Length itself/,
    ];
    for (const e of expected) assert.match(r.stderr, e);
    assert.match(r.stderr, /12 error\(s\)/);
  });

  test('the server refuses to start on an invalid config the same way', async () => {
    const r = await runCli(['--port', '0', '--config', fixture('config-bad.json'), '--payloads', payloads]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\/routes\/0\/latency/);
  });

  test('unreadable JSON is one error at /', async () => {
    const r = await runCli(['check', fixture('../../package.json-missing')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, / {2}\/: ENOENT/);
  });
});

describe('configured routes', () => {
  test('serve templates, weighted statuses, sizes, json, files, methods and 405s; flags beat the file', async () => {
    const server = await startServer(['--workers', '2', '--config', fixture('config-good.json'), '--payloads', payloads, '--max-delay', '3s']);
    try {
      const t0 = performance.now();
      const u = await fetch(`${server.url}/api/users/42?q=a%22b`);
      assert.ok(performance.now() - t0 >= 20, 'route latency applies');
      assert.equal(u.headers.get('cache-control'), 'no-store');
      const body = await u.json() as { id: string; at: string; q: string };
      assert.equal(body.id, '42');
      assert.equal(body.q, 'a"b');
      assert.match(body.at, /^\d{4}-\d{2}-\d{2} .* UTC m=\+/);
      // A request control beats the route's own setting.
      assert.equal((await fetch(`${server.url}/api/users/1?status=418`)).status, 418);

      const codes = await Promise.all(Array.from({ length: 200 }, () => fetch(`${server.url}/flaky`).then(async (r) => {
        assert.equal((await r.arrayBuffer()).byteLength, 4096);
        return r.status;
      })));
      const share = codes.filter((c) => c === 503).length / 200;
      assert.ok(Math.abs(share - 0.5) <= 5 * Math.sqrt(0.25 / 200), `503 share ${share}`);

      const cat = await fetch(`${server.url}/catalog`, { method: 'POST' });
      assert.deepEqual(await cat.json(), { items: [1, 2, 3] });
      assert.equal(cat.headers.get('connection'), 'close');
      assert.equal((await fetch(`${server.url}/catalog`, { method: 'DELETE' })).status, 204);
      const nope = await fetch(`${server.url}/catalog`, { method: 'PATCH' });
      assert.equal(nope.status, 405);
      assert.match((await nope.json() as { error: string }).error, /PATCH is not configured for \/catalog: use GET, POST, DELETE/);

      // A configured POST /json wins; GET /json is still the built-in route.
      assert.equal(await (await fetch(`${server.url}/json`, { method: 'POST' })).text(), 'created');
      assert.equal(await (await fetch(`${server.url}/json`)).text(), '{"message":"Hello, World!"}');

      const readme = await fetch(`${server.url}/readme`);
      assert.match(await readme.text(), /payload folder/);
      assert.equal(readme.headers.get('content-type'), 'text/markdown; charset=utf-8', 'a route\'s Content-Type replaces the default');

      const effective = await (await fetch(`${server.url}/__mock/config`)).json() as { maxDelayMs: number; seed: number; routes: unknown[] };
      assert.equal(effective.maxDelayMs, 3000, 'the flag beats the file');
      assert.equal(effective.seed, 5, 'the file beats the default');
      assert.equal(effective.routes.length, 6);
    } finally {
      assert.equal(await server.stop(), 0);
    }
  });
});

test('at most 128 distinct configured paths (uWS cannot unregister a path); ":name" shapes count once', async () => {
  const { checkConfig } = await import('../../src/config/file.js');
  const limits = { maxDelayMs: 60_000, maxSizeBytes: 1 << 20, payloadsDir: payloads };
  const paths = (n: number): { path: string }[] => Array.from({ length: n }, (_, i) => ({ path: `/p${i}/:id` }));
  assert.deepEqual(checkConfig({ routes: paths(128) }, limits), []);
  assert.deepEqual(checkConfig({ routes: [...paths(128), { path: '/p0/:other', method: 'POST' }] }, limits), []);
  assert.match(checkConfig({ routes: paths(129) }, limits).join('\n'), /^\/routes: 129 distinct paths; at most 128/);
});

// Property: any JSON body POSTed to /__mock/routes gives 201 (the route then answers) or a 400 JSON
// error listing JSON paths; never a 5xx, a hang or a dead worker. Values mix valid pieces with junk so
// both sides are reached.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { startServer, type TestServer } from '../helpers/server.js';

const NumRuns = 120;

// Each field is mostly valid (weight 4) and sometimes junk (weight 1), so both answers come up often.
// A few path shapes are reused: the process accepts 128 distinct configured paths in its lifetime.
const mostly = <T>(valid: fc.Arbitrary<T>, junk: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 4, arbitrary: valid }, { weight: 1, arbitrary: junk });
const junk = fc.oneof(fc.string({ maxLength: 12 }), fc.integer({ min: -5, max: 1000 }), fc.constant(null));
const route = fc.record({
  method: mostly(fc.oneof(fc.constantFrom('GET', 'POST', 'DELETE'), fc.subarray(['GET', 'PUT', 'PATCH'], { minLength: 1 })), fc.oneof(junk, fc.constant(['BREW']))),
  path: mostly(fc.constantFrom('/p', '/p/:id', '/q/:a/:b', '/json/valid', '/p/:id/*'), fc.oneof(junk, fc.constantFrom('/__mock/x', 'no-slash'))),
  status: mostly(fc.constantFrom(200, '503:50', '404:10,500:5', 201), junk),
  latency: mostly(fc.constantFrom('1ms', 'uniform(1ms,3ms)', 'p50=1ms,p99=4ms'), junk),
  close: mostly(fc.integer({ min: 0, max: 100 }), junk),
  headers: mostly(fc.dictionary(fc.constantFrom('Cache-Control', 'X-A', 'Content-Type'), fc.string({ maxLength: 12 }).filter((v) => !/[\r\n\0]/.test(v)), { maxKeys: 2 }),
    fc.dictionary(fc.oneof(fc.constantFrom('Content-Length', 'Bad Name'), fc.string({ maxLength: 6 })), fc.string({ maxLength: 8 }), { minKeys: 1, maxKeys: 2 })),
  body: mostly(fc.oneof(
    fc.record({ json: fc.jsonValue({ maxDepth: 2 }) }),
    fc.record({ text: fc.string({ maxLength: 20 }) }),
    fc.record({ size: fc.constantFrom('1KB', 64, '20KB') }),
    fc.record({ file: fc.constant('users-1kb.json') }),
    fc.record({ template: fc.constantFrom({ t: '{{now}}', q: '{{query.q}}' }) }),
  ), fc.oneof(fc.jsonValue({ maxDepth: 1 }), fc.record({ file: fc.constantFrom('missing.json', '../etc/passwd') }), fc.record({ template: fc.constant({ x: '{{nope}}' }) }))),
}, { requiredKeys: ['path'] });
const bodies = fc.oneof({ weight: 6, arbitrary: route }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) });

describe('property: runtime routes accept or refuse any JSON, and the server stays up', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer(['--workers', '2', '--max-delay', '50ms', '--max-size', '64KB']);
  });
  after(async () => {
    assert.equal(await server.stop(), 0);
  });

  test('POST /__mock/routes with any body', async () => {
    const seen = new Map<number, number>();
    const prop = fc.asyncProperty(bodies, async (body) => {
      const r = await fetch(`${server.url}/__mock/routes`, { method: 'POST', body: JSON.stringify(body), headers: { connection: 'close' } });
      const text = await r.text();
      seen.set(r.status, (seen.get(r.status) ?? 0) + 1);
      if (r.status === 400) {
        const e = JSON.parse(text) as { error: string; errors?: string[] };
        assert.equal(typeof e.error, 'string');
        assert.ok(e.errors === undefined || e.errors.every((x) => /^\//.test(x)), `errors carry JSON paths: ${text}`);
        return;
      }
      assert.equal(r.status, 201, `${JSON.stringify(body)} -> ${r.status} ${text}`);
      // An added route answers on a path it matches, with some status (it may have asked for any).
      const path = (body as { path?: unknown } | null)?.path;
      if (typeof path !== 'string') return;
      const p = path.replace(/:[^/]+/g, 'v').replace(/\*$/, 'w');
      const got = await fetch(`${server.url}${p}`, { method: 'GET', headers: { connection: 'close' } });
      await got.arrayBuffer();
      assert.ok(got.status >= 100 && got.status < 600);
    });
    await fc.assert(prop, { numRuns: NumRuns, seed: Number(process.env.FC_SEED ?? 20261122) });
    // Both sides reached in earnest, not by a fluke.
    const counts = JSON.stringify(Object.fromEntries(seen));
    assert.ok((seen.get(201) ?? 0) >= 10 && (seen.get(400) ?? 0) >= 10, `statuses seen: ${counts}`);
    assert.equal((await fetch(`${server.url}/json/valid`, { headers: { connection: 'close' } })).status, 200);
    assert.equal((await fetch(`${server.url}/__mock/routes`, { method: 'DELETE' })).status, 200);
  });
});

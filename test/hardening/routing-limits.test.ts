// Issue 15, round 2: what reaches uWS's router through the admin API and the flags. Paths it would abort the
// process over, templates that stalled every worker, and the route budget are 400s with a reason; an admin
// prefix over a built-in route is refused at startup.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli, startServer, withServer, type TestServer } from '../helpers/server.js';
import { assertServes } from './util.js';

interface Refusal { error: string; param: string; errors: string[] }

async function post(server: TestServer, body: unknown, method = 'POST'): Promise<{ status: number; body: Refusal }> {
  const r = await fetch(`${server.url}/__mock/routes`, { method, body: JSON.stringify(body), headers: { connection: 'close' } });
  const text = await r.text();
  return { status: r.status, body: JSON.parse(text) as Refusal };
}

describe('runtime routes against uWS limits (2 workers)', () => {
  let server: TestServer;
  before(async () => { server = await startServer(['--workers', '2']); });
  after(async () => { assert.equal(await server.stop(), 0); });

  test('paths sharing their first 100 segments: 400, and the process keeps serving (it aborted with exit 134)', async () => {
    for (const end of ['/a', '/b']) {
      const r = await post(server, { path: `${'/x'.repeat(100)}${end}` });
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(r.body.param, 'routes');
      assert.match(r.body.errors[0], /^\/path: the path has 101 segments; at most 100 \(uWS matches on the first 100 only\)/);
    }
    await assertServes(server);
    // 100 segments is within the limit, and the route answers.
    const ok = await post(server, { path: '/x'.repeat(100), body: { text: 'deep' } });
    assert.equal(ok.status, 201);
    assert.equal(await (await fetch(`${server.url}${'/x'.repeat(100)}`)).text(), 'deep');
  });

  test('a "*" that is not the whole last segment, a query in the path, an 8 KiB path: 400 each', async () => {
    const cases: [string, RegExp][] = [
      ['/a/*/b', /"\*" is a wildcard only as the whole last segment/],
      ['/files*', /"\*" is a wildcard only/],
      ['/search?q=1', /the query is not part of the path/],
      [`/${'p'.repeat(9000)}`, /9001 bytes long; at most 8192/],
    ];
    for (const [path, message] of cases) {
      const r = await post(server, { path });
      assert.equal(r.status, 400, path.slice(0, 40));
      assert.match(r.body.errors[0], message);
    }
    await assertServes(server);
  });

  test('a template with "{{" and 2,500 spaces: an immediate 400 (the placeholder regex took seconds in every worker)', async () => {
    const r = await post(server, { path: '/slow', body: { template: { a: `{{${' '.repeat(2500)}` } } });
    assert.equal(r.status, 400);
    assert.match(r.body.errors[0], /^\/body\/template\/a: unclosed \{\{ at character 0/);
    await assertServes(server);
  });

  test('an unclosed placeholder before more JSON: 400 (it was served as the invalid body {"a":"})', async () => {
    const r = await post(server, { path: '/broken', body: { template: { a: '{{query.x', b: { c: 1 } } } });
    assert.equal(r.status, 400);
    assert.deepEqual(r.body.errors, ['/body/template/a: unclosed {{ at character 0 ("{{query.x"): close it with }}, e.g. {{query.id}}']);
    const unknown = await post(server, [{ path: '/u/:id', body: { template: { '{{nope}}': '{{params.other}}' } } }]);
    assert.equal(unknown.status, 400);
    assert.deepEqual(unknown.body.errors.map((e) => e.split(':')[0]), ['/0/body/template/{{nope}}', '/0/body/template/{{nope}}']);
  });

  test('configured routes on the shapes of built-in wildcards and params take them over without a duplicate registration', async () => {
    const r = await post(server, [
      { path: '/anything/*', body: { text: 'any' } }, { path: '/payloads/', body: { text: 'list' } },
      { path: '/delay/:d', body: { text: 'delay' } }, { method: 'PATCH', path: '/*', body: { text: 'patch' } },
    ], 'PUT');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    for (const [path, text] of [['/anything/x/y', 'any'], ['/payloads/', 'list'], ['/delay/5s', 'delay']]) {
      assert.equal(await (await fetch(`${server.url}${path}`, { headers: { connection: 'close' } })).text(), text, path);
    }
    assert.equal(await (await fetch(`${server.url}/nowhere`, { method: 'PATCH', headers: { connection: 'close' } })).text(), 'patch');
    assert.equal((await post(server, [], 'PUT')).status, 200);
    await assertServes(server);
  });

  test('placeholders in keys and values render valid JSON on every worker', async () => {
    const r = await post(server, { method: 'GET', path: '/t/:id', body: { template: { '{{query.k}}': ['{{params.id}}', '}}', { n: 1 }] } } });
    assert.equal(r.status, 201);
    for (let i = 0; i < 6; i++) {
      const got = await fetch(`${server.url}/t/${i}?k=a%22b`, { headers: { connection: 'close' } });
      assert.equal(got.status, 200);
      assert.deepEqual(JSON.parse(await got.text()), { 'a"b': [String(i), '}}', { n: 1 }] });
    }
  });
});

test('the route budget: a 400 that says how to recover; a registered path can still be reused', async () => {
  await withServer({ args: ['--workers', '1'] }, async (server) => {
    const full = await post(server, Array.from({ length: 128 }, (_, i) => ({ path: `/p${i}/:id` })), 'PUT');
    assert.equal(full.status, 200);
    const over = await post(server, { path: '/one-more' });
    assert.equal(over.status, 400);
    assert.match(over.body.errors[0], /1 new path\(s\) but 128 of the 128 distinct configured paths a process can register are taken/);
    assert.match(over.body.errors[0], /reuse registered paths .*GET \/__mock\/routes lists the routes in force\), or restart the server to start over/);
    // Removed routes keep their paths registered: putting one back (under another :name) works.
    assert.equal((await post(server, [], 'PUT')).status, 200);
    assert.equal((await post(server, { path: '/p7/:other', body: { text: 'back' } })).status, 201);
    assert.equal(await (await fetch(`${server.url}/p7/1`)).text(), 'back');
  });
});

test('an --admin-prefix over a built-in route is refused with the route named (/anything aborted startup, exit 134)', async () => {
  const cases: [string[], Record<string, string>, string][] = [
    [['--admin-prefix', '/anything'], {}, '/anything/*'],
    [['--admin-prefix', '/status/'], {}, '/status/:codes'],
    [[], { MOCK_ADMIN_PREFIX: '/payloads' }, '/payloads/'],
  ];
  for (const [args, env, clash] of cases) {
    const r = await runCli(['--port', '0', '--workers', '1', ...args], env);
    assert.equal(r.code, 2, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.ok(lines[0].includes(`overlaps the built-in route ${clash} `), lines[0]);
  }
  const long = await runCli(['--port', '0', '--workers', '1', '--admin-prefix', '/a'.repeat(99)]);
  assert.equal(long.code, 2);
  assert.match(long.stderr, /at most 256 characters and 98 segments/);
});

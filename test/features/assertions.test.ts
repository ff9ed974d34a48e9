// Request assertions end to end: each kind by query and X-Mock, JSON-pointer body checks, absent headers,
// the status picked, configured routes' expect, and the journal's mark.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { withServer } from '../helpers/server.js';

interface Reply { status: number; body: { failed?: { check: string; expected: unknown; received: unknown }[]; error?: string; param?: string } | string }

// node:http rather than fetch: fetch cannot set Host.
function call(url: string, init: RequestInit = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: init.method ?? 'GET', headers: init.headers as Record<string, string> | undefined }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { text += d; });
      res.on('end', () => {
        let body: Reply['body'] = text;
        try { body = JSON.parse(text) as Reply['body']; } catch { /* the route's own body */ }
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error(`no answer from ${url} within 10 s`)));
    req.end(init.body as string | undefined);
  });
}

const json = (v: unknown): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(v) });

test('each kind of expectation passes and fails, by query and by X-Mock', async () => {
  await withServer({ args: ['--journal', '50'] }, async (server) => {
    const u = server.url;
    const cases: [string, string, RequestInit, number, { check: string; expected: unknown; received: unknown }[] | null][] = [
      ['header ok', '/json/valid?expect-header=X-Tenant:acme', { headers: { 'x-tenant': 'acme' } }, 200, null],
      ['header wrong', '/json/valid?expect-header=X-Tenant:acme', { headers: { 'x-tenant': 'evil' } }, 412, [{ check: 'header x-tenant', expected: 'acme', received: 'evil' }]],
      ['header absent', '/json/valid?expect-header=X-Tenant:acme', {}, 412, [{ check: 'header x-tenant', expected: 'acme', received: null }]],
      ['two headers, one wrong', '/json/valid?expect-header=X-A:1&expect-header=X-B:2', { headers: { 'x-a': '1', 'x-b': '3' } }, 412, [{ check: 'header x-b', expected: '2', received: '3' }]],
      ['no-header ok', '/json/valid?expect-no-header=Authorization', {}, 200, null],
      ['no-header present', '/json/valid?expect-no-header=Authorization', { headers: { authorization: 'Bearer x' } }, 412, [{ check: 'no-header authorization', expected: null, received: 'Bearer x' }]],
      ['method ok', '/json/valid?expect-method=post', { method: 'POST' }, 200, null],
      ['method wrong', '/json/valid?expect-method=POST', {}, 412, [{ check: 'method', expected: 'POST', received: 'GET' }]],
      ['path ok', '/anything/users/7?expect-path=/anything/users/7', {}, 200, null],
      ['path wrong (query excluded)', '/json/valid?expect-path=/api/users', {}, 412, [{ check: 'path', expected: '/api/users', received: '/json/valid' }]],
      ['host ok', '/json/valid?expect-host=API.internal', { headers: { host: 'api.internal' } }, 200, null],
      ['host wrong', '/json/valid?expect-host=api.internal', { headers: { host: 'other' } }, 412, [{ check: 'host', expected: 'api.internal', received: 'other' }]],
      ['body-json number ok', '/json/valid?expect-body-json=/user/id:42', json({ user: { id: 42 } }), 200, null],
      ['body-json string ok', '/json/valid?expect-body-json=/name:"bob"', json({ name: 'bob' }), 200, null],
      ['body-json object ok (key order ignored)', '/json/valid?expect-body-json=/o:{"b":2,"a":[1]}', json({ o: { a: [1], b: 2 } }), 200, null],
      ['body-json array index', '/json/valid?expect-body-json=/items/1/sku:"x2"', json({ items: [{ sku: 'x1' }, { sku: 'x2' }] }), 200, null],
      ['body-json wrong value', '/json/valid?expect-body-json=/user/id:42', json({ user: { id: '42' } }), 412, [{ check: 'body-json /user/id', expected: 42, received: '42' }]],
      ['body-json absent', '/json/valid?expect-body-json=/user/id:42', json({ user: {} }), 412, [{ check: 'body-json /user/id', expected: 42, received: null }]],
      ['body-json not JSON', '/json/valid?expect-body-json=/a:1', { method: 'POST', body: 'plain' }, 412, [{ check: 'body-json /a', expected: 1, received: '(body is not JSON)' }]],
      ['body-json no body', '/json/valid?expect-body-json=/a:1', {}, 412, [{ check: 'body-json /a', expected: 1, received: '(no body)' }]],
      ['X-Mock header', '/json/valid', { headers: { 'x-mock': 'expect-method=PUT&expect-no-header=X-Mock-Absent' } }, 412, [{ check: 'method', expected: 'PUT', received: 'GET' }]],
      ['X-Mock wins over the query per name', '/json/valid?expect-method=GET', { headers: { 'x-mock': 'expect-method=PUT' } }, 412, [{ check: 'method', expected: 'PUT', received: 'GET' }]],
      ['expect-status picks the status', '/json/valid?expect-method=PUT&expect-status=422', {}, 422, [{ check: 'method', expected: 'PUT', received: 'GET' }]],
      ['a passing check lets the other controls apply', '/json/valid?expect-method=GET&status=503', {}, 503, null],
    ];
    for (const [name, path, init, status, failed] of cases) {
      const r = await call(`${u}${path}`, init);
      assert.equal(r.status, status, `${name}: ${JSON.stringify(r.body)}`);
      if (failed !== null) assert.deepEqual((r.body as { failed: unknown }).failed, failed, name);
    }
    // The journal marks the failed ones (and only them) with the same list.
    const journal = await (await fetch(`${u}/__mock/requests`)).json() as { requests: { url: string; status: number; assertions?: unknown[] }[] };
    const marked = journal.requests.filter((e) => e.assertions !== undefined);
    assert.equal(marked.length, cases.filter((c) => c[4] !== null).length);
    for (const e of marked) assert.ok(e.status >= 400, e.url);
  });
});

test('bad expectation values are a 400 naming the control', async () => {
  await withServer({}, async (server) => {
    for (const [path, init, param] of [
      ['/json/valid?expect-header=nocolon', {}, 'expect-header'],
      ['/json/valid?expect-body-json=/a:notjson', {}, 'expect-body-json'],
      ['/json/valid?expect-status=200&expect-method=GET', {}, 'expect-status'],
      ['/json/valid', { headers: { 'x-mock': 'expect-path=nope' } }, 'X-Mock expect-path'],
    ] as [string, RequestInit, string][]) {
      const r = await call(`${server.url}${path}`, init);
      assert.equal(r.status, 400, path);
      assert.equal((r.body as { param: string }).param, param, path);
    }
  });
});

test('a configured route carries expectations; a request adds its own; a bad one is a config error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mock-expect-'));
  const file = join(dir, 'c.json');
  writeFileSync(file, JSON.stringify({ routes: [{
    path: '/api/orders', method: 'POST', status: 201, body: { json: { ok: true } },
    expect: { header: 'X-Tenant:acme', 'no-header': ['X-Debug'], 'body-json': ['/order/qty:2'], status: 409 },
  }] }));
  await withServer({ args: ['--config', file, '--no-request-controls'] }, async (server) => {
    const ok = await call(`${server.url}/api/orders`, { ...json({ order: { qty: 2 } }), headers: { 'content-type': 'application/json', 'x-tenant': 'acme' } });
    assert.equal(ok.status, 201);
    const bad = await call(`${server.url}/api/orders`, { ...json({ order: { qty: 3 } }), headers: { 'x-debug': '1' } });
    assert.equal(bad.status, 409);
    assert.deepEqual((bad.body as { failed: unknown }).failed, [
      { check: 'header x-tenant', expected: 'acme', received: null },
      { check: 'no-header x-debug', expected: null, received: '1' },
      { check: 'body-json /order/qty', expected: 2, received: 3 },
    ]);
  });
  const badFile = join(dir, 'bad.json');
  writeFileSync(badFile, JSON.stringify({ routes: [{ path: '/x', expect: { 'body-json': 'nope' } }] }));
  const { runCli } = await import('../helpers/server.js');
  const run = await runCli(['--config', badFile, '--port', '0']);
  assert.equal(run.code, 1);
  assert.match(run.stderr + run.stdout, /\/routes\/0\/expect/);
});

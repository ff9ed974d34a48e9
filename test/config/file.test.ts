// Config files: `mock-upstream check` on good and bad files (exact JSON paths), serving configured routes.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
      /\/routes\/2\/body\/template\/x: \{\{params\.b\}\} but the path \/t\/:a has no :b/,
      /\/routes\/2\/body\/template\/y: unknown placeholder \{\{nope\}\}/,
      /\/routes\/3: duplicate route ANY \/t\/:z/,
      // A route without a body still has its status and latency checked.
      /\/routes\/4\/status: invalid status code "abc"/,
      /\/routes\/4\/latency: invalid duration "1q"/,
      /\/routes\/4\/headers\/Content-Length: the server writes Content-Length itself/,
      // Header names are HTTP tokens and values carry no line break (no response splitting).
      /\/routes\/4\/headers\/Bad Name: invalid header name "Bad Name"/,
      /\/routes\/4\/headers\/X-Split: must match pattern/,
    ];
    for (const e of expected) assert.match(r.stderr, e);
    assert.match(r.stderr, /14 error\(s\)/);
  });

  test('a value of the wrong kind for a field with two forms is one error, in the terms of its own type', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mock-oneof-'));
    try {
      const file = join(dir, 'c.json');
      writeFileSync(file, JSON.stringify({ server: { workers: 0 }, routes: [{ path: '/a', status: 700 }, { path: '/b', status: true, method: 5 }] }));
      const r = await runCli(['check', file]);
      assert.equal(r.code, 1);
      const lines = r.stderr.trim().split('\n').slice(1).map((l) => l.trim());
      assert.deepEqual(lines, [
        '/server/workers: must be equal to constant "auto"',
        '/server/workers: must be >= 1',
        '/routes/0/status: must be <= 599',
        '/routes/1/method: must be equal to one of the allowed values (GET, POST, PUT, DELETE, PATCH, HEAD, OPTIONS)',
        '/routes/1/status: must be integer or string',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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

const scratch = mkdtempSync(join(tmpdir(), 'mock-config-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let written = 0;
/** Write a config value to a fresh file in the scratch folder; returns its path. */
function configFile(value: unknown): string {
  const file = join(scratch, `config-${written++}.json`);
  writeFileSync(file, JSON.stringify(value));
  return file;
}

describe('config-file server values are checked like routes', () => {
  const bad = {
    server: {
      grace: 'forever', maxBody: 'lots', port: 'x', defaultStatus: 'abc', defaultDelay: 'soon', maxSize: '1XB',
      defaultClose: 150, journal: -1, journalBody: 'big', journalRedact: 'a b',
    },
    routes: [{ path: '/x', latency: '1q' }],
  };
  const expected: RegExp[] = [
    /^ {2}\/server\/grace: invalid duration "forever" for grace: use a number with a unit/m,
    /^ {2}\/server\/maxBody: invalid size "lots" for maxBody/m,
    /^ {2}\/server\/port: must be integer$/m,
    /^ {2}\/server\/defaultStatus: invalid status code "abc" for defaultStatus/m,
    /^ {2}\/server\/defaultDelay: invalid duration "soon" for defaultDelay/m,
    /^ {2}\/server\/maxSize: invalid size "1XB" for maxSize/m,
    /^ {2}\/server\/defaultClose: must be <= 100$/m,
    /^ {2}\/server\/journal: must be >= 0$/m,
    /^ {2}\/server\/journalBody: invalid size "big" for journalBody/m,
    /^ {2}\/server\/journalRedact: invalid header list "a b" for journalRedact/m,
    // ... alongside the routes' errors.
    /^ {2}\/routes\/0\/latency: invalid duration "1q" for latency/m,
  ];

  test('`check`: exit 1 with every error at its JSON path, each value reported once', async () => {
    const r = await runCli(['check', configFile(bad)]);
    assert.equal(r.code, 1, r.stderr);
    for (const e of expected) assert.match(r.stderr, e);
    assert.match(r.stderr, /: 11 error\(s\)\n/);
  });

  test('the server refuses to start the same way (exit 1, every error, nothing served)', async () => {
    const r = await runCli(['--port', '0', '--host', '127.0.0.1', '--config', configFile(bad)]);
    assert.equal(r.code, 1, r.stderr);
    for (const e of expected) assert.match(r.stderr, e);
    assert.equal(r.stdout, '');
  });

  test('a file value is checked against the effective --max-delay: the file\'s own, or a flag\'s', async () => {
    const file = configFile({ server: { maxDelay: '1s', defaultDelay: '2s' } });
    const r = await runCli(['check', file]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^ {2}\/server\/defaultDelay: duration 2s for defaultDelay exceeds the maximum 1s/m);
    assert.equal((await runCli(['check', file, '--max-delay', '5s'])).code, 0);
  });

  test('flags and environment values keep their one-line usage errors (exit 2)', async () => {
    const good = configFile({ server: { grace: '1s', journalRedact: 'authorization' } });
    for (const [args, env, message] of [
      [['--grace', 'forever'], {}, /invalid duration "forever" for --grace/],
      [[], { MOCK_JOURNAL_REDACT: 'a b' }, /invalid header list "a b" for MOCK_JOURNAL_REDACT/],
      [['--default-close', '150'], {}, /percentage 150 for --default-close is over 100/],
    ] as [string[], NodeJS.ProcessEnv, RegExp][]) {
      const r = await runCli(['check', good, ...args], env);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });
});

describe('config-file journal and defaultClose settings', () => {
  const file = configFile({ server: { journal: 2, journalBody: '4', journalRedact: 'x-secret', defaultClose: 100 } });
  const send = (url: string): Promise<Response> => fetch(`${url}/json`, {
    method: 'POST', body: 'hello world', headers: { 'x-secret': 's3cret', authorization: 'Bearer t' },
  });
  interface Entry { body: string; bodyBytes: number; truncated: boolean; headers: Record<string, string> }
  const journal = async (url: string): Promise<Entry[]> => ((await (await fetch(`${url}/__mock/requests`)).json()) as { requests: Entry[] }).requests;

  test('take effect from the file', async () => {
    const server = await startServer(['--config', file]);
    try {
      for (let i = 0; i < 3; i++) {
        const r = await send(server.url);
        assert.equal(r.headers.get('connection'), 'close', 'defaultClose 100');
        await r.arrayBuffer();
      }
      const entries = await journal(server.url);
      assert.equal(entries.length, 2, 'journal 2 keeps the last two');
      for (const e of entries) {
        assert.equal(e.body, 'hell', 'journalBody 4');
        assert.equal(e.bodyBytes, 11);
        assert.equal(e.truncated, true);
        assert.equal(e.headers['x-secret'], '[redacted]', 'journalRedact x-secret');
        assert.equal(e.headers.authorization, 'Bearer t', 'journalRedact replaces the default list');
      }
      const config = await (await fetch(`${server.url}/__mock/config`)).json() as Record<string, unknown>;
      assert.equal(config.journal, 2);
      assert.equal(config.port, server.port, 'the port listened on, not the 0 asked for');
      assert.equal(config.journalBodyBytes, 4);
      assert.deepEqual(config.journalRedact, ['x-secret']);
      assert.deepEqual(config.defaults, { delay: null, status: null, close: 100, fault: null });
    } finally {
      assert.equal(await server.stop(), 0);
    }
  });

  test('flags (and env) override the file', async () => {
    const server = await startServer(['--config', file, '--journal', '5', '--journal-body', '64', '--default-close', '0'],
      { MOCK_JOURNAL_REDACT: 'none' });
    try {
      for (let i = 0; i < 3; i++) {
        const r = await send(server.url);
        assert.notEqual(r.headers.get('connection'), 'close');
        await r.arrayBuffer();
      }
      const entries = await journal(server.url);
      assert.equal(entries.length, 3);
      for (const e of entries) {
        assert.equal(e.body, 'hello world');
        assert.equal(e.truncated, false);
        assert.equal(e.headers['x-secret'], 's3cret');
        assert.equal(e.headers.authorization, 'Bearer t');
      }
      const config = await (await fetch(`${server.url}/__mock/config`)).json() as Record<string, unknown>;
      assert.equal(config.journal, 5);
      assert.equal(config.journalBodyBytes, 64);
      assert.deepEqual(config.journalRedact, []);
      assert.deepEqual(config.defaults, { delay: null, status: null, close: 0, fault: null });
    } finally {
      assert.equal(await server.stop(), 0);
    }
  });
});

describe('configured routes', () => {
  test('serve templates, weighted statuses, sizes, json, files, methods and 405s; flags beat the file', async () => {
    const server = await startServer(['--workers', '2', '--config', fixture('config-good.json'), '--payloads', payloads, '--max-delay', '3s']);
    try {
      const routes = (JSON.parse(readFileSync(fixture('config-good.json'), 'utf8')) as { routes: unknown[] }).routes.length;
      assert.equal((await server.waitForLine((l) => l.event === 'listening')).routes, routes, 'the startup line counts the configured routes');
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
  const limits = { maxDelayMs: 60_000, maxSizeBytes: 1 << 20, payloadsDir: payloads, adminPrefix: '/__mock/' };
  const paths = (n: number): { path: string }[] => Array.from({ length: n }, (_, i) => ({ path: `/p${i}/:id` }));
  assert.deepEqual(checkConfig({ routes: paths(128) }, limits), []);
  assert.deepEqual(checkConfig({ routes: [...paths(128), { path: '/p0/:other', method: 'POST' }] }, limits), []);
  assert.match(checkConfig({ routes: paths(129) }, limits).join('\n'), /^\/routes: 129 distinct paths; at most 128/);
});

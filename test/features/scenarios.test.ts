// Scenarios (docs/scenarios.md): control sequences per key, exact across workers, and their admin API.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { get } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { availableEngines } from '../helpers/engines.js';
import { runCli, startServer, type TestServer } from '../helpers/server.js';

interface Answer { status: number; body: string; headers: Record<string, string | string[] | undefined> }

// A new connection per request (agent: false), so requests spread over the workers (SO_REUSEPORT).
function ask(port: number, path: string, headers: Record<string, string> = {}, timeoutMs = 20_000): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => { clearTimeout(timer); resolve({ status: res.statusCode ?? 0, body, headers: res.headers }); });
    });
    const timer = setTimeout(() => { req.destroy(); reject(new Error(`GET ${path}: no answer within ${timeoutMs} ms`)); }, timeoutMs);
    req.on('error', (e) => { clearTimeout(timer); reject(e); });
  });
}

const Sequence = '503x3,429x2,200';
const Expected = [503, 503, 503, 429, 429, 200, 200, 200];
// The three ways to name a key, rotated over the keys.
const keyed = (k: string, i: number): [string, Record<string, string>] => [
  [`/json/valid?status=${Sequence}&key=${k}`, {}],
  ['/json/valid', { 'X-Mock': `status=${Sequence}&key=${k}` }],
  [`/json/valid?status=${Sequence}`, { 'X-Mock-Key': k }],
][i % 3] as [string, Record<string, string>];

function tally(codes: number[]): Record<number, number> {
  const out: Record<number, number> = {};
  for (const c of codes) out[c] = (out[c] ?? 0) + 1;
  return out;
}

for (const engine of availableEngines()) {
  describe(`scenarios on the ${engine} engine, --workers 2`, () => {
    let server: TestServer;
    before(async () => { server = await startServer(['--engine', engine, '--workers', '2']); });
    after(async () => { assert.equal(await server.stop(), 0); });

    test('many clients and keys at once: each key sees exactly its sequence, in order per client and as a multiset when its own requests race', async () => {
      const ordered = Array.from({ length: 12 }, (_, i) => `ordered-${engine}-${i}`);
      const racing = Array.from({ length: 12 }, (_, i) => `racing-${engine}-${i}`);
      const inOrder = ordered.map(async (k, i) => {
        const seen: number[] = [];
        for (let n = 0; n < Expected.length; n++) seen.push((await ask(server.port, ...keyed(k, i))).status);
        return seen;
      });
      const raced = racing.map((k, i) => Promise.all(Expected.map(() => ask(server.port, ...keyed(k, i)))).then((rs) => rs.map((r) => r.status)));
      const [a, b] = await Promise.all([Promise.all(inOrder), Promise.all(raced)]);
      a.forEach((seen, i) => assert.deepEqual(seen, Expected, ordered[i]));
      b.forEach((seen, i) => assert.deepEqual(tally(seen), tally(Expected), racing[i]));
      // Both workers answered (else this proves nothing about sharing across them).
      const stats = await (await fetch(`${server.url}/__mock/stats`)).json() as { workers: { requests: number }[] };
      if (engine === 'native' || stats.workers.length === 2) assert.ok(stats.workers.every((w) => w.requests > 0), JSON.stringify(stats.workers));
    });

    test('inspect lists each key\'s position; a key reset starts only that key over; a full reset empties the table', async () => {
      const k = `inspect-${engine}`;
      for (let i = 0; i < 4; i++) await ask(server.port, `/json/valid?status=${Sequence}`, { 'X-Mock-Key': k });
      const other = await ask(server.port, '/json/valid?status=cycle(503,200)', { 'X-Mock-Key': `${k}-other` });
      assert.equal(other.status, 503);
      const listed = await (await fetch(`${server.url}/__mock/scenarios?key=${k}`)).json() as { scenarios: unknown[]; count: number; capacity: number };
      assert.deepEqual(listed.scenarios, [{ key: k, control: 'status', sequence: Sequence, position: 4, length: 6, cycle: false, done: false }]);
      assert.equal(listed.capacity, 4096);
      const reset = await fetch(`${server.url}/__mock/scenarios?key=${k}`, { method: 'DELETE' });
      assert.equal(reset.status, 200);
      assert.deepEqual(await reset.json(), { reset: 1, key: k });
      assert.equal((await ask(server.port, `/json/valid?status=${Sequence}`, { 'X-Mock-Key': k })).status, 503, 'started over');
      const others = await (await fetch(`${server.url}/__mock/scenarios?key=${k}-other`)).json() as { scenarios: { position: number; cycle: boolean }[] };
      assert.deepEqual(others.scenarios.map((s) => [s.position, s.cycle]), [[1, true]], 'the other key kept its place');
      assert.equal((await fetch(`${server.url}/__mock/scenarios`, { method: 'DELETE' })).status, 200);
      const empty = await (await fetch(`${server.url}/__mock/scenarios`)).json() as { count: number };
      assert.equal(empty.count, 0);
      assert.equal((await fetch(`${server.url}/__mock/scenarios`, { method: 'POST' })).status, 405);
    });

    test('without a key a sequence is one for every client; cycle starts over; delay and size take sequences too', async () => {
      const seq = `cycle(418,503x2)`;
      const codes: number[] = [];
      for (let i = 0; i < 6; i++) codes.push((await ask(server.port, `/json/valid?status=${seq}&x=${engine}`, i % 2 === 0 ? {} : { 'X-Mock': 'close=0' })).status);
      assert.deepEqual(codes, [418, 503, 503, 418, 503, 503]);
      const sizes: number[] = [];
      for (let i = 0; i < 3; i++) sizes.push((await ask(server.port, '/json/valid', { 'X-Mock': 'size=10x2,3', 'X-Mock-Key': `size-${engine}` })).body.length);
      assert.deepEqual(sizes, [10, 10, 3]);
      const timed: number[] = [];
      for (let i = 0; i < 2; i++) {
        const r = await ask(server.port, '/json/valid', { 'X-Mock': 'delay=300ms,0ms&server-timing=on', 'X-Mock-Key': `delay-${engine}` });
        timed.push(Number(/dur=([\d.]+)/.exec(String(r.headers['server-timing']))?.[1]));
      }
      assert.ok(timed[0] >= 300, `the first request waited its 300 ms (server says ${timed[0]})`);
      assert.ok(timed[1] < 300, `the second did not (server says ${timed[1]})`);
    });

    test('bad sequences and keys are a 400 with the reason', async () => {
      for (const [path, headers, param] of [
        ['/json/valid?status=503x0,200', {}, 'status'],
        ['/json/valid?status=cycle(503', {}, 'status'],
        [`/json/valid?status=503,200&key=${'k'.repeat(129)}`, {}, 'key'],
        ['/json/valid', { 'X-Mock': 'status=503,200&nonsense=1' }, 'X-Mock'],
      ] as const) {
        const r = await ask(server.port, path, headers);
        assert.equal(r.status, 400, path);
        assert.equal((JSON.parse(r.body) as { param: string }).param, param);
      }
    });
  });
}

describe('a full scenario table', () => {
  let server: TestServer;
  before(async () => { server = await startServer([]); });
  after(async () => { assert.equal(await server.stop(), 0); });

  test('answers 503 with a JSON reason instead of growing, and DELETE /__mock/scenarios makes room', async () => {
    const batch = 64;
    for (let i = 0; i < 4096; i += batch) {
      const rs = await Promise.all(Array.from({ length: batch }, (_, j) => fetch(`${server.url}/json/valid?status=200,200&key=k${i + j}`)));
      for (const r of rs) { assert.equal(r.status, 200); await r.arrayBuffer(); }
    }
    const full = await fetch(`${server.url}/json/valid?status=200,200&key=one-more`);
    assert.equal(full.status, 503);
    const body = await full.json() as { error: string; param: string };
    assert.equal(body.param, 'key');
    assert.match(body.error, /scenario table is full.*DELETE \/__mock\/scenarios/);
    assert.equal((await fetch(`${server.url}/json/valid?status=200,200&key=k5`)).status, 200, 'a scenario already in the table goes on');
    assert.equal((await fetch(`${server.url}/__mock/scenarios`, { method: 'DELETE' })).status, 200);
    assert.equal((await fetch(`${server.url}/json/valid?status=200,200&key=one-more`)).status, 200);
  });
});

describe('configured routes with sequences (a whole test suite against a file)', () => {
  let server: TestServer;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mock-scenario-'));
    writeFileSync(join(dir, 'c.json'), JSON.stringify({ routes: [
      { path: '/flaky', status: '503x2,200', body: { json: { ok: true } } },
      { path: '/breaks', fault: 'emptyx1,none', body: { text: 'fine' } },
      { path: '/cycles', status: 'cycle(200,500)' },
    ] }));
    // Request controls off: the route's sequences still run, scoped by the X-Mock-Key header.
    server = await startServer(['--config', join(dir, 'c.json'), '--workers', '2', '--no-request-controls']);
  });
  after(async () => { assert.equal(await server.stop(), 0); });

  test('each key walks the route\'s sequence from its start; the route\'s body answers once the sequence says 200', async () => {
    for (const k of ['a', 'b']) {
      const seen: Answer[] = [];
      for (let i = 0; i < 4; i++) seen.push(await ask(server.port, '/flaky', { 'X-Mock-Key': `flaky-${k}` }));
      assert.deepEqual(seen.map((r) => r.status), [503, 503, 200, 200], k);
      assert.deepEqual(JSON.parse(seen[3].body), { ok: true });
    }
    const cycled: number[] = [];
    for (let i = 0; i < 4; i++) cycled.push((await ask(server.port, '/cycles', { 'X-Mock-Key': 'cycles' })).status);
    assert.deepEqual(cycled, [200, 500, 200, 500]);
  });

  test('a fault sequence breaks the first request only', async () => {
    await assert.rejects(ask(server.port, '/breaks', { 'X-Mock-Key': 'breaks' }), /socket hang up|ECONNRESET/);
    const next = await ask(server.port, '/breaks', { 'X-Mock-Key': 'breaks' });
    assert.deepEqual([next.status, next.body], [200, 'fine']);
  });

  test('a bad sequence in the file is a startup error that names the route field', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ routes: [{ path: '/x', status: '503x0,200' }] }));
    const run = await runCli(['--config', bad, '--port', '0']);
    assert.equal(run.code, 1);
    assert.match(run.stderr + run.stdout, /\/routes\/0\/status/);
  });
});

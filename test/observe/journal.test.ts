// The request journal: what a gateway forwarded, merged over every worker in arrival order, redacted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { runCli, waitForPending, withServer } from '../helpers/server.js';

interface Entry {
  time: number; worker: number; seq: number; method: string; url: string;
  headers: Record<string, string>; body: string; bodyEncoding: string; bodyBytes: number; truncated: boolean;
  status: number | null;
}

async function journal(url: string): Promise<{ requests: Entry[]; count: number; workers: number }> {
  const r = await fetch(`${url}/__mock/requests`);
  assert.equal(r.status, 200);
  return await r.json() as { requests: Entry[]; count: number; workers: number };
}

test('the journal is off by default: /__mock/requests says how to turn it on', async () => {
  await withServer({}, async (server) => {
    const r = await fetch(`${server.url}/__mock/requests`);
    assert.equal(r.status, 404);
    assert.match((await r.json() as { error: string }).error, /--journal N/);
  });
});

test('records method, url, headers and body of every data request; redacts credentials by default', async () => {
  await withServer({ args: ['--journal', '100'] }, async (server) => {
    await fetch(`${server.url}/json/valid?a=1&b=two`, { headers: { 'x-trace': 't-1', authorization: 'Bearer secret', cookie: 'sid=secret' } });
    // A route that answers at once: its body still arrives in the journal.
    await fetch(`${server.url}/json/valid`, { method: 'POST', body: '{"hello":"world"}', headers: { 'content-type': 'application/json' } });
    // A route that collects the body itself (/echo) hands it to the journal.
    await fetch(`${server.url}/echo`, { method: 'PUT', body: 'echoed body' });
    await fetch(`${server.url}/no/such/path`);
    await fetch(`${server.url}/__mock/stats`);
    const { requests, count } = await journal(server.url);
    assert.equal(count, 4, 'admin calls are not journaled');
    const [get, post, put, missing] = requests;
    assert.equal(get.method, 'GET');
    assert.equal(get.url, '/json/valid?a=1&b=two');
    assert.equal(get.headers['x-trace'], 't-1');
    assert.equal(get.headers.authorization, '[redacted]');
    assert.equal(get.headers.cookie, '[redacted]');
    assert.equal(get.body, '');
    assert.equal(post.method, 'POST');
    assert.equal(post.body, '{"hello":"world"}');
    assert.equal(post.bodyBytes, 17);
    assert.equal(post.headers['content-type'], 'application/json');
    assert.equal(put.method, 'PUT');
    assert.equal(put.url, '/echo');
    assert.equal(put.body, 'echoed body');
    assert.equal(missing.url, '/no/such/path', 'requests to unknown paths are journaled too');
    assert.ok(requests.every((e, i) => i === 0 || e.time >= requests[i - 1].time));
    assert.ok(Math.abs(get.time - Date.now()) < 60_000, 'time is epoch milliseconds');
    // Filters: method (any case), path prefix, the last N.
    const pick = async (q: string): Promise<string[]> => (await (await fetch(`${server.url}/__mock/requests?${q}`)).json() as { requests: Entry[] }).requests.map((e) => `${e.method} ${e.url}`);
    assert.deepEqual(await pick('method=post'), ['POST /json/valid']);
    assert.deepEqual(await pick('path=/json/'), ['GET /json/valid?a=1&b=two', 'POST /json/valid']);
    assert.deepEqual(await pick('method=GET&limit=1'), ['GET /no/such/path']);
    const bad = await fetch(`${server.url}/__mock/requests?limit=many`);
    assert.equal(bad.status, 400);
    assert.equal((await bad.json() as { param: string }).param, 'limit');
  });
});

test('each entry carries the status answered: at once, after a delay, after the body, under controls; null when the client left first', async () => {
  await withServer({ args: ['--journal', '100'] }, async (server) => {
    const cases: [string, RequestInit, number][] = [
      ['/status/503', {}, 503],
      ['/json?status=418', {}, 418],
      ['/delay/30ms', {}, 200],
      ['/json?delay=20ms&status=502', {}, 502],
      ['/echo', { method: 'POST', body: 'x' }, 200],
      ['/drip?numbytes=2&duration=20ms&code=201', {}, 201],
      ['/size/nonsense', {}, 400],
      ['/no/such/path', {}, 404],
    ];
    for (const [path, init, status] of cases) {
      const r = await fetch(`${server.url}${path}`, init);
      assert.equal(r.status, status, path);
      await r.arrayBuffer();
    }
    // A client that leaves mid-delay: no status was ever written.
    const sock = connect(server.port, '127.0.0.1');
    sock.write('GET /delay/5s HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitForPending(server.url, 1);
    sock.destroy();
    // The abort frees the pending slot; poll until it has.
    for (let pending = 1; pending > 0;) {
      pending = (await (await fetch(`${server.url}/__mock/stats`)).json() as { totals: { pending: number } }).totals.pending;
    }
    const { requests } = await journal(server.url);
    assert.deepEqual(requests.map((e) => [e.url, e.status]), [...cases.map(([path, , status]) => [path, status]), ['/delay/5s', null]]);
    // Filter by a code or a class; a bad filter is a 400.
    const urls = async (q: string): Promise<string[]> => (await (await fetch(`${server.url}/__mock/requests?${q}`)).json() as { requests: Entry[] }).requests.map((e) => e.url);
    assert.deepEqual(await urls('status=5xx'), ['/status/503', '/json?delay=20ms&status=502']);
    assert.deepEqual(await urls('status=418'), ['/json?status=418']);
    assert.deepEqual(await urls('status=4XX&limit=1'), ['/no/such/path']);
    const bad = await fetch(`${server.url}/__mock/requests?status=teapot`);
    assert.equal(bad.status, 400);
    assert.equal((await bad.json() as { param: string }).param, 'status');
  });
});

test('--journal-body cuts stored bodies but counts every byte; --journal-redact picks the headers', async () => {
  await withServer({ args: ['--journal', '10', '--journal-body', '8', '--journal-redact', 'x-secret'] }, async (server) => {
    await fetch(`${server.url}/anything`, { method: 'POST', body: 'abcdefghijklmnop', headers: { authorization: 'Basic kept', 'x-secret': 'hidden' } });
    await fetch(`${server.url}/json/valid`, { method: 'POST', body: '0123456789' });
    const [collected, drained] = (await journal(server.url)).requests;
    for (const e of [collected, drained]) assert.equal(e.truncated, true);
    assert.equal(collected.body, 'abcdefgh');
    assert.equal(collected.bodyBytes, 16);
    assert.equal(drained.body, '01234567');
    assert.equal(drained.bodyBytes, 10);
    assert.equal(collected.headers.authorization, 'Basic kept');
    assert.equal(collected.headers['x-secret'], '[redacted]');
    // Not UTF-8: base64, every kept byte intact. Cut inside a UTF-8 character: text, the partial one dropped.
    await fetch(`${server.url}/json/valid`, { method: 'POST', body: new Uint8Array([0xff, 0x00, 0x80, 0x01]) });
    await fetch(`${server.url}/json/valid`, { method: 'POST', body: 'aéééé' });
    const [binary, cut] = (await journal(server.url)).requests.slice(2);
    assert.equal(binary.bodyEncoding, 'base64');
    assert.deepEqual([...Buffer.from(binary.body, 'base64')], [0xff, 0x00, 0x80, 0x01]);
    assert.equal(cut.bodyEncoding, 'utf8');
    assert.equal(cut.body, 'aééé');
    assert.equal(collected.bodyEncoding, 'utf8');
  });
  await withServer({ args: ['--journal', '10', '--journal-redact', 'none'] }, async (none) => {
    await fetch(`${none.url}/json`, { headers: { cookie: 'visible=1' } });
    assert.equal((await journal(none.url)).requests[0].headers.cookie, 'visible=1');
  });
});

test('each worker keeps its last N; 2 workers merge in time order; DELETE clears', async () => {
  await withServer({ args: ['--journal', '3', '--workers', '2'] }, async (server) => {
    for (let i = 0; i < 40; i++) await fetch(`${server.url}/json?i=${i}`, { headers: { connection: 'close' } });
    const { requests, workers } = await journal(server.url);
    assert.equal(workers, 2);
    assert.equal(requests.length, 6, 'three per worker');
    assert.deepEqual(new Set(requests.map((e) => e.worker)), new Set([0, 1]));
    for (const w of [0, 1]) {
      const mine = requests.filter((e) => e.worker === w).map((e) => e.seq);
      assert.deepEqual(mine, [...mine].sort((a, b) => a - b), `worker ${w}'s entries are in arrival order`);
    }
    assert.ok(requests.every((e, i) => i === 0 || e.time >= requests[i - 1].time), 'merged in time order');
    // The last request is always kept by the worker that served it.
    assert.ok(requests.some((e) => e.url === '/json?i=39'));
    const cleared = await fetch(`${server.url}/__mock/requests`, { method: 'DELETE' });
    assert.equal(cleared.status, 200);
    assert.equal((await journal(server.url)).count, 0);
    assert.equal((await fetch(`${server.url}/__mock/requests`, { method: 'POST' })).status, 405);
  });
});

test('bad journal flags are usage errors', async () => {
  for (const args of [['--journal', '-1'], ['--journal', 'lots'], ['--journal-body', 'big'], ['--journal-redact', 'bad header']]) {
    const r = await runCli(['--port', '0', ...args]);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, new RegExp(args[0]));
  }
});

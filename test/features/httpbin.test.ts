// httpbin-style helpers and client aborts mid-delay, mid-drip and mid-download.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startServer, type TestServer } from '../helpers/server.js';

describe('httpbin helpers', () => {
  let server: TestServer;
  before(async () => { server = await startServer(['--max-size', '64MiB']); });
  after(async () => { assert.equal(await server.stop(), 0); });

  test('/status/{code} answers that status with an empty body', async () => {
    for (const code of [201, 404, 418, 503]) {
      const r = await fetch(`${server.url}/status/${code}`);
      assert.equal(r.status, code);
      assert.equal(await r.text(), '');
    }
  });

  test('/status/{weighted} picks codes by weight, the rest 200', async () => {
    const n = 300;
    const got = await Promise.all(Array.from({ length: n }, () => fetch(`${server.url}/status/503:60,404:20`).then((r) => r.status)));
    const share = (c: number): number => got.filter((s) => s === c).length / n;
    for (const [c, p] of [[503, 0.6], [404, 0.2], [200, 0.2]] as const) {
      assert.ok(Math.abs(share(c) - p) <= 5 * Math.sqrt((p * (1 - p)) / n), `${c}: ${share(c)}`);
    }
    assert.equal((await fetch(`${server.url}/status/999`)).status, 400);
  });

  test('/bytes/{size} answers exactly size bytes as octet-stream', async () => {
    for (const [text, n] of [['0', 0], ['100', 100], ['2MiB', 2 * 1048576]] as const) {
      const r = await fetch(`${server.url}/bytes/${text}`);
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('content-type'), 'application/octet-stream');
      assert.equal((await r.arrayBuffer()).byteLength, n);
    }
  });

  test('/stream-bytes/{size} is chunked and totals size bytes', async () => {
    const r = await fetch(`${server.url}/stream-bytes/25000?chunk_size=1000`);
    assert.equal(r.headers.get('transfer-encoding'), 'chunked');
    assert.equal(r.headers.get('content-length'), null);
    assert.equal((await r.arrayBuffer()).byteLength, 25000);
    const big = await fetch(`${server.url}/stream-bytes/3MiB`);
    assert.equal((await big.arrayBuffer()).byteLength, 3 * 1048576);
  });

  test('/drip trickles numbytes bytes over the duration, after the delay, with the code', async () => {
    const t0 = performance.now();
    const r = await fetch(`${server.url}/drip?numbytes=5&duration=400ms&delay=100ms&code=418`);
    const headersAt = performance.now() - t0;
    assert.equal(r.status, 418);
    assert.equal(r.headers.get('content-length'), '5');
    assert.ok(headersAt >= 99, `headers after ${headersAt} ms, before the delay`);
    const arrivals: number[] = [];
    let total = 0;
    for await (const chunk of r.body as unknown as AsyncIterable<Uint8Array>) {
      total += chunk.length;
      for (let i = 0; i < chunk.length; i++) arrivals.push(performance.now() - t0);
    }
    assert.equal(total, 5);
    // First byte at ~delay, last at ~delay + duration: the bytes really are spread out.
    assert.ok(arrivals[4] - arrivals[0] >= 350, `bytes arrived within ${arrivals[4] - arrivals[0]} ms`);
    assert.ok(arrivals[4] >= 490, `last byte at ${arrivals[4]} ms`);
  });

  test('/anything echoes args, data, json, headers and method', async () => {
    const r = await fetch(`${server.url}/anything/sub?x=1`, { method: 'PATCH', headers: { 'content-type': 'application/json', 'x-trace': 't1' }, body: '{"k":[1,2]}' });
    const e = await r.json() as Record<string, unknown>;
    assert.equal(e.method, 'PATCH');
    assert.deepEqual(e.args, { x: '1' });
    assert.equal(e.data, '{"k":[1,2]}');
    assert.deepEqual(e.json, { k: [1, 2] });
    assert.equal((e.headers as Record<string, string>)['X-Trace'], 't1');
    assert.equal(e.origin, '127.0.0.1');
    assert.match(e.url as string, /\/anything\/sub\?x=1$/);
  });

  test('/headers lists request headers', async () => {
    const e = await (await fetch(`${server.url}/headers`, { headers: { 'x-one': '1' } })).json() as { headers: Record<string, string> };
    assert.equal(e.headers['X-One'], '1');
  });

  test('/redirect/{n} chains n 302s to /anything', async () => {
    const r = await fetch(`${server.url}/redirect/3`, { redirect: 'manual' });
    assert.equal(r.status, 302);
    assert.equal(r.headers.get('location'), '/redirect/2');
    const last = await fetch(`${server.url}/redirect/1`, { redirect: 'manual' });
    assert.equal(last.headers.get('location'), '/anything');
    const followed = await fetch(`${server.url}/redirect/4`);
    assert.equal(followed.status, 200);
    assert.match(followed.url, /\/anything$/);
  });

  const bad: [string, string][] = [
    ['/bytes/lots', 'size'], ['/bytes/65MiB', 'size'], ['/stream-bytes/1KB?chunk_size=0', 'chunk_size'],
    ['/drip?numbytes=-1', 'numbytes'], ['/drip?duration=soon', 'duration'], ['/drip?code=99', 'code'],
    ['/drip?delay=1y', 'delay'], ['/redirect/0', 'n'], ['/redirect/101', 'n'],
  ];
  test('a chunk_size over its own 1 MiB limit says which limit (not --max-size, which does not apply)', async () => {
    const r = await fetch(`${server.url}/stream-bytes/1KB?chunk_size=2MB`);
    assert.equal(r.status, 400);
    assert.deepEqual(await r.json(), { error: 'size 2MB for chunk_size exceeds the maximum 1MiB (a fixed limit of /stream-bytes)', param: 'chunk_size' });
  });

  test('/drip?code=100 is a 400: a 1xx is an interim response, never the final one', async () => {
    const r = await fetch(`${server.url}/drip?code=100&numbytes=1&duration=0`);
    assert.equal(r.status, 400);
    assert.equal((await r.json() as { param: string }).param, 'code');
  });

  for (const [path, param] of bad) {
    test(`${path} answers 400 naming ${param}`, async () => {
      const r = await fetch(`${server.url}${path}`);
      assert.equal(r.status, 400);
      assert.equal((await r.json() as { param: string }).param, param);
    });
  }
});

/** Open a raw connection, send a request, read `readBytes` bytes (0 = none), then destroy it. */
function abortAfter(port: number, path: string, readBytes: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(`GET ${path} HTTP/1.1\r\nHost: a\r\n\r\n`));
    let got = 0;
    s.on('data', (d) => { got += d.length; if (got >= readBytes) { s.destroy(); resolve(); } });
    s.on('error', reject);
    if (readBytes === 0) s.once('ready', () => setImmediate(() => { s.destroy(); resolve(); }));
  });
}

describe('client aborts', () => {
  test('clients vanishing mid-delay, mid-drip and mid-download leave nothing pending', async () => {
    // A long grace: if any aborted response stayed pending, shutdown would wait for it.
    const server = await startServer(['--grace', '60s', '--workers', '2']);
    // Mid-delay: the server must have registered the request before the abort; a follow-up request
    // on another connection proves the worker is alive either way.
    await Promise.all(Array.from({ length: 20 }, () => abortAfter(server.port, '/delay/30s', 0)));
    await Promise.all(Array.from({ length: 10 }, () => abortAfter(server.port, '/drip?numbytes=100&duration=30s', 60)));
    await Promise.all(Array.from({ length: 10 }, () => abortAfter(server.port, '/size/200MB', 256 * 1024)));
    await Promise.all(Array.from({ length: 5 }, () => abortAfter(server.port, '/stream-bytes/200MB', 256 * 1024)));
    for (let i = 0; i < 10; i++) assert.equal((await fetch(`${server.url}/json`, { headers: { connection: 'close' } })).status, 200);
    const t0 = performance.now();
    server.proc.kill('SIGTERM');
    assert.equal(await server.exited, 0);
    assert.ok(performance.now() - t0 < 10_000, 'shutdown waited: an aborted response was still pending');
  });
});

// The payload folder: listing, names with and without extension, ETag/304, gzip and br variants.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { chooseEncoding } from '../../src/features/payloads.js';
import { startServer, type TestServer } from '../helpers/server.js';

const dir = fileURLToPath(new URL('../../../payloads/', import.meta.url));

/** GET with exact request headers (fetch would decode bodies itself). */
function get(url: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    request(url, { headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }));
    }).on('error', reject).end();
  });
}

describe('payload folder', () => {
  let server: TestServer;
  before(async () => { server = await startServer(['--workers', '2']); });
  after(async () => { assert.equal(await server.stop(), 0); });

  test('GET /payloads/ lists every shipped payload with sizes and routes', async () => {
    const list = await (await fetch(`${server.url}/payloads/`)).json() as { payloads: { name: string; file: string; bytes: number; route: string; gzipBytes: number }[] };
    const names = list.payloads.map((p) => p.name);
    for (const n of ['users-1kb', 'orders-10kb', 'catalog-100kb', 'catalog-1mb']) assert.ok(names.includes(n), n);
    for (const p of list.payloads) {
      assert.equal(p.route, `/payloads/${p.name}`);
      assert.equal(p.bytes, readFileSync(`${dir}${p.file}`).length);
      assert.ok(p.gzipBytes < p.bytes);
    }
    assert.ok(!names.includes('README'), 'the folder README is not a payload');
  });

  for (const file of ['users-1kb.json', 'catalog-1mb.json']) {
    test(`${file}: identity, gzip and br decode to the file's bytes; with and without extension`, async () => {
      const original = readFileSync(`${dir}${file}`);
      const plain = await get(`${server.url}/payloads/${file.replace('.json', '')}`, {});
      assert.equal(plain.status, 200);
      assert.equal(plain.headers['content-type'], 'application/json');
      assert.equal(plain.headers.vary, 'Accept-Encoding');
      assert.deepEqual(plain.body, original);
      const withExt = await get(`${server.url}/payloads/${file}`, {});
      assert.deepEqual(withExt.body, original);
      const gz = await get(`${server.url}/payloads/${file}`, { 'accept-encoding': 'gzip' });
      assert.equal(gz.headers['content-encoding'], 'gzip');
      assert.deepEqual(gunzipSync(gz.body), original);
      const br = await get(`${server.url}/payloads/${file}`, { 'accept-encoding': 'gzip, deflate, br' });
      assert.equal(br.headers['content-encoding'], 'br');
      assert.deepEqual(brotliDecompressSync(br.body), original);
      assert.notEqual(gz.headers.etag, br.headers.etag, 'each encoding has its own strong ETag');
    });
  }

  test('If-None-Match with the ETag answers 304 with no body; another tag answers 200', async () => {
    const first = await get(`${server.url}/payloads/orders-10kb`, { 'accept-encoding': 'gzip' });
    const etag = String(first.headers.etag);
    assert.match(etag, /^"[A-Za-z0-9_-]+-gz"$/);
    const again = await get(`${server.url}/payloads/orders-10kb`, { 'accept-encoding': 'gzip', 'if-none-match': etag });
    assert.equal(again.status, 304);
    assert.equal(again.body.length, 0);
    assert.equal(again.headers.etag, etag);
    const other = await get(`${server.url}/payloads/orders-10kb`, { 'accept-encoding': 'gzip', 'if-none-match': '"stale"' });
    assert.equal(other.status, 200);
  });

  test('an unknown payload is a 404 naming it', async () => {
    const r = await fetch(`${server.url}/payloads/nope`);
    assert.equal(r.status, 404);
    assert.equal((await r.json() as { param: string }).param, 'name');
  });
});

test('Accept-Encoding negotiation', () => {
  const cases: [string, string][] = [['', 'identity'], ['gzip', 'gzip'], ['br', 'br'], ['gzip, br', 'br'], ['br;q=0, gzip', 'gzip'], ['*', 'br'], ['identity', 'identity'], ['gzip;q=0', 'identity'],
    // An explicit refusal beats the wildcard; the client's weights decide, br only on a tie.
    ['br;q=0, *', 'gzip'], ['*;q=0', 'identity'], ['gzip;q=1, br;q=0.1', 'gzip'], ['gzip;q=0.5, br;q=0.5', 'br'],
    ['gzip, deflate, br;q=0.9', 'gzip'], ['deflate', 'identity'], ['GZIP', 'gzip'], ['x-gzip', 'gzip'],
    ['br;q=oops, gzip;q=0.2', 'gzip'], ['gzip ; q=0.8 , *;q=0.1', 'gzip'], ['*;q=0.3, br;q=0.2', 'gzip']];
  for (const [accept, expected] of cases) assert.equal(chooseEncoding(accept), expected, accept);
});

// HEAD on every kind of route (issue 15, item 6): GET's status and headers, Content-Length of GET's body
// (or Transfer-Encoding for a chunked GET), and no body bytes, so a keep-alive client can read the next
// response. Each case sends HEAD then GET on ONE raw keep-alive socket and parses the stream strictly: a
// body byte after a HEAD head would be read as the next status line and fail the parse.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type TestServer } from '../helpers/server.js';
import { assertServes } from './util.js';

interface Parsed {
  status: number;
  headers: Map<string, string>;
  body: Buffer;
}

/** Reads complete responses off one socket; `next(head)` resolves with the next one (HEAD: no body). */
class Reader {
  private buf = Buffer.alloc(0);
  private wake: (() => void) | null = null;
  private closed = false;

  constructor(private readonly sock: Socket) {
    sock.on('data', (d: Buffer) => { this.buf = Buffer.concat([this.buf, d]); this.wake?.(); });
    sock.on('close', () => { this.closed = true; this.wake?.(); });
  }

  private async need(pred: () => boolean, what: string): Promise<void> {
    while (!pred()) {
      if (this.closed) throw new Error(`connection closed waiting for ${what}; have ${JSON.stringify(this.buf.toString('latin1').slice(0, 200))}`);
      await new Promise<void>((r) => { this.wake = r; });
      this.wake = null;
    }
  }

  async next(head: boolean): Promise<Parsed> {
    await this.need(() => this.buf.includes('\r\n\r\n'), 'a response head');
    const end = this.buf.indexOf('\r\n\r\n');
    const lines = this.buf.subarray(0, end).toString('latin1').split('\r\n');
    const m = /^HTTP\/1\.1 (\d{3}) /.exec(lines[0]);
    assert.ok(m, `not a status line: ${JSON.stringify(lines[0])}`);
    const headers = new Map<string, string>();
    for (const l of lines.slice(1)) {
      const c = l.indexOf(':');
      headers.set(l.slice(0, c).toLowerCase(), l.slice(c + 1).trim());
    }
    this.buf = this.buf.subarray(end + 4);
    const status = Number(m[1]);
    if (head || status === 204 || status === 304) return { status, headers, body: Buffer.alloc(0) };
    if (headers.get('transfer-encoding') === 'chunked') return { status, headers, body: await this.chunked() };
    const len = Number(headers.get('content-length') ?? '0');
    await this.need(() => this.buf.length >= len, `${len} body bytes`);
    const body = this.buf.subarray(0, len);
    this.buf = this.buf.subarray(len);
    return { status, headers, body };
  }

  private async chunked(): Promise<Buffer> {
    const parts: Buffer[] = [];
    for (;;) {
      await this.need(() => this.buf.includes('\r\n'), 'a chunk size');
      const eol = this.buf.indexOf('\r\n');
      const size = parseInt(this.buf.subarray(0, eol).toString('latin1'), 16);
      await this.need(() => this.buf.length >= eol + 2 + size + 2, 'a chunk');
      parts.push(this.buf.subarray(eol + 2, eol + 2 + size));
      this.buf = this.buf.subarray(eol + 2 + size + 2);
      if (size === 0) return Buffer.concat(parts);
    }
  }

  /** Bytes received beyond the responses parsed so far. */
  get leftover(): number {
    return this.buf.length;
  }
}

// Headers that differ between two answers to the same request whatever the method.
const Varying = new Set(['date', 'content-length', 'transfer-encoding', 'etag-ignored']);

describe('HEAD', () => {
  let server: TestServer;
  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mock-head-'));
    const config = join(dir, 'routes.json');
    writeFileSync(config, JSON.stringify({ routes: [
      { method: 'GET', path: '/api/items/:id', headers: { 'Cache-Control': 'no-store' }, body: { json: { id: 1, name: 'x' } } },
      { path: '/big', body: { size: '64KB' } },
      { path: '/gone', status: 204 },
    ] }));
    server = await startServer(['--config', config]);
  });
  after(async () => { assert.equal(await server.stop(), 0); });

  const paths = [
    '/json', '/json/valid', '/plaintext', '/api/items/7', '/big', '/gone',
    '/payloads/users-1kb', '/payloads/catalog-100kb', '/payloads/catalog-1mb', '/payloads/',
    '/json?status=503', '/json?size=100KB', '/json?status=204', '/json?header=X-A:1',
    '/size/1KB', '/size/1MB', '/bytes/20KB', '/status/418', '/redirect/2',
    '/no/such/route', '/size/nonsense', '/delay/10ms', '/json?delay=10ms',
    '/drip?numbytes=5&duration=1s', '/drip?numbytes=3&duration=0ms&delay=10ms', '/stream-bytes/50KB',
    '/__mock/health',
  ];

  test('every route: HEAD has GET\'s status and framing headers and no body; the next response parses', async () => {
    const sock = connect(server.port, '127.0.0.1');
    await new Promise<void>((r, j) => { sock.once('connect', () => r()); sock.once('error', j); });
    const reader = new Reader(sock);
    try {
      for (const path of paths) {
        sock.write(`HEAD ${path} HTTP/1.1\r\nHost: t\r\n\r\n`);
        const head = await reader.next(true);
        sock.write(`GET ${path} HTTP/1.1\r\nHost: t\r\n\r\n`);
        const get = await reader.next(false);
        assert.equal(head.status, get.status, `${path}: status`);
        if (get.headers.get('transfer-encoding') === 'chunked') {
          assert.equal(head.headers.get('transfer-encoding'), 'chunked', `${path}: chunked`);
        } else if (get.status !== 204 && get.status !== 304) {
          assert.equal(head.headers.get('content-length'), String(get.body.length), `${path}: Content-Length`);
        } else {
          assert.equal(head.headers.get('content-length'), undefined, `${path}: a ${get.status} has no Content-Length`);
        }
        for (const [k, v] of get.headers) if (!Varying.has(k)) assert.equal(head.headers.get(k), v, `${path}: header ${k}`);
        assert.equal(reader.leftover, 0, `${path}: bytes after the GET response (a HEAD body?)`);
      }
    } finally {
      sock.destroy();
    }
    await assertServes(server);
  });
});

// Clients that pipeline and never read (issue 15, item 7): what one connection can make the server queue
// is bounded (bodies over 1 KB are written with tryEnd backpressure, so a connection stalls behind its
// unread response instead of queueing every answer), while a pipelining client that reads still gets
// every response.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, statusLines, type TestServer } from '../helpers/server.js';
import { assertServes, openClients, pollUntil, rssBytes } from './util.js';
import { serverEngine } from '../helpers/engines.js';

const Request = 'GET /size/16KB HTTP/1.1\r\nHost: t\r\n\r\n';
const MB = 1024 * 1024;
// uWS stops reading behind an unread answer. node:http parses a whole read of pipelined requests first:
// the portable engine keeps at most 16 answers in the making and 512 requests waiting per connection
// (each waiting request is node's request and response objects, ~10 KB), and closes a connection past that.
const Bound = serverEngine() === 'native' ? 60 * MB : 120 * MB;

describe('unread pipelined responses', () => {
  let server: TestServer;
  before(async () => { server = await startServer(['--workers', '2']); });
  after(async () => { assert.equal(await server.stop(), 0); });

  test('a pipelining client that reads gets all 64 responses of /size/16KB', async () => {
    const [c] = await openClients(server.port, 1, Request.repeat(64));
    try {
      await pollUntil('64 responses', () => statusLines(c.data).length >= 64 || c.closed, 10_000, 20);
      assert.equal(c.closed, false, 'the server closed a reading client');
      assert.deepEqual(new Set(statusLines(c.data)), new Set(['HTTP/1.1 200 OK']));
      assert.equal(statusLines(c.data).length, 64);
    } finally {
      c.sock.destroy();
    }
  });

  test('20 clients pipelining 176 KB of GET /size/16KB without reading keep RSS bounded', async () => {
    const base = rssBytes(server.proc.pid as number);
    // Before the fix each such client queued ~80 MB (every 16 KB answer of ~4,900 requests).
    const clients = await openClients(server.port, 20, Request.repeat(Math.ceil((176 * 1024) / Request.length)), { pauseReading: true });
    try {
      let peak = 0;
      // The server has read what it will read once the requests it answers stop changing RSS; sample for 2 s.
      const until = performance.now() + 2000;
      await pollUntil('the sampling window', () => {
        peak = Math.max(peak, rssBytes(server.proc.pid as number));
        return performance.now() > until;
      }, 5000, 50);
      assert.ok(peak - base < Bound, `RSS grew by ${((peak - base) / MB).toFixed(1)} MB (bound ${Bound / MB} MB)`);
      await assertServes(server);
      const { data } = await (async () => {
        const [h] = await openClients(server.port, 1, 'GET /__mock/health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n');
        await h.ended;
        return h;
      })();
      assert.match(data, /^HTTP\/1\.1 200 /);
    } finally {
      for (const c of clients) c.sock.destroy();
    }
  });
});

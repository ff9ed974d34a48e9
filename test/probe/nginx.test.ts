// The probe through a real gateway: mock-upstream's /ws/stream and /sse behind nginx (test/helpers/nginx.ts).
// A faithful proxy passes every message in order with a small latency; nginx buffering an SSE response shows as
// hold-back (events held, then delivered together: bursts > 1).
//
// Where nginx holds SSE events: with `proxy_buffering on` and the upstream's body delimited by the connection
// close, which is what an upstream answers nginx's default `proxy_http_version 1.0`. (To an HTTP/1.1 chunked
// body nginx 1.22 passes each complete chunk at once, buffering or not.) uWS 20.30 does not answer HTTP/1.0
// (docs/engines.md), so the buffered case runs the portable engine behind nginx.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli, startServer, type TestServer } from '../helpers/server.js';
import { startNginx, type TestNginx } from '../helpers/nginx.js';
import type { ProbeReport } from '../../src/probe/report.js';

let native: TestServer;
let portable: TestServer;
let nginx: TestNginx;

before(async () => {
  native = await startServer();
  portable = await startServer(['--engine', 'portable']);
  const up = `http://127.0.0.1:${native.port}`;
  const upPortable = `http://127.0.0.1:${portable.port}`;
  nginx = await startNginx([
    // WebSocket: HTTP/1.1 and the upgrade headers passed on.
    'location /ws/ {',
    `  proxy_pass ${up};`,
    '  proxy_http_version 1.1;',
    '  proxy_set_header Upgrade $http_upgrade;',
    '  proxy_set_header Connection "upgrade";',
    '}',
    // SSE as it should be proxied: unbuffered.
    'location /sse {',
    `  proxy_pass ${up};`,
    '  proxy_http_version 1.1;',
    '  proxy_set_header Connection "";',
    '  proxy_buffering off;',
    '}',
    // SSE as it should not be: buffered (and an upstream's X-Accel-Buffering: no ignored), HTTP/1.0 upstream.
    'location /buffered/ {',
    `  proxy_pass ${upPortable}/;`,
    '  proxy_buffering on;',
    '  proxy_ignore_headers X-Accel-Buffering;',
    '}',
  ]);
});

after(async () => {
  await nginx?.stop();
  await native?.stop();
  await portable?.stop();
});

async function probe(path: string, scheme = 'http'): Promise<ProbeReport> {
  const r = await runCli(['probe', `${scheme}://127.0.0.1:${nginx.port}${path}`, '--json', '--timeout', '20s'], {}, 30_000);
  assert.equal(r.code, 0, `probe exit ${r.code}: ${r.stderr}\nnginx error.log:\n${nginx.errorLog()}`);
  return JSON.parse(r.stdout) as ProbeReport;
}

function assertFaithful(r: ProbeReport, count: number): void {
  const where = JSON.stringify(r);
  assert.equal(r.received, count, where);
  assert.equal(r.expected, count, where);
  assert.deepEqual([r.firstSeq, r.lastSeq, r.loss, r.reordered, r.duplicates, r.unstamped], [1, count, 0, 0, 0, 0], where);
  assert.ok(r.latencyMs !== null, where);
  // One host, one clock: not before it was sent (a little slack for the two processes' clock readings), and
  // well under a second on a path with no buffering.
  assert.ok(r.latencyMs.min > -5 && r.latencyMs.p99 < 500, where);
  assert.equal(r.close.outcome, 'clean', where);
}

describe('probe through nginx', () => {
  test('WebSocket: every message, in order, closed with 1000', async () => {
    const r = await probe('/ws/stream?interval=10ms&count=50&size=128', 'ws');
    assert.equal(r.kind, 'ws');
    assertFaithful(r, 50);
    assert.equal(r.bytes, 50 * 128);
    assert.equal(r.close.code, 1000);
  });

  test('SSE with proxy_buffering off: every event, in order, nothing held back', async () => {
    const r = await probe('/sse?interval=50ms&count=20&size=64');
    assert.equal(r.kind, 'sse');
    assertFaithful(r, 20);
    assert.ok(r.holdBackMs !== null && r.holdBackMs.max < 500, JSON.stringify(r.holdBackMs));
  });

  test('SSE with proxy_buffering on: the events are held back and arrive in a burst', async () => {
    const r = await probe('/buffered/sse?interval=50ms&count=20&size=64');
    const where = JSON.stringify(r);
    assert.equal(r.received, 20, where);
    assert.equal(r.loss, 0, where);
    assert.ok(r.holdBackMs !== null, where);
    // 20 events over about a second, held until the response ended: the first waited most of that second.
    assert.ok(r.holdBackMs.p99 >= 500 && r.holdBackMs.max >= 500, where);
    assert.ok(r.holdBackMs.bursts > 1, where);
  });
});

// /__mock/metrics, /__mock/stats, the saturation guard and the access log, on real servers.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { startServer } from '../helpers/server.js';
import { waitForStats } from '../hardening/util.js';

// One sample line of the Prometheus text exposition format (0.0.4).
const SampleLine = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"(,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*)?\})? (-?[0-9.e+-]+|NaN|[+-]Inf)$/;

interface Sample { name: string; labels: Record<string, string>; value: number }

/** Parse exposition text strictly: every line is a comment, blank, or a valid sample. */
function parseExposition(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    const m = SampleLine.exec(line);
    assert.ok(m, `not Prometheus exposition: ${JSON.stringify(line)}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[k] = v;
    out.push({ name: m[1], labels, value: Number(m[5]) });
  }
  return out;
}

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((a, s) => a + s.value, 0);
}

describe('metrics and stats', () => {
  test('counters match a known number of requests across 2 workers', async () => {
    const server = await startServer(['--workers', '2']);
    try {
      const close = { headers: { connection: 'close' } };
      for (let i = 0; i < 40; i++) assert.equal((await fetch(`${server.url}/json/valid`, close)).status, 200);
      for (let i = 0; i < 7; i++) assert.equal((await fetch(`${server.url}/nope`, close)).status, 404);
      for (let i = 0; i < 3; i++) assert.equal((await fetch(`${server.url}/json?status=503`, close)).status, 503);
      for (let i = 0; i < 2; i++) assert.equal((await fetch(`${server.url}/delay/5ms`, close)).status, 200);
      const r = await fetch(`${server.url}/__mock/metrics`);
      assert.equal(r.status, 200);
      assert.match(r.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      const text = await r.text();
      const samples = parseExposition(text);
      for (const name of ['mock_upstream_requests_total', 'mock_upstream_sent_bytes_total', 'mock_upstream_worker_restarts_total']) {
        assert.match(text, new RegExp(`^# TYPE ${name} counter$`, 'm'), `${name} is a counter`);
      }
      assert.equal(value(samples, 'mock_upstream_requests_total', { route: '/json/valid', status: '2xx' }), 40);
      assert.equal(value(samples, 'mock_upstream_requests_total', { route: '/*', status: '4xx' }), 7);
      assert.equal(value(samples, 'mock_upstream_requests_total', { route: '/json', status: '5xx' }), 3);
      assert.equal(value(samples, 'mock_upstream_requests_total', { route: '/delay/:duration', status: '2xx' }), 2);
      assert.ok(value(samples, 'mock_upstream_sent_bytes_total') >= 40 * 66 + 3 * 27);
      for (const w of ['0', '1']) {
        for (const m of ['mock_upstream_event_loop_utilization', 'mock_upstream_pending_responses', 'mock_upstream_in_flight_responses',
          'mock_upstream_saturated', 'mock_upstream_worker_restarts_total']) {
          assert.ok(samples.some((s) => s.name === m && s.labels.worker === w), `${m} for worker ${w}`);
        }
      }
      for (const w of ['0', '1']) assert.ok(value(samples, 'mock_upstream_heap_used_bytes', { worker: w }) > 1024 * 1024, `heap of worker ${w}`);
      assert.ok(value(samples, 'mock_upstream_resident_memory_bytes') > 10 * 1024 * 1024);
      assert.equal(value(samples, 'mock_upstream_build_info'), 1);
      assert.ok(value(samples, 'mock_upstream_uptime_seconds') > 0);
      // Both workers answered some of the 52 fresh connections, and the totals add up.
      const stats = await (await fetch(`${server.url}/__mock/stats`)).json() as {
        workers: { id: number; rps: number; inFlight: number; pending: number; elu: number; saturated: boolean; requests: number }[];
        totals: { requests: number; pending: number };
      };
      assert.deepEqual(stats.workers.map((w) => w.id), [0, 1]);
      for (const w of stats.workers) {
        assert.equal(typeof w.elu, 'number');
        assert.equal(w.saturated, false);
        assert.equal(w.pending, 0);
      }
      for (const w of stats.workers) assert.ok(w.requests > 0, `worker ${w.id} answered none of the 52 fresh connections`);
      assert.equal(stats.totals.requests, stats.workers[0].requests + stats.workers[1].requests);
      assert.ok(stats.totals.requests >= 53);
    } finally {
      assert.equal(await server.stop(), 0);
    }
  });

  test('stats show pending delayed responses, and they return to 0', async () => {
    const server = await startServer([]);
    try {
      const pending = Array.from({ length: 25 }, () => fetch(`${server.url}/delay/1500ms`));
      // Gauges are sampled once a second; 5 s is a deadline, not an expectation.
      await waitForStats(server.port, '25 pending responses', (t) => t.pending === 25, 5_000);
      await Promise.all(pending);
      await waitForStats(server.port, 'no pending responses', (t) => t.pending === 0, 5_000);
    } finally {
      await server.stop();
    }
  });
});

/** Keep the server busy with pipelined requests until stopped. */
function load(port: number, sockets: number): { stop(): void } {
  const batch = Buffer.from('GET /size/4KB HTTP/1.1\r\nHost: a\r\n\r\n'.repeat(64));
  const open: Socket[] = [];
  let running = true;
  for (let i = 0; i < sockets; i++) {
    const s = connect(port, '127.0.0.1');
    open.push(s);
    const pump = (): void => { while (running && s.write(batch)) { /* until the kernel pushes back */ } };
    s.on('connect', pump);
    s.on('drain', pump);
    s.on('data', () => {});
    s.on('error', () => {});
  }
  return { stop() { running = false; for (const s of open) s.destroy(); } };
}

describe('saturation guard', () => {
  test('a saturated worker logs exactly one warning, then one recovery line (default 85 % for 3 s)', async () => {
    // The defaults: the test's own pipelined client keeps one worker's event loop busy well over 85 %.
    const server = await startServer([]);
    try {
      const l = load(server.port, 4);
      const warn = await server.waitForLine((x) => x.event === 'saturated', 30_000);
      assert.equal(warn.level, 'warn');
      assert.match(String(warn.msg), /upstream saturated: worker 0 event loop \d+% busy for 3s; results measure the upstream, not the gateway — add workers/);
      assert.ok(Number(warn.elu) > 0.85, `warned at ${String(warn.elu)}`);
      const stats = await (await fetch(`${server.url}/__mock/stats`)).json() as { workers: { saturated: boolean }[] };
      assert.equal(stats.workers[0].saturated, true, 'stats show the saturation');
      // Keep the load on a little longer: a still-saturated worker must not warn again.
      await new Promise((r) => setTimeout(r, 2500));
      l.stop();
      await server.waitForLine((x) => x.event === 'recovered', 30_000);
      // One more sampling period: nothing else is logged for this episode.
      await new Promise((r) => setTimeout(r, 1500));
      const count = (event: string): number => server.lines.filter((line) => line.includes(`"event":"${event}"`)).length;
      assert.equal(count('saturated'), 1);
      assert.equal(count('recovered'), 1);
    } finally {
      await server.stop();
    }
  });
});

describe('access log', () => {
  async function accessLines(args: string[]): Promise<number> {
    const server = await startServer(args);
    for (let i = 0; i < 50; i++) await (await fetch(`${server.url}/json`)).text();
    await server.stop();
    return server.lines.filter((l) => l.includes('"event":"access"')).length;
  }

  test('off by default', async () => {
    assert.equal(await accessLines([]), 0);
  });

  test('--access-log logs every request with method, url, route and status', async () => {
    const server = await startServer(['--access-log']);
    await (await fetch(`${server.url}/json?status=201`)).text();
    const line = await server.waitForLine((l) => l.event === 'access');
    await server.stop();
    assert.equal(line.method, 'GET');
    assert.equal(line.url, '/json?status=201');
    assert.equal(line.route, '/json');
    assert.equal(line.status, 201);
  });

  test('--access-log-sample 0.2 logs about a fifth', async () => {
    const n = await accessLines(['--access-log', '--access-log-sample', '0.2', '--seed', '7']);
    // Binomial(50, 0.2): mean 10, sd 2.8.
    assert.ok(n >= 1 && n <= 25, `${n} of 50 logged`);
  });
});

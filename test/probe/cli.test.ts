// The probe CLI end to end against a fake stream that misbehaves on request (test/probe/fake-stream.ts): the
// JSON report counts the faults the fake made, connection failures and bad arguments exit 1 with one line,
// and a threshold exceeded exits 2. The real server behind nginx is in nginx.test.ts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { runCli } from '../helpers/server.js';
import type { ProbeReport } from '../../src/probe/report.js';
import { startFakeStream, type FakeStream } from './fake-stream.js';

let fake: FakeStream;
before(async () => { fake = await startFakeStream(); });
after(async () => { await fake.close(); });

async function probe(args: string[]): Promise<{ code: number | null; report: ProbeReport; stderr: string }> {
  const r = await runCli(['probe', ...args, '--json']);
  assert.notEqual(r.stdout, '', `no report; exit ${r.code}, stderr: ${r.stderr}`);
  return { code: r.code, report: JSON.parse(r.stdout) as ProbeReport, stderr: r.stderr };
}

/** A port nothing listens on: bound, then closed. */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

describe('probe accounting against a misbehaving stream', () => {
  const cases: { name: string; path: string; count: number; want: Partial<ProbeReport>; outcome: string }[] = [
    { name: 'sse, all in order', path: '/sse?seqs=1,2,3,4,5', count: 5,
      want: { received: 5, loss: 0, reordered: 0, duplicates: 0, firstSeq: 1, lastSeq: 5, heartbeats: 1 }, outcome: 'clean' },
    { name: 'sse, a gap, a swap, a repeat, the tail missing', path: '/sse?seqs=1,2,4,3,3,6', count: 8,
      want: { received: 6, loss: 3, reordered: 1, duplicates: 1, firstSeq: 1, lastSeq: 6 }, outcome: 'clean' },
    { name: 'sse, ended mid-event', path: '/sse?seqs=1,2&end=mid', count: 2, want: { received: 2, loss: 0 }, outcome: 'cut' },
    { name: 'sse, connection cut', path: '/sse?seqs=1,2&end=cut', count: 3, want: { received: 2, loss: 1 }, outcome: 'cut' },
    { name: 'ws, all in order', path: '/ws?seqs=1,2,3', count: 3,
      want: { received: 3, loss: 0, reordered: 0, duplicates: 0, heartbeats: null, holdBackMs: null }, outcome: 'clean' },
    { name: 'ws, reordered and repeated', path: '/ws?seqs=2,1,3,3,5', count: 5, want: { received: 5, loss: 1, reordered: 1, duplicates: 1 }, outcome: 'clean' },
    { name: 'ws, no close frame', path: '/ws?seqs=1&close=cut', count: 1, want: { received: 1, loss: 0 }, outcome: 'cut' },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const scheme = c.path.startsWith('/ws') ? 'ws' : 'http';
      const { code, report } = await probe([`${scheme}://127.0.0.1:${fake.port}${c.path}`, '--count', String(c.count), '--timeout', '5s']);
      assert.equal(code, 0);
      for (const [k, v] of Object.entries(c.want)) assert.deepEqual(report[k as keyof ProbeReport], v, `${k} in ${JSON.stringify(report)}`);
      assert.equal(report.close.outcome, c.outcome, JSON.stringify(report.close));
      assert.equal(report.expected, c.count);
      assert.ok(report.latencyMs !== null && report.latencyMs.min >= 0 && report.latencyMs.max < 5_000, JSON.stringify(report.latencyMs));
    });
  }

  test('ws: the close code and reason are reported', async () => {
    const { report } = await probe([`ws://127.0.0.1:${fake.port}/ws?seqs=1&close=4001&reason=bye`]);
    assert.deepEqual(report.close, { outcome: 'clean', code: 4001, reason: 'bye' });
  });

  test('sse: a backdated stamp is the hold-back; everything in one read is one burst', async () => {
    const { report } = await probe([`http://127.0.0.1:${fake.port}/sse?seqs=1,2,3,4&back=700`]);
    assert.ok(report.holdBackMs !== null && report.holdBackMs.p99 >= 700 && report.holdBackMs.p99 === report.latencyMs?.p99, JSON.stringify(report));
    assert.ok(report.holdBackMs.bursts >= 1 && report.holdBackMs.bursts <= 4);
  });

  test('sse: a stream that never ends stops at --timeout, reported as timeout (exit 0)', async () => {
    const { code, report } = await probe([`http://127.0.0.1:${fake.port}/sse?seqs=1,2&end=hang`, '--timeout', '300ms']);
    assert.equal(code, 0);
    assert.equal(report.close.outcome, 'timeout');
    assert.equal(report.received, 2);
    // The stream's clock starts a moment after the --timeout timer (on a busy machine, tens of ms: 279.8 measured).
    assert.ok(report.durationMs >= 200 && report.durationMs < 5_000, String(report.durationMs));
  });

  test('the text report names every figure', async () => {
    const r = await runCli(['probe', `http://127.0.0.1:${fake.port}/sse?seqs=1,2,4`, '--count', '4']);
    assert.equal(r.code, 0, r.stderr);
    for (const word of ['received', '3 messages', '1 lost', 'latency', 'p99', 'hold-back', 'close', 'clean']) assert.match(r.stdout, new RegExp(word));
  });
});

describe('probe thresholds: exit 2 when exceeded, 0 when met', () => {
  const cases: { name: string; path: string; args: string[]; code: number; exceeded: RegExp | null }[] = [
    { name: 'loss over --max-loss', path: '/sse?seqs=1,3', args: ['--count', '3', '--max-loss', '0'], code: 2, exceeded: /max-loss: 1 lost > 0/ },
    { name: 'loss within --max-loss', path: '/sse?seqs=1,3', args: ['--count', '3', '--max-loss', '1'], code: 0, exceeded: null },
    { name: 'p99 over --max-p99', path: '/ws?seqs=1,2&back=500', args: ['--max-p99', '100ms'], code: 2, exceeded: /max-p99: p99/ },
    { name: 'p99 within --max-p99', path: '/ws?seqs=1,2', args: ['--max-p99', '5s'], code: 0, exceeded: null },
    { name: 'no latency at all with --max-p99', path: '/ws?seqs=', args: ['--max-p99', '5s'], code: 2, exceeded: /no latency/ },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const scheme = c.path.startsWith('/ws') ? 'ws' : 'http';
      const { code, report } = await probe([`${scheme}://127.0.0.1:${fake.port}${c.path}`, ...c.args]);
      assert.equal(code, c.code, JSON.stringify(report));
      if (c.exceeded === null) assert.deepEqual(report.thresholds.exceeded, []);
      else assert.match(report.thresholds.exceeded.join('; '), c.exceeded);
    });
  }
});

describe('probe failures: exit 1 with one line on stderr and nothing on stdout', () => {
  const cases: { name: string; args: () => Promise<string[]>; line: RegExp }[] = [
    { name: 'refused (ws)', args: async () => [`ws://127.0.0.1:${await deadPort()}/ws/stream`], line: /cannot open ws:\/\/.*ECONNREFUSED/ },
    { name: 'refused (sse)', args: async () => [`http://127.0.0.1:${await deadPort()}/sse`], line: /cannot open http:\/\/.*ECONNREFUSED/ },
    { name: 'not a stream (404)', args: async () => [`http://127.0.0.1:${fake.port}/nothing`], line: /answered 404 Not Found .*not a 2xx text\/event-stream/ },
    { name: 'ws upgrade refused', args: async () => [`ws://127.0.0.1:${fake.port}/nothing`], line: /cannot open ws:\/\/.*Unexpected server response: 400/ },
    { name: 'not a URL', args: async () => ['not a url'], line: /invalid URL "not a url"/ },
    { name: 'unsupported scheme', args: async () => ['ftp://127.0.0.1/x'], line: /unsupported URL scheme "ftp:"/ },
    { name: 'no URL', args: async () => [], line: /expected one URL, got 0/ },
    { name: 'unknown option', args: async () => ['ws://127.0.0.1/x', '--nope'], line: /Unknown option '--nope'/ },
    { name: 'bad --timeout', args: async () => ['ws://127.0.0.1/x', '--timeout', 'soon'], line: /invalid duration "soon" for --timeout/ },
    { name: 'bad --header', args: async () => ['ws://127.0.0.1/x', '--header', 'no colon'], line: /invalid --header "no colon"/ },
    { name: 'count contradicts the URL', args: async () => ['http://127.0.0.1/sse?count=5', '--count', '6'], line: /--count 6 contradicts the URL's count=5/ },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const r = await runCli(['probe', ...(await c.args())]);
      assert.equal(r.code, 1, `stdout: ${r.stdout} stderr: ${r.stderr}`);
      assert.equal(r.stdout, '');
      const lines = r.stderr.split('\n').filter((l) => l !== '');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0], /^mock-upstream probe: /);
      assert.match(lines[0], c.line);
    });
  }

  test('--help prints the usage and exits 0', async () => {
    const r = await runCli(['probe', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Usage: mock-upstream probe URL/);
    for (const flag of ['--count', '--timeout', '--header', '--insecure', '--json', '--max-p99', '--max-loss']) assert.ok(r.stdout.includes(flag), flag);
  });

  test('the server\'s --help mentions the probe', async () => {
    const r = await runCli(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /mock-upstream probe URL/);
  });
});

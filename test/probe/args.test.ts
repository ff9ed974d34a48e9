// The probe's command line (src/probe/args.ts): the kind from the scheme, the expected count from the URL or
// --count, the default timeout, headers and thresholds, and one-line errors for everything wrong.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DefaultTimeoutMs, parseProbeArgs, ProbeUsageError, TimeoutSlackMs, type ProbeOptions } from '../../src/probe/args.js';

function options(argv: string[]): ProbeOptions {
  const c = parseProbeArgs(argv);
  assert.equal(c.kind, 'run');
  return (c as { options: ProbeOptions }).options;
}

describe('probe arguments', () => {
  const kinds: [string, 'ws' | 'sse'][] = [
    ['ws://gw/ws/stream', 'ws'], ['wss://gw/ws/stream', 'ws'], ['http://gw/sse', 'sse'], ['https://gw/sse', 'sse'], ['HTTP://gw/sse', 'sse'],
  ];
  for (const [url, kind] of kinds) {
    test(`${url} is ${kind}`, () => assert.equal(options([url]).kind, kind));
  }

  const counts: { argv: string[]; expected: number | null; timeoutMs: number }[] = [
    { argv: ['http://gw/sse'], expected: null, timeoutMs: DefaultTimeoutMs },
    { argv: ['http://gw/sse?count=20'], expected: 20, timeoutMs: DefaultTimeoutMs },
    { argv: ['http://gw/sse?count=20&interval=50ms'], expected: 20, timeoutMs: 1000 + TimeoutSlackMs },
    { argv: ['ws://gw/ws/stream?interval=2s&count=3'], expected: 3, timeoutMs: 6000 + TimeoutSlackMs },
    { argv: ['ws://gw/ws/stream?interval=uniform(1ms,2ms)&count=3'], expected: 3, timeoutMs: DefaultTimeoutMs },
    { argv: ['ws://gw/ws/stream?interval=10ms&count=0'], expected: null, timeoutMs: DefaultTimeoutMs },
    { argv: ['http://gw/api/events', '--count', '7'], expected: 7, timeoutMs: DefaultTimeoutMs },
    { argv: ['http://gw/sse?count=7', '--count', '7'], expected: 7, timeoutMs: DefaultTimeoutMs },
    { argv: ['http://gw/sse?count=7&interval=1s', '--timeout', '1m30s'], expected: 7, timeoutMs: 90_000 },
    { argv: ['http://gw/sse', '--timeout', '2'], expected: null, timeoutMs: 2000 },
  ];
  for (const c of counts) {
    test(`${c.argv.join(' ')}: expects ${c.expected}, times out after ${c.timeoutMs} ms`, () => {
      const o = options(c.argv);
      assert.equal(o.expected, c.expected);
      assert.equal(o.timeoutMs, c.timeoutMs);
    });
  }

  test('headers, --insecure, --json and thresholds', () => {
    const o = options(['wss://gw/ws', '--header', 'Authorization: Bearer a:b', '--header', 'X-Tenant:  t1 ', '--insecure', '--json',
      '--max-p99', '250ms', '--max-loss', '3']);
    assert.deepEqual(o.headers, [['Authorization', 'Bearer a:b'], ['X-Tenant', 't1']]);
    assert.deepEqual([o.insecure, o.json, o.maxP99Ms, o.maxLoss], [true, true, 250, 3]);
    const d = options(['ws://gw/ws']);
    assert.deepEqual([d.insecure, d.json, d.maxP99Ms, d.maxLoss, d.headers], [false, false, null, null, []]);
  });

  test('--help', () => {
    assert.equal(parseProbeArgs(['--help']).kind, 'help');
    assert.equal(parseProbeArgs(['ws://gw/x', '-h']).kind, 'help');
  });

  const bad: { argv: string[]; message: RegExp }[] = [
    { argv: [], message: /expected one URL, got 0/ },
    { argv: ['ws://a/x', 'ws://b/x'], message: /expected one URL, got 2/ },
    { argv: ['gw/sse'], message: /invalid URL "gw\/sse"/ },
    { argv: ['ftp://gw/sse'], message: /unsupported URL scheme "ftp:"/ },
    { argv: ['http://gw/sse?count=-1'], message: /invalid message count "-1" for the URL's count/ },
    { argv: ['http://gw/sse', '--count', '1.5'], message: /invalid message count "1.5" for --count/ },
    { argv: ['http://gw/sse?count=2', '--count', '3'], message: /contradicts the URL's count=2/ },
    { argv: ['http://gw/sse', '--timeout', '0s'], message: /--timeout must be above 0/ },
    { argv: ['http://gw/sse', '--timeout', 'ten'], message: /invalid duration "ten" for --timeout/ },
    { argv: ['http://gw/sse', '--max-p99=-1ms'], message: /invalid duration "-1ms" for --max-p99/ },
    { argv: ['http://gw/sse', '--max-loss', 'some'], message: /for --max-loss/ },
    { argv: ['http://gw/sse', '--header', 'Bad Name: v'], message: /invalid --header "Bad Name: v"/ },
    { argv: ['http://gw/sse', '--header', ': v'], message: /invalid --header/ },
    { argv: ['http://gw/sse', '--json=yes'], message: /--json/ },
    { argv: ['http://gw/sse', '--frobnicate'], message: /Unknown option '--frobnicate'/ },
  ];
  for (const c of bad) {
    test(`rejects ${JSON.stringify(c.argv)}`, () => {
      assert.throws(() => parseProbeArgs(c.argv), (err: unknown) => {
        assert.ok(err instanceof ProbeUsageError);
        assert.match(err.message, c.message);
        assert.ok(!err.message.includes('\n'), 'one line');
        return true;
      });
    });
  }
});

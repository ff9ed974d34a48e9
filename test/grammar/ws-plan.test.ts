// The WebSocket upgrade controls: one table of good and bad values, precedence, and the cache.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePlan, parseCloseRule, PlanCache } from '../../src/grammar/ws-plan.js';
import { GrammarError } from '../../src/grammar/errors.js';
import { Random } from '../../src/grammar/random.js';

const limits = { maxDelayMs: 60_000, maxMessage: 1024 * 1024 };

test('close rules: a code alone, after N messages, after a duration', () => {
  assert.deepEqual(parseCloseRule('1000', 'close', 1000), { code: 1000, afterMessages: 0, afterMs: -1 });
  assert.deepEqual(parseCloseRule('4000:5', 'close', 1000), { code: 4000, afterMessages: 5, afterMs: -1 });
  assert.deepEqual(parseCloseRule('1001:250ms', 'close', 1000), { code: 1001, afterMessages: -1, afterMs: 250 });
  for (const bad of ['1005', '1006', '1015', '999', '5000', 'abc', '1000:soon', '1000:2s']) {
    assert.throws(() => parseCloseRule(bad, 'close', 1000), GrammarError, bad);
  }
});

test('plans: defaults, every control, and the header winning over the query', () => {
  const p = compilePlan('', '', limits);
  assert.equal(p.count, 10);
  assert.equal(p.interval.sample(new Random(1)), 1000);
  assert.equal(p.deflate, false);
  assert.equal(p.maxMessage, limits.maxMessage);
  const q = compilePlan('interval=10ms&size=4KB&count=0&jitter=2ms&binary=on&deflate=on&max-message=1KB&idle=5s&close=4001:3&status=503&delay=20ms', '', limits);
  assert.deepEqual([q.size, q.count, q.jitterMs, q.binary, q.deflate, q.maxMessage, q.idleMs], [4096, 0, 2, true, true, 1024, 5000]);
  assert.equal(q.interval.sample(new Random(1)), 10);
  assert.deepEqual(q.close, { code: 4001, afterMessages: 3, afterMs: -1 });
  assert.equal(q.status?.pick(0.5), 503);
  assert.equal(compilePlan('count=5', 'count=7', limits).count, 7);
});

test('bad values and unknown X-Mock names are GrammarErrors naming the input', () => {
  const bad: [string, string, RegExp][] = [
    ['interval=soon', '', /interval/], ['size=2MB', '', /--ws-max-message/], ['count=x', '', /count/], ['deflate=yes', '', /switch/],
    ['status=99', '', /status/], ['', 'nonsense=1', /unknown control "nonsense"/], ['delay=2m', '', /delay/],
  ];
  for (const [q, h, re] of bad) {
    assert.throws(() => compilePlan(q, h, limits), (e: unknown) => e instanceof GrammarError && re.test(e.message + e.param), `${q} | ${h}`);
  }
});

test('the cache returns one plan per text and keeps no failure', () => {
  const c = new PlanCache(limits);
  assert.equal(c.get('', ''), c.plain);
  assert.equal(c.get('count=3', ''), c.get('count=3', ''));
  assert.notEqual(c.get('count=3', ''), c.get('count=4', ''));
  assert.throws(() => c.get('count=-1', ''), GrammarError);
  assert.throws(() => c.get('count=-1', ''), GrammarError);
});

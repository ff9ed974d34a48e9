import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseLatency, parseSizeChoice, parseStatusChoice, SamplerCache, type Sampler } from '../../src/grammar/distribution.js';
import { GrammarError } from '../../src/grammar/errors.js';
import { Random } from '../../src/grammar/random.js';

const FIVE_MINUTES_MS = 300_000;
const MIB = 1024 * 1024;
const HINT = 'lognormal(p50=20ms,p99=200ms), a percentile table (p50=10ms,p90=30ms,p99=100ms) or linear(';
const Z90 = 1.2815515655446008;
const Z99 = 2.3263478740408408;
const Z999 = 3.090232306167813;

function draw(sampler: Sampler, n: number, seed: number): Float64Array {
  const random = new Random(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = sampler.sample(random);
  return out.sort();
}

function quantile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

// [text, canonical describe, the value every sample equals (constant forms only)]
const good: ReadonlyArray<readonly [string, string, number | undefined]> = [
  ['150ms', '150ms', 150],
  ['2', '2s', 2000],
  ['1m30s', '1m30s', 90_000],
  ['0', '0s', 0],
  ['5m', '5m', FIVE_MINUTES_MS],
  ['150ms:100', '150ms', 150],
  ['10ms:50,100ms:10', '10ms:50,100ms:10', undefined],
  ['1000ms:33.3,2s:33.3,3:33.4', '1s:33.3,2s:33.3,3s:33.4', undefined],
  ['uniform(10ms,50ms)', 'uniform(10ms,50ms)', undefined],
  ['uniform(1s,1000ms)', 'uniform(1s,1s)', 1000],
  ['normal(50ms,5ms)', 'normal(50ms,5ms)', undefined],
  ['normal(50ms,0s)', 'normal(50ms,0s)', 50],
  ['lognormal(p50=20ms,p99=200ms)', 'lognormal(p50=20ms,p99=200ms)', undefined],
  ['lognormal(p50=20ms,p99=20ms)', 'lognormal(p50=20ms,p99=20ms)', 20],
  ['p50=10ms,p90=30ms,p99=100ms,p99.9=500ms', 'p50=10ms,p90=30ms,p99=100ms,p99.9=500ms', undefined],
  ['p0=7ms', 'p0=7ms', 7],
  ['p0=1ms,p100=1000us', 'p0=1ms,p100=1ms', 1],
  ['p050=.01s', 'p50=10ms', undefined],
  ['p0.00000001=1ms,p1=2ms', 'p0.00000001=1ms,p1=2ms', undefined],
];

for (const [text, describe, constant] of good) {
  test(`parseLatency accepts ${text}`, () => {
    const sampler = parseLatency(text, 'delay', FIVE_MINUTES_MS);
    assert.equal(sampler.describe, describe);
    assert.equal(parseLatency(describe, 'delay', FIVE_MINUTES_MS).describe, describe);
    const random = new Random(5);
    for (let i = 0; i < 1000; i++) {
      const ms = sampler.sample(random);
      assert.ok(ms >= 0 && ms <= FIVE_MINUTES_MS, `${ms}`);
      if (constant !== undefined) assert.ok(Math.abs(ms - constant) < 1e-9, `${ms}`);
    }
  });
}

const bad: ReadonlyArray<readonly [string, RegExp]> = [
  ['', /invalid latency "" for delay: it is empty/],
  ['abc', /invalid duration "abc" for delay/],
  [' 10ms', /invalid duration " 10ms"/],
  ['p50', /invalid duration "p50"/],
  ['6m', /duration 6m for delay exceeds the maximum 5m \(--max-delay\)/],
  ['10ms:60,20ms:50', /add up to 110, over 100/],
  ['10ms,20ms', /item 1 "10ms" has no :percent/],
  ['10ms:50,abc:10', /item 2 "abc:10": invalid duration "abc"/],
  ['10ms:50,6m:1', /item 2 "6m:1": duration 6m for delay exceeds the maximum 5m \(--max-delay\)/],
  ['foo(1s,2s)', /unknown distribution "foo"/],
  ['Uniform(1s,2s)', /unknown distribution "Uniform"/],
  ['uniform(1s', /"uniform\(" must be closed by a "\)" at the end/],
  ['uniform(1s,2s)x', /must be closed by a "\)" at the end/],
  ['uniform(10ms)', /two durations separated by a comma, such as uniform\(10ms,50ms\)/],
  ['uniform(1ms,2ms,3ms)', /two durations separated by a comma/],
  ['uniform(50ms,10ms)', /the minimum 50ms is above the maximum 10ms/],
  ['uniform(1ms,6m)', /item 2 "6m": duration 6m for delay exceeds the maximum 5m \(--max-delay\)/],
  ['uniform(,1ms)', /item 1 "": invalid duration ""/],
  ['normal(10ms,x)', /item 2 "x": invalid duration "x"/],
  ['normal(4m,1m)', /reaches 7m5\.41393837s at p99\.9, over the maximum 5m \(--max-delay\)/],
  ['normal(-1s,1s)', /item 1 "-1s": invalid duration "-1s" for delay: it is negative/],
  ['lognormal(p50=0s,p99=1s)', /the p50 of a lognormal must be above 0/],
  ['lognormal(p50=1s)', /lognormal takes exactly p50 and p99/],
  ['lognormal(p50=1s,p90=2s)', /lognormal takes exactly p50 and p99/],
  ['lognormal(p50=1s,p99=2s,p99.9=3s)', /lognormal takes exactly p50 and p99/],
  ['lognormal(p99=2s,p50=1s)', /percentiles must increase, but p50 follows p99/],
  ['lognormal(p50=2s,p99=1s)', /values must not decrease, but p99=1s is below p50=2s/],
  ['lognormal(p50=1s,p99=2m)', /reaches 9m37\.970309985s at p99\.9, over the maximum 5m \(--max-delay\)/],
  ['lognormal()', /item 1 is empty/],
  ['p50=10ms,p40=20ms', /percentiles must increase, but p40 follows p50/],
  ['p50=10ms,p50=20ms', /percentiles must increase, but p50 follows p50/],
  ['p50=10ms,p60=5ms', /values must not decrease, but p60=5ms is below p50=10ms/],
  ['p101=1s', /item 1 "p101=1s": percentage 101 for delay is over 100/],
  ['q50=1s', /item 1 "q50=1s" is not pN=DURATION/],
  ['P50=1s', /item 1 "P50=1s" is not pN=DURATION/],
  ['p=1s', /item 1 "p=1s": invalid percentage ""/],
  ['p50=', /item 1 "p50=": invalid duration "" for delay: it is empty/],
  ['p50=10ms,', /item 2 is empty/],
  ['p50=10ms,p99=6m', /item 2 "p99=6m": duration 6m for delay exceeds the maximum 5m \(--max-delay\)/],
  [Array.from({ length: 65 }, (_, i) => `p${i}=1ms`).join(','), /more than 64 percentiles/],
  ['1'.repeat(5000), /longer than 4352 characters/],
];

for (const [text, message] of bad) {
  test(`parseLatency rejects ${JSON.stringify(text.slice(0, 40))}`, () => {
    assert.throws(
      () => parseLatency(text, 'delay', FIVE_MINUTES_MS),
      (error: unknown) => {
        assert.ok(error instanceof GrammarError, String(error));
        assert.equal(error.param, 'delay');
        assert.match(error.message, message);
        return true;
      },
    );
  });
}

test('parseLatency lists every form in its own structural errors', () => {
  for (const text of ['', 'foo(1s,2s)', 'p50=10ms,p40=20ms', 'lognormal(p50=0s,p99=1s)']) {
    assert.throws(() => parseLatency(text, 'X-Delay', FIVE_MINUTES_MS), (error: unknown) => {
      assert.ok(error instanceof GrammarError);
      assert.equal(error.param, 'X-Delay');
      assert.ok(error.message.includes(HINT), error.message);
      return true;
    });
  }
});

test('the p99.9 cap of normal and lognormal accepts the cap itself and rejects just above it', () => {
  const normalCap = 50 + Z999 * 5;
  assert.ok(parseLatency('normal(50ms,5ms)', 'delay', normalCap));
  assert.throws(() => parseLatency('normal(50ms,5ms)', 'delay', normalCap * 0.999), /\(--max-delay\)/);
  const lognormalCap = 20 * 10 ** (Z999 / Z99);
  assert.ok(parseLatency('lognormal(p50=20ms,p99=200ms)', 'delay', lognormalCap));
  assert.throws(() => parseLatency('lognormal(p50=20ms,p99=200ms)', 'delay', lognormalCap * 0.999), /\(--max-delay\)/);
});

test('samples past the p99.9 are clamped to the cap, as a safety net only', () => {
  const cap = 50 + Z999 * 5;
  const sorted = draw(parseLatency('normal(50ms,5ms)', 'delay', cap), 100_000, 11);
  assert.equal(sorted[sorted.length - 1], cap);
  const atCap = sorted.filter((ms) => ms === cap).length;
  // About 0.1 % of draws lie beyond the p99.9.
  assert.ok(atCap > 50 && atCap < 200, `${atCap}`);
});

// [expression, its p50, p90 and p99 in ms]. With 100,000 samples the standard error of each empirical quantile is
// at most 1.2 % of it (lognormal's p99), so 3 % is a real test, and the fixed seed keeps it deterministic.
const percentiles: ReadonlyArray<readonly [string, number, number, number]> = [
  ['uniform(10ms,50ms)', 30, 46, 49.6],
  ['normal(50ms,5ms)', 50, 50 + Z90 * 5, 50 + Z99 * 5],
  ['lognormal(p50=20ms,p99=200ms)', 20, 20 * 10 ** (Z90 / Z99), 200],
  // Checked inside linear pieces: at a listed percentile the next piece can be steep (444 ms per percent above p99
  // in the table below), so one standard error there is about 14 ms; the listed points get a CDF check instead.
  ['p25=5ms,p75=15ms,p95=40ms,p99.5=150ms,p99.9=500ms', 10, 15 + 15 * (25 / 20), 40 + 4 * (110 / 4.5)],
  // 45 % 0 ms, 50 % 10 ms, 5 % 100 ms.
  ['10ms:50,100ms:5', 10, 10, 100],
];

for (const [text, p50, p90, p99] of percentiles) {
  test(`the empirical p50/p90/p99 of ${text} lie within 3 % of ${p50}/${p90.toFixed(3)}/${p99.toFixed(3)}`, () => {
    const sorted = draw(parseLatency(text, 'delay', FIVE_MINUTES_MS), 100_000, 20_240_601);
    for (const [p, expected] of [[0.5, p50], [0.9, p90], [0.99, p99]] as const) {
      const actual = quantile(sorted, p);
      assert.ok(Math.abs(actual - expected) <= 0.03 * expected, `p${p * 100}: ${actual} vs ${expected}`);
    }
  });
}

test('a percentile table puts each listed share of samples below its listed value, within 5 standard deviations', () => {
  const sorted = draw(parseLatency('p50=10ms,p90=30ms,p99=100ms,p99.9=500ms', 'delay', FIVE_MINUTES_MS), 100_000, 20_240_601);
  const n = sorted.length;
  for (const [p, ms] of [[0.5, 10], [0.9, 30], [0.99, 100], [0.999, 500]] as const) {
    // Strictly below: draws past the last percentile hold its value exactly.
    const share = sorted.filter((x) => x < ms).length / n;
    assert.ok(Math.abs(share - p) <= 5 * Math.sqrt((p * (1 - p)) / n), `p${p * 100}: ${share} of samples < ${ms}ms`);
  }
});

test('normal is truncated at 0 by redrawing, so no mass piles up at 0 ms', () => {
  const sorted = draw(parseLatency('normal(0s,10ms)', 'delay', FIVE_MINUTES_MS), 100_000, 3);
  assert.ok(sorted[0] >= 0);
  assert.ok(quantile(sorted, 0.01) > 0);
  // The half-normal median is sd * z(0.75).
  const median = quantile(sorted, 0.5);
  assert.ok(Math.abs(median - 6.744897501960817) < 0.03 * 6.744897501960817, `${median}`);
});

test('a table interpolates from 0 ms at p0 up to the first percentile and holds the last value above it', () => {
  const sorted = draw(parseLatency('p50=10ms', 'delay', FIVE_MINUTES_MS), 100_000, 8);
  assert.ok(Math.abs(quantile(sorted, 0.25) - 5) < 0.15, `${quantile(sorted, 0.25)}`);
  const held = sorted.filter((ms) => ms === 10).length / sorted.length;
  assert.ok(Math.abs(held - 0.5) < 5 * Math.sqrt(0.25 / sorted.length), `${held}`);
  assert.equal(sorted[sorted.length - 1], 10);
  // A listed p0 replaces the implicit 0 ms start.
  const shifted = draw(parseLatency('p0=5ms,p100=15ms', 'delay', FIVE_MINUTES_MS), 100_000, 8);
  assert.ok(shifted[0] >= 5 && shifted[shifted.length - 1] < 15);
  assert.ok(Math.abs(quantile(shifted, 0.5) - 10) < 0.15);
});

test('the same seed gives the same samples', () => {
  const sampler = parseLatency('lognormal(p50=20ms,p99=200ms)', 'delay', FIVE_MINUTES_MS);
  assert.deepEqual(draw(sampler, 1000, 77), draw(sampler, 1000, 77));
});

// Generates expressions of every form from valid parts, for round-trip and range properties.
const duration = fc
  .tuple(fc.nat(999), fc.constantFrom('us', 'ms', 's'))
  .map(([n, unit]) => `${n}${unit}`);
const percent = fc.integer({ min: 0, max: 1000 }).map((tenths) => `${tenths / 10}`);
const expression = fc.oneof(
  duration,
  fc.array(fc.tuple(duration, fc.integer({ min: 0, max: 25 })), { minLength: 1, maxLength: 4 }).map((items) => items.map(([d, p]) => `${d}:${p}`).join(',')),
  fc.tuple(duration, duration).map(([a, b]) => `uniform(${a},${b})`),
  fc.tuple(duration, duration).map(([a, b]) => `normal(${a},${b})`),
  fc.tuple(duration, duration).map(([a, b]) => `lognormal(p50=${a},p99=${b})`),
  fc.array(fc.tuple(percent, duration), { minLength: 1, maxLength: 5 }).map((items) => items.map(([p, d]) => `p${p}=${d}`).join(',')),
);

function checkTotal(text: string, maxMs: number, random: Random): void {
  let sampler: Sampler;
  try {
    sampler = parseLatency(text, 'delay', maxMs);
  } catch (error) {
    assert.ok(error instanceof GrammarError, `${JSON.stringify(text)} threw ${String(error)}`);
    assert.equal(error.param, 'delay');
    return;
  }
  assert.equal(parseLatency(sampler.describe, 'delay', maxMs).describe, sampler.describe, text);
  for (let i = 0; i < 20; i++) {
    const ms = sampler.sample(random);
    assert.ok(Number.isFinite(ms) && ms >= 0 && ms <= maxMs, `${text}: ${ms}`);
  }
}

test('property: any string gives a Sampler or a GrammarError, never another exception', () => {
  const random = new Random(1);
  fc.assert(fc.property(fc.string(), (text) => checkTotal(text, FIVE_MINUTES_MS, random)), { numRuns: 2000 });
  const token = fc.constantFrom('uniform(', 'normal(', 'lognormal(', '(', ')', 'p', 'p50=', 'p99=', '=', ':', ',', '10ms', '1s', '0', '5', '.5', '100', '-', 'm', 'x');
  fc.assert(
    fc.property(fc.array(token, { maxLength: 12 }).map((parts) => parts.join('')), (text) => checkTotal(text, FIVE_MINUTES_MS, random)),
    { numRuns: 5000 },
  );
});

test('property: generated expressions either parse, round-trip through describe and sample inside [0, max], or fail with GrammarError', () => {
  const random = new Random(2);
  fc.assert(
    fc.property(expression, fc.integer({ min: 1, max: 2_000_000 }).map((us) => us / 1000), (text, maxMs) => checkTotal(text, maxMs, random)),
    { numRuns: 3000 },
  );
});

test('parseStatusChoice reads weighted codes with the rest going to 200', () => {
  const choice = parseStatusChoice('503:20,404:10', 'X-Status');
  assert.deepEqual(choice.values, [503, 404]);
  assert.equal(choice.fallback, 200);
  assert.equal(choice.pick(0.1), 503);
  assert.equal(choice.pick(0.25), 404);
  assert.equal(choice.pick(0.5), 200);
  const single = parseStatusChoice('418', 'X-Status');
  assert.equal(single.pick(0), 418);
  assert.equal(single.pick(1 - 2 ** -32), 418);
  for (const code of ['200', '599', '200:100']) assert.ok(parseStatusChoice(code, 'X-Status'));
});

test('parseStatusChoice rejects codes outside 200..599 (1xx would leave clients waiting) and anything but three digits', () => {
  for (const text of ['99', '100', '101', '199', '600', '099', '5030', '50a', '+503', '', ' 503', '503.0', '503:20,99:10', '503:200']) {
    assert.throws(
      () => parseStatusChoice(text, 'X-Status'),
      (error: unknown) => error instanceof GrammarError && error.param === 'X-Status' && error.message.includes('X-Status'),
      text,
    );
  }
  assert.throws(() => parseStatusChoice('600', 'status'), /invalid status code "600" for status: use a number from 200 to 599/);
  assert.throws(() => parseStatusChoice('503:20,99:10', 'status'), /item 2 "99:10": invalid status code "99"/);
  assert.throws(() => parseStatusChoice('101', 'status'), /1xx codes are interim responses/);
});

test('parseSizeChoice reads weighted sizes with the rest 0 bytes, capped by --max-size', () => {
  const choice = parseSizeChoice('1KB:50,1MiB:1', 'size', MIB);
  assert.deepEqual(choice.values, [1024, MIB]);
  assert.equal(choice.fallback, 0);
  assert.equal(choice.pick(0.995), 0);
  assert.equal(parseSizeChoice('4KB', 'size', MIB).pick(0.7), 4096);
  assert.throws(
    () => parseSizeChoice('1KB:50,2MiB:1', 'size', MIB),
    (error: unknown) => error instanceof GrammarError && error.param === 'size' && /item 2 .*\(--max-size\)/.test(error.message),
  );
  assert.throws(() => parseSizeChoice('1KB:50,lots:1', 'size', MIB), /invalid size "lots"/);
});

test('SamplerCache parses each expression once, whatever param asks', () => {
  const cache = new SamplerCache();
  const first = cache.get('uniform(10ms,50ms)', 'X-Delay', FIVE_MINUTES_MS);
  assert.equal(cache.get('uniform(10ms,50ms)', 'delay', FIVE_MINUTES_MS), first);
  assert.equal(cache.size, 1);
});

test('SamplerCache does not cache errors and reports each with its own param', () => {
  const cache = new SamplerCache();
  for (const param of ['X-Delay', 'delay']) {
    assert.throws(() => cache.get('uniform(1s', param, FIVE_MINUTES_MS), (error: unknown) => error instanceof GrammarError && error.param === param);
  }
  assert.equal(cache.size, 0);
});

test('SamplerCache evicts the oldest when full and is cleared when the cap changes', () => {
  const cache = new SamplerCache(2);
  const one = cache.get('1ms', 'delay', FIVE_MINUTES_MS);
  const two = cache.get('2ms', 'delay', FIVE_MINUTES_MS);
  assert.equal(cache.size, 2);
  cache.get('3ms', 'delay', FIVE_MINUTES_MS);
  assert.equal(cache.size, 2);
  assert.equal(cache.get('2ms', 'delay', FIVE_MINUTES_MS), two, 'the newer entry is kept');
  assert.notEqual(cache.get('1ms', 'delay', FIVE_MINUTES_MS), one, 'the oldest was evicted');
  assert.ok(cache.get('4m', 'delay', FIVE_MINUTES_MS));
  assert.throws(() => cache.get('4m', 'delay', 60_000), /\(--max-delay\)/);
  assert.equal(cache.size, 0);
});

test('SamplerCache is bounded by bytes: long expressions do not pile up', () => {
  // Each entry costs its key (~20 bytes) plus 64: a 1,000-byte budget holds about 11 of 200.
  const cache = new SamplerCache(1024, 1000);
  for (let i = 0; i < 200; i++) cache.get(`uniform(1ms,${i + 2}ms)`, 'delay', FIVE_MINUTES_MS);
  assert.ok(cache.size >= 5 && cache.size <= 12, `size ${cache.size}`);
});

test('linear(base,per) grows with the load it is given and stops at the cap', () => {
  const s = parseLatency('linear(base=1ms,per=0.5ms)', 'delay', 100);
  assert.equal(s.describe, 'linear(base=1ms,per=500us)');
  const rng = new Random(1);
  assert.equal(s.sample(rng), 1, 'no load known: the base');
  assert.equal(s.sample(rng, 0), 1);
  assert.equal(s.sample(rng, 10), 6);
  assert.equal(s.sample(rng, 1_000), 100, 'capped at maxMs');
  assert.equal(parseLatency(s.describe, 'delay', 100).sample(rng, 4), 3, 'describe reads back to the same sampler');
  assert.equal(parseLatency('linear(per=2ms)', 'delay', 100).sample(rng, 3), 6, 'base defaults to 0');
  assert.equal(parseLatency('linear(per=2ms,base=1ms)', 'delay', 100).sample(rng, 1), 3, 'either order');
});

for (const [text, message] of [
  ['linear(base=1ms)', /needs per=/],
  ['linear(base=1ms,base=2ms)', /each once/],
  ['linear(1ms,2ms)', /not base=DURATION/],
  ['linear(base=1ms,per=2ms,x=1)', /takes base= and per=/],
  ['linear(base=2s,per=1ms)', /exceeds the maximum/],
  ['linear(base=1ms,per=1ms', /closed/],
] as const) {
  test(`parseLatency rejects ${text}`, () => {
    assert.throws(() => parseLatency(text, 'delay', 1000), (err: unknown) => err instanceof GrammarError && message.test(err.message));
  });
}

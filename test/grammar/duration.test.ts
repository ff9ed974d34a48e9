import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatDuration, parseDuration } from '../../src/grammar/duration.js';
import { GrammarError } from '../../src/grammar/errors.js';

const DAY_MS = 86_400_000;
const FIVE_MINUTES_MS = 300_000;
const HINT = 'such as 150ms, 1.5s or 1m30s';

// Mirrors the documented grammar with regexes, as an independent model for the scanning parser.
const NUMBER = String.raw`(?:\d+(?:\.\d+)?|\.\d+)`;
const BARE = new RegExp(`^${NUMBER}$`);
const COMPOSITE = new RegExp(`^(?:${NUMBER}(?:ns|us|µs|μs|ms|s|m|h))+$`);
const GROUP = new RegExp(`(${NUMBER})(ns|us|µs|μs|ms|s|m|h)`, 'g');
const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

function referenceMs(text: string): number | undefined {
  if (text.length > 32) return undefined;
  if (BARE.test(text)) return Number(text) * 1000;
  if (!COMPOSITE.test(text)) return undefined;
  let total = 0;
  for (const [, value, unit] of text.matchAll(GROUP)) total += Number(value) * UNIT_MS[unit];
  return total;
}

function close(actual: number, expected: number, relative: number): boolean {
  return Math.abs(actual - expected) <= relative * Math.abs(expected) + Number.MIN_VALUE;
}

// The parser's whole contract for one input: a finite value in [0, max] or a GrammarError naming the param.
function checkTotal(text: string, maxMs: number): void {
  try {
    const ms = parseDuration(text, 'delay', maxMs);
    assert.ok(Number.isFinite(ms) && ms >= 0 && ms <= maxMs, `${JSON.stringify(text)} -> ${ms}`);
  } catch (error) {
    assert.ok(error instanceof GrammarError, `${JSON.stringify(text)} threw ${String(error)}`);
    assert.equal(error.param, 'delay');
  }
}

const good: ReadonlyArray<readonly [string, number]> = [
  ['0', 0],
  ['3', 3000],
  ['1.5', 1500],
  ['.5', 500],
  ['007', 7000],
  ['0s', 0],
  ['150ms', 150],
  ['1.5s', 1500],
  ['.5s', 500],
  ['1m30s', 90_000],
  ['1m', 60_000],
  ['5m', 300_000],
  ['2h', 7_200_000],
  ['1h2m3.5s', 3_723_500],
  ['250us', 0.25],
  ['250µs', 0.25],
  ['250μs', 0.25],
  ['1ns', 0.000001],
  ['1500ns', 0.0015],
  ['1.25ms', 1.25],
  ['0.001s', 1],
  ['1s500ms', 1500],
  ['10ms10ms', 20],
  ['1h0m0s', 3_600_000],
  ['0.000000001s', 0.000001],
];

for (const [text, expected] of good) {
  test(`parseDuration accepts ${text} as ${expected}ms`, () => {
    assert.equal(parseDuration(text, 'duration', DAY_MS), expected);
  });
}

const bad: readonly string[] = [
  '',
  ' ',
  ' 1s',
  '1s ',
  '1 s',
  '1\ts',
  '1s\n',
  '-1s',
  '+1s',
  '-1',
  '-0',
  '1s-1s',
  'abc',
  's',
  'ms',
  '.',
  '.s',
  '1.',
  '1.s',
  '1..5s',
  '1.5.5s',
  '1x',
  '1sec',
  '1msec',
  '1S',
  '1MS',
  '1H',
  '1d',
  '1μ',
  '1u',
  '1n',
  '1m30',
  '1e3',
  '1e3s',
  'NaN',
  'Infinity',
  '1,5s',
  '1_000ms',
  '0x10s',
  '١s',
  '１s',
  '1'.repeat(33),
  `${'0'.repeat(31)}1s`,
];

for (const text of bad) {
  test(`parseDuration rejects ${JSON.stringify(text)}`, () => {
    assert.throws(
      () => parseDuration(text, 'X-Delay', DAY_MS),
      (error: unknown) => {
        assert.ok(error instanceof GrammarError);
        assert.equal(error.param, 'X-Delay');
        assert.ok(error.message.includes(JSON.stringify(text).slice(1, -1).slice(0, 32)), error.message);
        assert.ok(error.message.includes('X-Delay'), error.message);
        assert.ok(error.message.includes(HINT), error.message);
        return true;
      },
    );
  });
}

test('parseDuration explains negative values, dangling units and unknown units', () => {
  assert.throws(() => parseDuration('-1s', 'delay', DAY_MS), /invalid duration "-1s" for delay: it is negative; use a number/);
  assert.throws(() => parseDuration('1m30', 'delay', DAY_MS), /the last number has no unit/);
  assert.throws(() => parseDuration('3sec', 'delay', DAY_MS), /unknown unit "sec"/);
  assert.throws(() => parseDuration('1mins', 'delay', DAY_MS), /unknown unit "mins"/);
  assert.throws(() => parseDuration('2d', 'delay', DAY_MS), /unknown unit "d"/);
  assert.throws(() => parseDuration('1.5.5s', 'delay', DAY_MS), /more than one dot/);
  assert.throws(() => parseDuration('', 'delay', DAY_MS), /invalid duration "" for delay: it is empty/);
});

test('parseDuration names the cap and its flag when a value exceeds it', () => {
  assert.throws(
    () => parseDuration('10m', 'delay', FIVE_MINUTES_MS),
    (error: unknown) => {
      assert.ok(error instanceof GrammarError);
      assert.equal(error.param, 'delay');
      assert.equal(error.message, 'duration 10m for delay exceeds the maximum 5m (--max-delay)');
      return true;
    },
  );
  for (const over of ['300001ms', '5m0.001s', '301', '1h']) {
    assert.throws(() => parseDuration(over, 'delay', FIVE_MINUTES_MS), GrammarError, over);
  }
  for (const atCap of ['5m', '300s', '300', '4m60s', '300000ms', '0.0833333333333333333h']) {
    assert.ok(parseDuration(atCap, 'delay', FIVE_MINUTES_MS) <= FIVE_MINUTES_MS, atCap);
  }
  assert.equal(parseDuration('5m', 'delay', FIVE_MINUTES_MS), FIVE_MINUTES_MS);
});

const formats: ReadonlyArray<readonly [number, string]> = [
  [0, '0s'],
  [-0, '0s'],
  [1500, '1.5s'],
  [150, '150ms'],
  [0.25, '250us'],
  [0.000001, '1ns'],
  [0.0000005, '0.5ns'],
  [90_000, '1m30s'],
  [300_000, '5m'],
  [3_600_000, '1h'],
  [3_723_500, '1h2m3.5s'],
  [3_600_500, '1h0.5s'],
  [1.5, '1.5ms'],
  [1000, '1s'],
  [999.9999999999, '1s'],
  [1234.567891, '1.234567891s'],
  [86_400_000, '24h'],
  [-1500, '-1.5s'],
];

for (const [ms, expected] of formats) {
  test(`formatDuration renders ${ms}ms as ${expected}`, () => {
    assert.equal(formatDuration(ms), expected);
  });
}

test('property: parseDuration returns a value in [0, max] or throws GrammarError for any string', () => {
  fc.assert(fc.property(fc.string(), (text) => checkTotal(text, DAY_MS)), { numRuns: 2000 });
  fc.assert(fc.property(fc.string({ unit: 'binary' }), (text) => checkTotal(text, DAY_MS)), { numRuns: 2000 });
});

const alphabet = fc.constantFrom('0', '1', '5', '9', '.', 'n', 'u', 'µ', 'μ', 'm', 's', 'h', 'e', '-', '+', ' ', 'S');
const tokens = fc.constantFrom('1', '25', '.', '0.5', '.5', 'ns', 'us', 'µs', 'ms', 's', 'm', 'h', '-');

test('property: strings over the grammar alphabet parse exactly when the regex model accepts them', () => {
  const agrees = (text: string): void => {
    checkTotal(text, Number.MAX_VALUE);
    const expected = referenceMs(text);
    if (expected === undefined) {
      assert.throws(() => parseDuration(text, 'delay', Number.MAX_VALUE), GrammarError, text);
    } else {
      const actual = parseDuration(text, 'delay', Number.MAX_VALUE);
      assert.ok(close(actual, expected, 1e-12), `${text}: ${actual} vs ${expected}`);
    }
  };
  fc.assert(fc.property(fc.string({ unit: alphabet, maxLength: 40 }), agrees), { numRuns: 5000 });
  fc.assert(fc.property(fc.array(tokens, { maxLength: 12 }).map((parts) => parts.join('')), agrees), { numRuns: 5000 });
});

test('property: formatDuration round-trips through parseDuration within 1e-9', () => {
  const ms = fc.oneof(
    fc.constant(0),
    fc.double({ min: 1e-6, max: 1e12, noNaN: true }),
    fc.integer({ min: 0, max: 1e15 }).map((ns) => ns / 1e6),
  );
  fc.assert(
    fc.property(ms, (value) => {
      const text = formatDuration(value);
      assert.ok(text.length <= 32, text);
      assert.ok(close(parseDuration(text, 'delay', Number.MAX_VALUE), value, 1e-9), `${value} -> ${text}`);
    }),
    { numRuns: 5000 },
  );
});

const part = fc
  .tuple(fc.nat(9999), fc.option(fc.nat(999), { nil: undefined }), fc.constantFrom('ns', 'us', 'µs', 'μs', 'ms', 's', 'm', 'h'))
  .map(([whole, fraction, unit]) => `${whole}${fraction === undefined ? '' : `.${fraction}`}${unit}`);

test('property: a composite duration equals the sum of its parts', () => {
  fc.assert(
    fc.property(fc.array(part, { minLength: 1, maxLength: 3 }), (parts) => {
      const sum = parts.reduce((total, p) => total + parseDuration(p, 'delay', Number.MAX_VALUE), 0);
      assert.ok(close(parseDuration(parts.join(''), 'delay', Number.MAX_VALUE), sum, 1e-12), parts.join(''));
    }),
    { numRuns: 3000 },
  );
});

test('property: a bare number is seconds', () => {
  fc.assert(
    fc.property(fc.nat(1e9), fc.nat(999), (whole, fraction) => {
      const text = `${whole}.${fraction}`;
      assert.equal(parseDuration(text, 'delay', Number.MAX_VALUE), parseDuration(`${text}s`, 'delay', Number.MAX_VALUE));
    }),
  );
});

test('property: values over the cap are rejected and the cap itself is accepted', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 1e15 }), (capNs) => {
      const cap = capNs / 1e6;
      assert.equal(parseDuration(formatDuration(cap), 'delay', cap), cap);
      assert.equal(parseDuration(`${capNs}ns`, 'delay', cap), cap);
      // Over by more than the rounding slack the parser grants at the cap.
      const over = `${capNs + Math.max(1, Math.ceil(capNs * 1e-6))}ns`;
      assert.throws(
        () => parseDuration(over, 'delay', cap),
        (error: unknown) =>
          error instanceof GrammarError &&
          error.message.includes(`exceeds the maximum ${formatDuration(cap)} (--max-delay)`),
        over,
      );
    }),
    { numRuns: 3000 },
  );
});

test('property: the cap as printed in the message is accepted, even when the printing rounded it up', () => {
  fc.assert(
    fc.property(fc.double({ min: 1e-6, max: 1e12, noNaN: true }), (cap) => {
      const ms = parseDuration(formatDuration(cap), 'delay', cap);
      assert.ok(ms <= cap && close(ms, cap, 1e-9), `${cap}: ${ms}`);
    }),
    { numRuns: 3000 },
  );
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseWeighted, type WeightedChoice } from '../../src/grammar/choice.js';
import { GrammarError } from '../../src/grammar/errors.js';
import { Random } from '../../src/grammar/random.js';

const HINT = 'write value:percent pairs separated by commas';
// The largest draw Random.next() can return.
const LAST_DRAW = 1 - 2 ** -32;

// A value grammar small enough to model: lower-case words.
function word(text: string, param: string): string {
  if (!/^[a-z]+$/.test(text)) throw new GrammarError(param, `invalid word ${JSON.stringify(text)} for ${param}: use lower-case letters`);
  return text;
}

function words(text: string): WeightedChoice<string> {
  return parseWeighted(text, 'pick', word, 'rest');
}

const good: ReadonlyArray<readonly [string, readonly string[], readonly number[], number]> = [
  ['a', ['a'], [100], 0],
  ['a:50', ['a'], [50], 50],
  ['a:50,b:10', ['a', 'b'], [50, 10], 40],
  ['a:0,b:100', ['a', 'b'], [0, 100], 0],
  ['a:100', ['a'], [100], 0],
  ['a:0', ['a'], [0], 100],
  ['a:12.5,b:.5', ['a', 'b'], [12.5, 0.5], 87],
  ['a:33.3,b:33.3,c:33.4', ['a', 'b', 'c'], [33.3, 33.3, 33.4], 0],
  ['a:0.1,b:0.2,c:99.7', ['a', 'b', 'c'], [0.1, 0.2, 99.7], 0],
  ['a:050,b:007', ['a', 'b'], [50, 7], 43],
  [Array.from({ length: 64 }, () => 'x:1').join(','), Array(64).fill('x'), Array(64).fill(1), 36],
];

for (const [text, values, percents, rest] of good) {
  test(`parseWeighted accepts ${text.slice(0, 40)}`, () => {
    const choice = words(text);
    assert.deepEqual(choice.values, values);
    assert.deepEqual(choice.percents, percents);
    assert.equal(choice.fallback, 'rest');
    assert.ok(Math.abs(choice.fallbackPercent - rest) < 1e-9, `${choice.fallbackPercent}`);
    if (rest === 0) {
      assert.equal(choice.fallbackPercent, 0);
      assert.notEqual(choice.pick(LAST_DRAW), 'rest');
    }
  });
}

const bad: ReadonlyArray<readonly [string, RegExp]> = [
  ['', /it is empty/],
  [',', /item 1 is empty/],
  [',a:50', /item 1 is empty/],
  ['a:50,', /item 2 is empty/],
  ['a:50,,b:1', /item 2 is empty/],
  ['a:50,b', /item 2 "b" has no :percent/],
  ['a,b', /item 1 "a" has no :percent/],
  ['a:', /item 1 "a:" has nothing after the colon/],
  ['a:x', /item 1 "a:x": invalid percentage "x"/],
  ['a:-1', /invalid percentage "-1"/],
  ['a:1e2', /invalid percentage "1e2"/],
  ['a: 5', /invalid percentage " 5"/],
  ['a:101', /percentage 101 for pick is over 100/],
  ['a:60,b:50', /the percentages add up to 110, over 100/],
  ['a:50.5,b:50', /the percentages add up to 100.5, over 100/],
  ['a:33.4,b:33.3,c:33.4', /the percentages add up to 100.1, over 100/],
  ['a:100,b:0.000001', /the percentages add up to 100.000001, over 100/],
  ['A:10', /item 1 "A:10": invalid word "A"/],
  [':10', /item 1 ":10": invalid word ""/],
  ['a:10,B:10', /item 2 "B:10": invalid word "B"/],
  ['A', /^invalid word "A" for pick/],
  [Array.from({ length: 65 }, () => 'x:1').join(','), /more than 64 items/],
  ['a'.repeat(5000), /longer than 4352 characters/],
];

for (const [text, message] of bad) {
  test(`parseWeighted rejects ${JSON.stringify(text.slice(0, 40))}`, () => {
    assert.throws(
      () => words(text),
      (error: unknown) => {
        assert.ok(error instanceof GrammarError, String(error));
        assert.equal(error.param, 'pick');
        assert.match(error.message, message);
        assert.ok(error.message.includes('pick'), error.message);
        return true;
      },
    );
  });
}

test('parseWeighted names the whole list and the hint in structural errors', () => {
  assert.throws(() => words('a:50,b'), (error: unknown) => {
    assert.ok(error instanceof GrammarError);
    assert.ok(error.message.startsWith('invalid weighted choice "a:50,b" for pick: '), error.message);
    assert.ok(error.message.includes(HINT), error.message);
    return true;
  });
});

test('parseWeighted lets errors other than GrammarError from parseValue through untouched', () => {
  const bug = new TypeError('bug in a value parser');
  assert.throws(() => parseWeighted('a:10', 'pick', () => { throw bug; }, 0), (error: unknown) => error === bug);
});

test('pick maps draws onto the cumulative percentages, skipping zero-percent values', () => {
  const choice = words('a:50,z:0,b:10');
  const cases: ReadonlyArray<readonly [number, string]> = [
    [0, 'a'],
    [0.4999999, 'a'],
    [0.5, 'b'],
    [0.5999999, 'b'],
    [0.6, 'rest'],
    [LAST_DRAW, 'rest'],
  ];
  for (const [r, expected] of cases) assert.equal(choice.pick(r), expected, String(r));
  assert.equal(words('z:0,a:50').pick(0), 'a');
  assert.equal(words('a').pick(LAST_DRAW), 'a');
});

test('picks match their percentages within 5 standard deviations of a binomial proportion', () => {
  const n = 100_000;
  for (const text of ['a:20,b:10', 'a:1,b:2.5,c:50,d:46.5', 'a:0.5,b:99']) {
    const choice = words(text);
    const random = new Random(31);
    const counts = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const value = choice.pick(random.next());
      counts.set(value, (counts.get(value) ?? 0) + 1);
    }
    const expected = new Map<string, number>(choice.values.map((value, i) => [value, choice.percents[i] / 100]));
    expected.set('rest', choice.fallbackPercent / 100);
    for (const [value, p] of expected) {
      const observed = (counts.get(value) ?? 0) / n;
      const tolerance = 5 * Math.sqrt((p * (1 - p)) / n);
      assert.ok(Math.abs(observed - p) <= tolerance, `${text}: ${value} drawn ${observed}, expected ${p} ± ${tolerance}`);
    }
  }
});

// Hundredths of a percent, rendered exactly as a decimal (1234 -> "12.34").
const hundredths = (units: number): string => `${Math.floor(units / 100)}.${String(units % 100).padStart(2, '0')}`;

// Splits 10,000 hundredths (100 %) into 1..64 parts.
const fullSplit = fc
  .array(fc.integer({ min: 1, max: 9999 }), { minLength: 0, maxLength: 63 })
  .map((cuts) => {
    const points = [...new Set(cuts)].sort((x, y) => x - y);
    const bounds = [0, ...points, 10_000];
    return bounds.slice(1).map((bound, i) => bound - bounds[i]);
  });

test('property: decimal percentages that add up to exactly 100 are accepted and leave nothing for the fallback', () => {
  fc.assert(
    fc.property(fullSplit, (parts) => {
      const text = parts.map((units) => `a:${hundredths(units)}`).join(',');
      const choice = words(text);
      assert.equal(choice.fallbackPercent, 0, text);
      assert.equal(choice.pick(LAST_DRAW), 'a', text);
      // One more hundredth anywhere is over 100.
      const over = parts.map((units, i) => `a:${hundredths(i === 0 ? units + 1 : units)}`).join(',');
      assert.throws(() => words(over), /over 100/, over);
    }),
    { numRuns: 2000 },
  );
});

test('property: pick agrees with a linear scan of the percentages', () => {
  const entry = fc.tuple(fc.constantFrom('a', 'b', 'c', 'd'), fc.integer({ min: 0, max: 2500 }));
  fc.assert(
    fc.property(fc.array(entry, { minLength: 1, maxLength: 4 }), fc.double({ min: 0, max: LAST_DRAW, noNaN: true }), (entries, r) => {
      const choice = words(entries.map(([value, units]) => `${value}:${hundredths(units)}`).join(','));
      let expected = 'rest';
      let cumulative = 0;
      for (const [value, units] of entries) {
        cumulative += units;
        // Away from the boundaries, where the two float sums may round differently.
        if (Math.abs(r * 10_000 - cumulative) < 1e-6) return;
        if (r * 10_000 < cumulative) {
          expected = value;
          break;
        }
      }
      assert.equal(choice.pick(r), expected);
    }),
    { numRuns: 3000 },
  );
});

test('property: any string gives a WeightedChoice or a GrammarError, never another exception', () => {
  const check = (text: string): void => {
    try {
      const choice = words(text);
      assert.ok(choice.values.length >= 1 && choice.values.length <= 64);
      assert.ok(choice.fallbackPercent >= 0 && choice.fallbackPercent <= 100);
    } catch (error) {
      assert.ok(error instanceof GrammarError, `${JSON.stringify(text)} threw ${String(error)}`);
      assert.equal(error.param, 'pick');
    }
  };
  fc.assert(fc.property(fc.string(), check), { numRuns: 2000 });
  const token = fc.constantFrom('a', 'b', ':', ',', '5', '50', '.', '.5', '100', '0', '-', ' ');
  fc.assert(fc.property(fc.array(token, { maxLength: 16 }).map((parts) => parts.join('')), check), { numRuns: 3000 });
});

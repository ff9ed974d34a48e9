import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { GrammarError } from '../../src/grammar/errors.js';
import { parsePercent } from '../../src/grammar/percent.js';

const HINT = 'use a number from 0 to 100';
const MODEL = /^(?:\d+(?:\.\d+)?|\.\d+)$/;

// The parser's whole contract for one input: a number in [0, 100] or a GrammarError naming the param.
function checkTotal(text: string): void {
  try {
    const percent = parsePercent(text, 'error-rate');
    assert.ok(Number.isFinite(percent) && percent >= 0 && percent <= 100, `${JSON.stringify(text)} -> ${percent}`);
  } catch (error) {
    assert.ok(error instanceof GrammarError, `${JSON.stringify(text)} threw ${String(error)}`);
    assert.equal(error.param, 'error-rate');
  }
}

const good: ReadonlyArray<readonly [string, number]> = [
  ['0', 0],
  ['5', 5],
  ['12.5', 12.5],
  ['.5', 0.5],
  ['0.1', 0.1],
  ['99.99', 99.99],
  ['100', 100],
  ['100.000', 100],
  ['007', 7],
];

for (const [text, expected] of good) {
  test(`parsePercent accepts ${text} as ${expected}`, () => {
    assert.equal(parsePercent(text, 'error-rate'), expected);
  });
}

const bad: readonly string[] = [
  '',
  ' ',
  ' 5',
  '5 ',
  '-1',
  '+5',
  '100.5',
  '101',
  '1000',
  '5%',
  'abc',
  '.',
  '5.',
  '1..5',
  '1.2.3',
  '1e2',
  'NaN',
  'Infinity',
  '1,5',
  '５',
  '0'.repeat(33),
];

for (const text of bad) {
  test(`parsePercent rejects ${JSON.stringify(text)}`, () => {
    assert.throws(
      () => parsePercent(text, 'X-Error-Rate'),
      (error: unknown) => {
        assert.ok(error instanceof GrammarError);
        assert.equal(error.param, 'X-Error-Rate');
        assert.ok(error.message.includes(JSON.stringify(text).slice(1, -1).slice(0, 32)), error.message);
        assert.ok(error.message.includes('X-Error-Rate'), error.message);
        assert.ok(error.message.includes(HINT), error.message);
        return true;
      },
    );
  });
}

test('parsePercent says a value over 100 is out of range', () => {
  assert.throws(() => parsePercent('150', 'error-rate'), {
    name: 'GrammarError',
    message: 'percentage 150 for error-rate is over 100: use a number from 0 to 100 such as 5 or 12.5',
  });
});

test('property: parsePercent returns a number in [0, 100] or throws GrammarError for any string', () => {
  fc.assert(fc.property(fc.string(), checkTotal), { numRuns: 2000 });
  fc.assert(fc.property(fc.string({ unit: 'binary' }), checkTotal), { numRuns: 2000 });
});

test('property: strings over the grammar alphabet parse exactly when the regex model accepts them', () => {
  const alphabet = fc.constantFrom('0', '1', '5', '9', '.', '%', 'e', '-', '+', ' ');
  fc.assert(
    fc.property(fc.string({ unit: alphabet, maxLength: 40 }), (text) => {
      checkTotal(text);
      const expected = text.length <= 32 && MODEL.test(text) ? Number(text) : undefined;
      if (expected === undefined || expected > 100) {
        assert.throws(() => parsePercent(text, 'error-rate'), GrammarError, text);
      } else {
        const actual = parsePercent(text, 'error-rate');
        assert.ok(Math.abs(actual - expected) <= expected * 1e-12, `${text}: ${actual} vs ${expected}`);
      }
    }),
    { numRuns: 5000 },
  );
});

test('property: every printed number from 0 to 100 reads back as itself', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 10_000 }), (hundredths) => {
      const percent = hundredths / 100;
      assert.equal(parsePercent(String(percent), 'error-rate'), percent);
    }),
  );
  fc.assert(
    fc.property(fc.double({ min: 1e-6, max: 100, noNaN: true }), (percent) => {
      const actual = parsePercent(String(percent), 'error-rate');
      assert.ok(actual <= 100 && Math.abs(actual - percent) <= percent * 1e-12, `${percent}: ${actual}`);
    }),
  );
});

// The one whole-number reader (src/grammar/integer.ts): table-driven good and bad input, the bounds, the
// message, and a property check against a regex model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { GrammarError } from '../../src/grammar/errors.js';
import { boundedIntMessage, parseBoundedInt, wholeNumber } from '../../src/grammar/integer.js';

const Safe = Number.MAX_SAFE_INTEGER;

const good: ReadonlyArray<readonly [string, number]> = [
  ['0', 0],
  ['7', 7],
  ['007', 7],
  ['65535', 65535],
  ['0000000000000000000000001', 1],
  [String(Safe), Safe],
  [`000${Safe}`, Safe],
];

const bad: readonly string[] = [
  '', ' ', ' 5', '5 ', '+5', '-5', '-0', '5.0', '.5', '5.', '1e3', '0x10', '0b1', '0o7', '1_000', '١٢', 'Infinity', 'NaN',
  '５', String(Safe + 1), '9007199254740993', '99999999999999999', '1'.repeat(400), '5\n', '\t5',
];

for (const [text, n] of good) test(`wholeNumber(${JSON.stringify(text)}) = ${n}`, () => assert.equal(wholeNumber(text), n));
for (const text of bad) test(`wholeNumber(${JSON.stringify(text)}) refuses it`, () => assert.equal(wholeNumber(text), -1));

const port = { min: 0, max: 65535, what: 'port', note: '(0 picks a free port)' } as const;
const bounded: ReadonlyArray<readonly [string, { min: number; max: number }, number | null]> = [
  ['0', port, 0],
  ['65535', port, 65535],
  ['65536', port, null],
  ['1', { min: 1, max: 256 }, 1],
  ['0', { min: 1, max: 256 }, null],
  ['257', { min: 1, max: 256 }, null],
  ['+1', { min: 1, max: 256 }, null],
  [String(Safe), { min: 0, max: Safe }, Safe],
  [String(Safe + 1), { min: 0, max: Safe }, null],
];
for (const [text, bounds, expected] of bounded) {
  test(`parseBoundedInt(${JSON.stringify(text)}, ${bounds.min}..${bounds.max}) ${expected === null ? 'throws' : `= ${expected}`}`, () => {
    if (expected !== null) {
      assert.equal(parseBoundedInt(text, '--x', bounds), expected);
      return;
    }
    assert.throws(() => parseBoundedInt(text, '--x', bounds), (err: unknown) =>
      err instanceof GrammarError && err.param === '--x' && err.message === boundedIntMessage(text, '--x', bounds));
  });
}

test('the message names the value, its source, the range, the alternative and the note', () => {
  assert.equal(boundedIntMessage('eighty', '--port', port), 'invalid port "eighty" for --port: use a whole number from 0 to 65535 (0 picks a free port)');
  assert.equal(boundedIntMessage('0', 'WORKERS', { min: 1, max: 256, what: 'worker count', or: 'auto' }),
    'invalid worker count "0" for WORKERS: use auto or a whole number from 1 to 256');
  assert.equal(boundedIntMessage('x', '--journal', { min: 0, max: 9 }), 'invalid value "x" for --journal: use a whole number from 0 to 9');
  // A hostile value is echoed truncated and escaped, as every grammar does.
  assert.match(boundedIntMessage(`${'9'.repeat(100)}\n`, 'limit', port), /^invalid port "9{40}…" for limit/);
});

test('property: wholeNumber agrees with /^\\d+$/ and Number() up to MAX_SAFE_INTEGER', () => {
  fc.assert(fc.property(fc.oneof(fc.string(), fc.stringMatching(/^[0-9]{1,20}$/), fc.nat().map(String)), (text) => {
    const model = /^[0-9]+$/.test(text) && Number(text) <= Safe ? Number(text) : -1;
    assert.equal(wholeNumber(text), model, JSON.stringify(text));
  }), { numRuns: 2000, seed: 16 });
});

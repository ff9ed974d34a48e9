import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isSequence, MaxRepeat, MaxSequenceItems, parseSequence } from '../../src/grammar/sequence.js';
import { parseLatency, parseStatusChoice } from '../../src/grammar/distribution.js';
import { GrammarError } from '../../src/grammar/errors.js';
import { Random } from '../../src/grammar/random.js';

const status = (t: string, p: string): number => parseStatusChoice(t, p).pick(0);

// [text, is a sequence]
const detection: ReadonlyArray<readonly [string, boolean]> = [
  ['503', false],
  ['503x3', true],
  ['503x3,200', true],
  ['503,200', true],
  ['cycle(503,200)', true],
  ['503:20,404:10', false],
  ['503:50x3,200', true],
  ['p50=10ms,p99=20ms', false],
  ['uniform(1ms,5ms)', false],
  ['uniform(1ms,5ms),0ms', true],
  ['lognormal(p50=1ms,p99=9ms)', false],
  ['10ms:50,100ms:10', false],
  ['linear(base=1ms,per=2ms)', false],
];
for (const [text, expected] of detection) {
  test(`isSequence(${JSON.stringify(text)}) is ${expected}`, () => assert.equal(isSequence(text), expected));
}

// [text, the first positions' items, cycle]
const good: ReadonlyArray<readonly [string, number[], boolean]> = [
  ['503x3,200', [503, 503, 503, 200], false],
  ['503,429,200', [503, 429, 200], false],
  ['cycle(503x2,200)', [503, 503, 200], true],
  ['200x1', [200], false],
  ['503x1000000,200', [503], false],
];
for (const [text, items, cycle] of good) {
  test(`parseSequence reads ${text}`, () => {
    const s = parseSequence(text, 'status', status);
    assert.equal(s.cycle, cycle);
    assert.equal(s.text, text);
    assert.equal(s.total, s.counts.reduce((a, b) => a + b, 0));
    items.forEach((v, i) => assert.equal(s.at(i), v, `position ${i}`));
    assert.equal(s.at(s.total - 1), s.items[s.items.length - 1]);
  });
}

test('items are read by the control\'s own parser: latencies, functions with commas included', () => {
  const s = parseSequence('uniform(1ms,2ms)x2,linear(base=3ms,per=1ms),0ms', 'delay', (t, p) => parseLatency(t, p, 60_000));
  assert.deepEqual(s.counts, [2, 1, 1]);
  assert.equal(s.items[0].describe, 'uniform(1ms,2ms)');
  assert.equal(s.items[1].describe, 'linear(base=3ms,per=1ms)');
  assert.equal(s.items[2].sample(new Random(1)), 0);
});

const bad: ReadonlyArray<readonly [string, RegExp]> = [
  ['', /empty/],
  ['503x0,200', /repeats 0 times/],
  [`503x${MaxRepeat + 1},200`, /repeats/],
  ['x3,200', /no value/],
  ['503,,200', /item 2 is empty/],
  ['cycle(503,200', /closed/],
  ['cycle()', /empty/],
  ['50x3,200', /item 1 "50x3": invalid status code/],
  [Array.from({ length: MaxSequenceItems + 1 }, () => '200').join(','), /more than 64 items/],
  ['uniform(1ms,2msx2,200', /parenthes/],
];
for (const [text, message] of bad) {
  test(`parseSequence rejects ${JSON.stringify(text.slice(0, 30))}`, () => {
    assert.throws(() => parseSequence(text, 'status', status), (err: unknown) => err instanceof GrammarError && err.param === 'status' && message.test(err.message));
  });
}

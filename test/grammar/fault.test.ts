import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FaultKinds, K, parseFault, parseFaultChoice } from '../../src/grammar/fault.js';
import { GrammarError } from '../../src/grammar/errors.js';

const MaxDelay = 60_000;

const good: readonly (readonly [string, number, number])[] = [
  ['reset', K.reset, 0], ['empty', K.empty, 0], ['garbage', K.garbage, 0], ['truncate(100)', K.truncate, 100], ['truncate(0)', K.truncate, 0],
  ['truncate(1KB)', K.truncate, 1024], ['malformed-chunk', K.malformedChunk, 0], ['hang', K.hang, 0], ['slow-headers(2s)', K.slowHeaders, 2000],
  ['slow-body(1KB)', K.slowBody, 1024], ['slow-body(10/s)', K.slowBody, 10], ['big-headers(64KB)', K.bigHeaders, 65536],
];
for (const [text, kind, arg] of good) {
  test(`parseFault accepts ${text}`, () => {
    const f = parseFault(text, 'fault', MaxDelay);
    assert.deepEqual([f.kind, f.arg, f.text], [kind, arg, text]);
    assert.equal(FaultKinds[f.kind], text.replace(/\(.*$/, ''));
  });
}

const bad: readonly (readonly [string, RegExp])[] = [
  ['', /empty/], ['nope', /unknown fault/], ['reset(1)', /takes no argument/], ['truncate', /argument in parentheses, e\.g\. truncate\(100\)/],
  ['truncate(10', /"\)" is missing/], ['truncate(-1)', /negative/], ['slow-headers(2h)', /maximum/], ['slow-body(0)', /at least 1 byte/],
  ['big-headers(2MiB)', /maximum/], ['truncate:100', /truncate takes an argument in parentheses/],
];
for (const [text, message] of bad) {
  test(`parseFaultChoice rejects ${JSON.stringify(text)}`, () => {
    assert.throws(() => parseFaultChoice(text, 'fault', MaxDelay), (err: unknown) => err instanceof GrammarError && message.test(err.message));
  });
}

test('weights: listed faults get their share, the rest no fault (null)', () => {
  const c = parseFaultChoice('reset:5,truncate(100):5', 'fault', MaxDelay);
  assert.deepEqual(c.percents, [5, 5]);
  assert.equal(c.fallback, null);
  assert.equal(c.pick(0.01)?.kind, K.reset);
  assert.equal(c.pick(0.07)?.arg, 100);
  assert.equal(c.pick(0.5), null);
  assert.equal(parseFaultChoice('hang', 'fault', MaxDelay).pick(0.999)?.kind, K.hang);
  assert.equal(parseFaultChoice('reset:0', 'fault', MaxDelay).pick(0), null);
});

test('draws follow the weights (10 000 draws of reset:20,empty:30)', () => {
  const c = parseFaultChoice('reset:20,empty:30', 'fault', MaxDelay);
  const n = [0, 0, 0];
  for (let i = 0; i < 10_000; i++) {
    const f = c.pick((i + 0.5) / 10_000);
    n[f === null ? 2 : f.kind]++;
  }
  assert.deepEqual(n, [2000, 3000, 5000]);
});

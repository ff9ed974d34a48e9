// The saturation guard's decision: when a worker counts as saturated and when it has recovered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SaturationGuard } from '../../src/observe/saturation.js';

/** Feed samples, collect the transitions. */
function run(samples: number[], threshold = 0.85, seconds = 3): (boolean | null)[] {
  const g = new SaturationGuard(threshold, seconds);
  return samples.map((e) => g.sample(e));
}

test('saturated only after `seconds` samples in a row over the threshold', () => {
  assert.deepEqual(run([0.9, 0.9, 0.5, 0.9, 0.9, 0.9]), [null, null, null, null, null, true]);
  // At the threshold is not over it.
  assert.deepEqual(run([0.85, 0.85, 0.85, 0.85]), [null, null, null, null]);
});

test('a saturated hour is one transition, not one per sample', () => {
  const out = run(Array.from({ length: 3600 }, () => 0.99));
  assert.equal(out.filter((x) => x !== null).length, 1);
});

test('recovers only after as many quiet samples in a row', () => {
  assert.deepEqual(run([0.9, 0.9, 0.9, 0.5, 0.5, 0.5]), [null, null, true, null, null, false]);
  assert.deepEqual(run([0.9, 0.9, 0.9, 0.5, 0.9, 0.5, 0.5, 0.5]), [null, null, true, null, null, null, null, false]);
});

test('a load hovering around the threshold does not flood the log', () => {
  // Alternating busy and quiet seconds for ten minutes: one warning at most, never a warning per cycle.
  const pattern = [0.9, 0.9, 0.9, 0.8];
  const out = run(Array.from({ length: 600 }, (_, i) => pattern[i % pattern.length]));
  assert.equal(out.filter((x) => x !== null).length, 1);
});

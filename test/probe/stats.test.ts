// The probe's accounting (src/probe/stats.ts): nearest-rank percentiles, and loss / reordering / duplicates
// counted from the first sequence number seen to the expected last, over edge cases.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { percentile, percentiles, Tally } from '../../src/probe/stats.js';

describe('percentile (nearest rank)', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
  const cases: { values: number[]; p: number; want: number }[] = [
    { values: [7], p: 50, want: 7 },
    { values: [7], p: 100, want: 7 },
    { values: [1, 2], p: 50, want: 1 },
    { values: [1, 2], p: 51, want: 2 },
    { values: [1, 2, 3, 4], p: 99, want: 4 },
    { values: hundred, p: 50, want: 50 },
    { values: hundred, p: 90, want: 90 },
    { values: hundred, p: 99, want: 99 },
    { values: hundred, p: 100, want: 100 },
    { values: hundred, p: 0.5, want: 1 },
    { values: [-5, -1, 3], p: 50, want: -1 },
  ];
  for (const c of cases) {
    test(`p${c.p} of ${c.values.length} value(s) is ${c.want}`, () => {
      assert.equal(percentile(c.values, c.p), c.want);
    });
  }

  test('no values, or p outside (0, 100], is an error', () => {
    assert.throws(() => percentile([], 50), RangeError);
    assert.throws(() => percentile([1], 0), RangeError);
    assert.throws(() => percentile([1], 101), RangeError);
    assert.throws(() => percentile([1], Number.NaN), RangeError);
  });

  test('percentiles sorts numerically (not as strings) and keeps negatives', () => {
    assert.deepEqual(percentiles([10, 9, 100, -2, 1]), { min: -2, p50: 9, p90: 100, p99: 100, max: 100 });
    assert.equal(percentiles([]), null);
  });
});

/** Feed seqs in order with latency = seq ms (sent 0, arrival seq) and 10 bytes each. */
function tally(seqs: number[]): Tally {
  const t = new Tally();
  for (const s of seqs) t.stamped(s, 1000, 1000 + s, 10);
  return t;
}

describe('Tally: loss, reordering, duplicates', () => {
  const cases: { name: string; seqs: number[]; expected: number | null; loss: number; reordered: number; duplicates: number; first: number | null; last: number | null }[] = [
    { name: 'all in order', seqs: [1, 2, 3], expected: 3, loss: 0, reordered: 0, duplicates: 0, first: 1, last: 3 },
    { name: 'a gap', seqs: [1, 3], expected: 3, loss: 1, reordered: 0, duplicates: 0, first: 1, last: 3 },
    { name: 'the tail missing (counted against expected)', seqs: [1, 2], expected: 5, loss: 3, reordered: 0, duplicates: 0, first: 1, last: 2 },
    { name: 'the tail missing, expected unknown: not seen as loss', seqs: [1, 2], expected: null, loss: 0, reordered: 0, duplicates: 0, first: 1, last: 2 },
    { name: 'a gap, expected unknown', seqs: [1, 4], expected: null, loss: 2, reordered: 0, duplicates: 0, first: 1, last: 4 },
    { name: 'starting late: loss counts from the first seen', seqs: [3, 4, 5], expected: 5, loss: 0, reordered: 0, duplicates: 0, first: 3, last: 5 },
    { name: 'a swap', seqs: [1, 3, 2], expected: 3, loss: 0, reordered: 1, duplicates: 0, first: 1, last: 3 },
    { name: 'a late first message', seqs: [2, 3, 1], expected: 3, loss: 0, reordered: 1, duplicates: 0, first: 1, last: 3 },
    { name: 'all reversed', seqs: [4, 3, 2, 1], expected: 4, loss: 0, reordered: 3, duplicates: 0, first: 1, last: 4 },
    { name: 'a repeat is a duplicate, not a reorder', seqs: [1, 2, 2, 1, 3], expected: 3, loss: 0, reordered: 0, duplicates: 2, first: 1, last: 3 },
    { name: 'more than expected: the extra is not a negative loss', seqs: [1, 2, 3, 4], expected: 2, loss: 0, reordered: 0, duplicates: 0, first: 1, last: 4 },
    { name: 'nothing arrived: all expected are lost', seqs: [], expected: 4, loss: 4, reordered: 0, duplicates: 0, first: null, last: null },
    { name: 'nothing arrived, nothing expected', seqs: [], expected: null, loss: 0, reordered: 0, duplicates: 0, first: null, last: null },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const a = tally(c.seqs).summary(c.expected);
      assert.deepEqual(
        { loss: a.loss, reordered: a.reordered, duplicates: a.duplicates, first: a.firstSeq, last: a.lastSeq, received: a.received, bytes: a.bytes },
        { loss: c.loss, reordered: c.reordered, duplicates: c.duplicates, first: c.first, last: c.last, received: c.seqs.length, bytes: 10 * c.seqs.length },
      );
      assert.equal(a.expected, c.expected);
    });
  }

  test('latency is arrival minus sent over every stamped arrival, duplicates included; negatives kept', () => {
    const t = new Tally();
    t.stamped(1, 1000, 1002, 1);
    t.stamped(2, 1000, 1004, 1);
    t.stamped(2, 1000, 1010, 1);
    t.stamped(3, 1000, 997, 1);
    assert.deepEqual(t.summary(3).latencyMs, { min: -3, p50: 2, p90: 10, p99: 10, max: 10 });
  });

  test('unstamped messages are counted and measured in bytes, not in latency or sequence', () => {
    const t = tally([1]);
    t.unstamped(100);
    const a = t.summary(1);
    assert.deepEqual({ received: a.received, bytes: a.bytes, unstamped: a.unstamped, loss: a.loss }, { received: 2, bytes: 110, unstamped: 1, loss: 0 });
    assert.equal(new Tally().summary(null).latencyMs, null);
  });

  test('bursts: the most messages between two reads, the read still open counted too', () => {
    const t = new Tally();
    t.stamped(1, 0, 1, 1);
    t.markRead();
    t.stamped(2, 0, 1, 1);
    t.stamped(3, 0, 1, 1);
    t.unstamped(1);
    t.markRead();
    t.markRead();
    t.stamped(4, 0, 1, 1);
    assert.equal(t.bursts, 3);
    for (let s = 5; s < 10; s++) t.stamped(s, 0, 1, 1);
    assert.equal(t.bursts, 6);
  });
});

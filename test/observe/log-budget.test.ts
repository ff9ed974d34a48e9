// The error-line budget: at most N lines a second, the rest counted and named by the next line let through.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LogBudget } from '../../src/observe/log-budget.js';

test('N lines a second go out; the rest are dropped and counted into the next line of a later second', () => {
  let now = 10_000;
  const b = new LogBudget(3, () => now);
  assert.deepEqual([b.take(), b.take(), b.take(), b.take(), b.take()], [0, 0, 0, -1, -1]);
  now += 999;
  assert.equal(b.take(), -1, 'the same window');
  now += 1;
  assert.deepEqual([b.take(), b.take()], [3, 0], 'a new window: the first line carries the 3 dropped');
});

// BoundedCache (issue 15, item 8): every compile cache is bounded by entries AND bytes (keys are client text).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BoundedCache, EntryOverheadBytes } from '../../src/grammar/cache.js';

test('BoundedCache keeps at most maxEntries, evicting the oldest first', () => {
  const c = new BoundedCache<number>(3, 1 << 20);
  for (const k of ['a', 'b', 'c', 'd']) c.set(k, k.charCodeAt(0));
  assert.equal(c.size, 3);
  assert.equal(c.get('a'), undefined);
  assert.equal(c.get('d'), 100);
  assert.equal(c.get('b'), 98);
});

test('BoundedCache keeps at most maxBytes: a key costs its length plus the entry overhead', () => {
  const max = 10 * (1000 + EntryOverheadBytes);
  const c = new BoundedCache<null>(1024, max);
  for (let i = 0; i < 100; i++) c.set(`${i}`.padStart(1000, 'x'), null);
  assert.equal(c.size, 10);
  assert.ok(c.bytes <= max, `bytes ${c.bytes}`);
  assert.ok(c.has('99'.padStart(1000, 'x')), 'the newest is kept');
  assert.ok(!c.has('0'.padStart(1000, 'x')), 'the oldest is gone');
});

test('BoundedCache does not keep an entry larger than its whole budget', () => {
  const c = new BoundedCache<string>(10, 100);
  c.set('k', 'v');
  c.set('x'.repeat(200), 'v');
  assert.equal(c.size, 1);
  assert.equal(c.get('k'), 'v');
});

test('BoundedCache counts value cost and re-setting a key replaces its charge', () => {
  const c = new BoundedCache<string>(10, 1000, (v) => v.length);
  c.set('k', 'a'.repeat(100));
  c.set('k', 'b'.repeat(10));
  assert.equal(c.size, 1);
  assert.equal(c.bytes, 1 + EntryOverheadBytes + 10);
  c.clear();
  assert.equal(c.size, 0);
  assert.equal(c.bytes, 0);
});

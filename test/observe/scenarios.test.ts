import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { allocateScenarios, MaxScenarios, ScenarioBook, ScenarioTable, type ScenarioClaim } from '../../src/observe/scenarios.js';

test('positions advance one per request, stop at the end without cycle and wrap with it', () => {
  const t = new ScenarioTable(allocateScenarios());
  assert.deepEqual([0, 1, 2, 3, 4].map(() => t.advance('k', 'status', '503x3,200', 4, false)), [0, 1, 2, 3, 3]);
  assert.deepEqual([0, 1, 2, 3, 4].map(() => t.advance('k', 'status', 'cycle(503x2,200)', 3, true)), [0, 1, 2, 0, 1]);
});

test('key, control and sequence text each make a scenario of their own; the claim is told once', () => {
  const claims: ScenarioClaim[] = [];
  const t = new ScenarioTable(allocateScenarios(), (c) => claims.push(c));
  assert.equal(t.advance('a', 'status', '503,200', 2, false), 0);
  assert.equal(t.advance('b', 'status', '503,200', 2, false), 0);
  assert.equal(t.advance('a', 'delay', '503,200', 2, false), 0);
  assert.equal(t.advance('a', 'status', '503x1,200', 2, false), 0);
  assert.equal(t.advance('a', 'status', '503,200', 2, false), 1);
  assert.deepEqual(claims.map((c) => `${c.key}/${c.control}/${c.sequence}`), ['a/status/503,200', 'b/status/503,200', 'a/delay/503,200', 'a/status/503x1,200']);
});

test('a full table answers -1 instead of growing; a reset empties it', () => {
  const sab = allocateScenarios();
  const t = new ScenarioTable(sab);
  for (let i = 0; i < MaxScenarios; i++) assert.notEqual(t.advance(`k${i}`, 'status', '503,200', 2, false), -1);
  assert.equal(t.advance('one more', 'status', '503,200', 2, false), -1);
  assert.equal(t.advance('k7', 'status', '503,200', 2, false), 1, 'a scenario already in the table still advances');
  const book = new ScenarioBook(sab);
  assert.equal(book.reset(null), MaxScenarios);
  assert.equal(t.advance('one more', 'status', '503,200', 2, false), 0);
});

test('the book names claimed slots, lists by key, and a key reset starts only that key over', () => {
  const sab = allocateScenarios();
  const book = new ScenarioBook(sab);
  const t = new ScenarioTable(sab, (c) => book.claimed(c));
  for (let i = 0; i < 5; i++) t.advance('a', 'status', '503x3,200', 4, false);
  t.advance('b', 'status', 'cycle(503,200)', 2, true);
  assert.deepEqual(book.list('a'), [{ key: 'a', control: 'status', sequence: '503x3,200', position: 4, length: 4, cycle: false, done: true }]);
  assert.equal(book.list(null).length, 2);
  assert.equal(book.reset('a'), 1);
  assert.equal(book.list('a')[0].position, 0);
  assert.equal(book.list('b')[0].position, 1);
  assert.equal(t.advance('a', 'status', '503x3,200', 4, false), 0);
});

test('threads advancing the same scenario at once each get a distinct position', async () => {
  const sab = allocateScenarios();
  const threads = 4;
  const each = 5_000;
  const total = threads * each;
  const url = new URL('../../src/observe/scenarios.js', import.meta.url).href;
  const code = `
    const { workerData, parentPort } = require('node:worker_threads');
    import(workerData.url).then(({ ScenarioTable }) => {
      const t = new ScenarioTable(workerData.sab);
      const seen = [];
      for (let i = 0; i < workerData.each; i++) seen.push(t.advance('k', 'status', 'seq', workerData.total + 10, false));
      parentPort.postMessage(seen);
    });`;
  const lists = await Promise.all(Array.from({ length: threads }, () => new Promise<number[]>((resolve, reject) => {
    const w = new Worker(code, { eval: true, workerData: { sab, url, each, total } });
    w.once('message', resolve);
    w.once('error', reject);
  })));
  const all = lists.flat().sort((a, b) => a - b);
  assert.deepEqual(all, Array.from({ length: total }, (_, i) => i));
});

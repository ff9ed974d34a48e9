// The in-process fixture API, as a Node test suite would use it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startMockUpstream } from '../src/index.js';
import { UsageError } from '../src/config/options.js';
import { waitForPending } from './helpers/server.js';

test('startMockUpstream starts on a free port, serves, and closes', async () => {
  const t0 = performance.now();
  const mock = await startMockUpstream();
  const startMs = performance.now() - t0;
  try {
    assert.match(mock.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(mock.port > 0);
    const r = await fetch(`${mock.url}/json/valid`);
    assert.equal(r.status, 200);
    assert.match(await r.text(), /^\{"time": "/);
    // Not a budget assertion (those live in bench/); a gross regression guard for fixture start-up.
    assert.ok(startMs < 5000, `started in ${startMs} ms`);
  } finally {
    await mock.close();
  }
  await assert.rejects(fetch(`${mock.url}/json`));
});

test('options map to the CLI flags and are validated by the same parser', async () => {
  const mock = await startMockUpstream({ workers: 2, maxSize: '1KB' });
  try {
    assert.equal(mock.config.workers, 2);
    assert.equal((await fetch(`${mock.url}/size/2KB`)).status, 400);
    assert.equal((await fetch(`${mock.url}/size/1KB`)).status, 200);
  } finally {
    await mock.close();
  }
  await assert.rejects(startMockUpstream({ maxDelay: 'soon' }), UsageError);
});

test('close() waits for in-flight delayed responses', async () => {
  const mock = await startMockUpstream();
  const pending = fetch(`${mock.url}/delay/1500ms`);
  await waitForPending(mock.url, 1);
  await mock.close();
  assert.equal((await pending).status, 200);
});

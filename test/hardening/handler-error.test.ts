// A route handler that throws before answering is a bug, but it must cost one 500, not the process:
// uWS aborts every worker thread when a handler returns without responding (docs/operations.md, "Crashes").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withServer } from '../helpers/server.js';
import { FaultHookEnv, FaultHookPhrase } from '../../src/config/defaults.js';

test('a handler that throws answers 500 JSON, is logged once, and the worker keeps serving', async () => {
  await withServer({ args: ['--workers', '1'], env: { [FaultHookEnv]: FaultHookPhrase } }, async (server) => {
    for (let i = 0; i < 3; i++) {
      const r = await fetch(`${server.url}/__mock/test/throw`);
      assert.equal(r.status, 500);
      const body = await r.json() as { error: string };
      assert.match(body.error, /^internal error in \/__mock\/test\/throw: test fault hook: deliberate handler bug$/);
      // Same connection pool, same worker: still answering.
      assert.equal((await fetch(`${server.url}/json`)).status, 200);
    }
    const line = await server.waitForLine((l) => l.event === 'handler-error');
    assert.equal(line.level, 'error');
    assert.equal(line.route, '/__mock/test/throw');
    await server.waitForLine(() => server.lines.filter((l) => l.includes('"event":"handler-error"')).length === 3);
    assert.ok(!server.lines.some((l) => /exited with code|restarting/.test(l)), 'no worker died');
  });
});

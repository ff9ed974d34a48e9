// A route handler that throws before answering is a bug, but it must cost one 500, not the process:
// uWS aborts every worker thread when a handler returns without responding (docs/operations.md, "Crashes").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withServer } from '../helpers/server.js';
import { FaultHookEnv, FaultHookPhrase } from '../../src/config/defaults.js';
import { HandlerErrorsPerSecond } from '../../src/runtime/supervisor.js';

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

test('a flood of handler errors is logged at most HandlerErrorsPerSecond a second; a later line says how many were left out', async () => {
  await withServer({ args: ['--workers', '1'], env: { [FaultHookEnv]: FaultHookPhrase } }, async (server) => {
    const n = 60;
    for (let i = 0; i < n; i += 10) {
      const rs = await Promise.all(Array.from({ length: 10 }, () => fetch(`${server.url}/__mock/test/throw`)));
      for (const r of rs) { assert.equal(r.status, 500); await r.arrayBuffer(); }
    }
    const logged = (): number => server.lines.filter((l) => l.includes('"event":"handler-error"')).length;
    // The lines of the flood are in once the worker answered them (the log line is posted before the 500 is written).
    await server.waitForLine((l) => l.event === 'handler-error');
    assert.ok(logged() <= HandlerErrorsPerSecond * 2, `${logged()} lines for ${n} errors`);
    // A new budget window (the wait is the window's second, not a guess at an event), then one more error: its
    // line counts the ones left out (bounded wait: waitForLine times out). The flood's own lines are all in by then.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const seen = logged();
    assert.equal((await fetch(`${server.url}/__mock/test/throw`)).status, 500);
    const line = await server.waitForLine((l) => l.event === 'handler-error' && typeof l.suppressed === 'number');
    assert.equal(seen + (line.suppressed as number), n, 'every error is either a line or counted in one');
  });
});

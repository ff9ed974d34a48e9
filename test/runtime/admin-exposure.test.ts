// Where the /__mock/* admin endpoints live: the data port (default), their own port, or nowhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli, startServer } from '../helpers/server.js';

test('--admin-port moves /__mock/* to its own listener; the data port no longer serves it', async () => {
  const server = await startServer(['--workers', '2', '--admin-port', '0']);
  try {
    const line = await server.waitForLine((l) => l.event === 'listening');
    const adminPort = line.adminPort as number;
    assert.ok(adminPort > 0 && adminPort !== server.port);
    const admin = `http://127.0.0.1:${adminPort}`;
    for (const path of ['/__mock/health', '/__mock/stats', '/__mock/metrics', '/__mock/config']) {
      assert.equal((await fetch(`${admin}${path}`)).status, 200, `${path} on the admin port`);
      assert.equal((await fetch(`${server.url}${path}`)).status, 404, `${path} on the data port`);
    }
    assert.equal((await fetch(`${admin}/json/valid`)).status, 404, 'data routes are not on the admin port');
    assert.equal((await fetch(`${server.url}/json/valid`)).status, 200);
    // Metrics on the admin port still count the data port's traffic.
    const text = await (await fetch(`${admin}/__mock/metrics`)).text();
    assert.match(text, /mock_upstream_requests_total\{route="\/json\/valid",status="2xx"\} [1-9]/);
  } finally {
    assert.equal(await server.stop(), 0);
  }
});

test('--no-admin removes /__mock/* entirely', async () => {
  const server = await startServer(['--no-admin']);
  try {
    for (const path of ['/__mock/health', '/__mock/stats', '/__mock/metrics', '/__mock/config']) {
      assert.equal((await fetch(`${server.url}${path}`)).status, 404, path);
    }
    assert.equal((await fetch(`${server.url}/json`)).status, 200);
  } finally {
    assert.equal(await server.stop(), 0);
  }
});

test('an --admin-port already in use is a clear startup error', async () => {
  const first = await startServer(['--admin-port', '0']);
  try {
    const line = await first.waitForLine((l) => l.event === 'listening');
    const r = await runCli(['--port', '0', '--host', '127.0.0.1', '--admin-port', String(line.adminPort)]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /already in use.*--admin-port/);
  } finally {
    await first.stop();
  }
});

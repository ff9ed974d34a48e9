// Where the /__mock/* admin endpoints live: the data port (default), their own port, or nowhere.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer } from 'node:net';
import { runCli, withServer } from '../helpers/server.js';

test('--admin-port moves /__mock/* to its own listener; the data port no longer serves it', async () => {
  await withServer({ args: ['--workers', '2', '--admin-port', '0'] }, async (server) => {
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
  });
});

test('--no-admin removes /__mock/* entirely', async () => {
  await withServer({ args: ['--no-admin'] }, async (server) => {
    for (const path of ['/__mock/health', '/__mock/stats', '/__mock/metrics', '/__mock/config']) {
      assert.equal((await fetch(`${server.url}${path}`)).status, 404, path);
    }
    assert.equal((await fetch(`${server.url}/json`)).status, 200);
  });
});

test('an --admin-port already in use is a clear startup error', async () => {
  await withServer({ args: ['--admin-port', '0'] }, async (first) => {
    const line = await first.waitForLine((l) => l.event === 'listening');
    const r = await runCli(['--port', '0', '--host', '127.0.0.1', '--admin-port', String(line.adminPort)]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /already in use.*--admin-port/);
  });
});

/** Whether a TCP connection to host:port is refused (nothing listens there). */
function refused(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, host);
    s.on('connect', () => { s.destroy(); resolve(false); });
    s.on('error', () => resolve(true));
  });
}

/** Whether this machine can listen on addr (127.0.0.2 is loopback on Linux, not configured on macOS). */
function canListen(addr: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(0, addr, () => s.close(() => resolve(true)));
  });
}

test('--admin-host 127.0.0.1 with data on 127.0.0.1: the admin listener works and is reported', async () => {
  await withServer({ args: ['--admin-port', '0', '--admin-host', '127.0.0.1'] }, async (server) => {
    const line = await server.waitForLine((l) => l.event === 'listening');
    assert.equal(line.adminHost, '127.0.0.1');
    const adminPort = line.adminPort as number;
    assert.equal((await fetch(`http://127.0.0.1:${adminPort}/__mock/health`)).status, 200);
    assert.equal((await fetch(`${server.url}/__mock/health`)).status, 404);
    assert.equal((await fetch(`${server.url}/json`)).status, 200);
    const config = await (await fetch(`http://127.0.0.1:${adminPort}/__mock/config`)).json() as { adminHost: string };
    assert.equal(config.adminHost, '127.0.0.1');
  });
});

test('--admin-host puts the admin listener on its own interface, apart from --host', async (t) => {
  if (!(await canListen('127.0.0.2'))) {
    t.skip('127.0.0.2 is not a local address here');
    return;
  }
  // Data on 127.0.0.1 (startServer's --host), admin only on 127.0.0.2; the env spelling, for once.
  await withServer({ args: ['--admin-port', '0'], env: { MOCK_ADMIN_HOST: '127.0.0.2' } }, async (server) => {
    const line = await server.waitForLine((l) => l.event === 'listening');
    const adminPort = line.adminPort as number;
    assert.equal(line.adminHost, '127.0.0.2');
    assert.equal((await fetch(`http://127.0.0.2:${adminPort}/__mock/health`)).status, 200);
    assert.ok(await refused('127.0.0.1', adminPort), 'no admin listener on the data interface');
    assert.ok(await refused('127.0.0.2', server.port), 'no data listener on the admin interface');
    assert.equal((await fetch(`${server.url}/json`)).status, 200);
  });
});

test('with --admin-port, runtime routes and the journal are driven from the admin port and act on the data port', async () => {
  await withServer({ args: ['--workers', '2', '--admin-port', '0', '--journal', '10'] }, async (server) => {
    const admin = `http://127.0.0.1:${(await server.waitForLine((l) => l.event === 'listening')).adminPort as number}`;
    const added = await fetch(`${admin}/__mock/routes`, { method: 'POST', body: JSON.stringify({ path: '/fixture', body: { text: 'from admin' } }) });
    assert.equal(added.status, 201);
    for (let i = 0; i < 6; i++) assert.equal(await (await fetch(`${server.url}/fixture`, { headers: { connection: 'close' } })).text(), 'from admin');
    const journal = await (await fetch(`${admin}/__mock/requests?path=/fixture`)).json() as { count: number };
    assert.equal(journal.count, 6);
    assert.equal((await fetch(`${server.url}/__mock/routes`)).status, 404, 'not on the data port');
  });
});

test('--admin-prefix moves the admin endpoints to another path; the old one is an ordinary path', async () => {
  await withServer({ args: ['--admin-prefix', '/_admin', '--workers', '2'] }, async (server) => {
    for (const path of ['health', 'stats', 'metrics', 'config']) {
      assert.equal((await fetch(`${server.url}/_admin/${path}`)).status, 200, `/_admin/${path}`);
      assert.equal((await fetch(`${server.url}/__mock/${path}`)).status, 404, `/__mock/${path}`);
    }
    const unknown = await fetch(`${server.url}/_admin/nope`);
    assert.equal(unknown.status, 404);
    assert.match((await unknown.json() as { error: string }).error, /no admin route \/_admin\/nope/);
    // A route may now live under /__mock/, but not under the new prefix.
    const ok = await fetch(`${server.url}/_admin/routes`, { method: 'POST', body: JSON.stringify({ path: '/__mock/users', body: { text: 'mine' } }) });
    assert.equal(ok.status, 201, await ok.text());
    assert.equal(await (await fetch(`${server.url}/__mock/users`, { headers: { connection: 'close' } })).text(), 'mine');
    const refused = await fetch(`${server.url}/_admin/routes`, { method: 'POST', body: JSON.stringify({ path: '/_admin/x' }) });
    assert.equal(refused.status, 400);
    assert.match(await refused.text(), /reserved admin prefix \/_admin\//);
  });
});

test('configured routes cannot answer under the admin prefix, even through :params', async () => {
  await withServer({}, async (server) => {
    const r = await fetch(`${server.url}/__mock/routes`, { method: 'POST', body: JSON.stringify({ path: '/:a/:b', status: 418 }) });
    assert.equal(r.status, 201, await r.text());
    assert.equal((await fetch(`${server.url}/x/y`)).status, 418, 'the route answers elsewhere');
    const admin = await fetch(`${server.url}/__mock/nope`);
    assert.equal(admin.status, 404, 'an unknown admin path stays the admin 404');
    assert.equal((await admin.json() as { param: string }).param, 'path');
    assert.equal((await fetch(`${server.url}/__mock/health`)).status, 200);
  });
});

test('an invalid --admin-prefix is a usage error', async () => {
  for (const bad of ['/', 'mock', '/a b/', '/a//b/']) {
    const r = await runCli(['--port', '0', '--admin-prefix', bad]);
    assert.equal(r.code, 2, bad);
    assert.match(r.stderr, /invalid --admin-prefix/);
  }
});

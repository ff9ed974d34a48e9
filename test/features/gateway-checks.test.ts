// What the gateway sent, at the connection: mutual TLS (--tls-ca) with curl and node's https client
// presenting no certificate, one from another CA and the right one; the PROXY protocol (v1 and v2) through
// HAProxy, and a missing or malformed header closed and counted. Both features serve on the portable engine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withServer } from '../helpers/server.js';
import { startHaproxy } from '../helpers/haproxy.js';

// A throwaway CA, a server certificate for 127.0.0.1, a client certificate it signs, and one from another CA.
function makePki(): Record<'dir' | 'ca' | 'serverCrt' | 'serverKey' | 'clientCrt' | 'clientKey' | 'otherCrt' | 'otherKey', string> {
  const dir = mkdtempSync(join(tmpdir(), 'mock-mtls-'));
  const p = (n: string): string => join(dir, n);
  const ossl = (...args: string[]): void => { execFileSync('openssl', args, { stdio: 'ignore' }); };
  for (const ca of ['ca', 'other']) ossl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${ca}-ca`, '-days', '1', '-keyout', p(`${ca}.key`), '-out', p(`${ca}.crt`));
  const leaf = (name: string, ca: string, san: string): void => {
    ossl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}/O=test`, '-keyout', p(`${name}.key`), '-out', p(`${name}.csr`));
    writeFileSync(p(`${name}.ext`), `subjectAltName=${san}\n`);
    ossl('x509', '-req', '-in', p(`${name}.csr`), '-CA', p(`${ca}.crt`), '-CAkey', p(`${ca}.key`), '-CAcreateserial', '-days', '1', '-extfile', p(`${name}.ext`), '-out', p(`${name}.crt`));
  };
  leaf('server', 'ca', 'IP:127.0.0.1,DNS:localhost');
  leaf('client', 'ca', 'DNS:gateway.test');
  leaf('intruder', 'other', 'DNS:intruder.test');
  return { dir, ca: p('ca.crt'), serverCrt: p('server.crt'), serverKey: p('server.key'), clientCrt: p('client.crt'), clientKey: p('client.key'), otherCrt: p('intruder.crt'), otherKey: p('intruder.key') };
}

function curl(args: string[]): Promise<{ code: string; body: string }> {
  return new Promise((resolve) => {
    execFile('curl', ['-sS', '--max-time', '10', '-o', '-', '-w', '\n%{http_code}', ...args], { timeout: 15_000 }, (_err, stdout) => {
      const at = stdout.lastIndexOf('\n');
      resolve({ body: stdout.slice(0, at), code: stdout.slice(at + 1) });
    });
  });
}

function nodeGet(url: string, ca: Buffer, cert?: Buffer, key?: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ca, cert, key, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('no answer within 10 s')));
    req.end();
  });
}

test('mutual TLS: no certificate and another CA\'s get a 403 that says why; the right one is shown', async () => {
  const k = makePki();
  await withServer({ args: ['--tls-cert', k.serverCrt, '--tls-key', k.serverKey, '--tls-ca', k.ca, '--journal', '10', '--h2-port', '0'] }, async (server) => {
    const listening = await server.waitForLine((l) => l.event === 'listening');
    assert.equal(listening.engine, 'portable');
    assert.match(String(listening.msg), /--tls-ca needs it/);
    const base = `https://127.0.0.1:${server.port}`;
    // curl
    const none = await curl(['--cacert', k.ca, `${base}/echo`]);
    assert.equal(none.code, '403');
    assert.match(none.body, /sent no certificate/);
    const wrong = await curl(['--cacert', k.ca, '--cert', k.otherCrt, '--key', k.otherKey, `${base}/echo`]);
    assert.equal(wrong.code, '403');
    assert.match(wrong.body, /did not verify against --tls-ca/);
    const right = await curl(['--cacert', k.ca, '--cert', k.clientCrt, '--key', k.clientKey, `${base}/anything`]);
    assert.equal(right.code, '200');
    const cert = (JSON.parse(right.body) as { client_cert: { subject: string; issuer: string; san: string[]; fingerprint256: string; authorized: boolean } }).client_cert;
    assert.equal(cert.subject, 'CN=client,O=test');
    assert.equal(cert.issuer, 'CN=ca-ca');
    assert.deepEqual(cert.san, ['DNS:gateway.test']);
    assert.match(cert.fingerprint256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    assert.equal(cert.authorized, true);
    // node's https client
    const ca = readFileSync(k.ca);
    assert.equal((await nodeGet(`${base}/echo`, ca)).status, 403);
    assert.equal((await nodeGet(`${base}/echo`, ca, readFileSync(k.otherCrt), readFileSync(k.otherKey))).status, 403);
    const ok = await nodeGet(`${base}/echo`, ca, readFileSync(k.clientCrt), readFileSync(k.clientKey));
    assert.equal(ok.status, 200);
    assert.equal((JSON.parse(ok.body) as { ClientCert: { subject: string } }).ClientCert.subject, 'CN=client,O=test');
    // The h2 TLS port (HTTP/1.1 by ALPN here) honours it too.
    const h2Port = listening.h2Port as number;
    assert.equal((await curl(['--http1.1', '--cacert', k.ca, `https://127.0.0.1:${h2Port}/json/valid`])).code, '403');
    assert.equal((await curl(['--http2', '--cacert', k.ca, `https://127.0.0.1:${h2Port}/json/valid`])).code, '403');
    assert.equal((await curl(['--http2', '--cacert', k.ca, '--cert', k.clientCrt, '--key', k.clientKey, `https://127.0.0.1:${h2Port}/json/valid`])).code, '200');
    // The journal shows the certificate; the metric counts the refusals on the data port.
    const journal = JSON.parse((await curl(['--cacert', k.ca, '--cert', k.clientCrt, '--key', k.clientKey, `${base}/__mock/requests`])).body) as { requests: { clientCert?: { subject: string } }[] };
    assert.ok(journal.requests.some((e) => e.clientCert?.subject === 'CN=client,O=test'));
    const metrics = (await curl(['--cacert', k.ca, '--cert', k.clientCrt, '--key', k.clientKey, `${base}/__mock/metrics`])).body;
    // curl and node twice each on the data port, twice on the h2 port.
    assert.match(metrics, /mock_upstream_refused_total\{reason="client-cert"\} 6/);
  });
});

test('mutual TLS from the config file: server.tlsCert, tlsKey and tlsCa', async () => {
  const k = makePki();
  const file = join(k.dir, 'tls.json');
  writeFileSync(file, JSON.stringify({ server: { tlsCert: k.serverCrt, tlsKey: k.serverKey, tlsCa: k.ca } }));
  await withServer({ args: ['--config', file] }, async (server) => {
    const base = `https://127.0.0.1:${server.port}`;
    assert.equal((await curl(['--cacert', k.ca, `${base}/json/valid`])).code, '403');
    assert.equal((await curl(['--cacert', k.ca, '--cert', k.clientCrt, '--key', k.clientKey, `${base}/json/valid`])).code, '200');
  });
});

// Bytes sent on a raw connection; resolves with what came back once the server closed it (bounded).
function raw(port: number, bytes: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(bytes));
    let out = '';
    s.on('data', (d: Buffer) => { out += d.toString('latin1'); });
    s.on('close', () => resolve(out));
    s.on('error', () => resolve(out));
    s.setTimeout(10_000, () => { s.destroy(); reject(new Error('the server did not close within 10 s')); });
  });
}

test('PROXY protocol v1 and v2 through HAProxy; a missing or malformed header is closed and counted', async () => {
  await withServer({ args: ['--proxy-protocol', '--journal', '20', '--access-log', '--admin-port', '0'] }, async (server) => {
    const listening = await server.waitForLine((l) => l.event === 'listening');
    assert.equal(listening.engine, 'portable');
    assert.match(String(listening.msg), /--proxy-protocol needs it/);
    const haproxy = await startHaproxy(server.port, ['send-proxy', 'send-proxy-v2']);
    try {
      for (const port of haproxy.ports) {
        const r = await fetch(`http://127.0.0.1:${port}/anything`);
        assert.equal(r.status, 200);
        const body = await r.json() as { origin: string; proxied_origin: string };
        assert.equal(body.proxied_origin, '127.0.0.1');
        const e = await (await fetch(`http://127.0.0.1:${port}/echo`)).json() as { ProxiedRemoteAddr: string; RemoteAddr: string };
        assert.equal(e.ProxiedRemoteAddr, '127.0.0.1');
        assert.equal(e.RemoteAddr, '127.0.0.1');
      }
    } finally {
      await haproxy.stop();
    }
    // A client address other than the peer's, split over two writes, v1 and v2 by hand.
    const v1 = await raw(server.port, Buffer.from('PROXY TCP4 203.0.113.7 10.0.0.1 5555 80\r\nGET /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
    assert.match(v1, /"ProxiedRemoteAddr":"203\.0\.113\.7"/);
    const v2 = Buffer.concat([Buffer.from('0d0a0d0a000d0a515549540a21110010', 'hex'), Buffer.from([198, 51, 100, 9, 10, 0, 0, 1, 0x15, 0xb3, 0, 80, 0x04, 0x00, 0x01, 0x78]),
      Buffer.from('GET /anything HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')]);
    assert.match(await raw(server.port, v2), /"proxied_origin":"198\.51\.100\.9"/);
    // Missing and malformed: closed without a byte.
    assert.equal(await raw(server.port, Buffer.from('GET /echo HTTP/1.1\r\nHost: x\r\n\r\n')), '');
    assert.equal(await raw(server.port, Buffer.from('PROXY TCP4 nope\r\nGET / HTTP/1.1\r\n\r\n')), '');
    assert.equal(await raw(server.port, Buffer.from('0d0a0d0a000d0a515549540a31110000', 'hex')), '');
    const admin = `http://127.0.0.1:${listening.adminPort as number}`;
    const journal = await (await fetch(`${admin}/__mock/requests`)).json() as { requests: { proxiedAddress?: string }[] };
    assert.ok(journal.requests.some((e) => e.proxiedAddress === '203.0.113.7'));
    const metrics = await (await fetch(`${admin}/__mock/metrics`)).text();
    assert.match(metrics, /mock_upstream_refused_total\{reason="proxy-header"\} 3/);
    const access = await server.waitForLine((l) => l.event === 'access' && l.proxied === '198.51.100.9');
    assert.equal(access.remote, '127.0.0.1');
  });
});

test('PROXY protocol: a header dripped a byte at a time is closed when the head timeout (15 s) runs out', async () => {
  await withServer({ args: ['--proxy-protocol', '--admin-port', '0'] }, async (server) => {
    // The version 2 signature and a 4096-byte length: 4112 bytes the server would wait for, one every 2 s.
    const header = Buffer.concat([Buffer.from('0d0a0d0a000d0a515549540a21111000', 'hex'), Buffer.alloc(4096)]);
    const opened = performance.now();
    const closedAfter = await new Promise<number>((resolve, reject) => {
      const s = connect(server.port, '127.0.0.1');
      let at = 0;
      const drip = setInterval(() => { if (at < header.length) s.write(header.subarray(at, ++at)); }, 2_000);
      s.on('error', () => {});
      s.on('close', () => { clearInterval(drip); resolve(performance.now() - opened); });
      // Well past the 15 s the head may take: a connection still open then is held by its drip.
      const limit = setTimeout(() => { clearInterval(drip); s.destroy(); reject(new Error(`still open after ${at} bytes in 25 s`)); }, 25_000);
      s.once('close', () => clearTimeout(limit));
      s.write(header.subarray(0, ++at));
    });
    assert.ok(closedAfter >= 14_000, `closed after ${Math.round(closedAfter)} ms, before the head timeout`);
    const listening = await server.waitForLine((l) => l.event === 'listening');
    const metrics = await (await fetch(`http://127.0.0.1:${listening.adminPort as number}/__mock/metrics`)).text();
    assert.match(metrics, /mock_upstream_refused_total\{reason="proxy-header"\} 1/);
  });
});

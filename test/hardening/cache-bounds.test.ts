// Compile caches keyed by client text stay bounded (issue 15, item 8): unique 60 KB query strings used to
// be remembered (1,024 of them per worker, ~60 MB of heap) even when they asked for no control.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FaultHookEnv, FaultHookPhrase } from '../../src/features/admin.js';
import { connect } from 'node:net';
import { startServer, type TestServer } from '../helpers/server.js';
import { assertServes, gcReport } from './util.js';
import { serverEngine } from '../helpers/engines.js';

const MB = 1024 * 1024;
const Connections = 4;
// Under the old 1,024-entry cap, which was cleared when full: every query would still be held.
const PerConnection = 250;
// The portable engine takes heads up to 16 KB (node:http's limit): 12 KB queries there, still 12 MB if all were kept.
const QueryBytes = serverEngine() === 'native' ? 60 * 1024 : 12 * 1024;

/**
 * Send n requests, each after the previous 200 arrived, on a keep-alive connection; rejects on anything but
 * a 200. uWS closes a connection whose 60 KB head arrives in more than one read (docs/operations.md, Limits),
 * which loopback does now and then under load: such a request is sent again on a new connection, at most
 * MaxReconnects times.
 */
function sequential(port: number, n: number, request: (i: number) => string): Promise<void> {
  const MaxReconnects = 50;
  return new Promise((resolve, reject) => {
    let i = 0;
    let reconnects = 0;
    const open = (): void => {
      const sock = connect(port, '127.0.0.1');
      let data = '';
      sock.on('connect', () => sock.write(request(i)));
      sock.on('data', (d: Buffer) => {
        data += d.toString('latin1');
        // /json answers with a small body right after its head: done once the body's closing brace is in.
        if (!data.endsWith('}')) return;
        if (!data.startsWith('HTTP/1.1 200 ')) { sock.destroy(); reject(new Error(`request ${i}: ${data.slice(0, 100)}`)); return; }
        data = '';
        if (++i === n) { sock.destroy(); resolve(); } else sock.write(request(i));
      });
      sock.on('error', () => {});
      sock.on('close', () => {
        if (i >= n) return;
        if (++reconnects > MaxReconnects) reject(new Error(`closed ${reconnects} times; ${i} of ${n} requests answered`));
        else open();
      });
    };
    open();
  });
}

describe('compile caches under unique long queries', () => {
  let server: TestServer;
  before(async () => { server = await startServer(['--workers', '1'], { [FaultHookEnv]: FaultHookPhrase }); });
  after(async () => { assert.equal(await server.stop(), 0); });

  test(`${Connections * PerConnection} unique ${QueryBytes / 1024} KB query strings leave the live heap within a few MB`, async () => {
    const base = await gcReport(server.port);
    const pad = 'a'.repeat(QueryBytes);
    // One request at a time per connection: uWS closes a connection whose unparsed pipelined bytes pass its buffer.
    await Promise.all(Array.from({ length: Connections }, (_, c) => sequential(server.port, PerConnection, (i) => `GET /json?x=${c}-${i}-${pad} HTTP/1.1\r\nHost: t\r\n\r\n`)));
    const end = await gcReport(server.port);
    const grown = end.workers[0].heapUsedBytes - base.workers[0].heapUsedBytes;
    assert.ok(grown < 4 * MB, `live heap grew by ${(grown / MB).toFixed(1)} MB (bound 4 MB)`);
    await assertServes(server);
  });
});

// WebSocket routes on the engine boundary (app.ws, res.upgrade, the WebSocket object), held to uWS 20.30's
// semantics: every case runs on the portable engine (node:http + ws) and, where it loads, on the native
// build itself, so both engines answer the same table. Clients are the `ws` package's and raw sockets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import { createPortableEngine } from '../../src/http/portable/engine.js';
import { engineNamed } from '../../src/http/engines.js';
import { availableEngines, type EngineName } from '../helpers/engines.js';
import type { Engine, EngineApp, EngineWebSocket, ListenToken, WsBehavior } from '../../src/http/engine.js';

const WaitMs = 3000;

/** What the server saw, in order; waiters resolve when a predicate holds, or fail after WaitMs naming what they waited for. */
class Log extends EventEmitter {
  readonly events: string[] = [];
  add(e: string): void {
    this.events.push(e);
    this.emit('event');
  }
  until(pred: (events: string[]) => boolean, reason: string, ms = WaitMs): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!pred(this.events)) return;
        clearTimeout(t);
        this.removeListener('event', check);
        resolve();
      };
      const t = setTimeout(() => { this.removeListener('event', check); reject(new Error(`timed out waiting for ${reason}; saw ${JSON.stringify(this.events)}`)); }, ms);
      this.on('event', check);
      check();
    });
  }
  has(e: string): (events: string[]) => boolean {
    return (events) => events.includes(e);
  }
}

interface Served { app: EngineApp; port: number; token: ListenToken; log: Log; engine: Engine; open: Set<EngineWebSocket<{ mode: string }>> }

const Key = 'dGhlIHNhbXBsZSBub25jZQ==';
const Flood = Buffer.alloc(1024 * 1024, 120);

/** An app with a ws route on /ws (its upgrade handler obeys ?mode=), a 426 GET /ws and a GET /plain. */
async function serve(engine: Engine, extra: Partial<WsBehavior<{ mode: string }>> = {}): Promise<Served> {
  const app = engine.App();
  const log = new Log();
  const open = new Set<EngineWebSocket<{ mode: string }>>();
  app.ws<{ mode: string }>('/ws/:name', {
    compression: engine.SHARED_COMPRESSOR,
    maxPayloadLength: 1024,
    idleTimeout: 0,
    upgrade: (res, req, context) => {
      const mode = req.getQuery('mode') ?? '';
      const key = req.getHeader('sec-websocket-key');
      const protocol = req.getHeader('sec-websocket-protocol').split(',')[0];
      const extensions = req.getHeader('sec-websocket-extensions');
      log.add(`upgrade ${req.getUrl()} ${req.getParameter(0)}`);
      if (mode === 'refuse') { res.writeStatus('403 Forbidden'); res.end('nope'); return; }
      if (mode === 'yield') { req.setYield(true); return; }
      if (mode === 'defer') {
        let aborted = false;
        res.onAborted(() => { aborted = true; log.add('aborted'); });
        setTimeout(() => {
          if (!aborted) res.cork(() => res.upgrade({ mode }, key, protocol, extensions, context));
        }, 50);
        return;
      }
      res.upgrade({ mode }, key, protocol, mode === 'noext' ? '' : extensions, context);
    },
    open: (ws) => { open.add(ws); log.add(`open ${ws.getUserData().mode}`); if (ws.getUserData().mode === 'flood') flood(ws, log); },
    message: (ws, message, isBinary) => {
      const text = Buffer.from(message).toString();
      if (text === 'end') { ws.end(4001, 'bye now'); log.add('after end'); }
      else if (text === 'close') { ws.close(); log.add('after close'); }
      else log.add(`send ${ws.send(message, isBinary, true)}`);
    },
    drain: (ws) => log.add(`drain ${ws.getBufferedAmount()}`),
    close: (ws, code, message) => { open.delete(ws); log.add(`close ${code} ${Buffer.from(message).toString()}`); },
    ...extra,
  });
  app.get('/ws/:name', (res) => { res.writeStatus('426 Upgrade Required'); res.end('upgrade please'); });
  app.get('/plain', (res) => { res.end('plain'); });
  const token = await new Promise<ListenToken>((resolve, reject) => {
    app.listen('127.0.0.1', 0, (t) => (t === false ? reject(new Error('listen failed')) : resolve(t)));
  });
  return { app, token, port: engine.us_socket_local_port(token), log, engine, open };
}

// Sends until a send is dropped, logging each status (a client that does not read fills the buffers).
function flood(ws: EngineWebSocket<unknown>, log: Log): void {
  const statuses: number[] = [];
  for (let i = 0; i < 64; i++) {
    const s = ws.send(Flood, true);
    statuses.push(s);
    if (s === 2) break;
  }
  log.add(`flood ${statuses.join('')}`);
}

interface ClientResult { events: string[]; socket: WebSocket }

/** A ws client: resolves on its close (or a refused handshake) with what it saw; `onOpen` drives it. */
function client(port: number, path: string, onOpen: (ws: WebSocket) => void = () => {}, protocols: string[] = [], options: WebSocket.ClientOptions = {}): Promise<ClientResult> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, protocols, options);
    const events: string[] = [];
    const t = setTimeout(() => { ws.terminate(); reject(new Error(`client timed out: ${JSON.stringify(events)}`)); }, WaitMs);
    const done = (): void => { clearTimeout(t); resolve({ events, socket: ws }); };
    ws.on('upgrade', (r) => events.push(`101 ext=${r.headers['sec-websocket-extensions'] ?? ''}`));
    ws.on('unexpected-response', (_req, r) => {
      let body = '';
      r.on('data', (d: Buffer) => { body += d.toString(); });
      r.on('end', () => { events.push(`http ${r.statusCode} ${body}`); done(); });
    });
    ws.on('open', () => { events.push(`open ${ws.protocol}`); onOpen(ws); });
    ws.on('message', (d: Buffer, isBinary: boolean) => events.push(`${isBinary ? 'binary' : 'text'} ${d.length > 32 ? d.length : d.toString()}`));
    ws.on('pong', () => events.push('pong'));
    ws.on('close', (code, reason) => { events.push(`close ${code} ${reason.toString()}`); done(); });
    ws.on('error', (e) => events.push(`error ${e.message}`));
  });
}

/** Raw bytes on one connection; resolves with what came back once `enough` holds or the server closed. */
function raw(port: number, payload: string, enough: (data: string) => boolean): Promise<{ data: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let data = '';
    const t = setTimeout(() => { s.destroy(); reject(new Error(`raw: timed out with ${JSON.stringify(data)}`)); }, WaitMs);
    const finish = (closed: boolean): void => { clearTimeout(t); s.destroy(); resolve({ data, closed }); };
    s.on('data', (d) => { data += d.toString('latin1'); if (enough(data)) finish(false); });
    s.on('end', () => finish(true));
    s.on('error', () => finish(true));
    s.write(payload);
  });
}

const handshake = (path: string, extra = ''): string =>
  `GET ${path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${Key}\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`;
const answers = (n: number) => (d: string): boolean => d.split('HTTP/1.1 ').length - 1 >= n && /\r\n\r\n[^]*$/.test(d) && bodiesComplete(d, n);
function bodiesComplete(d: string, n: number): boolean {
  let at = 0;
  for (let i = 0; i < n; i++) {
    const h = d.indexOf('\r\n\r\n', at);
    if (h < 0) return false;
    const m = /content-length: (\d+)/i.exec(d.slice(at, h));
    at = h + 4 + (m === null ? 0 : Number(m[1]));
    if (at > d.length) return false;
  }
  return true;
}
const statuses = (d: string): string[] => [...d.matchAll(/HTTP\/1\.1 (\d{3})[^\r]*\r\n[^]*?\r\n\r\n([a-z ]*)/g)].map((m) => `${m[1]} ${m[2]}`);

function engineOf(name: EngineName): Engine {
  return name === 'portable' ? createPortableEngine() : engineNamed('native');
}

for (const name of availableEngines()) {
  const engine = engineOf(name);
  const t = (title: string, fn: (s: Served) => Promise<void>, extra?: Partial<WsBehavior<{ mode: string }>>): void => {
    test(`${name}: ${title}`, async () => {
      const s = await serve(engine, extra);
      try { await fn(s); } finally { s.app.close(); }
    });
  };

  t('echo of text and binary, the first offered subprotocol accepted, permessage-deflate negotiated, a ping answered', async (s) => {
    const r = await client(s.port, '/ws/echo', (ws) => {
      ws.send('hello');
      ws.send(Buffer.from([1, 2, 3]));
      ws.ping();
      ws.on('pong', () => ws.close(1000, 'done'));
    }, ['p1', 'p2']);
    assert.deepEqual(r.events, ['101 ext=permessage-deflate; client_no_context_takeover; server_no_context_takeover', 'open p1',
      'text hello', 'binary \u0001\u0002\u0003', 'pong', 'close 1000 done']);
    await s.log.until(s.log.has('close 1000 done'), 'the close handler');
    assert.deepEqual(s.log.events, ['upgrade /ws/echo echo', 'open ', 'send 1', 'send 1', 'close 1000 done']);
  });

  t('extensions "" passed to upgrade declines permessage-deflate', async (s) => {
    const r = await client(s.port, '/ws/a?mode=noext', (ws) => ws.close());
    assert.deepEqual(r.events, ['101 ext=', 'open ', 'close 1005 ']);
    await s.log.until(s.log.has('close 1005 '), 'the close handler');
  });

  t('upgrade refused with a status: the client gets the answer, and the connection stays usable', async (s) => {
    const r = await client(s.port, '/ws/a?mode=refuse');
    assert.deepEqual(r.events, ['http 403 nope']);
    const rr = await raw(s.port, handshake('/ws/a?mode=refuse') + 'GET /plain HTTP/1.1\r\nHost: x\r\n\r\n', answers(2));
    assert.deepEqual(statuses(rr.data), ['403 nope', '200 plain']);
    assert.equal(rr.closed, false);
  });

  t('deferred upgrade: accepted later inside cork; a client leaving before fires onAborted', async (s) => {
    const r = await client(s.port, '/ws/a?mode=defer', (ws) => { ws.send('late'); ws.on('message', () => ws.close(1000, 'ok')); });
    assert.deepEqual(r.events, ['101 ext=permessage-deflate; client_no_context_takeover; server_no_context_takeover', 'open ', 'text late', 'close 1000 ok']);
    await s.log.until(s.log.has('close 1000 ok'), 'the close handler');
    const sock = connect(s.port, '127.0.0.1');
    sock.write(handshake('/ws/b?mode=defer'));
    await s.log.until(s.log.has('upgrade /ws/b b'), 'the second upgrade handler');
    sock.destroy();
    await s.log.until(s.log.has('aborted'), 'onAborted');
    assert.deepEqual(s.log.events.slice(-2), ['upgrade /ws/b b', 'aborted']);
  });

  t('yield: without upgrade headers, or when the handler yields, the HTTP route answers', async (s) => {
    const plain = await raw(s.port, 'GET /ws/a HTTP/1.1\r\nHost: x\r\n\r\n', answers(1));
    assert.deepEqual(statuses(plain.data), ['426 upgrade please']);
    const r = await client(s.port, '/ws/a?mode=yield');
    assert.deepEqual(r.events, ['http 426 upgrade please']);
    // A handshake without a 24-character key is not one: the upgrade handler never sees it.
    const shortKey = await raw(s.port, handshake('/ws/a').replace(Key, 'abc'), answers(1));
    assert.deepEqual(statuses(shortKey.data), ['426 upgrade please']);
    assert.deepEqual(s.log.events, ['upgrade /ws/a a']);
  });

  t('an Upgrade header on a path with no ws route gets the HTTP route\'s answer, keep-alive', async (s) => {
    const h2c = 'GET /plain HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n';
    const r = await raw(s.port, h2c + handshake('/plain') + 'GET /plain HTTP/1.1\r\nHost: x\r\n\r\n', answers(3));
    assert.deepEqual(statuses(r.data), ['200 plain', '200 plain', '200 plain']);
    assert.equal(r.closed, false);
    const ws426 = await raw(s.port, 'GET /ws/a HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n', answers(1));
    assert.deepEqual(statuses(ws426.data), ['426 upgrade please']);
  });

  t('a message over maxPayloadLength drops the connection without a close frame (1006 at the client)', async (s) => {
    const r = await client(s.port, '/ws/a?mode=noext', (ws) => ws.send(Buffer.alloc(2000)));
    assert.deepEqual(r.events, ['101 ext=', 'open ', 'close 1006 ']);
    await s.log.until((e) => e.some((x) => x.startsWith('close 1006')), 'the close handler');
    // uWS's reason; with permessage-deflate negotiated it reads "..., or other inflation error".
    assert.ok(s.log.events.includes('close 1006 Received too big message'), JSON.stringify(s.log.events));
  });

  t('end(code, reason) sends a close frame the client sees; close() drops the connection (1006)', async (s) => {
    const ended = await client(s.port, '/ws/a', (ws) => ws.send('end'));
    assert.deepEqual(ended.events.slice(-1), ['close 4001 bye now']);
    await s.log.until(s.log.has('close 4001 bye now'), 'the close handler after end()');
    const closed = await client(s.port, '/ws/a', (ws) => ws.send('close'));
    assert.deepEqual(closed.events.slice(-1), ['close 1006 ']);
    await s.log.until(s.log.has('close 1006 '), 'the close handler after close()');
    assert.equal(s.log.events.filter((e) => e.startsWith('close')).length, 2, 'one close handler call per socket');
    // uWS runs the close handler inside end() and close() (any later call on the socket throws there).
    const order = s.log.events.filter((e) => e.startsWith('close') || e.startsWith('after'));
    assert.deepEqual(order, ['close 4001 bye now', 'after end', 'close 1006 ', 'after close']);
  });

  t('backpressure: send returns 1, then 0 (buffered), then 2 (dropped) past maxBackpressure; drain when the client reads', async (s) => {
    const sock: Socket = connect(s.port, '127.0.0.1');
    try {
      let head = '';
      const got101 = new Promise<void>((resolve) => {
        const read = (d: Buffer): void => {
          head += d.toString('latin1');
          if (!head.includes('\r\n\r\n')) return;
          sock.removeListener('data', read);
          sock.pause();
          resolve();
        };
        sock.on('data', read);
      });
      sock.write(handshake('/ws/a?mode=flood'));
      await got101;
      await s.log.until((e) => e.some((x) => x.startsWith('flood')), 'the flood');
      const statusesSeen = s.log.events.find((x) => x.startsWith('flood')) as string;
      assert.match(statusesSeen, /^flood 1*0+2$/, 'sent, then buffered, then dropped');
      sock.on('data', () => {});
      sock.resume();
      await s.log.until((e) => e.some((x) => x.startsWith('drain')), 'drain once the client reads');
    } finally { sock.destroy(); }
  }, { maxBackpressure: 2 * 1024 * 1024 });

  t('app.close() closes open WebSockets (the client sees the connection end); a closed listener keeps them', async (s) => {
    const events: string[] = [];
    const closed = new Promise<void>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${s.port}/ws/a`);
      const t = setTimeout(() => reject(new Error(`no close: ${JSON.stringify(events)}`)), WaitMs);
      ws.on('open', () => {
        s.engine.us_listen_socket_close(s.token);
        ws.send('still here');
      });
      ws.on('message', (d: Buffer) => { events.push(d.toString()); s.app.close(); });
      ws.on('close', (code) => { clearTimeout(t); events.push(`close ${code}`); resolve(); });
      ws.on('error', () => {});
    });
    await closed;
    assert.deepEqual(events, ['still here', 'close 1006']);
    await s.log.until(s.log.has('close 1006 '), 'the close handler');
  });
}

test('portable: idleTimeout (seconds) pings at half and drops a silent client (1006); a client answering pings stays', async () => {
  // uWS refuses idleTimeout under 8 (it aborts the process): only the portable engine takes 1, to keep this fast.
  const s = await serve(createPortableEngine(), { idleTimeout: 1 });
  try {
    const started = Date.now();
    const silent = client(s.port, '/ws/a', () => {}, [], { autoPong: false });
    const alive = client(s.port, '/ws/b', (ws) => { setTimeout(() => ws.close(1000, 'alive'), 2500); });
    const r = await silent;
    assert.deepEqual(r.events.slice(-1), ['close 1006 ']);
    const took = Date.now() - started;
    assert.ok(took >= 900 && took < 2500, `closed after ${took} ms`);
    assert.deepEqual((await alive).events.slice(-1), ['close 1000 alive']);
    assert.ok(s.log.events.includes('close 1006 WebSocket timed out from inactivity'), JSON.stringify(s.log.events));
  } finally { s.app.close(); }
});

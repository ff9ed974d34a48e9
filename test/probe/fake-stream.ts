// A stand-in stream server for the probe's own tests: it misbehaves on request (drops, reorders, repeats,
// backdates stamps, cuts the connection), which the real mock-upstream never does, so the probe's accounting
// is checked against known faults. Stamps are made by the server's own stamp module.
//   GET /sse?seqs=1,2,4&back=MS&every=MS&end=clean|cut|mid|hang   SSE events in that order (all at once, or one
//       every MS ms), `sent` MS ms in the past
//   WS  /ws?seqs=1,2,4&back=MS&close=CODE&reason=TEXT|cut   the same as WebSocket messages, then the close
//   anything else: 404
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { stampTemplate, writeStamp } from '../../src/serializers/stamp.js';

/** A running fake stream server. */
export interface FakeStream {
  readonly port: number;
  close(): Promise<void>;
}

function stamped(seq: number, backMs: number): Buffer {
  const b = stampTemplate(64);
  writeStamp(b, 0, seq, performance.timeOrigin + performance.now() - backMs);
  return b;
}

function seqsOf(q: URLSearchParams): number[] {
  return (q.get('seqs') ?? '').split(',').filter((s) => s !== '').map(Number);
}

/** Start the fake on 127.0.0.1, a free port. */
export async function startFakeStream(): Promise<FakeStream> {
  const open = new Set<ServerResponse>();
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== '/sse') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not here');
      return;
    }
    const back = Number(url.searchParams.get('back') ?? '0');
    const end = url.searchParams.get('end') ?? 'clean';
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write(': heartbeat\n\n');
    const seqs = seqsOf(url.searchParams);
    const event = (seq: number): string => `id: ${seq}\ndata: ${stamped(seq, back).toString('latin1')}\n\n`;
    const finish = (): void => {
      if (end === 'clean') res.end();
      else if (end === 'mid') res.end('data: {"seq":99');
      // Once what was written reached the socket (the response corks its first writes until the next tick).
      else if (end === 'cut') res.write('', () => res.socket?.destroy());
      else open.add(res); // hang: until the probe gives up
    };
    const every = Number(url.searchParams.get('every') ?? '0');
    if (every === 0) {
      for (const seq of seqs) res.write(event(seq));
      finish();
      return;
    }
    // One event every `every` ms, as a real stream paces them.
    let i = 0;
    const timer = setInterval(() => {
      if (i < seqs.length) res.write(event(seqs[i++]));
      if (i === seqs.length) { clearInterval(timer); finish(); }
    }, every);
    res.on('close', () => clearInterval(timer));
  });
  const wss = new WebSocketServer({ server, path: '/ws' });
  wss.on('connection', (ws, req) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const back = Number(url.searchParams.get('back') ?? '0');
    for (const seq of seqsOf(url.searchParams)) ws.send(stamped(seq, back), { binary: false });
    const close = url.searchParams.get('close') ?? '1000';
    if (close === 'cut') ws.terminate();
    else ws.close(Number(close), url.searchParams.get('reason') ?? '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    async close() {
      for (const res of open) res.destroy();
      for (const c of wss.clients) c.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

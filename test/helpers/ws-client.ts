// A WebSocket client for tests (the `ws` package, a real client): every message and the close kept, each
// wait bounded by a timeout that names what did not happen.
import WebSocket, { type ClientOptions } from 'ws';

/** One received message. */
export interface Received {
  readonly data: Buffer;
  readonly binary: boolean;
  /** performance.timeOrigin + now() at arrival. */
  readonly at: number;
}

/** A connected (or refused) client and what it saw. */
export interface TestSocket {
  readonly ws: WebSocket;
  readonly messages: Received[];
  /** Resolves on open; rejects with the refusal (status and body) or the error. */
  readonly opened: Promise<void>;
  /** Resolves with the close code and reason. */
  readonly closed: Promise<{ code: number; reason: string }>;
  /** Resolves once n messages arrived. */
  received(n: number, timeoutMs?: number): Promise<Received[]>;
}

/** A refused upgrade: the HTTP status and body the server answered. */
export class Refused extends Error {
  constructor(readonly status: number, readonly body: string, readonly headers: Record<string, string | string[] | undefined>) {
    super(`upgrade refused with ${status}: ${body}`);
  }
}

/** Connect to url; protocols and options go to the `ws` client. */
export function connect(url: string, protocols: string[] = [], options: ClientOptions = {}): TestSocket {
  const ws = new WebSocket(url, protocols, { perMessageDeflate: false, ...options });
  const messages: Received[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  ws.on('message', (data: Buffer, binary: boolean) => {
    messages.push({ data: Buffer.from(data), binary, at: performance.timeOrigin + performance.now() });
    for (let i = waiters.length - 1; i >= 0; i--) if (messages.length >= waiters[i].n) { waiters[i].resolve(); waiters.splice(i, 1); }
  });
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => { reject(new Refused(res.statusCode ?? 0, body, res.headers)); ws.terminate(); });
    });
    ws.once('error', reject);
  });
  opened.catch(() => undefined);
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.once('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() }));
  });
  const received = (n: number, timeoutMs = 10_000): Promise<Received[]> => new Promise((resolve, reject) => {
    if (messages.length >= n) { resolve(messages); return; }
    const timer = setTimeout(() => reject(new Error(`only ${messages.length} of ${n} messages arrived within ${timeoutMs} ms`)), timeoutMs);
    waiters.push({ n, resolve: () => { clearTimeout(timer); resolve(messages); } });
  });
  return { ws, messages, opened, closed, received };
}

/** Resolve `p`, or fail after timeoutMs naming `what`. */
export function within<T>(p: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: not within ${timeoutMs} ms`)), timeoutMs);
    p.then((v) => { clearTimeout(timer); resolve(v); }, (e: unknown) => { clearTimeout(timer); reject(e as Error); });
  });
}

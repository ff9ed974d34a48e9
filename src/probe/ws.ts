// The WebSocket probe: one `ws` client connection, every message read as a stamp, the close frame reported.
import WebSocket from 'ws';
import { readStamp } from '../serializers/stamp.js';
import type { ProbeOptions } from './args.js';
import type { Measured, StreamEnd } from './report.js';
import type { Tally } from './stats.js';
import { beforeConnect, ProbeConnectError, stopOutcome, wallNow } from './transport.js';

// Close code ws reports when the connection ended without a close frame.
const Abnormal = 1006;

/** Probe a ws:// or wss:// URL (see Transport). */
export function probeWs(options: ProbeOptions, tally: Tally, stop: AbortSignal): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let connectMs = -1;
    let settled = false;
    const socket = new WebSocket(options.url, {
      headers: Object.fromEntries(options.headers),
      rejectUnauthorized: !options.insecure,
      // Uncompressed, so the bytes counted are the bytes the gateway passed.
      perMessageDeflate: false,
    });
    const finish = (end: StreamEnd): void => {
      if (settled) return;
      settled = true;
      stop.removeEventListener('abort', onStop);
      resolve({ connectMs, durationMs: performance.now() - started, end, heartbeats: null, bursts: null });
    };
    const fail = (err: ProbeConnectError): void => {
      if (settled) return;
      settled = true;
      stop.removeEventListener('abort', onStop);
      socket.terminate();
      reject(err);
    };
    const onStop = (): void => {
      if (connectMs < 0) {
        fail(beforeConnect(options, stop));
        return;
      }
      const outcome = stopOutcome(stop);
      finish({ outcome, code: null, reason: outcome === 'timeout' ? `gave up after ${options.timeoutMs} ms` : 'stopped by a signal' });
      socket.terminate();
    };
    if (stop.aborted) {
      queueMicrotask(onStop);
    } else {
      stop.addEventListener('abort', onStop);
    }
    socket.on('open', () => {
      connectMs = performance.now() - started;
    });
    socket.on('message', (data: Buffer | ArrayBuffer | Buffer[]) => {
      const at = wallNow();
      const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      const stamp = readStamp(buf.toString('utf8'));
      if (stamp === null) tally.unstamped(buf.length);
      else tally.stamped(stamp.seq, stamp.sent, at, buf.length);
    });
    socket.on('error', (err: Error) => {
      // Before the handshake: refused, DNS, TLS, a non-101 answer. After it, 'close' (1006) follows and says cut.
      if (connectMs < 0) fail(new ProbeConnectError(`cannot open ${options.url.href}: ${err.message}`));
    });
    socket.on('close', (code: number, reason: Buffer) => {
      if (connectMs < 0) {
        fail(new ProbeConnectError(`${options.url.href} closed before the WebSocket opened (code ${code})`));
        return;
      }
      const cut = code === Abnormal;
      finish({ outcome: cut ? 'cut' : 'clean', code, reason: cut ? 'connection closed without a close frame' : reason.toString('utf8') });
    });
  });
}

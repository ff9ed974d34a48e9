// The SSE probe: one GET over node:http/https, the body parsed by eventsource-parser, every event's data read as
// a stamp. Events that arrived in one read of the socket share an arrival time; the most of them is "bursts".
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createParser } from 'eventsource-parser';
import { readStamp } from '../serializers/stamp.js';
import type { ProbeOptions } from './args.js';
import type { Measured, StreamEnd } from './report.js';
import type { Tally } from './stats.js';
import { beforeConnect, ProbeConnectError, stopOutcome, wallNow } from './transport.js';

/** Probe an http:// or https:// SSE URL (see Transport). */
export function probeSse(options: ProbeOptions, tally: Tally, stop: AbortSignal): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let connectMs = -1;
    let settled = false;
    let heartbeats = 0;
    let arrival = 0;
    // The last four characters of the body: an event is complete only after a blank line.
    let tail = '';
    let markPending = false;
    const parser = createParser({
      onEvent(event) {
        const bytes = Buffer.byteLength(event.data);
        const stamp = readStamp(event.data);
        if (stamp === null) tally.unstamped(bytes);
        else tally.stamped(stamp.seq, stamp.sent, arrival, bytes);
      },
      onComment() {
        heartbeats++;
      },
    });
    // A socket read can reach us as several 'data' chunks (one per chunked-encoding chunk), all handled before the
    // event loop moves on: a burst ends at the next turn of the loop.
    const markRead = (): void => {
      markPending = false;
      tally.markRead();
    };

    const headers: Record<string, string> = { accept: 'text/event-stream', 'cache-control': 'no-cache' };
    for (const [name, value] of options.headers) headers[name.toLowerCase()] = value;
    const request = options.url.protocol === 'https:' ? httpsRequest : httpRequest;

    const finish = (end: StreamEnd): void => {
      if (settled) return;
      settled = true;
      stop.removeEventListener('abort', onStop);
      tally.markRead();
      resolve({ connectMs, durationMs: performance.now() - started, end, heartbeats, bursts: tally.bursts });
    };
    const fail = (err: ProbeConnectError): void => {
      if (settled) return;
      settled = true;
      stop.removeEventListener('abort', onStop);
      req.destroy();
      reject(err);
    };
    const onStop = (): void => {
      if (connectMs < 0) {
        fail(beforeConnect(options, stop));
        return;
      }
      const outcome = stopOutcome(stop);
      finish({ outcome, code: null, reason: outcome === 'timeout' ? `gave up after ${options.timeoutMs} ms` : 'stopped by a signal' });
      req.destroy();
    };

    // finish/fail/onStop above use req: they run only from its callbacks or after this line.
    const req = request(options.url, { headers, agent: false, rejectUnauthorized: !options.insecure }, (res: IncomingMessage) => {
      const type = res.headers['content-type'] ?? '';
      // A 2xx other than 204 streams (the server's status control); anything else is not a stream.
      const status = res.statusCode ?? 0;
      if (status < 200 || status > 299 || status === 204 || !type.toLowerCase().startsWith('text/event-stream')) {
        fail(new ProbeConnectError(`${options.url.href} answered ${res.statusCode} ${res.statusMessage ?? ''} with content-type "${type}", not a 2xx text/event-stream`.replace('  ', ' ')));
        res.resume();
        return;
      }
      connectMs = performance.now() - started;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (!markPending) {
          markPending = true;
          arrival = wallNow();
          setImmediate(markRead);
        }
        tail = (tail + chunk).slice(-4);
        parser.feed(chunk);
      });
      res.on('close', () => {
        if (!res.complete) {
          finish({ outcome: 'cut', code: null, reason: 'connection closed before the end of the response' });
        } else if (tail !== '' && !/(\n\n|\r\r|\r\n\r\n)$/.test(tail)) {
          finish({ outcome: 'cut', code: null, reason: 'response ended in the middle of an event' });
        } else {
          finish({ outcome: 'clean', code: null, reason: 'response ended' });
        }
      });
      // Errors after the head end in 'close' with res.complete false: reported as cut there.
      res.on('error', () => {});
    });
    req.on('error', (err: Error) => {
      if (connectMs < 0) fail(new ProbeConnectError(`cannot open ${options.url.href}: ${err.message}`));
    });
    if (stop.aborted) queueMicrotask(onStop);
    else stop.addEventListener('abort', onStop);
    req.end();
  });
}

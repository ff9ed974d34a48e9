// httpbin's /drip: numbytes bytes trickled over duration after delay, with a status code.
import type { HttpResponse } from '../../http/uws.js';
import { parseDuration } from '../../grammar/duration.js';
import { sendBadValue } from '../../http/errors.js';
import { bodiless, statusLine } from '../../http/head.js';
import type { Responder } from '../../http/scheduler.js';
import type { Writer } from '../../http/writer.js';
import type { Route, RouteContext } from '../context.js';
import { requestDelay } from '../xdelay.js';
import { queryInt } from './helpers.js';

/** Most bytes /drip trickles (each is one timed write). */
export const MaxDripBytes = 10_000;
/** httpbin's default /drip duration (ms). */
const DefaultDripMs = 2000;

interface Drip {
  /** Body bytes the socket has taken. */
  sent: number;
  total: number;
  durationMs: number;
  /** performance.now() of the first byte. */
  startMs: number;
  status: Buffer | null;
  code: number;
  started: boolean;
}

// What every drip writes from: views of it, never a string per write.
const Stars = Buffer.alloc(MaxDripBytes, '*');

/** /drip. */
export function dripRoutes(ctx: RouteContext): Route[] {
  const { writer, config, scheduler } = ctx;
  // Bytes are due on a schedule from the first one (byte i at i × duration / (numbytes − 1)), so the last
  // arrives after the duration however fine the spacing: a tick writes every byte due by then (when the
  // spacing is under the timer's resolution, several), and tryEnd with the total keeps Content-Length exact
  // and flushes each write.
  const drip: Responder = {
    send(res, arg) {
      const d = arg as Drip;
      if (!d.started) {
        d.started = true;
        writer.countResponse(d.code, d.total);
        if (d.status !== null) res.writeStatus(d.status);
        // A 204 or 304 has no body to drip (bytes after it would break the connection).
        if (bodiless(d.code)) {
          res.endWithoutBody();
          return;
        }
        res.writeHeader('Content-Type', 'application/octet-stream');
        // HEAD: the head a GET gets (its Content-Length is the total), without trickling.
        if (d.total === 0 || writer.isHead(res)) {
          endEmptyOr(writer, res, d.total);
          return;
        }
        d.startMs = performance.now();
      }
      const elapsed = performance.now() - d.startMs;
      const due = d.total === 1 || d.durationMs === 0 ? d.total
        : Math.min(d.total, 1 + Math.floor((elapsed * (d.total - 1)) / d.durationMs));
      const n = Math.max(1, due - d.sent);
      const [ok, done] = res.tryEnd(Stars.subarray(0, n), d.total);
      // Not ok: the socket took only part (tryEnd never buffers); the offset says how much, the rest goes next tick.
      d.sent = ok ? d.sent + n : res.getWriteOffset();
      if (!done && d.sent < d.total) {
        const nextAt = d.startMs + (d.sent * d.durationMs) / (d.total - 1);
        scheduler.schedule(res, Math.max(0, nextAt - performance.now()), drip, d, 0);
      }
    },
  };

  return [
    { pattern: '/drip', about: 'numbytes bytes trickled over duration after delay, with status code',
      handler: (res, req) => {
        let d: Drip;
        let delayMs: number;
        try {
          const numbytes = queryInt(req, 'numbytes', 10, 0, MaxDripBytes);
          // httpbin's default 2 s, or the cap when --max-delay is lower: a plain /drip must not be a 400.
          const durationText = req.getQuery('duration') ?? '';
          const durationMs = durationText === '' ? Math.min(DefaultDripMs, config.maxDelayMs) : parseDuration(durationText, 'duration', config.maxDelayMs);
          delayMs = parseDuration(req.getQuery('delay') || '0', 'delay', config.maxDelayMs) + requestDelay(ctx, req, 0);
          // 1xx are interim responses: sent as the final one they leave the client reading the next as this.
          const code = queryInt(req, 'code', 200, 200, 599);
          d = { sent: 0, total: numbytes, durationMs, startMs: 0, status: code === 200 ? null : statusLine(code), code, started: false };
        } catch (err) {
          sendBadValue(writer, res, err);
          return;
        }
        if (delayMs > 0) scheduler.schedule(res, delayMs, drip, d, 0);
        else drip.send(res, d, 0);
      } },
  ];
}

// An empty body (Content-Length: 0), or a HEAD's head announcing `length` bytes.
function endEmptyOr(writer: Writer, res: HttpResponse, length: number): void {
  if (writer.isHead(res)) writer.endHead(res, length);
  else writer.endEmpty(res);
}


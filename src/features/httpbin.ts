// httpbin-style helpers (spec 2.4): /bytes, /drip, /stream-bytes, /anything, /headers, /redirect.
// These are test-fixture routes, not benchmark hot paths: per-request objects are acceptable here.
import { serializeAnything, serializeHeaders } from '../serializers/index.js';
import type { HttpRequest, HttpResponse } from '../http/uws.js';
import { parseDuration } from '../grammar/duration.js';
import { GrammarError, quoteValue } from '../grammar/errors.js';
import { parseSize } from '../grammar/size.js';
import type { WeightedChoice } from '../grammar/choice.js';
import { parseStatusChoice } from '../grammar/distribution.js';
import { BoundedCache } from '../grammar/cache.js';
import { collectBody } from '../http/body.js';
import { sendBadValue, sendError } from '../http/errors.js';
import { jsonDepth, tooDeepMessage } from '../http/depth.js';
import { MaxJsonDepth } from '../config/defaults.js';
import { bodiless, countResponse, endEmpty, endHead, isHead, makeHead, sendBody, sendEmpty, statusLine, writeHead } from '../http/respond.js';
import type { Responder } from '../http/scheduler.js';
import type { Route, RouteContext } from './context.js';
import type { FillerSender } from '../http/filler.js';
import { requestDelay, requestDelayOr400, sizedHandler } from './xdelay.js';

const OctetHead = makeHead(200, 'application/octet-stream');
const EmptyHead = makeHead(200, null);
// One empty responder per status code, made once.
const statusResponders: Responder[] = [];
for (let c = 100; c < 600; c++) {
  const head = makeHead(c, null);
  statusResponders[c] = { send(res) { sendEmpty(res, head); } };
}
const JsonHead = makeHead(200, 'application/json');
/** Most redirects /redirect/{n} may chain. */
export const MaxRedirects = 100;
/** Most bytes /drip trickles (each is one timed write). */
export const MaxDripBytes = 10_000;
/** httpbin's default /drip duration (ms). */
const DefaultDripMs = 2000;

/** Headers as httpbin shows them: canonical Title-Case names, repeated values joined with ", ". */
function readHeaders(req: HttpRequest): Record<string, string> {
  // Keyed by client text: a null prototype, so 'constructor' or '__proto__' are plain keys.
  const out = Object.create(null) as Record<string, string>;
  req.forEach((k, v) => {
    const name = k.replace(/(^|-)([a-z])/g, (_, d: string, c: string) => d + c.toUpperCase());
    out[name] = out[name] === undefined ? v : `${out[name]}, ${v}`;
  });
  return out;
}

/** A whole number from the query within [min, max], else GrammarError naming the parameter. */
function queryInt(req: HttpRequest, name: string, dflt: number, min: number, max: number): number {
  const text = req.getQuery(name) ?? '';
  if (text === '') return dflt;
  const n = Number(text);
  if (!/^\d{1,9}$/.test(text) || n < min || n > max) {
    throw new GrammarError(name, `invalid ${name} ${quoteValue(text)}: use a whole number from ${min} to ${max}`);
  }
  return n;
}

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

/** The httpbin helper route table. */
export function httpbinRoutes(ctx: RouteContext): Route[] {
  const { config, filler, scheduler } = ctx;

  const bytes: Responder = { send(res, _arg, n) { filler.send(res, OctetHead, n); } };
  const body: Responder = { send(res, arg) { sendBody(res, JsonHead, arg as Buffer); } };

  // Bytes are due on a schedule from the first one (byte i at i × duration / (numbytes − 1)), so the last
  // arrives after the duration however fine the spacing: a tick writes every byte due by then (when the
  // spacing is under the timer's resolution, several), and tryEnd with the total keeps Content-Length exact
  // and flushes each write.
  const drip: Responder = {
    send(res, arg) {
      const d = arg as Drip;
      if (!d.started) {
        d.started = true;
        countResponse(d.code, d.total);
        if (d.status !== null) res.writeStatus(d.status);
        // A 204 or 304 has no body to drip (bytes after it would break the connection).
        if (bodiless(d.code)) {
          res.endWithoutBody();
          return;
        }
        res.writeHeader('Content-Type', 'application/octet-stream');
        // HEAD: the head a GET gets (its Content-Length is the total), without trickling.
        if (d.total === 0 || isHead(res)) {
          endEmptyOr(res, d.total);
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

  const empty: Responder = { send(res) { sendEmpty(res, EmptyHead); } };
  // Keyed by the path text: bounded by bytes too (BoundedCache), as a client chooses it.
  const statuses = new BoundedCache<WeightedChoice<number>>();

  return [
    { pattern: '/status/:codes', about: 'that status (or a weighted pick: 503:20,404:10 -> rest 200), empty body',
      handler: (res, req) => {
        const text = req.getParameter(0);
        let choice = statuses.get(text);
        if (choice === undefined) {
          try {
            choice = parseStatusChoice(text, 'codes');
          } catch (err) {
            sendBadValue(res, err);
            return;
          }
          statuses.set(text, choice);
        }
        const code = choice.pick(ctx.rng.next());
        // The picked status goes through the override so X-Delay and other controls still apply.
        ctx.respond(res, req, code === 200 ? empty : statusResponders[code], null, 0, 0);
      } },
    { pattern: '/bytes/:size', about: 'SIZE bytes, application/octet-stream',
      handler: sizedHandler(ctx, bytes) },
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
          sendBadValue(res, err);
          return;
        }
        if (delayMs > 0) scheduler.schedule(res, delayMs, drip, d, 0);
        else drip.send(res, d, 0);
      } },
    { pattern: '/stream-bytes/:size', about: 'SIZE bytes in chunked transfer encoding, ?chunk_size=N (default 10KB)',
      handler: (res, req) => {
        let size: number;
        let chunk: number;
        try {
          size = parseSize(req.getParameter(0), 'size', config.maxSizeBytes);
          chunk = parseSize(req.getQuery('chunk_size') || '10KB', 'chunk_size', 1024 * 1024, 'a fixed limit of /stream-bytes');
          if (chunk === 0) throw new GrammarError('chunk_size', 'chunk_size must be at least 1 byte');
        } catch (err) {
          sendBadValue(res, err);
          return;
        }
        streamChunked(res, filler, size, chunk);
      } },
    { pattern: '/anything', about: 'the request as httpbin JSON: args, data, headers, json, method, origin, url',
      handler: anything },
    { pattern: '/anything/*', about: 'same as /anything', handler: anything },
    { pattern: '/headers', about: '{"headers": {...}} with the request headers',
      handler: (res, req) => {
        const out = Buffer.from(serializeHeaders({ headers: readHeaders(req) }));
        ctx.respond(res, req, body, out, 0, 0);
      } },
    { pattern: '/redirect/:n', about: '302 chain of n redirects ending at /anything',
      handler: (res, req) => {
        const text = req.getParameter(0);
        const n = Number(text);
        if (!/^\d{1,3}$/.test(text) || n < 1 || n > MaxRedirects) {
          sendBadValue(res, new GrammarError('n', `invalid redirect count ${quoteValue(text)}: use a whole number from 1 to ${MaxRedirects}`));
          return;
        }
        countResponse(302, 0);
        res.writeStatus('302 Found');
        res.writeHeader('Location', n === 1 ? '/anything' : `/redirect/${n - 1}`);
        endEmpty(res);
      } },
  ];

  function anything(res: HttpResponse, req: HttpRequest): void {
    const delayMs = requestDelayOr400(ctx, res, req);
    if (delayMs < 0) return;
    const query = req.getQuery() ?? '';
    const args = Object.create(null) as Record<string, string>;
    for (const [k, v] of new URLSearchParams(query)) args[k] = args[k] === undefined ? v : `${args[k]},${v}`;
    const headers = readHeaders(req);
    const url = req.getUrl();
    const meta = {
      args, data: '', headers, json: null as unknown, method: req.getCaseSensitiveMethod(),
      origin: Buffer.from(res.getRemoteAddressAsText()).toString(),
      url: `http://${headers.Host ?? 'localhost'}${url}${query === '' ? '' : `?${query}`}`,
    };
    collectBody(res, req.getHeader('content-length'), config.maxBodyBytes, (r, b) => {
      meta.data = b.toString('utf8');
      if (meta.data !== '') {
        // Nesting past MaxJsonDepth would overflow the stack in JSON.parse: a 400, not a dead worker.
        if (jsonDepth(meta.data) > MaxJsonDepth) {
          sendError(r, 400, tooDeepMessage(), 'body');
          return;
        }
        try { meta.json = JSON.parse(meta.data); } catch { meta.json = null; }
      }
      const out = Buffer.from(serializeAnything(meta));
      if (delayMs > 0) scheduler.schedule(r, delayMs, body, out, 0);
      else body.send(r, out, 0);
    });
  }
}

// An empty body (Content-Length: 0), or a HEAD's head announcing `length` bytes.
function endEmptyOr(res: HttpResponse, length: number): void {
  if (isHead(res)) endHead(res, length);
  else endEmpty(res);
}

/** Write `size` filler bytes as chunked transfer encoding, pausing on backpressure. */
function streamChunked(res: HttpResponse, filler: FillerSender, size: number, chunk: number): void {
  const source = filler.bytes;
  let sent = 0;
  let finished = false;
  // Held as active so graceful shutdown waits for the stream; released once, on end or abort.
  filler.hold();
  const finish = (): void => {
    if (!finished) {
      finished = true;
      filler.unhold();
    }
  };
  writeHead(res, OctetHead, size);
  // HEAD: the chunked head a GET gets, no chunks.
  if (isHead(res)) {
    endHead(res, -1);
    finish();
    return;
  }
  res.onAborted(finish);
  const pump = (): boolean => {
    while (!finished && sent < size) {
      const len = Math.min(chunk, size - sent, source.length);
      const start = sent % (source.length - len + 1);
      sent += len;
      if (!res.write(source.subarray(start, start + len))) return false;
    }
    if (!finished) {
      res.end();
      finish();
    }
    return true;
  };
  res.onWritable(() => {
    if (finished) return true;
    let ok = true;
    res.cork(() => { ok = pump(); });
    return ok;
  });
  pump();
}

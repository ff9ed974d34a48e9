// go-bench-suite's request delay: `X-Delay: <duration>` and `X-Delay-Percent: <0..100>` on any data route.
import type { HttpRequest } from '../http/uws.js';
import { ownBytes } from '../http/head.js';
import { formatDuration, parseDuration } from '../grammar/duration.js';
import { GrammarError } from '../grammar/errors.js';
import { parsePercent } from '../grammar/percent.js';
import type { Handler, RouteContext } from './context.js';
import type { Responder } from '../http/scheduler.js';
import { sendBadValue } from '../http/errors.js';
import { parseSize } from '../grammar/size.js';

// Header names as bytes: uWS converts and copies a JS string key on every getHeader call, which
// measured ~20 % of pipelined /json/valid throughput; bytes are passed by pointer (head.ts: ownBytes).
/** The X-Delay header name as a Buffer key (shared with controls.ts' plain-path check). */
export const XDelay = ownBytes('x-delay');
const XDelayPercent = ownBytes('x-delay-percent');

/**
 * The delay this request asks for by header, in ms (0 when absent or when X-Delay-Percent's roll
 * says no), plus extraMs from the path. Throws GrammarError on a bad value or a total over --max-delay.
 */
export function requestDelay(ctx: RouteContext, req: HttpRequest, extraMs: number): number {
  return headerDelay(ctx, req, req.getHeader(XDelay), extraMs);
}

/** requestDelay with the X-Delay header already read (`header`, '' when absent). */
export function headerDelay(ctx: RouteContext, req: HttpRequest, header: string, extraMs: number): number {
  if (header.length === 0) return extraMs;
  const max = ctx.config.maxDelayMs;
  const ms = parseDuration(header, 'X-Delay', max);
  const pctText = req.getHeader(XDelayPercent);
  const pct = pctText.length === 0 ? 100 : parsePercent(pctText, 'X-Delay-Percent');
  if (pct < 100 && ctx.rng.next() * 100 >= pct) return extraMs;
  const total = ms + extraMs;
  if (total > max) {
    throw new GrammarError('X-Delay',
      `path delay plus X-Delay is ${formatDuration(total)}, over the maximum ${formatDuration(max)} (--max-delay)`);
  }
  return total;
}

/** A handler for `/<name>/:size` routes: parse the size segment (400 on a bad one), answer `sized` with it. */
export function sizedHandler(ctx: RouteContext, sized: Responder): Handler {
  return (res, req) => {
    let n: number;
    try {
      n = parseSize(req.getParameter(0), 'size', ctx.config.maxSizeBytes);
    } catch (err) {
      sendBadValue(ctx.writer, res, err);
      return;
    }
    ctx.respond(res, req, sized, null, n, 0);
  };
}

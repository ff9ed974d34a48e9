// go-bench-suite's /delay/:duration (an empty 200 after the duration) and /size/:size (filler bytes).
import { parseDuration } from '../../grammar/duration.js';
import { sendBadValue } from '../../http/errors.js';
import { makeHead } from '../../http/head.js';
import type { Responder } from '../../http/scheduler.js';
import type { Route, RouteContext } from '../context.js';
import { sizedHandler } from '../xdelay.js';

const TextHead = makeHead(200, 'text/plain');
const EmptyHead = makeHead(200, null);

/** /delay/:duration and /size/:size. */
export function timedRoutes(ctx: RouteContext): Route[] {
  const { writer, filler, config } = ctx;
  const empty: Responder = { send(res) { writer.sendEmpty(res, EmptyHead); } };
  const sized: Responder = { send(res, _arg, n) { filler.send(res, TextHead, n); } };
  return [
    { pattern: '/delay/:duration', about: 'empty 200 after the duration',
      handler: (res, req) => {
        let ms: number;
        try {
          ms = parseDuration(req.getParameter(0), 'duration', config.maxDelayMs);
        } catch (err) {
          sendBadValue(writer, res, err);
          return;
        }
        ctx.respond(res, req, empty, null, 0, ms);
      } },
    { pattern: '/size/:size', about: 'SIZE bytes of [a-zA-Z], text/plain',
      handler: sizedHandler(ctx, sized) },
  ];
}

// httpbin's /status/:codes: that status, or a weighted pick (503:20,404:10 -> rest 200), empty body.
import type { WeightedChoice } from '../../grammar/choice.js';
import { parseStatusChoice } from '../../grammar/distribution.js';
import { BoundedCache } from '../../grammar/cache.js';
import { sendBadValue } from '../../http/errors.js';
import { makeHead } from '../../http/head.js';
import type { Responder } from '../../http/scheduler.js';
import type { Route, RouteContext } from '../context.js';

/** /status/:codes. */
export function statusRoutes(ctx: RouteContext): Route[] {
  const { writer } = ctx;
  // One empty responder per status code, made once per worker.
  const statusResponders: Responder[] = [];
  for (let c = 100; c < 600; c++) {
    const head = makeHead(c, null);
    statusResponders[c] = { send(res) { writer.sendEmpty(res, head); } };
  }
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
            sendBadValue(writer, res, err);
            return;
          }
          statuses.set(text, choice);
        }
        const code = choice.pick(ctx.rng.next());
        // The picked status goes through the override so X-Delay and other controls still apply.
        ctx.respond(res, req, statusResponders[code], null, 0, 0);
      } },
  ];
}

// go-httpbin's /trailers?Name=Value: a small JSON body, sent chunked with each query pair as a trailer field
// (the `trailer` control's framing, docs/trailers.md). Bad names or values answer 400 as `trailer=` does.
import type { HttpRequest, HttpResponse } from '../../http/uws.js';
import { sendBadValue } from '../../http/errors.js';
import { makeHead } from '../../http/head.js';
import type { Responder } from '../../http/scheduler.js';
import type { Route, RouteContext } from '../context.js';
import type { Asked } from '../asked.js';
import { parseHeaders } from '../controls.js';

const JsonHead = makeHead(200, 'application/json');

/** /trailers. */
export function trailersRoutes(ctx: RouteContext): Route[] {
  const { writer } = ctx;
  const body: Responder = { send(res, arg) { writer.sendBody(res, JsonHead, arg as Buffer); } };
  return [{
    pattern: '/trailers', about: 'a JSON body sent chunked, each query pair Name=Value as a trailer field',
    handler: (res: HttpResponse, req: HttpRequest) => {
      const pairs = [...new URLSearchParams(req.getQuery() ?? '')];
      let trailers: Buffer[];
      try {
        trailers = parseHeaders(pairs.map(([k, v]) => [`${k}:${v}`, k]), true);
      } catch (err) {
        sendBadValue(writer, res, err);
        return;
      }
      const out = Buffer.from(JSON.stringify({ trailers: Object.fromEntries(pairs) }));
      const route: Asked = { delay: null, status: null, size: null, headers: null, close: -1, fault: null, trailers: trailers.length === 0 ? null : trailers };
      ctx.respondRoute(res, req, body, out, route);
    },
  }];
}

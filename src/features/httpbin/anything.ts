// httpbin's /anything and /anything/*: the request as httpbin JSON (args, data, headers, json, method,
// origin, url), after X-Delay; and /headers.
import { serializeAnything, serializeHeaders } from '../../serializers/index.js';
import type { HttpRequest, HttpResponse } from '../../http/uws.js';
import { sendError } from '../../http/errors.js';
import { jsonDepth, tooDeepMessage } from '../../http/depth.js';
import { MaxJsonDepth } from '../../config/defaults.js';
import { makeHead } from '../../http/head.js';
import type { Responder } from '../../http/scheduler.js';
import type { Route, RouteContext } from '../context.js';
import type { Controls } from '../controls.js';
import { readHeaders } from './helpers.js';
import { clientCertificateOf, proxiedAddressOf } from '../../http/peer.js';

const JsonHead = makeHead(200, 'application/json');

/** /anything, /anything/* and /headers. */
export function anythingRoutes(ctx: RouteContext, controls: Controls): Route[] {
  const { writer, config } = ctx;
  const gateway = config.proxyProtocol || config.tls?.caFile != null;
  const body: Responder = { send(res, arg) { writer.sendBody(res, JsonHead, arg as Buffer); } };
  return [
    { pattern: '/anything', about: 'the request as httpbin JSON: args, data, headers, json, method, origin, url',
      handler: anything },
    { pattern: '/anything/*', about: 'same as /anything', handler: anything },
    { pattern: '/headers', about: '{"headers": {...}} with the request headers',
      handler: (res, req) => {
        const out = Buffer.from(serializeHeaders({ headers: readHeaders(req) }));
        ctx.respond(res, req, body, out, 0, 0);
      } },
  ];

  function anything(res: HttpResponse, req: HttpRequest): void {
    // The request controls (status, delay, fault, expect-*, ...): read now, applied once the body is in.
    const held = controls.hold(res, req);
    if (held === null) return;
    const query = req.getQuery() ?? '';
    const args = Object.create(null) as Record<string, string>;
    for (const [k, v] of new URLSearchParams(query)) args[k] = args[k] === undefined ? v : `${args[k]},${v}`;
    const headers = readHeaders(req);
    const url = req.getUrl();
    const meta = {
      args, data: '', headers, json: null as unknown, method: req.getCaseSensitiveMethod(),
      origin: Buffer.from(res.getRemoteAddressAsText()).toString(),
      url: `http://${headers.Host ?? 'localhost'}${url}${query === '' ? '' : `?${query}`}`,
    } as Record<string, unknown> & { data: string; json: unknown };
    if (gateway) {
      // Beside origin (the peer): the client a PROXY header named, the client certificate (each when known).
      const proxied = proxiedAddressOf(res);
      if (proxied !== '') meta.proxied_origin = proxied;
      const cert = clientCertificateOf(res);
      if (cert !== null) meta.client_cert = cert;
    }
    ctx.bodies.collect(res, req.getHeader('content-length'), config.maxBodyBytes, (r, b) => {
      meta.data = b.toString('utf8');
      if (meta.data !== '') {
        // Nesting past MaxJsonDepth would overflow the stack in JSON.parse: a 400, not a dead worker.
        if (jsonDepth(meta.data) > MaxJsonDepth) {
          sendError(writer, r, 400, tooDeepMessage(), 'body');
          return;
        }
        try { meta.json = JSON.parse(meta.data); } catch { meta.json = null; }
      }
      controls.answerHeld(r, held, b, body, Buffer.from(serializeAnything(meta)));
    });
  }
}

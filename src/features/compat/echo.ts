// go-bench-suite's /echo: the request (method, URI, headers, body, query) as JSON, after X-Delay.
import { serializeEcho } from '../../serializers/index.js';
import type { HttpRequest, HttpResponse } from '../../http/uws.js';
import { clientCertificateOf, proxiedAddressOf } from '../../http/peer.js';
import type { PeerCertificate } from '../../observe/journal.js';
import { makeHead } from '../../http/head.js';
import type { Responder } from '../../http/scheduler.js';
import type { Route, RouteContext } from '../context.js';
import type { Controls } from '../controls.js';

const JsonHead = makeHead(200, 'application/json');

/** /echo: the request controls apply (status, delay, fault, ...), read in the handler and applied once the body is in. */
export function echoRoutes(ctx: RouteContext, controls: Controls): Route[] {
  const { writer, config } = ctx;
  // The peer fields exist only where they can say something (go-bench-suite's shape is unchanged otherwise).
  const gateway = config.proxyProtocol || config.tls?.caFile != null;
  const fixed: Responder = { send(res, arg) { writer.sendBody(res, JsonHead, arg as Buffer); } };
  return [
    { pattern: '/echo', about: 'the request as JSON: Method, RequestURI, Header, Headers, Body, Host, QueryArgs',
      handler: (res, req) => {
        const held = controls.hold(res, req);
        if (held === null) return;
        const meta = readEcho(req);
        if (gateway) addPeer(meta, res);
        // The delay starts once the body is in; the echo is ready then.
        ctx.bodies.collect(res, req.getHeader('content-length'), config.maxBodyBytes, (r, body) => {
          meta.Body = body.toString('utf8');
          controls.answerHeld(r, held, body, fixed, Buffer.from(serializeEcho(meta as unknown as Record<string, unknown>)));
        });
      } },
  ];
}

function readEcho(req: HttpRequest): EchoMeta {
  // Keyed by client text: null prototypes, so 'constructor' or '__proto__' are plain keys, not Object's.
  const headers = Object.create(null) as Record<string, string>;
  let raw = '';
  req.forEach((k, v) => {
    headers[k] = headers[k] === undefined ? v : `${headers[k]}, ${v}`;
    raw += `${k}: ${v}\r\n`;
  });
  const url = req.getUrl();
  const query = req.getQuery() ?? '';
  const args = Object.create(null) as Record<string, string>;
  for (const [k, v] of new URLSearchParams(query)) args[k] = args[k] === undefined ? v : `${args[k]},${v}`;
  return {
    Method: req.getCaseSensitiveMethod(),
    RequestURI: query === '' ? url : `${url}?${query}`,
    Header: raw,
    Headers: headers,
    Body: '',
    Host: headers.host ?? '',
    QueryArgs: args,
  };
}

// RemoteAddr (the peer), ProxiedRemoteAddr (--proxy-protocol) and ClientCert (--tls-ca), each when known.
function addPeer(meta: EchoMeta, res: HttpResponse): void {
  meta.RemoteAddr = Buffer.from(res.getRemoteAddressAsText()).toString('latin1');
  const proxied = proxiedAddressOf(res);
  if (proxied !== '') meta.ProxiedRemoteAddr = proxied;
  const cert = clientCertificateOf(res);
  if (cert !== null) meta.ClientCert = cert;
}

interface EchoMeta {
  RemoteAddr?: string;
  ProxiedRemoteAddr?: string;
  ClientCert?: PeerCertificate;
  Method: string;
  RequestURI: string;
  Header: string;
  Headers: Record<string, string>;
  Body: string;
  Host: string;
  QueryArgs: Record<string, string>;
}

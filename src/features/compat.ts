// go-bench-suite compatible routes (spec 2.1): one responder per endpoint, bodies precomputed here.
import { serializeEcho } from '../serializers/index.js';
import type { HttpRequest } from '../http/uws.js';
import { parseDuration } from '../grammar/duration.js';
import { GrammarError } from '../grammar/errors.js';
import { collectBody } from '../http/body.js';
import { sendBadValue, sendError } from '../http/errors.js';
import { makeHead, prepare, send, sendBody, sendEmpty, type Prepared } from '../http/respond.js';
import type { Responder } from '../http/scheduler.js';
import { makeFiller } from '../http/filler.js';
import type { Route, RouteContext } from './context.js';
import { requestDelayOr400, sizedHandler } from './xdelay.js';

const JsonHead = makeHead(200, 'application/json');
const TextHead = makeHead(200, 'text/plain');
const EmptyHead = makeHead(200, null);

/** httpbin's /xml sample document (470 bytes), as go-bench-suite serves it. */
export const SlideshowXml = `<?xml version='1.0' encoding='us-ascii'?>
<!--  A SAMPLE set of slides  -->
<slideshow title="Sample Slide Show" date="Date of publication" author="Yours Truly">
  <!-- TITLE SLIDE -->
  <slide type="all">
    <title>Wake up to WonderWidgets!</title>
  </slide>

  <!-- OVERVIEW -->
  <slide type="all">
    <title>Overview</title>
    <item>Why <em>WonderWidgets</em> are great</item>
    <item/>
    <item>Who <em>buys</em> WonderWidgets</item>
  </slide>
</slideshow>`;

const SoapEnvelope = `<?xml version="1.0" encoding="utf-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
  <soap:Body>
    <Response xmlns="urn:mock-upstream"><Status>OK</Status></Response>
  </soap:Body>
</soap:Envelope>`;

/** Number of seeded resources behind /resource. */
export const ResourceCount = 100;
/** Default page size of /resource, as in go-bench-suite. */
export const DefaultResourceLimit = 10;

/** The seeded resources: the same names in every worker and every run, so workers agree. */
export function seedResources(): { Id: number; Name: string }[] {
  const letters = makeFiller(ResourceCount * 10, 0x5eed).toString('latin1');
  return Array.from({ length: ResourceCount }, (_, i) => ({ Id: i, Name: letters.slice(i * 10, i * 10 + 10) }));
}

/** The compat route table. */
export function compatRoutes(ctx: RouteContext): Route[] {
  const { clock, filler, config } = ctx;

  const jsonValid: Responder = { send(res) { clock.refresh(); sendBody(res, JsonHead, clock.validBytes, clock.validLength); } };
  const jsonInvalid: Responder = { send(res) { clock.refresh(); sendBody(res, JsonHead, clock.invalidBytes, clock.invalidLength); } };
  const empty: Responder = { send(res) { sendEmpty(res, EmptyHead); } };
  const sized: Responder = { send(res, _arg, n) { filler.send(res, TextHead, n); } };
  const fixed: Responder = { send(res, arg) { sendBody(res, JsonHead, arg as Buffer); } };
  const prepared = (p: Prepared): Responder => ({ send(res) { send(res, p); } });

  const xml = prepared(prepare(200, 'application/xml', SlideshowXml));
  const soap = prepared(prepare(200, 'text/xml; charset=utf-8', SoapEnvelope));

  const resources = seedResources();
  // Every page of /resource precomputed: 101 small bodies beat building one per request.
  const pages: Buffer[] = [];
  for (let n = 0; n <= ResourceCount; n++) {
    const page: Record<number, { Id: number; Name: string }> = {};
    for (let i = 0; i < n; i++) page[i] = resources[i];
    pages.push(Buffer.from(JSON.stringify(page)));
  }
  const single = resources.map((r) => Buffer.from(JSON.stringify(r)));


  return [
    { pattern: '/json/valid', about: '{"time": "<now>"} in Go time.String() form',
      handler: (res, req) => ctx.respond(res, req, jsonValid, null, 0, 0) },
    { pattern: '/json/invalid', about: 'the same with deliberately invalid JSON',
      handler: (res, req) => ctx.respond(res, req, jsonInvalid, null, 0, 0) },
    { pattern: '/delay/:duration', about: 'empty 200 after the duration',
      handler: (res, req) => {
        let ms: number;
        try {
          ms = parseDuration(req.getParameter(0), 'duration', config.maxDelayMs);
        } catch (err) {
          sendBadValue(res, err);
          return;
        }
        ctx.respond(res, req, empty, null, 0, ms);
      } },
    { pattern: '/size/:size', about: 'SIZE bytes of [a-zA-Z], text/plain',
      handler: sizedHandler(ctx, sized) },
    { pattern: '/xml', about: "httpbin's slideshow, application/xml",
      handler: (res, req) => ctx.respond(res, req, xml, null, 0, 0) },
    { pattern: '/soap', about: 'a minimal SOAP envelope, text/xml',
      handler: (res, req) => ctx.respond(res, req, soap, null, 0, 0) },
    { pattern: '/resource', about: 'the first ?limit=N (default 10) of 100 seeded resources keyed by id',
      handler: (res, req) => {
        const text = req.getQuery('limit') ?? '';
        let n = DefaultResourceLimit;
        if (text !== '') {
          if (!/^\d{1,9}$/.test(text)) {
            sendError(res, 400, `invalid limit "${text}": use a whole number; 0 means the default ${DefaultResourceLimit}, above ${ResourceCount} gives all ${ResourceCount}`, 'limit');
            return;
          }
          n = Number(text);
          // go-bench-suite treats 0 as "not given".
          if (n === 0) n = DefaultResourceLimit;
        }
        ctx.respond(res, req, fixed, pages[Math.min(n, ResourceCount)], 0, 0);
      } },
    { pattern: '/resource/:id', about: 'one resource by id (0-99), 404 JSON if absent',
      handler: (res, req) => {
        const text = req.getParameter(0);
        if (!/^\d{1,9}$/.test(text)) {
          sendBadValue(res, new GrammarError('id', `invalid resource id "${text}": use a whole number from 0 to ${ResourceCount - 1}`));
          return;
        }
        const id = Number(text);
        if (id >= ResourceCount) {
          sendError(res, 404, `resource ${id} not found: ids are 0 to ${ResourceCount - 1}`, 'id');
          return;
        }
        ctx.respond(res, req, fixed, single[id], 0, 0);
      } },
    { pattern: '/echo', about: 'the request as JSON: Method, RequestURI, Header, Headers, Body, Host, QueryArgs',
      handler: (res, req) => {
        const delayMs = requestDelayOr400(ctx, res, req);
        if (delayMs < 0) return;
        const meta = readEcho(req);
        // The delay starts once the body is in; the echo is ready then.
        collectBody(res, req.getHeader('content-length'), config.maxBodyBytes, (r, body) => {
          meta.Body = body.toString('utf8');
          const out = Buffer.from(serializeEcho(meta as unknown as Record<string, unknown>));
          if (delayMs > 0) ctx.scheduler.schedule(r, delayMs, fixed, out, 0);
          else fixed.send(r, out, 0);
        });
      } },
  ];

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
}

interface EchoMeta {
  Method: string;
  RequestURI: string;
  Header: string;
  Headers: Record<string, string>;
  Body: string;
  Host: string;
  QueryArgs: Record<string, string>;
}

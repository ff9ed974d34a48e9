// go-bench-suite's fixed documents: /xml (httpbin's slideshow) and /soap, precomputed at startup.
import { prepare, type Prepared } from '../../http/head.js';
import type { Responder } from '../../http/scheduler.js';
import type { Route, RouteContext } from '../context.js';

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

/** /xml and /soap. */
export function documentRoutes(ctx: RouteContext): Route[] {
  const { writer } = ctx;
  const prepared = (p: Prepared): Responder => ({ send(res) { writer.send(res, p); } });
  const xml = prepared(prepare(200, 'application/xml', SlideshowXml));
  const soap = prepared(prepare(200, 'text/xml; charset=utf-8', SoapEnvelope));
  return [
    { pattern: '/xml', about: "httpbin's slideshow, application/xml",
      handler: (res, req) => ctx.respond(res, req, xml, null, 0, 0) },
    { pattern: '/soap', about: 'a minimal SOAP envelope, text/xml',
      handler: (res, req) => ctx.respond(res, req, soap, null, 0, 0) },
  ];
}

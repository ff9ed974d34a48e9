// The `trailer` control served (docs/trailers.md): the route's answer goes out chunked, `Trailer: Names` in its
// head and the trailer fields after the last chunk. Like a fault, the route's response is first written into a
// Capture (through the writer, so status, headers and counters are the route's), then sent framed; the slow
// path: a request without trailers never reaches this module.
//
// - native uWS 20.30: uWS frames its own chunked bodies and always ends them with an empty trailer section
//   (end() writes "0\r\n\r\n"), so the whole response goes out raw through writeStatus (uWS writes
//   "HTTP/1.1 " before it and CRLF after it) and endWithoutBody() ends it: uWS then appends its `Date` and
//   `uWebSockets: 20` lines and the blank line, which land in the trailer section (measured; valid framing,
//   the connection stays reusable). The head itself therefore carries no Date.
// - portable (node:http) and HTTP/2: the response's endWithTrailers (node's addTrailers; on HTTP/2 a trailing
//   HEADERS frame).
import type { HttpResponse } from '../http/uws.js';
import type { Writer } from '../http/writer.js';
import { bodiless } from '../http/head.js';
import { Capture, refuseOverflow, type Faults } from './faults.js';

const Crlf = '\r\n';
const CloseLine: readonly string[] = ['Connection: close'];
const NoLines: readonly string[] = [];

interface TrailerSurface {
  endWithTrailers(head: string, body: Buffer | null, trailers: readonly string[]): unknown;
}

/** Per-worker server of trailered responses. */
export class Trailered {
  constructor(private readonly writer: Writer, private readonly faults: Faults) {}

  /**
   * Answer `res` chunked with `trailers` (names and values alternating). `answer` writes the route's response into
   * the response it is given, synchronously. Must run corked: in the handler or a cork callback.
   */
  serve(res: HttpResponse, trailers: readonly Buffer[], answer: (into: HttpResponse) => void): void {
    const head = this.writer.isHead(res);
    const cap = new Capture();
    answer(cap as unknown as HttpResponse);
    // The capture holds the GET's answer (or the HEAD's head alone); this response is answered here, not by endHead.
    if (head) this.writer.headAnswered(res);
    else if (cap.overflow) return refuseOverflow(this.writer, res, cap, 'trailer');
    const code = Number.parseInt(cap.status, 10);
    const fields: string[] = [];
    for (let i = 0; i < trailers.length; i++) fields.push(trailers[i].toString('latin1'));
    const names: string[] = [];
    for (let i = 0; i < fields.length; i += 2) names.push(fields[i]);
    const body = head || bodiless(code) ? null : cap.body;
    // The close control: `Connection: close` in the head (portable: node closes after it; HTTP/2: a GOAWAY).
    const close = cap.closes ? CloseLine : NoLines;
    const portable = res as unknown as Partial<TrailerSurface>;
    if (typeof portable.endWithTrailers === 'function') {
      // A 204/304 has no body to chunk: its head alone, without trailers (a HEAD announces them).
      if (bodiless(code)) portable.endWithTrailers(cap.head(close), null, []);
      else portable.endWithTrailers(cap.head(close), body, fields);
      return;
    }
    // Native. With the close control the whole response goes out raw, its final CRLF being the one uWS appends to
    // writeStatus, and the connection is closed after the flush: endWithoutBody(n, true) would add `Connection:
    // close` and `Content-Length: 0` into the trailer section (measured), and uWS crashes on endWithoutBody(undefined, true).
    const closing = cap.closes;
    if (bodiless(code)) return this.end(res, `${cap.head(close)}${closing ? Crlf : ''}`, closing);
    const announced = ['Transfer-Encoding: chunked', `Trailer: ${names.join(', ')}`, ...close];
    if (body === null) return this.end(res, `${cap.head(announced)}${closing ? Crlf : ''}`, closing);
    const lines: string[] = [];
    for (let i = 0; i < fields.length; i += 2) lines.push(`${fields[i]}: ${fields[i + 1]}${Crlf}`);
    const chunk = body.length === 0 ? '' : `${body.length.toString(16)}${Crlf}`;
    res.writeStatus(Buffer.concat([
      Buffer.from(`${cap.head(announced)}${Crlf}${Crlf}${chunk}`, 'latin1'),
      body,
      // Without the close, the last field's CRLF and the blank line come from uWS (after its Date line).
      Buffer.from(`${body.length === 0 ? '' : Crlf}0${Crlf}${lines.join('').slice(0, closing ? undefined : -2)}`, 'latin1'),
    ]));
    if (closing) this.faults.closeAfterFlush(res);
    else res.endWithoutBody();
  }

  // A native head (or raw text) with no body: ended by uWS (its Date line added), or closed after the flush.
  private end(res: HttpResponse, raw: string, closing: boolean): void {
    res.writeStatus(raw);
    if (closing) this.faults.closeAfterFlush(res);
    else res.endWithoutBody();
  }
}

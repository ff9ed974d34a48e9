// httpbin's /bytes/:size (filler bytes with Content-Length) and /stream-bytes/:size (chunked).
import type { HttpResponse } from '../../http/uws.js';
import { GrammarError } from '../../grammar/errors.js';
import { parseSize } from '../../grammar/size.js';
import { sendBadValue } from '../../http/errors.js';
import { makeHead } from '../../http/head.js';
import type { FillerSender } from '../../http/filler.js';
import type { Responder } from '../../http/scheduler.js';
import type { Writer } from '../../http/writer.js';
import type { Route, RouteContext } from '../context.js';
import { sizedHandler } from '../xdelay.js';

const OctetHead = makeHead(200, 'application/octet-stream');

/** /bytes/:size and /stream-bytes/:size. */
export function bytesRoutes(ctx: RouteContext): Route[] {
  const { writer, filler, config } = ctx;
  const bytes: Responder = { send(res, _arg, n) { filler.send(res, OctetHead, n); } };
  return [
    { pattern: '/bytes/:size', about: 'SIZE bytes, application/octet-stream',
      handler: sizedHandler(ctx, bytes) },
    { pattern: '/stream-bytes/:size', about: 'SIZE bytes in chunked transfer encoding, ?chunk_size=N (default 10KB)',
      handler: (res, req) => {
        let size: number;
        let chunk: number;
        try {
          size = parseSize(req.getParameter(0), 'size', config.maxSizeBytes);
          chunk = parseSize(req.getQuery('chunk_size') || '10KB', 'chunk_size', 1024 * 1024, 'a fixed limit of /stream-bytes');
          if (chunk === 0) throw new GrammarError('chunk_size', 'chunk_size must be at least 1 byte');
        } catch (err) {
          sendBadValue(writer, res, err);
          return;
        }
        streamChunked(writer, res, filler, size, chunk);
      } },
  ];
}

/** Write `size` filler bytes as chunked transfer encoding, pausing on backpressure. */
function streamChunked(writer: Writer, res: HttpResponse, filler: FillerSender, size: number, chunk: number): void {
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
  writer.writeHead(res, OctetHead, size);
  // HEAD: the chunked head a GET gets, no chunks.
  if (writer.isHead(res)) {
    writer.endHead(res, -1);
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

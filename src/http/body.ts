// Request bodies for the routes that need them (echo). Every other route leaves the body to uWS,
// which discards it and keeps the connection usable.
import type { HttpResponse } from './uws.js';
import { formatSize } from '../grammar/size.js';
import { sendError } from './errors.js';
import { contained } from './contain.js';
import { answer, setBody, takeRunningEntry } from './recorder.js';


/** Called corked with the whole body once it has arrived. */
export type BodyHandler = (res: HttpResponse, body: Buffer) => void;

/** Bodies being collected (counted as in flight by graceful shutdown). */
export let collecting = 0;

/**
 * Collect the request body up to maxBytes, then call onBody corked; beyond the limit answer 413
 * (uWS discards the rest). contentLength is the request's header as read synchronously in the handler ('' if absent).
 */
export function collectBody(res: HttpResponse, contentLength: string, maxBytes: number, onBody: BodyHandler): void {
  if (contentLength !== '' && Number(contentLength) > maxBytes) {
    tooLarge(res, maxBytes);
    return;
  }
  // With the journal on, this onData replaces the journal's: hand it the body (null when off).
  const journaled = takeRunningEntry();
  const chunks: Buffer[] = [];
  let received = 0;
  let finished = false;
  collecting++;
  const finish = (): void => {
    if (!finished) {
      finished = true;
      collecting--;
    }
  };
  res.onAborted(finish);
  // Contained: an exception in onData or its corked answer (a route's body handler) escapes every try/catch
  // of the route and would kill the worker; it answers 500 (or closes) and is reported instead.
  res.onData((chunk: ArrayBuffer, isLast: boolean) => contained(res, 'request body', () => {
    if (finished) return;
    received += chunk.byteLength;
    if (received > maxBytes) {
      finish();
      res.cork(() => answer(journaled?.entry ?? null, () => tooLarge(res, maxBytes)));
      return;
    }
    // uWS reuses the chunk's memory after this callback returns: copy it.
    chunks.push(Buffer.from(Buffer.from(chunk)));
    if (isLast) {
      finish();
      const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, received);
      if (journaled !== null) setBody(journaled, body);
      res.cork(() => answer(journaled?.entry ?? null, () => onBody(res, body)));
    }
  }));
}

function tooLarge(res: HttpResponse, maxBytes: number): void {
  const msg = `request body exceeds the limit of ${formatSize(maxBytes)}: send less or raise --max-body`;
  // Through the writer, so a HEAD gets the head alone. Not closing: a client still sending would get a reset
  // that can swallow this 413; uWS discards the rest of the body instead and the connection stays usable.
  sendError(res, 413, msg, 'body');
}

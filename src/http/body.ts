// Request bodies for the routes that need them (echo). Every other route leaves the body to uWS,
// which discards it and keeps the connection usable.
import { wholeNumber } from '../grammar/integer.js';
import type { HttpResponse } from './uws.js';
import { formatSize } from '../grammar/size.js';
import { sendError } from './errors.js';
import { contained } from './contain.js';
import { setBody } from './recorder.js';
import type { Writer } from './writer.js';

/** Called corked with the whole body once it has arrived. */
export type BodyHandler = (res: HttpResponse, body: Buffer) => void;

/** A worker's reader of request bodies; answers through its writer (413, the journal's status). */
export class BodyReader {
  /** Bodies being collected (counted as in flight by graceful shutdown). */
  collecting = 0;

  constructor(private readonly writer: Writer) {}

  /**
   * Collect the request body up to maxBytes, then call onBody corked; beyond the limit answer 413
   * (uWS discards the rest). contentLength is the request's header as read synchronously in the handler ('' if absent).
   */
  collect(res: HttpResponse, contentLength: string, maxBytes: number, onBody: BodyHandler): void {
    const writer = this.writer;
    if (contentLength !== '' && wholeNumber(contentLength) > maxBytes) {
      tooLarge(writer, res, maxBytes);
      return;
    }
    // With the journal on, this onData replaces the journal's: hand it the body (null when off).
    const recorder = writer.recorder;
    const journaled = recorder === null ? null : recorder.takeRunningEntry();
    const chunks: Buffer[] = [];
    let received = 0;
    let finished = false;
    this.collecting++;
    const finish = (): void => {
      if (!finished) {
        finished = true;
        this.collecting--;
      }
    };
    // Runs the answer with the journal's entry in scope, so the status the writer writes is recorded.
    const answer = (write: () => void): void => {
      if (recorder === null || journaled === null) write();
      else recorder.answer(journaled.entry, write);
    };
    res.onAborted(() => {
      finish();
      // A deferred HEAD that sent a body (it may): it will never reach endHead.
      writer.forgetHead(res);
    });
    // Contained: an exception in onData or its corked answer (a route's body handler) escapes every try/catch
    // of the route and would kill the worker; it answers 500 (or closes) and is reported instead.
    res.onData((chunk: ArrayBuffer, isLast: boolean) => contained(writer, res, 'request body', () => {
      if (finished) return;
      received += chunk.byteLength;
      if (received > maxBytes) {
        finish();
        res.cork(() => answer(() => tooLarge(writer, res, maxBytes)));
        return;
      }
      // uWS reuses the chunk's memory after this callback returns: copy it.
      chunks.push(Buffer.from(Buffer.from(chunk)));
      if (isLast) {
        finish();
        const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, received);
        if (journaled !== null) setBody(journaled, body);
        res.cork(() => answer(() => onBody(res, body)));
      }
    }));
  }
}

function tooLarge(writer: Writer, res: HttpResponse, maxBytes: number): void {
  const msg = `request body exceeds the limit of ${formatSize(maxBytes)}: send less or raise --max-body`;
  // Through the writer, so a HEAD gets the head alone. Not closing: a client still sending would get a reset
  // that can swallow this 413; uWS discards the rest of the body instead and the connection stays usable.
  sendError(writer, res, 413, msg, 'body');
}

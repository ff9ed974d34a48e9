// Containment for callbacks uWS runs outside the route handler (onData, onAborted, cork, timers, promise
// continuations): an exception there escapes the route's try/catch and would kill the worker (docs/operations.md, "Crashes").
import type { HttpResponse } from './uws.js';
import type { Writer } from './writer.js';
import { sendError } from './errors.js';

/** Answer 500 with this reason when the response is still open; otherwise close its connection. Never throws. */
export function answerFailure(writer: Writer, res: HttpResponse, message: string): void {
  try {
    res.cork(() => sendError(writer, res, 500, message));
  } catch {
    try {
      res.close();
    } catch {
      // Already closed or aborted.
    }
  }
  // Closed rather than answered: a deferred HEAD must not stay marked (the writer's HEAD check on every GET).
  writer.forgetHead(res);
}

/** Run fn; an exception answers 500 (or closes) and is reported under `where` instead of escaping. */
export function contained(writer: Writer, res: HttpResponse | null, where: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    failed(writer, res, where, err);
  }
}

/** A caught exception: answer 500 (or close) when there is a response, and report it (writer.report) under `where`. */
export function failed(writer: Writer, res: HttpResponse | null, where: string, err: unknown): void {
  const e = err instanceof Error ? err : new Error(String(err));
  if (res !== null) answerFailure(writer, res, `internal error in ${where}: ${e.message}`);
  writer.report(where, e);
}

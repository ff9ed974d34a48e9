// Containment for callbacks uWS runs outside the route handler (onData, onAborted, cork, timers, promise
// continuations): an exception there escapes the route's try/catch and would kill the worker (uws-notes).
import type { HttpResponse } from './uws.js';
import { sendError } from './errors.js';

type Reporter = (route: string, err: Error) => void;
let reporter: Reporter = () => {};

/** Where contained exceptions are reported (the worker's handlerError message); set once at app creation. */
export function setContainReporter(report: Reporter): void {
  reporter = report;
}

/** Answer 500 with this reason when the response is still open; otherwise close its connection. Never throws. */
export function answerFailure(res: HttpResponse, message: string): void {
  try {
    res.cork(() => sendError(res, 500, message));
  } catch {
    try {
      res.close();
    } catch {
      // Already closed or aborted.
    }
  }
}

/** Run fn; an exception answers 500 (or closes) and is reported under `where` instead of escaping. */
export function contained(res: HttpResponse | null, where: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    failed(res, where, err);
  }
}

/** A caught exception: answer 500 (or close) when there is a response, and report it under `where`. */
export function failed(res: HttpResponse | null, where: string, err: unknown): void {
  const e = err instanceof Error ? err : new Error(String(err));
  if (res !== null) answerFailure(res, `internal error in ${where}: ${e.message}`);
  reporter(where, e);
}

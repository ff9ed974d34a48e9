// Error responses, defined once: every 4xx the server sends is `{"error": "...", "param"?: "..."}` JSON.
import { serializeError } from '../serializers/index.js';
import type { HttpResponse } from './uws.js';
import { GrammarError } from '../grammar/errors.js';
import { makeHead, type Head } from './head.js';
import type { Writer } from './writer.js';

/** The error body, documented in the README under "Errors". */
export interface ErrorBody {
  error: string;
  param?: string;
}

const Json = 'application/json';
const Heads: Record<number, Head> = {
  400: makeHead(400, Json),
  404: makeHead(404, Json),
  405: makeHead(405, Json),
  413: makeHead(413, Json),
  500: makeHead(500, Json),
  503: makeHead(503, Json),
};

/** Serialize an error body (also used by tests and the admin API). */
export function errorJson(body: ErrorBody): string {
  return serializeError(body);
}

/** Send a JSON error through `writer`. Must run corked. The error path may allocate: it is not the hot path. */
export function sendError(writer: Writer, res: HttpResponse, code: 400 | 404 | 405 | 413 | 500 | 503, error: string, param?: string): void {
  const body: ErrorBody = param === undefined ? { error } : { error, param };
  writer.sendBody(res, Heads[code], Buffer.from(serializeError(body)));
}

/**
 * 400 for a bad grammar value. Anything else is our bug: answer 500 rather than rethrow, because a
 * handler that throws before responding takes down every worker thread (docs/operations.md, "Crashes").
 */
export function sendBadValue(writer: Writer, res: HttpResponse, err: unknown): void {
  if (err instanceof GrammarError) sendError(writer, res, 400, err.message, err.param);
  else sendError(writer, res, 500, `internal error: ${(err as Error)?.message ?? String(err)}`);
}

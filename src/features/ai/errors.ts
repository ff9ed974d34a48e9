// Errors as the real services send them, in each API's own JSON shape, so the official SDKs raise their typed
// errors (openai.RateLimitError, Anthropic's OverloadedError, ...). An error answer is a function of its status
// code alone: the `status` control (or anything else that yields a code) picks the code, and every code from 400
// to 599 has its head and body made here at startup, for both APIs.
import { STATUS_CODES } from 'node:http';
import { makeHead, type Head } from '../../http/head.js';
import type { HttpResponse } from '../../http/uws.js';
import type { Writer } from '../../http/writer.js';
import { serializeAnthropicError, serializeOpenaiError } from '../../serializers/index.js';

/** Which API's shapes a route speaks. */
export type Api = 'openai' | 'anthropic';

/** A request the API itself would refuse (400): message, the parameter at fault, OpenAI's error code. */
export class AiInputError extends Error {
  constructor(message: string, readonly param: string | null = null, readonly code: string | null = null, readonly status = 400) {
    super(message);
  }
}

/** Seconds a rate-limited client is told to wait (retry-after). */
const RetryAfterSeconds = 1;

// OpenAI: error type and code by status; the messages are the service's own wording where it has one.
function openaiFor(code: number): { type: string; code: string | null; message: string } {
  switch (code) {
    case 400: return { type: 'invalid_request_error', code: null, message: 'Bad request.' };
    case 401: return { type: 'invalid_request_error', code: 'invalid_api_key', message: 'Incorrect API key provided.' };
    case 403: return { type: 'invalid_request_error', code: 'unsupported_country_region_territory', message: 'Country, region, or territory not supported.' };
    case 404: return { type: 'invalid_request_error', code: 'model_not_found', message: 'The model does not exist or you do not have access to it.' };
    case 429: return { type: 'requests', code: 'rate_limit_exceeded', message: `Rate limit reached for requests. Please try again in ${RetryAfterSeconds}s.` };
    case 500: return { type: 'server_error', code: null, message: 'The server had an error while processing your request. Sorry about that!' };
    case 503: return { type: 'server_error', code: null, message: 'The engine is currently overloaded, please try again later.' };
    default: return code < 500
      ? { type: 'invalid_request_error', code: null, message: `${STATUS_CODES[code] ?? 'Error'}.` }
      : { type: 'server_error', code: null, message: `${STATUS_CODES[code] ?? 'Overloaded'}.` };
  }
}

// Anthropic: error type by status (docs.anthropic.com "Errors"); 529 is overloaded_error.
function anthropicFor(code: number): { type: string; message: string } {
  switch (code) {
    case 400: return { type: 'invalid_request_error', message: 'Bad request.' };
    case 401: return { type: 'authentication_error', message: 'invalid x-api-key' };
    case 402: return { type: 'billing_error', message: 'Your credit balance is too low.' };
    case 403: return { type: 'permission_error', message: 'Your API key does not have permission to use the specified resource.' };
    case 404: return { type: 'not_found_error', message: 'The requested resource could not be found.' };
    case 413: return { type: 'request_too_large', message: 'Request exceeds the maximum allowed number of bytes.' };
    case 429: return { type: 'rate_limit_error', message: 'Number of requests has exceeded your rate limit.' };
    case 500: return { type: 'api_error', message: 'Internal server error' };
    case 504: return { type: 'timeout_error', message: 'Request timed out.' };
    case 529: return { type: 'overloaded_error', message: 'Overloaded' };
    default: return code < 500 ? { type: 'invalid_request_error', message: STATUS_CODES[code] ?? 'Error' } : { type: 'api_error', message: STATUS_CODES[code] ?? 'Error' };
  }
}

const RateHeaders: Record<Api, [string, string][]> = {
  openai: [
    ['retry-after', String(RetryAfterSeconds)], ['x-ratelimit-limit-requests', '60'], ['x-ratelimit-remaining-requests', '0'],
    ['x-ratelimit-reset-requests', `${RetryAfterSeconds}s`], ['x-ratelimit-limit-tokens', '150000'], ['x-ratelimit-remaining-tokens', '0'],
    ['x-ratelimit-reset-tokens', `${RetryAfterSeconds}s`],
  ],
  anthropic: [
    ['retry-after', String(RetryAfterSeconds)], ['anthropic-ratelimit-requests-limit', '60'], ['anthropic-ratelimit-requests-remaining', '0'],
    ['anthropic-ratelimit-tokens-limit', '150000'], ['anthropic-ratelimit-tokens-remaining', '0'],
  ],
};

/** The error body of `api` for a status code and message (the validation errors' path; allocates). */
export function errorBody(api: Api, code: number, message: string, param: string | null = null, errCode: string | null = null): Buffer {
  if (api === 'anthropic') return Buffer.from(serializeAnthropicError({ type: 'error', error: { type: anthropicFor(code).type, message } }));
  return Buffer.from(serializeOpenaiError({ error: { message, type: openaiFor(code).type, param, code: errCode } }));
}

/** Anthropic's `error` stream event for a status code (a stream that breaks: overloaded_error for 529). */
export function anthropicErrorEvent(code: number): Buffer {
  const e = anthropicFor(code);
  return Buffer.from(`event: error\ndata: ${serializeAnthropicError({ type: 'error', error: e })}\n\n`);
}

/** Every error answer (400..599) of both APIs, made once: its head (with rate-limit headers on 429) and body. */
export class ErrorAnswers {
  private readonly heads: Record<Api, Head[]> = { openai: [], anthropic: [] };
  private readonly bodies: Record<Api, Buffer[]> = { openai: [], anthropic: [] };

  constructor() {
    for (const api of ['openai', 'anthropic'] as const) {
      for (let c = 400; c < 600; c++) {
        this.heads[api][c] = makeHead(c, 'application/json', c === 429 ? RateHeaders[api] : []);
        const m = api === 'openai' ? openaiFor(c) : { ...anthropicFor(c), code: null };
        this.bodies[api][c] = errorBody(api, c, m.message, null, m.code);
      }
    }
  }

  /** The head of `api`'s error answer for `code` (400..599). */
  head(api: Api, code: number): Head {
    return this.heads[api][code];
  }

  /** Send `api`'s error answer for `code` (400..599). Must run corked. */
  send(writer: Writer, res: HttpResponse, api: Api, code: number): void {
    writer.sendBody(res, this.heads[api][code], this.bodies[api][code]);
  }

  /** Send a 4xx with its own message (validation). Must run corked. */
  sendInput(writer: Writer, res: HttpResponse, api: Api, err: AiInputError): void {
    writer.sendBody(res, this.heads[api][err.status], errorBody(api, err.status, err.message, err.param, err.code));
  }
}

// The precompiled serializers (see schemas.ts and build.ts), loaded synchronously.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

function load<T>(name: string): (value: T) => string {
  try {
    return require(`./generated/${name}.cjs`) as (value: T) => string;
  } catch (err) {
    throw new Error(`serializer ${name} is not built: run npm run build`, { cause: err });
  }
}

/** {"error": ..., "param"?: ...} */
export const serializeError = load<{ error: string; param?: string; errors?: string[] }>('error');
/** A string as a JSON string literal (quotes included): template placeholder values. */
export const serializeTemplateValue = load<string>('templateValue');
/** go-bench-suite /echo body. */
export const serializeEcho = load<Record<string, unknown>>('echo');
/** httpbin /headers body. */
export const serializeHeaders = load<{ headers: Record<string, string> }>('headers');
/** httpbin /anything body. */
export const serializeAnything = load<Record<string, unknown>>('anything');
/** /__mock/stats body. */
export const serializeStats = load<Record<string, unknown>>('stats');
/** /__mock/routes replies. */
export const serializeRoutes = load<{ routes: readonly unknown[]; workers: number; replaced: number }>('routes');
/** GET /__mock/requests body. */
export const serializeJournal = load<{ requests: readonly unknown[]; count: number; workers: number; missingWorkers: number[] }>('journal');
/** /__mock/test/gc body (test and bench only). */
export const serializeHeap = load<{ workers: { id: number; heapUsedBytes: number }[]; rssBytes: number; missingWorkers: number[] }>('heap');
/** AI-gateway bodies and stream events (features/ai/): the value shapes are the schemas' (serializers/schemas.ts). */
export const serializeOpenaiError = load<{ error: { message: string; type: string; param: string | null; code: string | null } }>('openaiError');
/** Anthropic's error body and `error` stream event. */
export const serializeAnthropicError = load<{ type: 'error'; error: { type: string; message: string } }>('anthropicError');
/** A chat completion (stream: false). */
export const serializeChatCompletion = load<Record<string, unknown>>('chatCompletion');
/** A chat completion chunk (role, finish, usage). */
export const serializeChatChunk = load<Record<string, unknown>>('chatChunk');
/** A legacy completion or one of its chunks. */
export const serializeCompletion = load<Record<string, unknown>>('completion');
/** Embeddings as float arrays. */
export const serializeEmbeddingsFloat = load<Record<string, unknown>>('embeddingsFloat');
/** Embeddings as base64 strings. */
export const serializeEmbeddingsBase64 = load<Record<string, unknown>>('embeddingsBase64');
/** A Responses API response. */
export const serializeResponse = load<Record<string, unknown>>('response');
/** A Responses API stream event. */
export const serializeResponseEvent = load<Record<string, unknown>>('responseEvent');
/** An Anthropic message. */
export const serializeAnthropicMessage = load<Record<string, unknown>>('anthropicMessage');
/** An Anthropic stream event. */
export const serializeAnthropicEvent = load<Record<string, unknown>>('anthropicEvent');

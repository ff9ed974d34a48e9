// POST /v1/embeddings: a deterministic unit vector per input (tokens.ts embeddingVector), of `dimensions`
// floats (default 1536), as JSON numbers or, with encoding_format base64 (what the openai SDK asks for unless
// told otherwise, decoding it itself), as base64 of little-endian float32: both give the same numbers.
import { serializeEmbeddingsBase64, serializeEmbeddingsFloat } from '../../serializers/index.js';
import type { Family } from './call.js';
import { AiInputError } from './errors.js';
import { readModel, shownValue, typeName } from './input.js';
import { countTokens, embeddingVector } from './tokens.js';

/** Dimensions when the request does not say (text-embedding-3-small's). */
export const DefaultEmbeddingDims = 1536;
/** Most dimensions a request may ask for. */
export const MaxEmbeddingDims = 8192;
/** Most inputs in one request (the service's limit). */
const MaxInputs = 2048;
/**
 * Most floats in one answer (inputs x dimensions): the answer is built and serialized in one go, so its size is
 * the time the worker's loop is blocked (2048 x 8192 was a 360 MB answer, ~18 s and ~2 GB). 1 Mi values: 4 MiB
 * of float32, ~21 MB as JSON numbers.
 */
export const MaxEmbeddingValues = 1024 * 1024;

interface Extra {
  readonly inputs: string[];
  readonly dims: number;
  readonly base64: boolean;
}

function none(): never {
  throw new Error('embeddings do not stream');
}

/** The embeddings family. */
export const embeddingsFamily: Family = {
  api: 'openai',
  pattern: '/v1/embeddings',
  method: 'post',
  early: false,
  read(call, body) {
    const b = body as Record<string, unknown>;
    call.model = readModel(b);
    const input = b.input;
    if (input === undefined || input === null) throw new AiInputError('Missing required parameter: \'input\'.', 'input', 'missing_required_parameter');
    let inputs: string[];
    let tokens = 0;
    if (typeof input === 'string') inputs = [input];
    else if (Array.isArray(input) && input.every((x) => typeof x === 'string')) inputs = input as string[];
    // Token arrays: each array is one input of that many tokens; its text is the numbers, for the vector's seed.
    else if (Array.isArray(input) && input.every((x) => typeof x === 'number')) inputs = [input.join(' ')];
    else if (Array.isArray(input) && input.every((x) => Array.isArray(x))) inputs = (input as unknown[][]).map((x) => x.join(' '));
    else throw new AiInputError(`Invalid type for 'input': expected a string, an array of strings or an array of token arrays, but got ${typeName(input)} instead.`, 'input', 'invalid_type');
    if (inputs.length === 0 || inputs.length > MaxInputs) {
      throw new AiInputError(`Invalid 'input': give 1 to ${MaxInputs} inputs.`, 'input', 'invalid_value');
    }
    for (const s of inputs) {
      if (s.length === 0) throw new AiInputError('\'$.input\' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.', 'input', 'invalid_value');
      tokens += countTokens(s);
    }
    const d = b.dimensions;
    let dims = DefaultEmbeddingDims;
    if (d !== undefined && d !== null) {
      if (typeof d !== 'number' || !Number.isInteger(d) || d < 1 || d > MaxEmbeddingDims) {
        throw new AiInputError(`Invalid 'dimensions': expected an integer from 1 to ${MaxEmbeddingDims}, but got ${shownValue(d)} instead.`, 'dimensions', 'invalid_value');
      }
      dims = d;
    }
    if (inputs.length * dims > MaxEmbeddingValues) {
      throw new AiInputError(`Invalid 'input': ${inputs.length} inputs of ${dims} dimensions are ${inputs.length * dims} values; this server answers at most ${MaxEmbeddingValues} per request (send fewer inputs or dimensions).`, 'input', 'invalid_value');
    }
    const f = b.encoding_format ?? 'float';
    if (f !== 'float' && f !== 'base64') {
      throw new AiInputError(`Invalid value for 'encoding_format': expected 'float' or 'base64', but got ${shownValue(f)} instead.`, 'encoding_format', 'invalid_value');
    }
    call.promptTokens = tokens;
    call.extra = { inputs, dims, base64: f === 'base64' } satisfies Extra;
    call.maxTokens = 0;
  },
  body(call) {
    const { inputs, dims, base64 } = call.extra as Extra;
    const data = inputs.map((s, index) => {
      const v = embeddingVector(s, dims);
      return { object: 'embedding', index, embedding: base64 ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') : Array.from(v) };
    });
    const out = { object: 'list', data, model: call.model, usage: { prompt_tokens: call.promptTokens, total_tokens: call.promptTokens } };
    return Buffer.from(base64 ? serializeEmbeddingsBase64(out) : serializeEmbeddingsFloat(out));
  },
  open: none,
  frame: none,
  close: none,
  broken: none,
};

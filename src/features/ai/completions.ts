// POST /v1/completions: OpenAI's legacy text completions (prompt in, text out), whole or streamed as
// `text_completion` chunks ending with `data: [DONE]`. max_tokens defaults to 16, as the service's does.
import { serializeCompletion } from '../../serializers/index.js';
import type { AiCall, Family } from './call.js';
import { AiInputError } from './errors.js';
import { slotFrame, TokenSlot } from './frames.js';
import { includeUsage, readBool, readMaxTokens, readModel, typeName } from './input.js';
import { countTokens, DefaultAiTokens } from './tokens.js';

const Done = Buffer.from('data: [DONE]\n\n');

function usage(call: AiCall): { prompt_tokens: number; completion_tokens: number; total_tokens: number } {
  return { prompt_tokens: call.promptTokens, completion_tokens: call.sent, total_tokens: call.promptTokens + call.sent };
}

/** The legacy completions family. */
export const completionsFamily: Family = {
  api: 'openai',
  pattern: '/v1/completions',
  method: 'post',
  early: false,
  read(call, body) {
    const b = body as Record<string, unknown>;
    call.model = readModel(b);
    const p = b.prompt;
    if (p === undefined || p === null) throw new AiInputError('Missing required parameter: \'prompt\'.', 'prompt', 'missing_required_parameter');
    const prompts = typeof p === 'string' ? [p] : Array.isArray(p) && p.every((x) => typeof x === 'string') ? p as string[] : null;
    if (prompts === null) throw new AiInputError(`Invalid type for 'prompt': expected a string or an array of strings, but got ${typeName(p)} instead.`, 'prompt', 'invalid_type');
    call.promptTokens = prompts.reduce((n, s) => n + countTokens(s), 0);
    call.echoText = prompts.length === 0 ? '' : prompts[prompts.length - 1];
    const max = readMaxTokens(b, ['max_tokens'], 0);
    call.maxTokens = max < 0 ? DefaultAiTokens : max;
    call.stream = readBool(b, 'stream');
    call.includeUsage = call.stream && includeUsage(b);
  },
  body(call) {
    return Buffer.from(serializeCompletion({
      id: `cmpl-${call.id}`, object: 'text_completion', created: call.created, model: call.model,
      choices: [{ text: (call.source as NonNullable<AiCall['source']>).text(call.n), index: 0, logprobs: null, finish_reason: call.truncated ? 'length' : 'stop' }],
      usage: usage(call),
    }));
  },
  open() {
    return Buffer.alloc(0);
  },
  frame(call) {
    return slotFrame(`data: ${serializeCompletion({
      id: `cmpl-${call.id}`, object: 'text_completion', created: call.created, model: call.model,
      choices: [{ text: TokenSlot, index: 0, logprobs: null, finish_reason: null }],
    })}\n\n`, (call.source as NonNullable<AiCall['source']>).maxBytes);
  },
  close(call) {
    let s = `data: ${serializeCompletion({
      id: `cmpl-${call.id}`, object: 'text_completion', created: call.created, model: call.model,
      choices: [{ text: '', index: 0, logprobs: null, finish_reason: call.truncated && call.sent === call.n ? 'length' : 'stop' }],
    })}\n\n`;
    if (call.includeUsage) {
      s += `data: ${serializeCompletion({ id: `cmpl-${call.id}`, object: 'text_completion', created: call.created, model: call.model, choices: [], usage: usage(call) })}\n\n`;
    }
    return Buffer.concat([Buffer.from(s), Done]);
  },
  broken() {
    return null;
  },
};

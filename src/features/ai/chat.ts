// POST /v1/chat/completions: OpenAI's chat completions, whole or streamed as `chat.completion.chunk` events
// ending with `data: [DONE]` (and, with stream_options.include_usage, a usage chunk before it).
import { serializeChatChunk, serializeChatCompletion } from '../../serializers/index.js';
import type { AiCall, Family } from './call.js';
import { slotFrame, TokenSlot } from './frames.js';
import { includeUsage, readBool, readMaxTokens, readMessages, readModel } from './input.js';

const Done = Buffer.from('data: [DONE]\n\n');

function usage(call: AiCall): { prompt_tokens: number; completion_tokens: number; total_tokens: number } {
  return { prompt_tokens: call.promptTokens, completion_tokens: call.sent, total_tokens: call.promptTokens + call.sent };
}

function chunk(call: AiCall, delta: Record<string, string>, finish: string | null): string {
  return `data: ${serializeChatChunk({
    id: `chatcmpl-${call.id}`, object: 'chat.completion.chunk', created: call.created, model: call.model, system_fingerprint: null,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  })}\n\n`;
}

/** The chat completions family. */
export const chatFamily: Family = {
  api: 'openai',
  pattern: '/v1/chat/completions',
  method: 'post',
  early: false,
  read(call, body) {
    const b = body as Record<string, unknown>;
    call.model = readModel(b);
    const m = readMessages(b.messages, 'messages');
    call.promptTokens = m.tokens;
    call.echoText = m.lastUser;
    call.maxTokens = readMaxTokens(b, ['max_completion_tokens', 'max_tokens']);
    call.stream = readBool(b, 'stream');
    call.includeUsage = call.stream && includeUsage(b);
  },
  body(call) {
    return Buffer.from(serializeChatCompletion({
      id: `chatcmpl-${call.id}`, object: 'chat.completion', created: call.created, model: call.model,
      choices: [{
        index: 0, message: { role: 'assistant', content: (call.source as NonNullable<AiCall['source']>).text(call.n), refusal: null, annotations: [] },
        logprobs: null, finish_reason: call.truncated ? 'length' : 'stop',
      }],
      usage: usage(call), system_fingerprint: null,
    }));
  },
  open(call) {
    return Buffer.from(chunk(call, { role: 'assistant', content: '' }, null));
  },
  frame(call) {
    return slotFrame(chunk(call, { content: TokenSlot }, null), (call.source as NonNullable<AiCall['source']>).maxBytes);
  },
  close(call) {
    let s = chunk(call, {}, call.truncated && call.sent === call.n ? 'length' : 'stop');
    if (call.includeUsage) {
      s += `data: ${serializeChatChunk({
        id: `chatcmpl-${call.id}`, object: 'chat.completion.chunk', created: call.created, model: call.model, system_fingerprint: null,
        choices: [], usage: usage(call),
      })}\n\n`;
    }
    return Buffer.concat([Buffer.from(s), Done]);
  },
  broken() {
    return null;
  },
};

// POST /v1/messages: Anthropic's Messages API, whole or streamed with its event sequence: message_start,
// content_block_start, ping (sent with the head), content_block_delta per token, content_block_stop,
// message_delta (stop_reason and usage), message_stop. A broken stream ends with `event: error`, as the
// service's does when it is overloaded mid-stream.
import { serializeAnthropicEvent, serializeAnthropicMessage } from '../../serializers/index.js';
import type { AiCall, Family } from './call.js';
import { AiInputError, anthropicErrorEvent } from './errors.js';
import { TokenFrame } from './frames.js';
import { contentText, shownValue, typeName } from './input.js';
import { countTokens } from './tokens.js';

const Stop = Buffer.from('event: message_stop\ndata: {"type":"message_stop"}\n\n');
/** What a broken stream ends with: overloaded_error, what the service sends when it gives up mid-stream. */
const Overloaded = anthropicErrorEvent(529);

function message(call: AiCall, done: boolean): Record<string, unknown> {
  return {
    id: `msg_${call.id}`, type: 'message', role: 'assistant', model: call.model,
    content: done ? [{ type: 'text', text: (call.source as NonNullable<AiCall['source']>).text(call.n) }] : [],
    stop_reason: done ? stopReason(call) : null, stop_sequence: null,
    usage: { input_tokens: call.promptTokens, output_tokens: done ? call.n : 1 },
  };
}

function stopReason(call: AiCall): string {
  return call.truncated && call.sent === call.n ? 'max_tokens' : 'end_turn';
}

function event(fields: Record<string, unknown>): string {
  return `event: ${fields.type as string}\ndata: ${serializeAnthropicEvent(fields)}\n\n`;
}

// Anthropic words its validation errors "<field>: <problem>".
function required(field: string): AiInputError {
  return new AiInputError(`${field}: Field required`, field);
}

/** The Messages family. */
export const messagesFamily: Family = {
  api: 'anthropic',
  pattern: '/v1/messages',
  method: 'post',
  early: true,
  read(call, body) {
    const b = body as Record<string, unknown>;
    if (typeof b.model !== 'string' || b.model.length === 0) throw required('model');
    call.model = b.model;
    if (b.max_tokens === undefined || b.max_tokens === null) throw required('max_tokens');
    if (typeof b.max_tokens !== 'number' || !Number.isInteger(b.max_tokens) || b.max_tokens < 1) {
      throw new AiInputError(`max_tokens: Input should be a valid integer greater than or equal to 1, got ${shownValue(b.max_tokens)}`, 'max_tokens');
    }
    call.maxTokens = b.max_tokens;
    const list = b.messages;
    if (list === undefined || list === null) throw required('messages');
    if (!Array.isArray(list)) throw new AiInputError(`messages: Input should be a valid list, got ${typeName(list)}`, 'messages');
    if (list.length === 0) throw new AiInputError('messages: at least one message is required', 'messages');
    let tokens = countTokens(contentText(b.system));
    let lastUser = '';
    for (let i = 0; i < list.length; i++) {
      const m = list[i] as Record<string, unknown> | null;
      if (m === null || typeof m !== 'object') throw new AiInputError(`messages.${i}: Input should be a valid dictionary`, 'messages');
      if (m.role !== 'user' && m.role !== 'assistant') {
        throw new AiInputError(`messages.${i}.role: Input should be 'user' or 'assistant'`, 'messages');
      }
      const t = contentText(m.content);
      tokens += countTokens(t);
      if (m.role === 'user') lastUser = t;
    }
    call.promptTokens = tokens;
    call.echoText = lastUser;
    if (b.stream !== undefined && b.stream !== null && typeof b.stream !== 'boolean') {
      throw new AiInputError(`stream: Input should be a valid boolean, got ${typeName(b.stream)}`, 'stream');
    }
    call.stream = b.stream === true;
  },
  body(call) {
    return Buffer.from(serializeAnthropicMessage(message(call, true)));
  },
  open(call) {
    return Buffer.from(event({ type: 'message_start', message: message(call, false) })
      + event({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } })
      + event({ type: 'ping' }));
  },
  frame(call) {
    return new TokenFrame(
      'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"',
      '"}}\n\n', '', false, (call.source as NonNullable<AiCall['source']>).maxBytes);
  },
  close(call) {
    return Buffer.concat([Buffer.from(event({ type: 'content_block_stop', index: 0 })
      + event({ type: 'message_delta', delta: { stop_reason: stopReason(call), stop_sequence: null }, usage: { output_tokens: call.sent } })), Stop]);
  },
  broken() {
    return Overloaded;
  },
};

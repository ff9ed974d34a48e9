// POST /v1/responses: OpenAI's Responses API, whole or streamed as typed events (response.created,
// response.in_progress, response.output_item.added, response.content_part.added, response.output_text.delta...,
// response.output_text.done, response.content_part.done, response.output_item.done, response.completed), each
// with its sequence_number, as the openai SDK's ResponseStream accumulates them.
import { serializeResponse, serializeResponseEvent } from '../../serializers/index.js';
import type { AiCall, Family } from './call.js';
import { AiInputError } from './errors.js';
import { TokenFrame } from './frames.js';
import { contentText, readBool, readMaxTokens, readModel, typeName } from './input.js';
import { countTokens } from './tokens.js';

interface Extra {
  readonly instructions: string | null;
}

function text(call: AiCall): string {
  return (call.source as NonNullable<AiCall['source']>).text(call.sent);
}

function item(call: AiCall, done: boolean): Record<string, unknown> {
  return {
    id: `msg_${call.id}`, type: 'message', status: done ? 'completed' : 'in_progress', role: 'assistant',
    content: done ? [{ type: 'output_text', text: text(call), annotations: [] }] : [],
  };
}

function response(call: AiCall, state: 'in_progress' | 'done'): Record<string, unknown> {
  const done = state === 'done';
  const incomplete = done && call.truncated && call.sent === call.n;
  return {
    id: `resp_${call.id}`, object: 'response', created_at: call.created, status: !done ? 'in_progress' : incomplete ? 'incomplete' : 'completed',
    model: call.model, output: done ? [item(call, true)] : [],
    usage: done ? {
      input_tokens: call.promptTokens, output_tokens: call.sent, total_tokens: call.promptTokens + call.sent,
      input_tokens_details: { cached_tokens: 0 }, output_tokens_details: { reasoning_tokens: 0 },
    } : null,
    error: null, incomplete_details: incomplete ? { reason: 'max_output_tokens' } : null,
    instructions: (call.extra as Extra).instructions, max_output_tokens: call.maxTokens < 0 ? null : call.maxTokens,
    parallel_tool_calls: true, temperature: 1, top_p: 1, tool_choice: 'auto', tools: [], text: { format: { type: 'text' } },
  };
}

function event(call: AiCall, fields: Record<string, unknown>): string {
  const type = fields.type as string;
  return `event: ${type}\ndata: ${serializeResponseEvent({ ...fields, sequence_number: call.seq++ })}\n\n`;
}

/** The input's prompt tokens and last user text: a string, or a list of messages (content a string or parts). */
function readInput(input: unknown): { tokens: number; lastUser: string } {
  if (input === undefined || input === null) throw new AiInputError('Missing required parameter: \'input\'.', 'input', 'missing_required_parameter');
  if (typeof input === 'string') return { tokens: countTokens(input), lastUser: input };
  if (!Array.isArray(input)) throw new AiInputError(`Invalid type for 'input': expected a string or an array, but got ${typeName(input)} instead.`, 'input', 'invalid_type');
  let tokens = 0;
  let lastUser = '';
  for (const m of input) {
    if (m === null || typeof m !== 'object') continue;
    const t = contentText((m as Record<string, unknown>).content);
    tokens += countTokens(t);
    if ((m as Record<string, unknown>).role === 'user') lastUser = t;
  }
  return { tokens, lastUser };
}

/** The Responses API family. */
export const responsesFamily: Family = {
  api: 'openai',
  pattern: '/v1/responses',
  method: 'post',
  early: true,
  read(call, body) {
    const b = body as Record<string, unknown>;
    call.model = readModel(b);
    const input = readInput(b.input);
    const instructions = typeof b.instructions === 'string' ? b.instructions : null;
    call.promptTokens = input.tokens + (instructions === null ? 0 : countTokens(instructions));
    call.echoText = input.lastUser;
    call.maxTokens = readMaxTokens(b, ['max_output_tokens']);
    call.stream = readBool(b, 'stream');
    call.extra = { instructions } satisfies Extra;
  },
  body(call) {
    call.sent = call.n;
    return Buffer.from(serializeResponse(response(call, 'done')));
  },
  open(call) {
    return Buffer.from(event(call, { type: 'response.created', response: response(call, 'in_progress') })
      + event(call, { type: 'response.in_progress', response: response(call, 'in_progress') })
      + event(call, { type: 'response.output_item.added', output_index: 0, item: item(call, false) })
      + event(call, { type: 'response.content_part.added', item_id: `msg_${call.id}`, output_index: 0, content_index: 0,
        part: { type: 'output_text', text: '', annotations: [] } }));
  },
  frame(call) {
    return new TokenFrame(
      `event: response.output_text.delta\ndata: {"type":"response.output_text.delta","item_id":"msg_${call.id}","output_index":0,"content_index":0,"delta":"`,
      '","logprobs":[],"sequence_number":', '}\n\n', true, (call.source as NonNullable<AiCall['source']>).maxBytes);
  },
  close(call) {
    const t = text(call);
    return Buffer.from(event(call, { type: 'response.output_text.done', item_id: `msg_${call.id}`, output_index: 0, content_index: 0, text: t, logprobs: [] })
      + event(call, { type: 'response.content_part.done', item_id: `msg_${call.id}`, output_index: 0, content_index: 0,
        part: { type: 'output_text', text: t, annotations: [] } })
      + event(call, { type: 'response.output_item.done', output_index: 0, item: item(call, true) })
      + event(call, { type: call.truncated && call.sent === call.n ? 'response.incomplete' : 'response.completed', response: response(call, 'done') }));
  },
  broken() {
    return null;
  },
};

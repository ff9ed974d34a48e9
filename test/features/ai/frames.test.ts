// Token frames made from serialized events: the token lands where the slot was, the client's model text stays
// escaped, and the bytes are the event the serializer would write with that token.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serializeChatChunk, serializeCompletion } from '../../../src/serializers/index.js';
import { slotFrame, TokenSlot } from '../../../src/features/ai/frames.js';

const Models = ['gpt-4o', 'a"b\\c', 'nul\u0000inside', '\u0000'];
const Tokens = ['Hello', ' wor"ld', ' \u00e9\n'];

function escaped(token: string): Buffer {
  return Buffer.from(JSON.stringify(token).slice(1, -1));
}

for (const model of Models) {
  test(`chat and completion frames for model ${JSON.stringify(model)}: each token event is the serializer's event`, () => {
    const chat = (content: string): string => `data: ${serializeChatChunk({
      id: 'chatcmpl-x', object: 'chat.completion.chunk', created: 7, model, system_fingerprint: null,
      choices: [{ index: 0, delta: { content }, logprobs: null, finish_reason: null }],
    })}\n\n`;
    const completion = (text: string): string => `data: ${serializeCompletion({
      id: 'cmpl-x', object: 'text_completion', created: 7, model,
      choices: [{ text, index: 0, logprobs: null, finish_reason: null }],
    })}\n\n`;
    for (const make of [chat, completion]) {
      const frame = slotFrame(make(TokenSlot), 64);
      for (const token of Tokens) {
        const event = frame.event(escaped(token), 0).toString();
        assert.equal(event, make(token));
        assert.equal((JSON.parse(event.slice('data: '.length)) as { model: string }).model, model);
      }
    }
  });
}

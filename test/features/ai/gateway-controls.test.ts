// The gateway-test controls on the AI endpoints: faults (a reset the SDK retries, a truncated answer, a stream
// reset at its head), expect-* (did the gateway inject the key, rewrite the model?), trailers, and the controls
// that cannot apply refused with a 400 instead of ignored. Official SDKs where they show what a user sees.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { availableEngines } from '../../helpers/engines.js';
import { startServer, type TestServer } from '../../helpers/server.js';

const Chat = { model: 'gpt-4o', messages: [{ role: 'user' as const, content: 'hello there' }], max_tokens: 3 };

/** POST a chat body with an X-Mock header; the status, the JSON body (or its text) and any trailers. */
function post(port: number, path: string, mock: string, body: unknown): Promise<{ status: number; body: string; trailers: NodeJS.Dict<string> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'X-Mock': mock } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, trailers: res.trailers }));
      res.on('error', reject);
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`${path}: no answer within 10 s`)));
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

for (const engine of availableEngines()) {
  describe(`gateway-test controls on the AI endpoints (${engine} engine)`, () => {
    let server: TestServer;
    const openai = (mock: string, maxRetries = 0, apiKey = 'test'): OpenAI =>
      new OpenAI({ baseURL: `${server.url}/v1`, apiKey, maxRetries, timeout: 10_000, defaultHeaders: { 'X-Mock': mock } });
    before(async () => { server = await startServer(['--engine', engine]); });
    after(async () => { assert.equal(await server.stop(), 0); });

    test('fault=empty fails the call as a connection error; a keyed fault sequence lets the SDK\'s own retry through', async () => {
      await assert.rejects(openai('fault=empty').chat.completions.create(Chat), OpenAI.APIConnectionError);
      const key = `retry-${engine}`;
      const c = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'test', maxRetries: 2, timeout: 10_000, defaultHeaders: { 'X-Mock': 'fault=emptyx2,none', 'X-Mock-Key': key } });
      const r = await c.chat.completions.create(Chat);
      assert.equal(r.choices[0].message.content, 'Lorem ipsum dolor');
    });

    test('a stream with fault=reset fails at its head; a stream with truncate is refused with a 400 naming fault', async () => {
      await assert.rejects(async () => {
        const s = await openai('fault=reset').chat.completions.create({ ...Chat, stream: true });
        for await (const chunk of s) void chunk;
      }, OpenAI.APIConnectionError);
      const refused = await post(server.port, '/v1/chat/completions', 'fault=truncate(10):50', { ...Chat, stream: true });
      assert.equal(refused.status, 400);
      assert.equal((JSON.parse(refused.body) as { param: string }).param, 'fault');
    });

    test('fault=truncate(10) on a non-streamed answer: the full Content-Length, ten bytes, then the close', async () => {
      await assert.rejects(post(server.port, '/v1/chat/completions', 'fault=truncate(10)', Chat), /aborted|ECONNRESET|socket hang up/);
    });

    test('expect-* check what the gateway sent: the injected key, the rewritten model; a miss is a 412 diff the SDK surfaces', async () => {
      const mock = 'expect-header=Authorization:Bearer sk-injected&expect-body-json=/model:"gpt-4o-mini"';
      const wrong = await openai(mock, 0, 'sk-client').chat.completions.create(Chat).then(() => null, (e: unknown) => e);
      assert.ok(wrong instanceof OpenAI.APIError, String(wrong));
      assert.equal(wrong.status, 412);
      const diff = await post(server.port, '/v1/chat/completions', mock, Chat);
      assert.deepEqual((JSON.parse(diff.body) as { failed: unknown }).failed, [
        { check: 'header authorization', expected: 'Bearer sk-injected', received: null },
        { check: 'body-json /model', expected: 'gpt-4o-mini', received: 'gpt-4o' },
      ]);
      const right = await openai(mock, 0, 'sk-injected').chat.completions.create({ ...Chat, model: 'gpt-4o-mini' });
      assert.equal(right.model, 'gpt-4o-mini');
      // @anthropic-ai/sdk 1.17 sends its apiKey as Authorization: Bearer (older releases sent x-api-key).
      const anthropic = new Anthropic({ baseURL: server.url, apiKey: 'sk-ant', maxRetries: 0, timeout: 10_000, defaultHeaders: { 'X-Mock': 'expect-header=Authorization:Bearer sk-ant' } });
      const m = await anthropic.messages.create({ model: 'claude-x', max_tokens: 2, messages: [{ role: 'user', content: 'hi' }] });
      assert.equal(m.usage.output_tokens, 2);
    });

    test('server-timing=on: the head says how long the upstream took (a chat stream: to its first token, sent with the head)', async () => {
      for (const stream of [false, true]) {
        const r = await fetch(`${server.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', 'X-Mock': 'server-timing=on&ttft=120ms' }, body: JSON.stringify({ ...Chat, stream }) });
        const dur = Number(/^upstream;dur=([\d.]+)$/.exec(r.headers.get('server-timing') ?? '')?.[1]);
        await r.text();
        assert.ok(dur >= 120, `stream ${stream}: ${r.headers.get('server-timing')}`);
      }
    });

    test('trailer on a non-streamed answer arrives after the JSON; on a stream, and size anywhere, are a 400', async () => {
      const t = await post(server.port, '/v1/chat/completions', 'trailer=X-Usage:3', Chat);
      assert.equal(t.status, 200);
      assert.equal((JSON.parse(t.body) as { object: string }).object, 'chat.completion');
      assert.equal(t.trailers['x-usage'], '3');
      for (const [mock, body, param] of [['trailer=X-A:1', { ...Chat, stream: true }, 'trailer'], ['size=10', Chat, 'size']] as const) {
        const r = await post(server.port, '/v1/chat/completions', mock, body);
        assert.equal(r.status, 400, mock);
        assert.equal((JSON.parse(r.body) as { param: string }).param, param);
      }
    });
  });
}

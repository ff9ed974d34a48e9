// The AI endpoints against the official clients (openai 6.49.0, @anthropic-ai/sdk 1.17.0) pointed at the real
// server by base URL, on every engine this Node runs: every call kind, every streamed event parsed by the SDK,
// the error classes the SDKs raise for each status, and token counts that agree between chunks and usage.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { availableEngines } from '../../helpers/engines.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import { MaxEmbeddingValues } from '../../../src/features/ai/embeddings.js';

const Lorem5 = 'Lorem ipsum dolor sit amet,';
const Prompt = 'the quick brown fox jumps';

for (const engine of availableEngines()) {
  describe(`AI endpoints with the official SDKs (${engine} engine)`, () => {
    let server: TestServer;
    let openai: OpenAI;
    let anthropic: Anthropic;
    /** A client whose every request carries this X-Mock header (SDK users cannot add a query). */
    const openaiWith = (mock: string): OpenAI => new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'test', maxRetries: 0, timeout: 20_000, defaultHeaders: { 'X-Mock': mock } });
    const anthropicWith = (mock: string): Anthropic => new Anthropic({ baseURL: server.url, apiKey: 'test', maxRetries: 0, timeout: 20_000, defaultHeaders: { 'X-Mock': mock } });
    before(async () => {
      server = await startServer(['--engine', engine, '--ai-context', '50']);
      openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'test', maxRetries: 0, timeout: 20_000 });
      anthropic = new Anthropic({ baseURL: server.url, apiKey: 'test', maxRetries: 0, timeout: 20_000 });
    });
    after(async () => { assert.equal(await server.stop(), 0); });

    test('chat completion: lorem content, max_tokens bounds it (finish_reason length), usage counts by the token rule', async () => {
      const r = await openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: Prompt }], max_tokens: 5 });
      assert.equal(r.object, 'chat.completion');
      assert.equal(r.model, 'gpt-4o');
      assert.equal(r.choices[0].message.content, Lorem5);
      assert.equal(r.choices[0].finish_reason, 'length');
      assert.deepEqual(r.usage, { prompt_tokens: 5, completion_tokens: 5, total_tokens: 10 });
    });

    test('chat stream: the role chunk, one delta per token, finish, usage (include_usage) and [DONE]; usage agrees with the deltas', async () => {
      const stream = await openaiWith('content=echo').chat.completions.create({
        model: 'gpt-4o', messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: Prompt }], stream: true, stream_options: { include_usage: true },
      });
      const deltas: string[] = [];
      let role = '';
      let finish: string | null = null;
      let usage: OpenAI.CompletionUsage | null | undefined;
      for await (const chunk of stream) {
        assert.equal(chunk.object, 'chat.completion.chunk');
        if (chunk.usage) usage = chunk.usage;
        const c = chunk.choices[0];
        if (c === undefined) continue;
        if (c.delta.role) role = c.delta.role;
        if (c.delta.content) deltas.push(c.delta.content);
        if (c.finish_reason) finish = c.finish_reason;
      }
      assert.equal(role, 'assistant');
      assert.equal(deltas.join(''), Prompt);
      assert.deepEqual(deltas, ['the', ' quick', ' brown', ' fox', ' jumps']);
      assert.equal(finish, 'stop');
      assert.deepEqual(usage, { prompt_tokens: 7, completion_tokens: deltas.length, total_tokens: 7 + deltas.length });
    });

    test('legacy completions, whole and streamed', async () => {
      const r = await openai.completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'say it', max_tokens: 5 });
      assert.equal(r.choices[0].text, Lorem5);
      assert.equal(r.usage?.completion_tokens, 5);
      const stream = await openaiWith('tokens=3').completions.create({ model: 'x', prompt: 'say it', stream: true });
      let text = '';
      for await (const c of stream) text += c.choices[0]?.text ?? '';
      assert.equal(text, 'Lorem ipsum dolor');
    });

    test('responses: whole (output_text) and streamed (every event typed; the SDK accumulates the final response)', async () => {
      const r = await openai.responses.create({ model: 'gpt-4o', input: Prompt, max_output_tokens: 5 });
      assert.equal(r.output_text, Lorem5);
      assert.equal(r.status, 'incomplete');
      assert.equal(r.usage?.output_tokens, 5);
      const stream = openaiWith('tokens=4&content=lorem').responses.stream({ model: 'gpt-4o', input: [{ role: 'user', content: Prompt }], instructions: 'be brief' });
      const types: string[] = [];
      const seqs: number[] = [];
      for await (const e of stream) {
        types.push(e.type);
        seqs.push(e.sequence_number);
      }
      const final = await stream.finalResponse();
      assert.equal(final.output_text, 'Lorem ipsum dolor sit');
      assert.equal(final.usage?.output_tokens, 4);
      assert.equal(final.usage?.input_tokens, 7);
      assert.deepEqual(types, ['response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added',
        ...Array(4).fill('response.output_text.delta'), 'response.output_text.done', 'response.content_part.done', 'response.output_item.done', 'response.completed']);
      assert.deepEqual(seqs, seqs.map((_, i) => i), 'sequence numbers count from 0 without a gap');
    });

    test('embeddings: deterministic vectors of the asked dimension; base64 (the SDK default) decodes to the float answer', async () => {
      const b64 = await openai.embeddings.create({ model: 'text-embedding-3-small', input: ['hello world', 'bye'], dimensions: 8 });
      const floats = await openai.embeddings.create({ model: 'text-embedding-3-small', input: ['hello world', 'bye'], dimensions: 8, encoding_format: 'float' });
      assert.equal(b64.data.length, 2);
      assert.equal(b64.data[0].embedding.length, 8);
      assert.deepEqual(b64.data.map((d) => d.embedding), floats.data.map((d) => d.embedding));
      assert.notDeepEqual(b64.data[0].embedding, b64.data[1].embedding);
      const norm = Math.sqrt(floats.data[0].embedding.reduce((s, x) => s + x * x, 0));
      assert.ok(Math.abs(norm - 1) < 1e-5, `unit vector, norm ${norm}`);
      assert.deepEqual(b64.usage, { prompt_tokens: 3, total_tokens: 3 });
      const again = await openai.embeddings.create({ model: 'm', input: 'hello world', dimensions: 8, encoding_format: 'float' });
      assert.deepEqual(again.data[0].embedding, floats.data[0].embedding);
    });

    test('embeddings: inputs x dimensions over MaxEmbeddingValues is a 400 on input, not a huge answer that stalls the worker', async () => {
      // 2048 inputs of 8192 dimensions were a 360 MB float answer built in one go: ~18 s with the event loop blocked, ~2 GB.
      // Inputs of white space: no prompt tokens, so the server's --ai-context 50 does not refuse them first.
      const huge = { model: 'm', input: Array<string>(2048).fill(' '), dimensions: 8192, encoding_format: 'float' as const };
      await assert.rejects(openai.embeddings.create(huge), (err: unknown) => {
        assert.ok(err instanceof OpenAI.BadRequestError, String(err));
        assert.equal(err.param, 'input');
        assert.match(err.message, new RegExp(`${MaxEmbeddingValues}`));
        return true;
      });
      // At the bound it is answered (base64: 4 MiB of float32).
      const dims = 8192;
      const edge = await openai.embeddings.create({ model: 'm', input: Array<string>(MaxEmbeddingValues / dims).fill(' '), dimensions: dims });
      assert.equal(edge.data.length, MaxEmbeddingValues / dims);
      assert.equal(edge.data[0].embedding.length, dims);
      // The worker is free again: a plain request is answered.
      assert.equal((await fetch(`${server.url}/json/valid`)).status, 200);
    });

    test('models: list and retrieve (OpenAI shape); Anthropic shape for the Anthropic SDK; unknown id is NotFoundError', async () => {
      const ids: string[] = [];
      for await (const m of openai.models.list()) ids.push(m.id);
      assert.ok(ids.includes('gpt-4o'));
      const m = await openai.models.retrieve('gpt-4o-mini');
      assert.deepEqual([m.id, m.object], ['gpt-4o-mini', 'model']);
      await assert.rejects(openai.models.retrieve('nope'), OpenAI.NotFoundError);
      const am: string[] = [];
      for await (const x of anthropic.models.list()) am.push(x.id);
      assert.ok(am.includes('claude-sonnet-4-5'));
      const one = await anthropic.models.retrieve('claude-haiku-4-5');
      assert.equal(one.type, 'model');
    });

    test('messages: whole, with stop_reason max_tokens when max_tokens binds, and usage', async () => {
      const r = await anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 5, messages: [{ role: 'user', content: Prompt }] });
      assert.equal(r.type, 'message');
      assert.deepEqual(r.content, [{ type: 'text', text: Lorem5 }]);
      assert.equal(r.stop_reason, 'max_tokens');
      assert.deepEqual([r.usage.input_tokens, r.usage.output_tokens], [5, 5]);
    });

    test('messages stream: the whole event sequence, parsed by the SDK, and its final message', async () => {
      const stream = anthropicWith('content=echo').messages.stream({
        model: 'claude-sonnet-4-5', max_tokens: 100, system: 'be brief', messages: [{ role: 'user', content: Prompt }],
      });
      const types: string[] = [];
      let text = '';
      for await (const e of stream) {
        types.push(e.type);
        if (e.type === 'content_block_delta' && e.delta.type === 'text_delta') text += e.delta.text;
      }
      const final = await stream.finalMessage();
      assert.equal(text, Prompt);
      assert.deepEqual(types, ['message_start', 'content_block_start', ...Array(5).fill('content_block_delta'), 'content_block_stop', 'message_delta', 'message_stop']);
      assert.equal(final.stop_reason, 'end_turn');
      assert.equal(final.usage.output_tokens, 5);
      assert.equal(final.content[0].type === 'text' ? final.content[0].text : '', Prompt);
    });

    // Each status, in each API's shape: the SDKs raise their typed error from the status and the body.
    const openaiErrors: [number, new (...a: never[]) => Error][] = [
      [429, OpenAI.RateLimitError], [500, OpenAI.InternalServerError], [503, OpenAI.InternalServerError], [401, OpenAI.AuthenticationError], [400, OpenAI.BadRequestError],
    ];
    for (const [status, cls] of openaiErrors) {
      test(`status=${status}: openai raises ${cls.name} (chat, streaming or not)`, async () => {
        const c = openaiWith(`status=${status}`);
        const e1 = await c.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }).then(() => null, (e: unknown) => e);
        assert.ok(e1 instanceof cls, `${String(e1)}`);
        assert.equal((e1 as InstanceType<typeof OpenAI.APIError>).status, status);
        const e2 = await c.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true }).then(() => null, (e: unknown) => e);
        assert.ok(e2 instanceof cls, `${String(e2)}`);
      });
    }

    test('429 carries retry-after and x-ratelimit-* headers and OpenAI\'s rate_limit_exceeded code', async () => {
      const e = await openaiWith('status=429').chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }).then(() => null, (x: unknown) => x);
      assert.ok(e instanceof OpenAI.RateLimitError);
      assert.equal(e.headers?.get('retry-after'), '1');
      assert.equal(e.headers?.get('x-ratelimit-remaining-requests'), '0');
      assert.equal(e.code, 'rate_limit_exceeded');
    });

    test('a scenario under X-Mock-Key: the first two calls are rate limited, then the SDK\'s own retries get through', async () => {
      const key = `ai-${engine}-${process.pid}`;
      const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'test', maxRetries: 0, timeout: 20_000, defaultHeaders: { 'X-Mock': 'status=429x2,200', 'X-Mock-Key': key } });
      const ask = (): Promise<unknown> => client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }).then((r) => r, (x: unknown) => x);
      assert.ok(await ask() instanceof OpenAI.RateLimitError);
      assert.ok(await ask() instanceof OpenAI.RateLimitError);
      const third = await ask();
      assert.ok(!(third instanceof Error), String(third));
      // With retries on (and retry-after: 1 honoured), one call passes the whole scenario.
      const retrying = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'test', maxRetries: 2, timeout: 20_000, defaultHeaders: { 'X-Mock': 'status=429x2,200', 'X-Mock-Key': `${key}-retry` } });
      const r = await retrying.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] });
      assert.equal(r.object, 'chat.completion');
    });

    const anthropicErrors: [number, new (...a: never[]) => Error, string][] = [
      [429, Anthropic.RateLimitError, 'rate_limit_error'], [529, Anthropic.OverloadedError, 'overloaded_error'],
      [500, Anthropic.InternalServerError, 'api_error'], [400, Anthropic.BadRequestError, 'invalid_request_error'],
    ];
    for (const [status, cls, type] of anthropicErrors) {
      test(`status=${status}: anthropic raises ${cls.name} (${type})`, async () => {
        const e = await anthropicWith(`status=${status}`).messages.create({ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }).then(() => null, (x: unknown) => x);
        assert.ok(e instanceof cls, `${String(e)}`);
        assert.equal((e as InstanceType<typeof Anthropic.APIError>).type, type);
      });
    }

    test('validation as the APIs do it: missing model or messages, bad max_tokens, a prompt over --ai-context', async () => {
      const bad = (body: object): Promise<unknown> => openai.chat.completions.create(body as never).then(() => null, (e: unknown) => e);
      const noModel = await bad({ messages: [{ role: 'user', content: 'hi' }] });
      assert.ok(noModel instanceof OpenAI.BadRequestError);
      assert.match(noModel.message, /model/);
      const noMessages = await bad({ model: 'm' });
      assert.ok(noMessages instanceof OpenAI.BadRequestError);
      assert.deepEqual([noMessages.param, noMessages.code], ['messages', 'missing_required_parameter']);
      const zero = await bad({ model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 0 });
      assert.ok(zero instanceof OpenAI.BadRequestError);
      assert.equal(zero.code, 'integer_below_min_value');
      const long = await bad({ model: 'm', messages: [{ role: 'user', content: 'word '.repeat(51) }] });
      assert.ok(long instanceof OpenAI.BadRequestError);
      assert.equal(long.code, 'context_length_exceeded');
      const a = await anthropic.messages.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] } as never).then(() => null, (e: unknown) => e);
      assert.ok(a instanceof Anthropic.BadRequestError);
      assert.match(a.message, /max_tokens: Field required/);
      const along = await anthropic.messages.create({ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'word '.repeat(51) }] }).then(() => null, (e: unknown) => e);
      assert.ok(along instanceof Anthropic.BadRequestError);
      assert.match(along.message, /prompt is too long: 51 tokens > 50 maximum/);
    });

    test('break-after: an OpenAI stream is cut after N tokens (the SDK raises); Anthropic\'s ends with an error event (APIError overloaded_error)', async () => {
      const deltas: string[] = [];
      const cut = async (): Promise<void> => {
        const stream = await openaiWith('break-after=2&tokens=10').chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true });
        for await (const c of stream) if (c.choices[0]?.delta.content) deltas.push(c.choices[0].delta.content);
      };
      await assert.rejects(cut());
      assert.deepEqual(deltas, ['Lorem', ' ipsum']);
      const texts: string[] = [];
      const broken = async (): Promise<void> => {
        const stream = anthropicWith('break-after=3').messages.stream({ model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
        for await (const e of stream) if (e.type === 'content_block_delta' && e.delta.type === 'text_delta') texts.push(e.delta.text);
      };
      const e = await broken().then(() => null, (x: unknown) => x);
      assert.ok(e instanceof Anthropic.APIError, String(e));
      assert.equal(e.type, 'overloaded_error');
      assert.equal(texts.length, 3);
    });

    test('metrics and stats count streams, tokens and TTFT', async () => {
      const stream = await openaiWith('tokens=3').chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true });
      for await (const c of stream) void c;
      const metrics = await (await fetch(`${server.url}/__mock/metrics`)).text();
      const tokens = Number(/^mock_upstream_ai_tokens_total (\d+)/m.exec(metrics)?.[1]);
      assert.ok(tokens >= 3, metrics.split('\n').filter((l) => l.includes('_ai_')).join('\n'));
      assert.match(metrics, /^mock_upstream_ai_ttft_seconds_count [1-9]/m);
      assert.match(metrics, /^mock_upstream_ai_streams_open 0$/m);
      const stats = await (await fetch(`${server.url}/__mock/stats`)).json() as { ai: { streams: number; tokensOut: number; open: number } };
      assert.ok(stats.ai.streams >= 1 && stats.ai.tokensOut >= 3 && stats.ai.open === 0, JSON.stringify(stats.ai));
    });
  });
}

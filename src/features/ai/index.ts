// The AI-gateway upstream: OpenAI- and Anthropic-compatible endpoints with paced token streams (docs/ai.md).
// One module per endpoint family; tokens.ts (the token rule and content), frames.ts (byte templates) and
// pacer.ts (the controls, the plan and the one scheduler of every call) are shared.
import type { Route, RouteContext } from '../context.js';
import type { Controls } from '../controls.js';
import { chatFamily } from './chat.js';
import { completionsFamily } from './completions.js';
import { embeddingsFamily } from './embeddings.js';
import { messagesFamily } from './messages.js';
import { modelFamily, modelListFamily } from './models.js';
import { AiEndpoints } from './pacer.js';
import { responsesFamily } from './responses.js';

/** /v1/chat/completions, /v1/completions, /v1/responses, /v1/embeddings, /v1/models[/{id}], /v1/messages. */
export function aiRoutes(ctx: RouteContext, controls: Controls): Route[] {
  const ai = new AiEndpoints(ctx, controls);
  return [
    { pattern: '/v1/chat/completions', about: 'OpenAI chat completions: JSON, or SSE chunks with stream: true (paced by ttft, itl)', handler: ai.handler(chatFamily) },
    { pattern: '/v1/completions', about: 'OpenAI legacy completions, JSON or SSE', handler: ai.handler(completionsFamily) },
    { pattern: '/v1/responses', about: 'OpenAI Responses API, JSON or typed SSE events', handler: ai.handler(responsesFamily) },
    { pattern: '/v1/embeddings', about: 'OpenAI embeddings: deterministic unit vectors, float or base64', handler: ai.handler(embeddingsFamily) },
    { pattern: '/v1/models', about: 'the model list (OpenAI shape; Anthropic shape with anthropic-version)', handler: ai.handler(modelListFamily) },
    { pattern: '/v1/models/:id', about: 'one model, 404 in the API shape for an unknown id', handler: ai.handler(modelFamily) },
    { pattern: '/v1/messages', about: 'Anthropic Messages: JSON, or its SSE event sequence with stream: true', handler: ai.handler(messagesFamily) },
  ];
}

// Every JSON schema the server serializes with, in one place. They are compiled ahead of time by
// build.ts (fast-json-stringify standalone mode): importing the compiler costs ~100 ms per thread, which
// would blow the 300 ms start-up budget; the generated code needs only its small runtime.

/** 4xx/5xx bodies: {"error": "...", "param"?: "..."}. */
export const errorSchema = {
  type: 'object',
  properties: { error: { type: 'string' }, param: { type: 'string' }, errors: { type: 'array', items: { type: 'string' } } },
  required: ['error'],
} as const;

/** A client certificate as /echo, /anything and the journal show it (--tls-ca). */
const peerCertificateSchema = {
  type: 'object',
  properties: {
    subject: { type: 'string' }, issuer: { type: 'string' }, san: { type: 'array', items: { type: 'string' } },
    fingerprint256: { type: 'string' }, serialNumber: { type: 'string' }, validTo: { type: 'string' }, authorized: { type: 'boolean' },
  },
} as const;

/** go-bench-suite /echo. */
export const echoSchema = {
  type: 'object',
  properties: {
    Method: { type: 'string' },
    RequestURI: { type: 'string' },
    Header: { type: 'string' },
    Headers: { type: 'object', additionalProperties: { type: 'string' } },
    Body: { type: 'string' },
    Host: { type: 'string' },
    QueryArgs: { type: 'object', additionalProperties: { type: 'string' } },
    // Only with --proxy-protocol / --tls-ca (absent otherwise, so go-bench-suite's shape is unchanged).
    RemoteAddr: { type: 'string' },
    ProxiedRemoteAddr: { type: 'string' },
    ClientCert: peerCertificateSchema,
  },
} as const;

/** httpbin /headers. */
export const headersSchema = {
  type: 'object',
  properties: { headers: { type: 'object', additionalProperties: { type: 'string' } } },
} as const;

/** httpbin /anything. */
export const anythingSchema = {
  type: 'object',
  properties: {
    args: { type: 'object', additionalProperties: { type: 'string' } },
    data: { type: 'string' },
    headers: { type: 'object', additionalProperties: { type: 'string' } },
    json: {},
    method: { type: 'string' },
    origin: { type: 'string' },
    url: { type: 'string' },
    // Only with --proxy-protocol / --tls-ca: the address the PROXY header named, the client certificate.
    proxied_origin: { type: 'string' },
    client_cert: peerCertificateSchema,
  },
} as const;

/** /__mock/stats (fields documented in src/observe/stats.ts). */
export const statsSchema = {
  type: 'object',
  properties: {
    engine: { type: 'string' },
    workers: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: { type: 'integer' }, rps: { type: 'number' }, inFlight: { type: 'integer' }, pending: { type: 'integer' },
          elu: { type: 'number' }, saturated: { type: 'boolean' }, requests: { type: 'integer' },
          heapUsedBytes: { type: 'integer' },
        },
      },
    },
    totals: {
      type: 'object',
      properties: {
        rps: { type: 'number' }, inFlight: { type: 'integer' }, pending: { type: 'integer' }, requests: { type: 'integer' },
        bytes: { type: 'integer' }, saturatedWorkers: { type: 'integer' }, rssBytes: { type: 'integer' },
      },
    },
    streams: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          route: { type: 'string' }, open: { type: 'integer' }, messagesIn: { type: 'integer' }, messagesOut: { type: 'integer' },
          bytesIn: { type: 'integer' }, bytesOut: { type: 'integer' }, refused: { type: 'integer' }, closed: { type: 'integer' },
        },
      },
    },
    // The HTTP/2 listener (--h2-port), null without one.
    h2: {
      type: ['object', 'null'],
      properties: { port: { type: 'integer' }, sessions: { type: 'number' }, streams: { type: 'number' }, goaways: { type: 'number' } },
    },
    // The AI endpoints (features/ai/): see AiStats in src/observe/stats.ts.
    ai: {
      type: 'object',
      properties: {
        open: { type: 'integer' }, streams: { type: 'integer' }, calls: { type: 'integer' }, tokensOut: { type: 'integer' },
        broken: { type: 'integer' }, ttftMsMean: { type: 'number' }, itlMsMean: { type: 'number' },
      },
    },
    // Faults served by kind (the `fault` control), every kind listed.
    faults: { type: 'object', additionalProperties: { type: 'integer' } },
    uptimeSeconds: { type: 'number' },
  },
} as const;

/** /__mock/routes replies: the configured routes now in force (route objects as the schema file has them). */
export const routesSchema = {
  type: 'object',
  properties: { routes: { type: 'array', items: {} }, workers: { type: 'integer' }, replaced: { type: 'integer' } },
} as const;

/** GET /__mock/requests: the journal merged over every worker. */
export const journalSchema = {
  type: 'object',
  properties: {
    requests: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          time: { type: 'number' }, worker: { type: 'integer' }, seq: { type: 'integer' }, method: { type: 'string' },
          url: { type: 'string' }, headers: { type: 'object', additionalProperties: { type: 'string' } },
          body: { type: 'string' }, bodyEncoding: { type: 'string' }, bodyBytes: { type: 'integer' }, truncated: { type: 'boolean' },
          status: { type: ['integer', 'null'] }, fault: { type: 'string' },
          assertions: { type: 'array', items: { type: 'object', properties: { check: { type: 'string' }, expected: {}, received: {} } } },
          proxiedAddress: { type: 'string' },
          clientCert: peerCertificateSchema,
        },
      },
    },
    count: { type: 'integer' },
    workers: { type: 'integer' },
    missingWorkers: { type: 'array', items: { type: 'integer' } },
  },
} as const;

/** /__mock/test/gc (test and bench only): each worker's heap after a full GC, and the process RSS. */
export const heapSchema = {
  type: 'object',
  properties: {
    workers: { type: 'array', items: { type: 'object', properties: { id: { type: 'integer' }, heapUsedBytes: { type: 'integer' } } } },
    rssBytes: { type: 'integer' },
    missingWorkers: { type: 'array', items: { type: 'integer' } },
  },
} as const;


// The AI-gateway upstream (src/features/ai/): the OpenAI and Anthropic bodies and stream events whose fields
// vary per request. The token deltas of a stream are not serialized: they are byte templates (features/ai/frames.ts).
const nullableString = { type: ['string', 'null'] } as const;
const openaiUsage = {
  type: 'object',
  properties: { prompt_tokens: { type: 'integer' }, completion_tokens: { type: 'integer' }, total_tokens: { type: 'integer' } },
} as const;

/** OpenAI's error body: {"error": {"message", "type", "param", "code"}}. */
export const openaiErrorSchema = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: { message: { type: 'string' }, type: { type: 'string' }, param: nullableString, code: nullableString },
      required: ['message', 'type', 'param', 'code'],
    },
  },
} as const;

/** Anthropic's error body (and its stream's `error` event): {"type": "error", "error": {"type", "message"}}. */
export const anthropicErrorSchema = {
  type: 'object',
  properties: { type: { type: 'string' }, error: { type: 'object', properties: { type: { type: 'string' }, message: { type: 'string' } } } },
} as const;

/** POST /v1/chat/completions (stream: false). */
export const chatCompletionSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' }, object: { type: 'string' }, created: { type: 'integer' }, model: { type: 'string' },
    choices: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          index: { type: 'integer' },
          message: {
            type: 'object',
            properties: { role: { type: 'string' }, content: nullableString, refusal: { type: 'null' }, annotations: { type: 'array', items: {} } },
          },
          logprobs: { type: 'null' }, finish_reason: { type: 'string' },
        },
      },
    },
    usage: openaiUsage, system_fingerprint: { type: 'null' },
  },
} as const;

/** One chunk of a chat completion stream that is not a token (the role chunk, the finish chunk, the usage chunk). */
export const chatChunkSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' }, object: { type: 'string' }, created: { type: 'integer' }, model: { type: 'string' }, system_fingerprint: { type: 'null' },
    choices: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          index: { type: 'integer' },
          delta: { type: 'object', properties: { role: { type: 'string' }, content: { type: 'string' } } },
          logprobs: { type: 'null' }, finish_reason: nullableString,
        },
      },
    },
    usage: openaiUsage,
  },
} as const;

/** POST /v1/completions (legacy), its body and its stream's chunks. */
export const completionSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' }, object: { type: 'string' }, created: { type: 'integer' }, model: { type: 'string' },
    choices: {
      type: 'array',
      items: { type: 'object', properties: { text: { type: 'string' }, index: { type: 'integer' }, logprobs: { type: 'null' }, finish_reason: nullableString } },
    },
    usage: openaiUsage,
  },
} as const;

const embeddingsBody = (embedding: object): object => ({
  type: 'object',
  properties: {
    object: { type: 'string' },
    data: { type: 'array', items: { type: 'object', properties: { object: { type: 'string' }, index: { type: 'integer' }, embedding } } },
    model: { type: 'string' },
    usage: { type: 'object', properties: { prompt_tokens: { type: 'integer' }, total_tokens: { type: 'integer' } } },
  },
});
/** POST /v1/embeddings with encoding_format float. */
export const embeddingsFloatSchema = embeddingsBody({ type: 'array', items: { type: 'number' } });
/** POST /v1/embeddings with encoding_format base64 (the openai SDK's default: little-endian float32, base64). */
export const embeddingsBase64Schema = embeddingsBody({ type: 'string' });

const responseOutputText = { type: 'object', properties: { type: { type: 'string' }, text: { type: 'string' }, annotations: { type: 'array', items: {} } } } as const;
const responseItem = {
  type: 'object',
  properties: {
    id: { type: 'string' }, type: { type: 'string' }, status: { type: 'string' }, role: { type: 'string' },
    content: { type: 'array', items: responseOutputText },
  },
} as const;
const responseObject = {
  type: 'object',
  properties: {
    id: { type: 'string' }, object: { type: 'string' }, created_at: { type: 'integer' }, status: { type: 'string' }, model: { type: 'string' },
    output: { type: 'array', items: responseItem },
    usage: {
      type: ['object', 'null'],
      properties: {
        input_tokens: { type: 'integer' }, output_tokens: { type: 'integer' }, total_tokens: { type: 'integer' },
        input_tokens_details: { type: 'object', properties: { cached_tokens: { type: 'integer' } } },
        output_tokens_details: { type: 'object', properties: { reasoning_tokens: { type: 'integer' } } },
      },
    },
    error: { type: 'null' },
    incomplete_details: { type: ['object', 'null'], properties: { reason: { type: 'string' } } },
    instructions: nullableString, max_output_tokens: { type: ['integer', 'null'] }, parallel_tool_calls: { type: 'boolean' },
    temperature: { type: 'number' }, top_p: { type: 'number' }, tool_choice: { type: 'string' }, tools: { type: 'array', items: {} },
    text: { type: 'object', properties: { format: { type: 'object', properties: { type: { type: 'string' } } } } },
  },
} as const;
/** POST /v1/responses (stream: false). */
export const responseSchema = responseObject;
/** One event of a /v1/responses stream that is not a text delta. */
export const responseEventSchema = {
  type: 'object',
  properties: {
    type: { type: 'string' }, sequence_number: { type: 'integer' }, response: responseObject, output_index: { type: 'integer' },
    item: responseItem, item_id: { type: 'string' }, content_index: { type: 'integer' }, part: responseOutputText, text: { type: 'string' },
    logprobs: { type: 'array', items: {} },
  },
} as const;

const anthropicMessage = {
  type: 'object',
  properties: {
    id: { type: 'string' }, type: { type: 'string' }, role: { type: 'string' }, model: { type: 'string' },
    content: { type: 'array', items: { type: 'object', properties: { type: { type: 'string' }, text: { type: 'string' } } } },
    stop_reason: nullableString, stop_sequence: { type: 'null' },
    usage: { type: 'object', properties: { input_tokens: { type: 'integer' }, output_tokens: { type: 'integer' } } },
  },
} as const;
/** POST /v1/messages (stream: false). */
export const anthropicMessageSchema = anthropicMessage;
/** One event of a /v1/messages stream that is not a text delta. */
export const anthropicEventSchema = {
  type: 'object',
  properties: {
    type: { type: 'string' }, message: anthropicMessage, index: { type: 'integer' },
    content_block: { type: 'object', properties: { type: { type: 'string' }, text: { type: 'string' } } },
    delta: { type: 'object', properties: { stop_reason: { type: 'string' }, stop_sequence: { type: 'null' } } },
    usage: { type: 'object', properties: { output_tokens: { type: 'integer' } } },
  },
} as const;

/** Name -> schema; build.ts writes generated/<name>.cjs for each. */
/** One JSON string literal: a configured template's placeholder value, quoted and escaped. */
export const templateValueSchema = { type: 'string' } as const;

export const Schemas = {
  error: errorSchema,
  templateValue: templateValueSchema,
  echo: echoSchema,
  headers: headersSchema,
  anything: anythingSchema,
  stats: statsSchema,
  routes: routesSchema,
  journal: journalSchema,
  heap: heapSchema,
  openaiError: openaiErrorSchema,
  anthropicError: anthropicErrorSchema,
  chatCompletion: chatCompletionSchema,
  chatChunk: chatChunkSchema,
  completion: completionSchema,
  embeddingsFloat: embeddingsFloatSchema,
  embeddingsBase64: embeddingsBase64Schema,
  response: responseSchema,
  responseEvent: responseEventSchema,
  anthropicMessage: anthropicMessageSchema,
  anthropicEvent: anthropicEventSchema,
} as const;

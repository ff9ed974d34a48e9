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
          status: { type: ['integer', 'null'] },
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
} as const;

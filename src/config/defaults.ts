// Defaults and limits, declared once. Units are in the names or the comments.

/** Port of the go-bench-suite upstream we replace. */
export const DefaultPort = 8000;
export const DefaultHost = '0.0.0.0';
export const DefaultLogLevel = 'info';
/** Time in-flight responses get to finish on SIGTERM/SIGINT (ms). */
export const DefaultGraceMs = 5_000;
/** Largest request body a buffering route (/echo) accepts (bytes). */
export const DefaultMaxBodyBytes = 16 * 1024 * 1024;
/** Largest delay any control or path may ask for (ms). */
export const DefaultMaxDelayMs = 5 * 60 * 1000;
/** Largest generated body any control or path may ask for (bytes). */
export const DefaultMaxSizeBytes = 256 * 1024 * 1024;
/** Default --ws-max-message: uWS buffers a whole message before handing it over, so this bounds memory per socket. */
export const DefaultWsMaxMessageBytes = 1024 * 1024;
/** Largest --ws-max-message. */
export const MaxWsMessageBytes = 64 * 1024 * 1024;
/** Body bytes the request journal keeps per request (the rest is counted, not kept). */
export const DefaultJournalBodyBytes = 64 * 1024;
/** Most requests the journal keeps per worker. */
export const MaxJournalEntries = 1_000_000;
/** Headers the journal redacts unless --journal-redact says otherwise (credentials a test log must not leak). */
export const DefaultJournalRedact = ['authorization', 'cookie', 'set-cookie', 'proxy-authorization', 'x-api-key', 'apikey', 'x-auth-token'] as const;
/**
 * Deepest JSON nesting accepted in a request body (/anything, /__mock/routes). JSON.parse and postMessage's
 * structured clone recurse: thousands of levels overflow the stack. Deeper bodies get a 400 before parsing.
 */
export const MaxJsonDepth = 64;
/** How long a worker waits for the main thread to answer an admin ask before answering 504 (ms; above GatherTimeoutMs). */
export const AskTimeoutMs = 7_000;
/** An HTTP header name (RFC 9110 token). */
export const HeaderToken = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Headers the server writes itself (framing, connection, date): neither routes nor controls may set them. */
export const ServerWrittenHeaders: ReadonlySet<string> = new Set(['content-length', 'transfer-encoding', 'connection', 'date', 'keep-alive', 'upgrade']);
/** Most distinct configured paths (by shape) in a config and in one process lifetime: uWS cannot unregister a path. */
export const MaxConfiguredPaths = 128;
/** Reserved path prefix of the admin endpoints. */
export const AdminPrefix = '/__mock/';
/** Upper bound for --workers: more threads than this only adds contention. */
export const MaxWorkers = 256;
/**
 * Test-only fault hook: a route that crashes its worker, to prove containment and restart. It exists
 * only when this env var holds this exact phrase, so it cannot be switched on by accident.
 */
export const FaultHookEnv = 'MOCK_UPSTREAM_FAULT_HOOK';
export const FaultHookPhrase = 'crash-workers-for-tests';
/**
 * Test-only, and only with the fault hook's phrase set: the workers listed here (comma-separated indexes) ignore
 * the drain message, as a worker stuck in its drain would, to exercise the shutdown timeout.
 */
export const FaultIgnoreDrainEnv = 'MOCK_UPSTREAM_FAULT_IGNORE_DRAIN';

/** What --engine takes: the native uWS build, the portable node:http engine, or native where it loads (src/http/engines.ts). */
export const EngineChoices = ['native', 'portable', 'auto'] as const;
export type EngineChoice = (typeof EngineChoices)[number];

/** HTTP/2 listener (--h2-*): SETTINGS_MAX_CONCURRENT_STREAMS (nghttp2's own default is unlimited; 100 is RFC 9113's floor and what gateways expect). */
export const DefaultH2MaxStreams = 100;
/** SETTINGS_INITIAL_WINDOW_SIZE: the protocol's (and node's) default. */
export const DefaultH2WindowBytes = 65_535;
/** SETTINGS_MAX_FRAME_SIZE: the protocol's (and node's) default, also its minimum. */
export const DefaultH2MaxFrameBytes = 16_384;

/**
 * An HTTP/2 connection with no frames either way for this long gets a GOAWAY (--h2-idle-timeout): without it an
 * idle session is held for good. 60 s: below nginx's 75 s keepalive_timeout, far above gateways' pool churn.
 */
export const DefaultH2IdleMs = 60_000;

/** Context window of the AI endpoints (tokens, --ai-context): a prompt over it is a 400 context_length_exceeded. */
export const DefaultAiContextTokens = 128_000;

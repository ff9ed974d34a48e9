// One AI call from its request to its last byte, and what each endpoint family supplies to answer it.
import type { Asked } from '../asked.js';
import type { Seen } from '../assertions.js';
import type { Fault } from '../../grammar/fault.js';
import type { Sampler } from '../../grammar/distribution.js';
import type { HttpResponse } from '../../http/uws.js';
import type { Api } from './errors.js';
import type { TokenFrame } from './frames.js';
import type { Knobs } from './knobs.js';
import type { TokenSource } from './tokens.js';

/** An endpoint family (chat, completions, responses, embeddings, models, messages): how it reads and writes. */
export interface Family {
  readonly api: Api;
  /** The route pattern (reports). */
  readonly pattern: string;
  /** The method the endpoint answers (others get 405 in the API's error shape). */
  readonly method: 'post' | 'get';
  /** Read the JSON body (null for a GET) into the call; throws AiInputError for what the API refuses. */
  read(call: AiCall, body: Record<string, unknown> | null): void;
  /** The non-streaming answer's JSON. */
  body(call: AiCall): Buffer;
  /** Streams only: the events before the first token are sent with the head (else with the first token). */
  readonly early: boolean;
  /** Streams only: the events before the first token. */
  open(call: AiCall): Buffer;
  /** Streams only: the call's delta template. */
  frame(call: AiCall): TokenFrame;
  /** Streams only: the events after the last token (the finish, usage, [DONE] or message_stop). */
  close(call: AiCall): Buffer;
  /** Streams only: what a broken stream ends with (Anthropic's `error` event); null: the connection is cut. */
  broken(call: AiCall): Buffer | null;
}

/** Phases of a call once its body is in. */
export const enum Phase { Head, Tokens, Done }

/** One call: what was asked, then its schedule and the state of its response. */
export class AiCall {
  res: HttpResponse | null = null;
  /** Whose shapes the answer takes (the family's; /v1/models answers Anthropic's shape to Anthropic clients). */
  api: Api;
  /** The route id, so responses written from the timer are counted to it. */
  route = 0;
  // Read from the body by the family.
  model = '';
  stream = false;
  includeUsage = false;
  promptTokens = 0;
  /** max_tokens / max_completion_tokens / max_output_tokens; -1 when absent. */
  maxTokens = -1;
  /** The prompt's last user text (the echo content). */
  echoText = '';
  /** Family-specific request data (embedding inputs, instructions, the models' shape). */
  extra: unknown = null;
  // The plan.
  code = 200;
  n = 0;
  /** The answer stops at max_tokens (finish_reason length / max_tokens / incomplete). */
  truncated = false;
  source: TokenSource | null = null;
  id = '';
  created = 0;
  close = false;
  headers: Buffer[] | null = null;
  /** The fault drawn for this call (the fault control), null: none. */
  fault: Fault | null = null;
  /** What the expect-* controls read of the request (null: none asked). */
  seen: Seen | null = null;
  // The schedule (performance.now() ms) and the stream's state.
  phase = Phase.Head;
  headAt = 0;
  nextDue = 0;
  sent = 0;
  /** The Responses API's sequence_number of the next event. */
  seq = 0;
  lastTokenAt = 0;
  slot = -1;
  waiting = false;
  done = false;
  frame: TokenFrame | null = null;
  readonly aborted: () => void;
  readonly writable: () => boolean;
  readonly corked: () => void;

  constructor(
    readonly family: Family,
    /** performance.now() when the request arrived: TTFT is measured from it. */
    readonly start: number,
    readonly knobs: Knobs,
    readonly asked: Asked | null,
    readonly delayMs: number,
    readonly itl: Sampler,
    owner: { aborted(c: AiCall): void; writable(c: AiCall): boolean; tick(c: AiCall): void },
  ) {
    this.api = family.api;
    this.aborted = () => owner.aborted(this);
    this.writable = () => owner.writable(this);
    this.corked = () => owner.tick(this);
  }
}

// Metadata controls of a gRPC call, in the server's grammar (src/grammar): x-mock-delay (a latency
// expression), x-mock-status (a gRPC code 0-16, or weighted codes like 14:10), x-mock-size (payload bytes),
// x-mock-messages and x-mock-interval (server streams). Compiled expressions are cached per worker.
import type { IncomingHttpHeaders } from 'node:http2';
import { BoundedCache } from '../../grammar/cache.js';
import { parseWeighted, type WeightedChoice } from '../../grammar/choice.js';
import { SamplerCache } from '../../grammar/distribution.js';
import { parseDuration } from '../../grammar/duration.js';
import { GrammarError } from '../../grammar/errors.js';
import { parseBoundedInt } from '../../grammar/integer.js';
import type { Random } from '../../grammar/random.js';
import { parseSize } from '../../grammar/size.js';
import type { CallControls } from './call.js';
import { Code } from './framing.js';

/** Messages a server stream sends when x-mock-messages is not given. */
export const DefaultStreamMessages = 10;
/** Most messages one server stream may be asked for. */
export const MaxStreamMessages = 1_000_000;

const CodeBounds = { min: 0, max: 16, what: 'gRPC status code', note: '(0 OK ... 14 UNAVAILABLE, 16 UNAUTHENTICATED)' };
const MessagesBounds = { min: 0, max: MaxStreamMessages, what: 'message count' };

function parseCode(text: string, param: string): number {
  return parseBoundedInt(text, param, CodeBounds);
}

/** The limits the controls are checked against. */
export interface ControlLimits {
  /** --max-delay (ms): the cap of x-mock-delay and x-mock-interval. */
  readonly maxDelayMs: number;
  /** The cap of x-mock-size: --max-size, and never above the largest message a client accepts by default. */
  readonly maxSizeBytes: number;
}

/** Reads a call's controls from its headers; one per worker. */
export class ControlReader {
  private readonly delays = new SamplerCache();
  private readonly statuses = new BoundedCache<WeightedChoice<number>>();

  constructor(private readonly limits: ControlLimits, private readonly rng: Random) {}

  /** The controls asked by `headers`, or a GrammarError naming the bad one (the call gets INVALID_ARGUMENT). */
  read(headers: IncomingHttpHeaders): CallControls | GrammarError {
    const delay = headers['x-mock-delay'];
    const status = headers['x-mock-status'];
    const size = headers['x-mock-size'];
    const messages = headers['x-mock-messages'];
    const interval = headers['x-mock-interval'];
    const controls: CallControls = { delayMs: 0, status: Code.OK, size: -1, messages: DefaultStreamMessages, intervalMs: 0 };
    if (delay === undefined && status === undefined && size === undefined && messages === undefined && interval === undefined) {
      return controls;
    }
    try {
      if (delay !== undefined) controls.delayMs = this.delays.get(one(delay), 'x-mock-delay', this.limits.maxDelayMs).sample(this.rng);
      if (status !== undefined) controls.status = this.status(one(status)).pick(this.rng.next());
      if (size !== undefined) controls.size = parseSize(one(size), 'x-mock-size', this.limits.maxSizeBytes);
      if (messages !== undefined) controls.messages = parseBoundedInt(one(messages), 'x-mock-messages', MessagesBounds);
      if (interval !== undefined) controls.intervalMs = parseDuration(one(interval), 'x-mock-interval', this.limits.maxDelayMs);
    } catch (err) {
      if (err instanceof GrammarError) return err;
      throw err;
    }
    return controls;
  }

  private status(text: string): WeightedChoice<number> {
    let choice = this.statuses.get(text);
    if (choice === undefined) {
      choice = parseWeighted(text, 'x-mock-status', parseCode, Code.OK);
      this.statuses.set(text, choice);
    }
    return choice;
  }
}

// node:http2 joins repeated custom headers with ", "; a list (set-cookie style) takes its first value.
function one(value: string | string[]): string {
  return typeof value === 'string' ? value : value[0] ?? '';
}

// The AI controls, read like every request control from the query or the X-Mock header (the header wins per
// control; SDK users can add a header but not a query): ttft, itl, ttft-per-token, tokens, content, break-after.
// What X-Mock holds besides them (status, delay, header, close) goes on to the request controls (controls.ts).
import { type WeightedChoice, parseWeighted } from '../../grammar/choice.js';
import { BoundedCache } from '../../grammar/cache.js';
import { SamplerCache, type Sampler } from '../../grammar/distribution.js';
import { parseDuration } from '../../grammar/duration.js';
import { GrammarError, quoteValue } from '../../grammar/errors.js';
import { parseBoundedInt, type IntegerBounds } from '../../grammar/integer.js';
import { DefaultAiTokens, MaxAiTokens } from './tokens.js';

/** The AI controls' names. */
export const AiControlNames = ['ttft', 'itl', 'ttft-per-token', 'tokens', 'content', 'break-after'] as const;
const Names = new Set<string>(AiControlNames);
const TokenBounds: IntegerBounds = { min: 0, max: MaxAiTokens, what: 'token count' };

/** What a request asked of the AI endpoints (null / -1: not asked). */
export interface Knobs {
  readonly ttft: Sampler | null;
  readonly itl: Sampler | null;
  /** Added to the time to first token per prompt token (ms); -1: not asked. */
  readonly ttftPerTokenMs: number;
  readonly tokens: WeightedChoice<number> | null;
  /** `echo` or `lorem`; null: the family's default (lorem). */
  readonly content: 'echo' | 'lorem' | null;
  /** Cut the stream after this many tokens; -1: never. */
  readonly breakAfter: number;
  /** The X-Mock text without the AI controls, for the request controls. */
  readonly rest: string;
}

const None: Knobs = { ttft: null, itl: null, ttftPerTokenMs: -1, tokens: null, content: null, breakAfter: -1, rest: '' };

/** Compiles the AI controls of a query and X-Mock text, cached per worker (SDK clients repeat the same header). */
export class KnobReader {
  private readonly cache = new BoundedCache<Knobs>();
  private readonly latency = new SamplerCache();

  constructor(private readonly maxDelayMs: number) {}

  /** The knobs of query `q` and X-Mock `h`; throws GrammarError on a bad value. */
  read(q: string, h: string): Knobs {
    if (q.length === 0 && h.length === 0) return None;
    const key = `${q}\u0000${h}`;
    let k = this.cache.get(key);
    if (k === undefined) {
      k = this.compile(q, h);
      this.cache.set(key, k);
    }
    return k;
  }

  private compile(q: string, h: string): Knobs {
    const query = new URLSearchParams(q);
    const header = new URLSearchParams(h);
    const text = (name: string): [string, string] | null => {
      const v = header.get(name);
      if (v !== null) return [v, `X-Mock ${name}`];
      const w = query.get(name);
      return w === null ? null : [w, name];
    };
    const max = this.maxDelayMs;
    const ttft = text('ttft');
    const itl = text('itl');
    const per = text('ttft-per-token');
    const tokens = text('tokens');
    const content = text('content');
    const brk = text('break-after');
    if (content !== null && content[0] !== 'echo' && content[0] !== 'lorem') {
      throw new GrammarError(content[1], `invalid content ${quoteValue(content[0])}: use echo (the prompt's last user text) or lorem (a fixed word sequence)`);
    }
    let rest = h;
    if (h.length !== 0) {
      let any = false;
      for (const name of header.keys()) if (Names.has(name)) any = true;
      if (any) {
        for (const name of AiControlNames) header.delete(name);
        rest = header.toString();
      }
    }
    return {
      ttft: ttft === null ? null : this.latency.get(ttft[0], ttft[1], max),
      itl: itl === null ? null : this.latency.get(itl[0], itl[1], max),
      ttftPerTokenMs: per === null ? -1 : parseDuration(per[0], per[1], max),
      tokens: tokens === null ? null : parseWeighted(tokens[0], tokens[1], (t, p) => parseBoundedInt(t, p, TokenBounds), DefaultAiTokens),
      content: content === null ? null : content[0] as 'echo' | 'lorem',
      breakAfter: brk === null ? -1 : parseBoundedInt(brk[0], brk[1], TokenBounds),
      rest,
    };
  }
}

// The token rule of the AI endpoints, shared by what they emit and what they count: a token is one word-piece,
// a run of non-space characters with the white space before it (" world,"). Prompt tokens are counted by the
// same rule, so `usage` always agrees with the streamed chunks: completion_tokens is the number of deltas sent.
// Content is deterministic, so tests can assert it: `lorem` is one fixed word sequence, `echo` repeats the
// prompt's last user text piece by piece. Each piece is kept as JSON-escaped bytes, ready for a byte template.

/** Output tokens when neither max_tokens nor the `tokens` control says how many. */
export const DefaultAiTokens = 16;
/** Most output tokens one answer may have (the `tokens` and `break-after` controls' bound, and max_tokens' cap). */
export const MaxAiTokens = 100_000;

const Words = ('lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna '
  + 'aliqua. ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. duis aute '
  + 'irure dolor in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur.').split(' ');

/** Where an answer's tokens come from: piece i as text and as JSON-escaped bytes. */
export interface TokenSource {
  /** Pieces available (lorem: any number). */
  readonly length: number;
  /** Longest escaped piece in bytes (sizes the byte templates). */
  readonly maxBytes: number;
  /** Piece i, JSON-escaped (no quotes), as bytes. */
  escaped(i: number): Buffer;
  /** The first n pieces as one string. */
  text(n: number): string;
}

/** A string's JSON escaping without the quotes. */
function escape(s: string): Buffer {
  return Buffer.from(JSON.stringify(s).slice(1, -1));
}

/** The fixed lorem sequence: "Lorem ipsum dolor sit amet, ...", the words cycling after the first; made once per worker. */
export class LoremSource implements TokenSource {
  readonly length = Number.MAX_SAFE_INTEGER;
  readonly maxBytes: number;
  private readonly first = escape('Lorem');
  private readonly cycle = Words.map((w) => escape(` ${w}`));

  constructor() {
    this.maxBytes = Math.max(this.first.length, ...this.cycle.map((b) => b.length));
  }

  escaped(i: number): Buffer {
    return i === 0 ? this.first : this.cycle[i % this.cycle.length];
  }

  text(n: number): string {
    let s = n > 0 ? 'Lorem' : '';
    for (let i = 1; i < n; i++) s += ` ${Words[i % Words.length]}`;
    return s;
  }
}

/** The pieces of a prompt text (the `echo` content): at most `limit` of them, split by the token rule. */
export class EchoSource implements TokenSource {
  readonly length: number;
  readonly maxBytes: number;
  private readonly pieces: string[];
  private readonly bytes: Buffer[];

  constructor(text: string, limit: number) {
    this.pieces = splitTokens(text, limit);
    this.bytes = this.pieces.map(escape);
    this.length = this.pieces.length;
    let max = 0;
    for (const b of this.bytes) if (b.length > max) max = b.length;
    this.maxBytes = max;
  }

  escaped(i: number): Buffer {
    return this.bytes[i];
  }

  text(n: number): string {
    return this.pieces.slice(0, n).join('');
  }
}

// JavaScript's \s, so counting and splitting agree with /\S+/ on every string.
function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a)
    || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/** Tokens in `text` by the token rule (runs of non-space characters); linear, no allocation. */
export function countTokens(text: string): number {
  let n = 0;
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const space = isSpace(text.charCodeAt(i));
    if (!space && !inWord) n++;
    inWord = !space;
  }
  return n;
}

/** The first `limit` tokens of `text`, each with the white space before it (the first without). */
export function splitTokens(text: string, limit: number): string[] {
  const out: string[] = [];
  let start = -1;
  let from = 0;
  let inWord = false;
  for (let i = 0; i <= text.length && out.length < limit; i++) {
    const space = i === text.length || isSpace(text.charCodeAt(i));
    if (!space && !inWord) {
      if (start < 0) from = i;
      start = from;
    }
    if (space && inWord) {
      out.push(text.slice(start, i));
      from = i;
    }
    inWord = !space;
  }
  return out;
}

/**
 * A deterministic unit vector of `dims` float32 values for `text`: its FNV-1a hash seeds xorshift32. The same
 * input always gives the same vector, on every worker and every run, so tests can compare them.
 */
export function embeddingVector(text: string, dims: number): Float32Array {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  let x = h || 1;
  const v = new Float32Array(dims);
  let norm = 0;
  for (let i = 0; i < dims; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    const f = (x / 0xffffffff) * 2 - 1;
    v[i] = f;
    norm += f * f;
  }
  const scale = norm === 0 ? 0 : 1 / Math.sqrt(norm);
  for (let i = 0; i < dims; i++) v[i] *= scale;
  return v;
}

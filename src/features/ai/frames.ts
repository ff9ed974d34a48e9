// The token events of a stream as byte templates: each API's delta event is fixed bytes around the token
// (and, for the Responses API, its sequence number). A stream makes its template once, with its own id and
// model in the prefix, and rewrites only the token and the number per event: no JSON is built per token.
// Both engines copy a write this small before it returns, so the next rewrite cannot change queued bytes.

const Digits = 16;

/** One stream's delta event: prefix, token, middle, optional sequence number, tail. */
export class TokenFrame {
  private readonly buf: Buffer;
  private readonly at: number;
  private readonly middle: Buffer;
  private readonly tail: Buffer;
  private readonly numbered: boolean;

  /** maxToken: the longest escaped token this stream sends (bytes). numbered: a sequence number follows `middle`. */
  constructor(prefix: string, middle: string, tail: string, numbered: boolean, maxToken: number) {
    const p = Buffer.from(prefix);
    this.middle = Buffer.from(middle);
    this.tail = Buffer.from(tail);
    this.numbered = numbered;
    this.buf = Buffer.allocUnsafe(p.length + maxToken + this.middle.length + (numbered ? Digits : 0) + this.tail.length);
    p.copy(this.buf, 0);
    this.at = p.length;
  }

  /** The event carrying `token` (escaped bytes), numbered `seq` when the frame is numbered; valid until the next call. */
  event(token: Buffer, seq: number): Buffer {
    const b = this.buf;
    let i = this.at + token.copy(b, this.at);
    i += this.middle.copy(b, i);
    if (this.numbered) {
      const start = i;
      let v = seq;
      do {
        b[i++] = 0x30 + (v % 10);
        v = Math.floor(v / 10);
      } while (v > 0);
      b.subarray(start, i).reverse();
    }
    i += this.tail.copy(b, i);
    return b.subarray(0, i);
  }
}

/** Where the token goes in an event serialized by the project's serializers (it escapes to `\u0000`). */
export const TokenSlot = '\u0000';
const EscapedSlot = '\\u0000';

/**
 * The token frame of one stream from its event serialized with TokenSlot as the token: the serializer escapes
 * the client's text (the model) once per stream, and the last slot is the token's (client text comes before it).
 */
export function slotFrame(event: string, maxToken: number): TokenFrame {
  const at = event.lastIndexOf(EscapedSlot);
  return new TokenFrame(event.slice(0, at), event.slice(at + EscapedSlot.length), '', false, maxToken);
}

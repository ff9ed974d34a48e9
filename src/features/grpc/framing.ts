// gRPC over HTTP/2 on the wire: status codes, the length-prefixed message framing (1 byte compressed flag,
// 4 bytes big-endian length, the message), grpc-timeout and grpc-message. Pure: no stream, no timer.

/** gRPC status codes (grpc/doc/statuscodes.md). */
export const Code = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

/** How many status codes exist (0..16), the width of a counter row. */
export const CodeCount = 17;

/** Names of the status codes by number, for docs, counters and messages. */
export const CodeNames: readonly string[] = Object.keys(Code);

/** The status codes as the decimal strings grpc-status carries, made once. */
export const CodeText: readonly string[] = CodeNames.map((_, i) => String(i));

/** Largest message accepted (bytes), as grpc's default max receive size: 4 MiB. */
export const MaxMessageBytes = 4 * 1024 * 1024;

/** Bytes before each message: the compressed flag and the big-endian length. */
export const PrefixBytes = 5;

/** A frame reader's consumer: one call per complete frame (prefix included; the message is frame[5..]). */
export interface FrameSink {
  onFrame(frame: Buffer): void;
}

/**
 * Reassembles length-prefixed messages from DATA chunks. A frame inside one chunk is handed on as a view of
 * that chunk (no copy, so a unary echo can write the very bytes back); only a frame split across chunks is
 * copied. Errors are reported as a gRPC code and the message grpc-go gives for the same fault.
 */
export class FrameReader {
  /** The status code of the first fault (0: none). */
  errorCode = 0;
  /** What the fault was, for grpc-message. */
  error = '';
  /** Frames completed so far. */
  frames = 0;
  private pending: Buffer | null = null;
  private have = 0;
  private need = 0;
  // True while `pending` holds only (part of) the 5-byte prefix.
  private headerOnly = false;

  constructor(private readonly maxMessage: number = MaxMessageBytes) {}

  /** Feed one DATA chunk; false (errorCode and error set) on a malformed or oversized frame. */
  push(chunk: Buffer, sink: FrameSink): boolean {
    if (this.errorCode !== 0) return false;
    const len = chunk.length;
    let off = 0;
    while (off < len) {
      if (this.pending === null) {
        if (len - off < PrefixBytes) {
          this.pending = Buffer.allocUnsafe(PrefixBytes);
          this.headerOnly = true;
          this.need = PrefixBytes;
          this.have = chunk.copy(this.pending, 0, off);
          return true;
        }
        const size = this.check(chunk, off);
        if (size < 0) return false;
        const end = off + PrefixBytes + size;
        if (end <= len) {
          this.frames++;
          sink.onFrame(chunk.subarray(off, end));
          off = end;
          continue;
        }
        this.pending = Buffer.allocUnsafe(PrefixBytes + size);
        this.headerOnly = false;
        this.need = PrefixBytes + size;
        this.have = chunk.copy(this.pending, 0, off);
        return true;
      }
      const pending = this.pending;
      const take = Math.min(this.need - this.have, len - off);
      chunk.copy(pending, this.have, off, off + take);
      this.have += take;
      off += take;
      if (this.have < this.need) return true;
      if (this.headerOnly) {
        const size = this.check(pending, 0);
        if (size < 0) return false;
        this.headerOnly = false;
        if (size > 0) {
          const whole = Buffer.allocUnsafe(PrefixBytes + size);
          pending.copy(whole, 0, 0, PrefixBytes);
          this.pending = whole;
          this.need = PrefixBytes + size;
          continue;
        }
      }
      this.pending = null;
      this.have = 0;
      this.frames++;
      sink.onFrame(pending);
    }
    return true;
  }

  /** The client half-closed: false (errorCode and error set) when a frame was left unfinished. */
  end(): boolean {
    if (this.errorCode !== 0) return false;
    if (this.pending === null) return true;
    return this.fail(Code.INTERNAL, `grpc: the stream ended inside a message (${this.have} of ${this.need} bytes, prefix included): unexpected EOF`);
  }

  // The message length at buf[at..], or -1 after recording the fault.
  private check(buf: Buffer, at: number): number {
    const flag = buf[at];
    const size = buf.readUInt32BE(at + 1);
    if (flag === 1) {
      this.fail(Code.INTERNAL, 'grpc: compressed flag set with identity or empty encoding');
      return -1;
    }
    if (flag !== 0) {
      this.fail(Code.INTERNAL, `grpc: received unexpected payload format ${flag}`);
      return -1;
    }
    if (size > this.maxMessage) {
      this.fail(Code.RESOURCE_EXHAUSTED, `grpc: received message larger than max (${size} vs. ${this.maxMessage})`);
      return -1;
    }
    return size;
  }

  private fail(code: number, error: string): false {
    this.errorCode = code;
    this.error = error;
    this.pending = null;
    return false;
  }
}

/** One frame around `message`: the uncompressed flag, the length, the bytes (one copy). */
export function encodeFrame(message: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(PrefixBytes + message.length);
  out[0] = 0;
  out.writeUInt32BE(message.length, 1);
  out.set(message, PrefixBytes);
  return out;
}

const TimeoutUnitMs: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 1e-3, n: 1e-6 };
// The spec allows at most 8 digits.
const MaxTimeoutDigits = 8;

/**
 * The grpc-timeout header in milliseconds (`TimeoutValue TimeoutUnit`: 1 to 8 ASCII digits then one of
 * H M S m u n), or -1 when it is not that (a protocol header, not one of our grammars).
 */
export function parseGrpcTimeout(text: string): number {
  const len = text.length;
  if (len < 2 || len > MaxTimeoutDigits + 1) return -1;
  const unit = TimeoutUnitMs[text[len - 1]];
  if (unit === undefined) return -1;
  let n = 0;
  for (let i = 0; i < len - 1; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    n = n * 10 + (c - 48);
  }
  return n * unit;
}

/** grpc-message as the spec wants it: UTF-8, percent-encoding every byte outside 0x20-0x7E and '%' itself. */
export function encodeGrpcMessage(text: string): string {
  let plain = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x25) {
      plain = false;
      break;
    }
  }
  if (plain) return text;
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    out += byte < 0x20 || byte > 0x7e || byte === 0x25 ? `%${byte.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(byte);
  }
  return out;
}

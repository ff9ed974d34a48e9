// The protobuf bytes of the hot methods, by hand: Health and Echo messages have two or three fields, so a
// wire-format scan (validating, allocating nothing) and precomputed or template replies beat a general
// decoder that builds an object per message. Reflection, which is rare, uses protobufjs (protos.ts).
import { PrefixBytes } from './framing.js';

const WireVarint = 0;
const WireFixed64 = 1;
const WireBytes = 2;
const WireFixed32 = 5;
const MaxVarintBytes = 10;

/**
 * Where fields 1 and 2 (length-delimited) sit in the last message scanned; -1 when absent. One instance per
 * worker, reused by every scan: read it right after scan() returns.
 */
export class WireScan {
  start1 = -1;
  end1 = -1;
  start2 = -1;
  end2 = -1;
  private pos = 0;

  /**
   * Walks every field of `msg` (from `from`): false when it is not valid protobuf (a truncated field, a
   * varint over 10 bytes, groups, field number 0). Fields 1 and 2 with wire type 2 are recorded (the last
   * one wins, as protobuf merges); other fields are skipped, as unknown fields are.
   */
  scan(msg: Buffer, from: number = 0): boolean {
    this.start1 = this.end1 = this.start2 = this.end2 = -1;
    const len = msg.length;
    this.pos = from;
    while (this.pos < len) {
      const key = this.varint(msg);
      if (key < 0) return false;
      const field = Math.floor(key / 8);
      const wire = key & 7;
      if (field === 0) return false;
      switch (wire) {
        case WireVarint:
          if (this.varint(msg) < 0) return false;
          break;
        case WireFixed64:
          this.pos += 8;
          break;
        case WireFixed32:
          this.pos += 4;
          break;
        case WireBytes: {
          const size = this.varint(msg);
          if (size < 0 || this.pos + size > len) return false;
          if (field === 1) {
            this.start1 = this.pos;
            this.end1 = this.pos + size;
          } else if (field === 2) {
            this.start2 = this.pos;
            this.end2 = this.pos + size;
          }
          this.pos += size;
          break;
        }
        default:
          return false;
      }
      if (this.pos > len) return false;
    }
    return true;
  }

  // One varint at pos (advancing it), or -1 when truncated or too long. Values above 2^53 lose precision,
  // which only matters for skipped fields.
  private varint(msg: Buffer): number {
    let value = 0;
    let scale = 1;
    const len = msg.length;
    for (let i = 0; i < MaxVarintBytes; i++) {
      if (this.pos >= len) return -1;
      const b = msg[this.pos++];
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
      scale *= 128;
    }
    return -1;
  }
}

/** Bytes a varint of `n` takes. */
export function varintLength(n: number): number {
  let bytes = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    bytes++;
  }
  return bytes;
}

/** Write `n` as a varint at `at`; returns the offset after it. */
export function writeVarint(buf: Buffer, at: number, n: number): number {
  while (n >= 128) {
    buf[at++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  buf[at++] = n;
  return at;
}

/** Write the 5-byte prefix of an uncompressed message of `size` bytes at the start of `buf`. */
export function writePrefix(buf: Buffer, size: number): void {
  buf[0] = 0;
  buf.writeUInt32BE(size, 1);
}

/** Bytes of a length-delimited field (`key`, length, value) whose value is `size` bytes; 0 when size is 0 (proto3 omits it). */
export function bytesFieldLength(size: number): number {
  return size === 0 ? 0 : 1 + varintLength(size) + size;
}

/** Write a length-delimited field's key and length at `at` (key < 128); returns where its value goes. */
export function writeBytesHeader(buf: Buffer, at: number, key: number, size: number): number {
  buf[at] = key;
  return writeVarint(buf, at + 1, size);
}

/** Field keys (field number << 3 | wire type) of the messages we write. */
export const Key = {
  message: (1 << 3) | WireBytes,
  payload: (2 << 3) | WireBytes,
  seq: (3 << 3) | WireFixed32,
  sentMs: (4 << 3) | WireFixed64,
  count: (5 << 3) | WireVarint,
  receivedBytes: (6 << 3) | WireVarint,
  healthStatus: (1 << 3) | WireVarint,
} as const;

/** The whole frame (prefix included) of a HealthCheckResponse for each ServingStatus 0..3, made once. */
export const HealthReplies: readonly Buffer[] = [0, 1, 2, 3].map((status) => {
  // proto3 leaves a zero enum out: UNKNOWN is the empty message.
  const body = status === 0 ? Buffer.alloc(0) : Buffer.from([Key.healthStatus, status]);
  const frame = Buffer.alloc(PrefixBytes + body.length);
  writePrefix(frame, body.length);
  body.copy(frame, PrefixBytes);
  return frame;
});

/** Bytes of the stamp that opens each server-stream message: seq (fixed32) and sent_ms (double). */
export const StampBytes = 1 + 4 + 1 + 8;

/**
 * A server-stream message is the stamp (fresh per message: a queued write must never see its bytes change)
 * then a body shared by every message of the stream (fields 1 and 2). Writes the prefix and stamp into head.
 */
export function writeStampedHead(head: Buffer, bodyBytes: number, seq: number, sentMs: number): void {
  writePrefix(head, StampBytes + bodyBytes);
  head[PrefixBytes] = Key.seq;
  head.writeUInt32LE(seq >>> 0, PrefixBytes + 1);
  head[PrefixBytes + 5] = Key.sentMs;
  head.writeDoubleLE(sentMs, PrefixBytes + 6);
}

/**
 * An EchoResponse body with message = src[msgStart, msgEnd) (field 1) and payload = payload[from, from + payloadBytes)
 * (field 2), after `lead` spare bytes the caller fills (a prefix). One allocation.
 */
export function echoBody(lead: number, src: Buffer, msgStart: number, msgEnd: number, payload: Buffer, from: number, payloadBytes: number): Buffer {
  const msgLen = msgEnd - msgStart;
  const out = Buffer.allocUnsafe(lead + bytesFieldLength(msgLen) + bytesFieldLength(payloadBytes));
  let at = lead;
  if (msgLen > 0) {
    at = writeBytesHeader(out, at, Key.message, msgLen);
    at += src.copy(out, at, msgStart, msgEnd);
  }
  if (payloadBytes > 0) {
    at = writeBytesHeader(out, at, Key.payload, payloadBytes);
    payload.copy(out, at, from, from + payloadBytes);
  }
  return out;
}

/** The ClientStream summary frame: the joined messages, the payload, count and received_bytes. */
export function summaryFrame(joined: Buffer, payload: Buffer, payloadBytes: number, count: number, receivedBytes: number): Buffer {
  const body = bytesFieldLength(joined.length) + bytesFieldLength(payloadBytes) +
    (count === 0 ? 0 : 1 + varintLength(count)) + (receivedBytes === 0 ? 0 : 1 + varintLength(receivedBytes));
  const out = Buffer.allocUnsafe(PrefixBytes + body);
  writePrefix(out, body);
  let at = PrefixBytes;
  if (joined.length > 0) {
    at = writeBytesHeader(out, at, Key.message, joined.length);
    at += joined.copy(out, at);
  }
  if (payloadBytes > 0) {
    at = writeBytesHeader(out, at, Key.payload, payloadBytes);
    at += payload.copy(out, at, 0, payloadBytes);
  }
  if (count > 0) {
    out[at++] = Key.count;
    at = writeVarint(out, at, count);
  }
  if (receivedBytes > 0) {
    out[at++] = Key.receivedBytes;
    writeVarint(out, at, receivedBytes);
  }
  return out;
}

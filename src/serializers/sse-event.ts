// One Server-Sent Events event as bytes made once per stream and rewritten in place per send (/sse):
//   id: <seq>\n
//   event: <name>\n        (when the stream has a name)
//   data: <stamp>\n
//   \n
// The id digits are written right-aligned in a fixed field and "id: " right before them, so the event sent
// starts at its id line (a cached view per digit count) and no string is built per event.
import { MaxStampSeq, MinStampBytes, stampTemplate, writeStamp } from './stamp.js';

const IdKey = 'id: ';
/** Digits of the largest id (the stamp's sequence field: the id and the stamp's seq are the same number). */
export const IdDigits = String(MaxStampSeq).length;
const IdField = IdKey.length + IdDigits;
const EventKey = 'event: ';
const DataKey = 'data: ';
const Newline = 0x0a;
const Space = 0x20;

/** An event template; stamp() rewrites its id and stamp, the views say what to send. */
export class SseEventFrame {
  /** Every byte of the event, from the id field on (the bytes before an id's start are spaces). */
  readonly bytes: Buffer;
  /** Bytes from this offset on are never rewritten by stamp() (the stamp's pad, its end, the blank line). */
  readonly fixedFrom: number;
  private readonly stampAt: number;
  // Views by start offset (0 .. IdDigits - 1), made on first use: at most IdDigits of each per stream.
  private readonly wholes: (Buffer | undefined)[] = [];
  private readonly heads: (Buffer | undefined)[] = [];
  private fixed: Buffer | null = null;

  /** size: the data's bytes (the stamp's; below MinStampBytes the bare stamp). event: the `event:` value, or null. */
  constructor(size: number, event: string | null) {
    const stamp = stampTemplate(size);
    const name = event === null ? null : Buffer.from(event, 'utf8');
    const eventBytes = name === null ? 0 : EventKey.length + name.length + 1;
    this.stampAt = IdField + 1 + eventBytes + DataKey.length;
    const b = Buffer.alloc(this.stampAt + stamp.length + 2, Space);
    let at = IdField;
    b[at++] = Newline;
    if (name !== null) {
      at += b.write(EventKey, at, 'latin1');
      at += name.copy(b, at);
      b[at++] = Newline;
    }
    at += b.write(DataKey, at, 'latin1');
    at += stamp.copy(b, at);
    b[at++] = Newline;
    b[at] = Newline;
    this.bytes = b;
    // writeStamp rewrites the seq and sent fields only, both within the stamp's first MinStampBytes.
    this.fixedFrom = this.stampAt + Math.min(MinStampBytes, stamp.length);
  }

  /** Write id `seq` (1 .. MaxStampSeq) and the stamp (seq, sentMs epoch ms); returns where the event now starts. */
  stamp(seq: number, sentMs: number): number {
    const b = this.bytes;
    let i = IdField - 1;
    let v = seq;
    do {
      b[i--] = 0x30 + (v % 10);
      v = Math.floor(v / 10);
    } while (v > 0);
    const start = i + 1 - IdKey.length;
    // "id: " byte by byte: a string write per event would convert it each time.
    b[start] = 0x69;
    b[start + 1] = 0x64;
    b[start + 2] = 0x3a;
    b[start + 3] = Space;
    writeStamp(b, this.stampAt, seq, sentMs);
    return start;
  }

  /** The whole event from `start` (what stamp() returned). */
  whole(start: number): Buffer {
    return this.wholes[start] ??= this.bytes.subarray(start);
  }

  /** The rewritten part of the event from `start`: with tail(), the whole event in two writes. */
  head(start: number): Buffer {
    return this.heads[start] ??= this.bytes.subarray(start, this.fixedFrom);
  }

  /** The part of the event stamp() never rewrites. */
  tail(): Buffer {
    return this.fixed ??= this.bytes.subarray(this.fixedFrom);
  }
}

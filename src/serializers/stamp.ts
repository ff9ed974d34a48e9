// The stamp every pushed stream message carries (/ws/stream messages, /sse event data), so a client behind a
// gateway can measure per-message latency, loss and reordering: valid JSON with fixed-width fields,
//   {"seq":         1,"sent":1733427600123.456,"pad":"xxxx…"}
// JSON allows spaces before a value, so both numbers are right-aligned in fixed fields and a message
// is a template made once per size, rewritten in place per send (no string built per message).
// `sent` is the server's wall clock in epoch milliseconds with microseconds (performance.timeOrigin + now()).

const Head = '{"seq":';
const SeqWidth = 10;
const SentKey = ',"sent":';
/** 13 digits of epoch ms, '.', 3 digits: good until the year 2286. */
const SentWidth = 17;
const PadKey = ',"pad":"';
const Tail = '"}';

const SeqAt = Head.length;
const SentAt = SeqAt + SeqWidth + SentKey.length;

/** The smallest stamped message (an empty pad): a requested size below it gets this many bytes. */
export const MinStampBytes = SentAt + SentWidth + PadKey.length + Tail.length;
/** Largest sequence number that fits the field. */
export const MaxStampSeq = 10 ** SeqWidth - 1;

/** A message template of `size` bytes (at least MinStampBytes): stamp it with writeStamp before each send. */
export function stampTemplate(size: number): Buffer {
  const n = Math.max(size, MinStampBytes);
  const b = Buffer.alloc(n, 0x78); // 'x' pads
  b.write(Head, 0, 'latin1');
  b.fill(0x20, SeqAt, SeqAt + SeqWidth);
  b.write(SentKey, SeqAt + SeqWidth, 'latin1');
  b.write(PadKey, SentAt + SentWidth, 'latin1');
  b.write(Tail, n - Tail.length, 'latin1');
  writeStamp(b, 0, 0, 0);
  return b;
}

/** Write seq and sentMs (epoch ms) into a template that starts at `at` in b. */
export function writeStamp(b: Uint8Array, at: number, seq: number, sentMs: number): void {
  // Sequence: digits right-aligned, spaces before.
  let i = at + SeqAt + SeqWidth - 1;
  let v = seq > MaxStampSeq ? MaxStampSeq : seq;
  do {
    b[i--] = 0x30 + (v % 10);
    v = Math.floor(v / 10);
  } while (v > 0);
  while (i >= at + SeqAt) b[i--] = 0x20;
  // Sent: microseconds as an integer (< 2^53), written backwards: three decimals, the point, then the whole
  // milliseconds right-aligned (JSON allows no leading zeros, so spaces fill the field).
  let us = Math.round(sentMs * 1000);
  if (!(us > 0)) us = 0;
  const start = at + SentAt;
  let j = start + SentWidth - 1;
  for (let k = 0; k < 3; k++) {
    b[j--] = 0x30 + (us % 10);
    us = Math.floor(us / 10);
  }
  b[j--] = 0x2e;
  do {
    b[j--] = 0x30 + (us % 10);
    us = Math.floor(us / 10);
  } while (us > 0 && j >= start);
  while (j >= start) b[j--] = 0x20;
}

/** What a stamp says: the sequence number and the server's send time (epoch ms). */
export interface Stamp {
  readonly seq: number;
  readonly sent: number;
}

/** Read a stamped message (any JSON object with numeric seq and sent); null when it is not one. */
export function readStamp(text: string): Stamp | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const { seq, sent } = v as { seq?: unknown; sent?: unknown };
  return typeof seq === 'number' && typeof sent === 'number' ? { seq, sent } : null;
}

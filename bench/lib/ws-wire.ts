// The WebSocket wire, as much of it as the bench clients need: the upgrade request, client frames masked
// once at startup (a closed-loop client resends the same bytes, so nothing is framed or masked per message),
// and an incremental reader of the server's unmasked frames. Written for load, not for conformance: no
// fragmentation (servers here send whole messages), pings are reported, not answered.
import { randomBytes } from 'node:crypto';

/** WebSocket opcodes the readers distinguish. */
export const Opcode = { text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;

/** The GET that asks 127.0.0.1:port to upgrade path to a WebSocket (no extensions offered: no compression). */
export function upgradeRequest(port: number, path: string): Buffer {
  // The key only has to be 16 random bytes in base64; the server's accept value is not checked (load, not conformance).
  const key = randomBytes(16).toString('base64');
  return Buffer.from(
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    'latin1',
  );
}

/** One client frame (FIN set, masked as RFC 6455 requires) carrying payload; made once, sent many times. */
export function maskedFrame(payload: Buffer, opcode: number = Opcode.binary): Buffer {
  const n = payload.length;
  const lengthBytes = n < 126 ? 0 : n < 65_536 ? 2 : 8;
  const head = 2 + lengthBytes;
  const frame = Buffer.alloc(head + 4 + n);
  frame[0] = 0x80 | opcode;
  if (lengthBytes === 0) frame[1] = 0x80 | n;
  else if (lengthBytes === 2) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(n, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(n), 2);
  }
  const mask = randomBytes(4);
  mask.copy(frame, head);
  for (let i = 0; i < n; i++) frame[head + 4 + i] = payload[i] ^ mask[i & 3];
  return frame;
}

/**
 * Where the HTTP head of the server's answer to the upgrade ends in buffered bytes: the offset after the
 * blank line, -1 while incomplete. Throws when the status is not 101 (the head is in the message).
 */
export function upgradeHeadEnd(buffered: Buffer): number {
  const end = buffered.indexOf('\r\n\r\n', 0, 'latin1');
  if (end < 0) {
    if (buffered.length > 16_384) throw new Error('no end of the HTTP head in the first 16 KB of the upgrade answer');
    return -1;
  }
  const head = buffered.toString('latin1', 0, end);
  if (!head.startsWith('HTTP/1.1 101')) throw new Error(`upgrade refused: ${head.split('\r\n', 1)[0]}`);
  return end + 4;
}

/** Told of each complete server frame; payload is null when the reader keeps no payloads. */
export type FrameHandler = (opcode: number, length: number, payload: Buffer | null) => void;

/**
 * Incremental reader of unmasked server frames. Headers split over reads are reassembled; payloads are
 * gathered only when keepPayload (the stream client reads stamps, the echo client only counts).
 */
export class FrameReader {
  private readonly head = Buffer.alloc(14);
  private have = 0;
  private remaining = 0;
  private opcode = 0;
  private length = 0;
  private parts: Buffer[] = [];

  constructor(private readonly keepPayload: boolean, private readonly onFrame: FrameHandler) {}

  /** Consumes one read's bytes, from offset `from`. */
  feed(chunk: Buffer, from = 0): void {
    let i = from;
    const n = chunk.length;
    while (i < n) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, n - i);
        if (this.keepPayload) this.parts.push(chunk.subarray(i, i + take));
        i += take;
        this.remaining -= take;
        if (this.remaining === 0) this.finish();
        continue;
      }
      // Fast path: a whole short header inside this read (the usual case).
      if (this.have === 0 && n - i >= 2) {
        const b1 = chunk[i + 1] & 0x7f;
        if (b1 < 126) {
          this.begin(chunk[i] & 0x0f, b1);
          i += 2;
          continue;
        }
        if (b1 === 126 && n - i >= 4) {
          this.begin(chunk[i] & 0x0f, chunk.readUInt16BE(i + 2));
          i += 4;
          continue;
        }
      }
      // Slow path: gather the header byte by byte until its length is known and complete.
      this.head[this.have++] = chunk[i++];
      if (this.have < 2) continue;
      const b1 = this.head[1] & 0x7f;
      const need = b1 < 126 ? 2 : b1 === 126 ? 4 : 10;
      if (this.have < need) continue;
      const length = b1 < 126 ? b1 : b1 === 126 ? this.head.readUInt16BE(2) : Number(this.head.readBigUInt64BE(2));
      this.have = 0;
      this.begin(this.head[0] & 0x0f, length);
    }
  }

  private begin(opcode: number, length: number): void {
    this.opcode = opcode;
    this.length = length;
    this.remaining = length;
    if (length === 0) this.finish();
  }

  private finish(): void {
    let payload: Buffer | null = null;
    if (this.keepPayload) {
      payload = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts);
      this.parts = [];
    }
    this.onFrame(this.opcode, this.length, payload);
  }
}

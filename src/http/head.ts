// Heads and bodies made into bytes at startup, for the writer (writer.ts) to hand uWS. Bytes,
// because uWS copies and UTF-8-converts every JS string on each call but takes bytes by pointer. The
// hot ones are whole ArrayBuffers rather than Buffers: for a view uWS must first resolve its buffer and
// take a reference to its backing store (perf: GetBackingStore + JSTypedArray::GetBuffer ~6.5 % of a
// pipelined /json/valid profile); the bare uWS server in bench/ went from ~650k to ~770k req/s with it.
import { STATUS_CODES } from 'node:http';
import type { HttpResponse } from './uws.js';

/** A precomputed status line and header set (names and values alternate), plus an optional fixed body. */
export interface Head {
  readonly code: number;
  /** null for 200: uWS writes "200 OK" itself, one call fewer. */
  readonly status: Buffer | null;
  /** Content-Type first (when typed), then the extra headers: names and values alternate. */
  readonly headers: readonly ArrayBuffer[];
  readonly typed: boolean;
  /**
   * The status line and every header line in one buffer ("200 OK\r\nContent-Type: ..."), written with one
   * writeStatus call: uWS writes it between "HTTP/1.1 " and "\r\n" as given, and each call into uWS costs
   * (a header is ~1 % of pipelined /json/valid). null for a bare 200: uWS writes "200 OK" itself.
   */
  readonly line: ArrayBuffer | null;
}

/** A complete precomputed response. */
export interface Prepared extends Head {
  readonly body: ArrayBuffer;
}

/** A copy of `data` in an ArrayBuffer of its own (see the top of this file). */
export function ownBytes(data: string | Uint8Array): ArrayBuffer {
  const src = typeof data === 'string' ? Buffer.from(data) : data;
  const out = new ArrayBuffer(src.byteLength);
  new Uint8Array(out).set(src);
  return out;
}

/** Build a Head at startup; header values are written exactly as given. */
export function makeHead(code: number, contentType: string | null, extra: readonly (readonly [string, string])[] = []): Head {
  const headers: ArrayBuffer[] = [];
  if (contentType !== null) headers.push(ownBytes('Content-Type'), ownBytes(contentType));
  for (const [name, value] of extra) headers.push(ownBytes(name), ownBytes(value));
  const lines = [statusText(code)];
  if (contentType !== null) lines.push(`Content-Type: ${contentType}`);
  for (const [name, value] of extra) lines.push(`${name}: ${value}`);
  const line = code === 200 && lines.length === 1 ? null : ownBytes(lines.join('\r\n'));
  // Not frozen: V8 does not inline element loads from a frozen array (a KeyedLoadIC call per header).
  return { code, status: code === 200 ? null : statusLine(code), headers, typed: contentType !== null, line };
}

/** Build a Prepared response at startup. */
export function prepare(code: number, contentType: string | null, body: string | Buffer, extra: readonly (readonly [string, string])[] = []): Prepared {
  return { ...makeHead(code, contentType, extra), body: ownBytes(body) };
}

/** "503 Service Unavailable" as a Buffer; unknown codes get a generic reason. */
export function statusLine(code: number): Buffer {
  return Buffer.from(statusText(code));
}

// Codes outside node's table that gateways and their tests meet: nginx's 499, and 529, which Anthropic's API
// answers when overloaded (Cloudflare's reason phrase).
const ExtraReasons: Readonly<Record<number, string>> = { 499: 'Client Closed Request', 529: 'Site is overloaded' };

function statusText(code: number): string {
  return `${code} ${STATUS_CODES[code] ?? ExtraReasons[code] ?? 'Status'}`;
}

/**
 * Bodies up to this size are ended with one end(); larger ones go to the large writer (tryEnd with
 * onWritable backpressure). end() is a write uWS must take: when the client does not read, it queues the
 * whole response, and pipelined requests keep coming, so a non-reading client could grow memory without
 * bound (176 KB of pipelined GET /size/16KB queued 80 MB). tryEnd writes nothing while the socket holds
 * unsent bytes, the response stays pending and uWS reads no further request from that connection: one
 * connection then holds at most a head and the kernel's buffer. A small body is bounded by the request
 * that asked for it (a ~30-byte GET /json gets ~150 bytes). 8 KB, not less: at 1 KB a pipelining client that
 * reads (/size/4KB ×64 per write) went through tryEnd's stalls often enough to halve the worker's throughput
 * (the saturation test's load no longer saturated it); at 8 KB it saturates as before.
 */
export const QueuedBodyBytes = 8 * 1024;

/** Writes a body over QueuedBodyBytes with backpressure after its head (the filler's streamBody). */
export type LargeWriter = (res: HttpResponse, body: Uint8Array | ArrayBuffer, length: number) => void;

/** Whether responses with this status carry no body and no Content-Length (RFC 9110: 204 and 304). */
export function bodiless(code: number): boolean {
  return code === 204 || code === 304;
}


// The PROXY protocol (HAProxy's spec, versions 1 and 2): the header a load balancer sends before the first
// byte of the client's connection, naming the client's address. A grammar over the first bytes of a
// connection: parseProxyHeader says "need more bytes", "malformed" (the connection is closed and counted)
// or the header and how many bytes it took; the bytes after it are the client's (HTTP or TLS).
// Why here: uWS 20.30 parses version 2 only and lets a connection without a header through (measured,
// docs/gateway-checks.md), so --proxy-protocol serves on the portable engine, which reads the header itself.
import { isIPv4, isIPv6 } from 'node:net';

/** Version 2's 12-byte signature. */
export const V2Signature = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
/** Longest version 1 header, CRLF included (the spec's 107). */
export const MaxV1Bytes = 107;
/** Longest version 2 header accepted: the 16-byte preamble and at most this many address + TLV bytes. */
export const MaxV2Payload = 4096;

/** What a PROXY header says about the connection. */
export interface ProxyHeader {
  readonly version: 1 | 2;
  /** 'local': the balancer's own connection (health check): the peer address stands. */
  readonly command: 'proxy' | 'local';
  /** tcp4/tcp6 (v1 and v2), udp4/udp6, unix, unix-dgram (v2), unknown (v1 UNKNOWN, v2 UNSPEC). */
  readonly family: 'tcp4' | 'tcp6' | 'udp4' | 'udp6' | 'unix' | 'unix-dgram' | 'unknown';
  /** The client's address (a path for unix), null when the header names none (LOCAL, UNKNOWN). */
  readonly source: string | null;
  readonly sourcePort: number;
  readonly destination: string | null;
  readonly destinationPort: number;
}

/** parseProxyHeader's answer. */
export type ProxyParse =
  | { readonly state: 'more' }
  | { readonly state: 'bad'; readonly reason: string }
  | { readonly state: 'done'; readonly header: ProxyHeader; readonly length: number };

const More: ProxyParse = { state: 'more' };
const V1Prefix = Buffer.from('PROXY ', 'latin1');

function bad(reason: string): ProxyParse {
  return { state: 'bad', reason };
}

/**
 * Parse the PROXY header at the start of `buf` (the bytes received so far). 'more' while a prefix of a
 * valid header could still become one; 'bad' as soon as it cannot; 'done' with the header's length.
 */
export function parseProxyHeader(buf: Buffer): ProxyParse {
  if (buf.length === 0) return More;
  if (buf[0] === 0x0d) return parseV2(buf);
  if (buf[0] === 0x50) return parseV1(buf);
  return bad('no PROXY protocol header (the connection must start with "PROXY " or the version 2 signature)');
}

// Version 1: "PROXY TCP4|TCP6|UNKNOWN src dst sport dport\r\n" (UNKNOWN may carry anything up to the CRLF).
function parseV1(buf: Buffer): ProxyParse {
  const n = Math.min(buf.length, V1Prefix.length);
  if (buf.compare(V1Prefix, 0, n, 0, n) !== 0) return bad('no PROXY protocol header (bad version 1 prefix)');
  const lf = buf.indexOf(0x0a);
  if (lf < 0) return buf.length >= MaxV1Bytes ? bad(`version 1 header longer than ${MaxV1Bytes} bytes`) : More;
  if (lf + 1 > MaxV1Bytes) return bad(`version 1 header longer than ${MaxV1Bytes} bytes`);
  if (buf[lf - 1] !== 0x0d) return bad('version 1 header not ended by CRLF');
  const line = buf.toString('latin1', V1Prefix.length, lf - 1);
  const parts = line.split(' ');
  const length = lf + 1;
  if (parts[0] === 'UNKNOWN') {
    return { state: 'done', length, header: { version: 1, command: 'proxy', family: 'unknown', source: null, sourcePort: 0, destination: null, destinationPort: 0 } };
  }
  if (parts[0] !== 'TCP4' && parts[0] !== 'TCP6') return bad(`version 1 protocol ${JSON.stringify(parts[0].slice(0, 16))}: use TCP4, TCP6 or UNKNOWN`);
  if (parts.length !== 5) return bad('version 1 header needs source, destination, source port and destination port');
  const v4 = parts[0] === 'TCP4';
  const [, src, dst, sp, dp] = parts;
  if (!(v4 ? isIPv4(src) && isIPv4(dst) : isIPv6(src) && isIPv6(dst))) return bad(`version 1 ${parts[0]} addresses are not ${v4 ? 'IPv4' : 'IPv6'}`);
  const sourcePort = port(sp);
  const destinationPort = port(dp);
  if (sourcePort < 0 || destinationPort < 0) return bad('version 1 ports must be 0 to 65535 without leading zeros');
  return { state: 'done', length, header: { version: 1, command: 'proxy', family: v4 ? 'tcp4' : 'tcp6', source: src, sourcePort, destination: dst, destinationPort } };
}

function port(text: string): number {
  if (!/^(0|[1-9][0-9]{0,4})$/.test(text)) return -1;
  const n = Number(text);
  return n <= 65535 ? n : -1;
}

// Version 2: signature, version/command, family/protocol, 2-byte length, addresses, then TLVs (skipped).
function parseV2(buf: Buffer): ProxyParse {
  const n = Math.min(buf.length, V2Signature.length);
  if (buf.compare(V2Signature, 0, n, 0, n) !== 0) return bad('no PROXY protocol header (bad version 2 signature)');
  if (buf.length < 16) return More;
  const verCmd = buf[12];
  if (verCmd >> 4 !== 2) return bad(`version 2 header with version ${verCmd >> 4}`);
  const cmd = verCmd & 0x0f;
  if (cmd > 1) return bad(`version 2 command ${cmd}: only LOCAL (0) and PROXY (1) exist`);
  const len = buf.readUInt16BE(14);
  if (len > MaxV2Payload) return bad(`version 2 header of ${len} bytes: at most ${MaxV2Payload} accepted`);
  if (buf.length < 16 + len) return More;
  const length = 16 + len;
  const fam = buf[13];
  const local = cmd === 0;
  // LOCAL: the balancer speaks for itself; whatever addresses follow are ignored (the spec says so).
  if (local) return { state: 'done', length, header: { version: 2, command: 'local', family: familyName(fam) ?? 'unknown', source: null, sourcePort: 0, destination: null, destinationPort: 0 } };
  const family = familyName(fam);
  if (family === null) return bad(`version 2 address family/protocol 0x${fam.toString(16).padStart(2, '0')} is not defined`);
  const a = buf.subarray(16, length);
  switch (family) {
    case 'unknown':
      return { state: 'done', length, header: { version: 2, command: 'proxy', family, source: null, sourcePort: 0, destination: null, destinationPort: 0 } };
    case 'tcp4': case 'udp4':
      if (a.length < 12) return bad('version 2 IPv4 addresses need 12 bytes');
      return { state: 'done', length, header: { version: 2, command: 'proxy', family, source: ipv4(a, 0), destination: ipv4(a, 4), sourcePort: a.readUInt16BE(8), destinationPort: a.readUInt16BE(10) } };
    case 'tcp6': case 'udp6':
      if (a.length < 36) return bad('version 2 IPv6 addresses need 36 bytes');
      return { state: 'done', length, header: { version: 2, command: 'proxy', family, source: ipv6(a, 0), destination: ipv6(a, 16), sourcePort: a.readUInt16BE(32), destinationPort: a.readUInt16BE(34) } };
    case 'unix': case 'unix-dgram':
      if (a.length < 216) return bad('version 2 unix addresses need 216 bytes');
      return { state: 'done', length, header: { version: 2, command: 'proxy', family, source: cString(a, 0), destination: cString(a, 108), sourcePort: 0, destinationPort: 0 } };
  }
}

function familyName(fam: number): ProxyHeader['family'] | null {
  switch (fam) {
    case 0x00: return 'unknown';
    case 0x11: return 'tcp4';
    case 0x12: return 'udp4';
    case 0x21: return 'tcp6';
    case 0x22: return 'udp6';
    case 0x31: return 'unix';
    case 0x32: return 'unix-dgram';
    default: return null;
  }
}

function ipv4(b: Buffer, at: number): string {
  return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
}

// Compressed the way node prints addresses (the longest run of zero groups as ::), so it reads like remoteAddress.
function ipv6(b: Buffer, at: number): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(b.readUInt16BE(at + 2 * i));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

function cString(b: Buffer, at: number): string {
  const end = b.indexOf(0, at);
  return b.toString('utf8', at, end < 0 || end > at + 108 ? at + 108 : end);
}

/** The address to report for a parsed header: the source of a PROXY header, '' for LOCAL/UNKNOWN (the peer stands). */
export function proxiedAddress(h: ProxyHeader): string {
  return h.command === 'proxy' && h.source !== null ? h.source : '';
}

// The request journal (--journal N): the last N requests of this worker, for integration tests that
// assert on what the gateway forwarded. This is the store (a ring per worker, filters, merging); what
// records into it from a request and its response is http/recorder.ts.
import { isUtf8 } from 'node:buffer';
import { wholeNumber } from '../grammar/integer.js';
import type { Failure } from '../grammar/expect.js';

/** Which journal entries GET /__mock/requests returns (every field optional). */
export interface JournalFilter {
  /** Only this method (case-insensitive). */
  readonly method?: string;
  /** Only URLs whose path starts with this. */
  readonly path?: string;
  /** Only entries answered with this status: a code ('503') or a class ('5xx'). */
  readonly status?: string;
  /** Only the last N (after the other filters). */
  readonly limit?: number;
}

/** A client certificate (mutual TLS, --tls-ca) as /echo, /anything and the journal show it. */
export interface PeerCertificate {
  /** Distinguished names as text, e.g. "CN=gateway,O=acme". */
  subject: string;
  issuer: string;
  /** subjectAltName entries, e.g. ["DNS:gateway.test", "IP Address:10.0.0.1"]. */
  san: string[];
  /** SHA-256 fingerprint, colon-separated hex. */
  fingerprint256: string;
  serialNumber: string;
  validTo: string;
  /** Whether it verified against --tls-ca. */
  authorized: boolean;
}

/** One recorded request, as GET /__mock/requests returns it. */
export interface JournalEntry {
  /** Epoch milliseconds (fractional) when the request arrived. */
  time: number;
  worker: number;
  /** Arrival order within the worker (breaks ties in time). */
  seq: number;
  method: string;
  /** Path and query string as received. */
  url: string;
  /** Lower-case names; repeated headers joined with ", "; redacted ones read "[redacted]". */
  headers: Record<string, string>;
  /** The body, cut at the journal's body limit: text as is, or base64 when it is not UTF-8 (see bodyEncoding). */
  body: string;
  bodyEncoding: 'utf8' | 'base64';
  /** The body's full length as received (so far, while it is still arriving). */
  bodyBytes: number;
  truncated: boolean;
  /** The fault served instead of a plain answer (the `fault` control, e.g. "reset"); absent when none. */
  fault?: string;
  /** The status answered; null while the response is pending, or when the client left before it. */
  status: number | null;
  /** Request assertions that failed (features/assertions.ts); absent when none failed or none were asked. */
  assertions?: readonly Failure[];
  /** The client address a PROXY protocol header named (--proxy-protocol); absent without one. */
  proxiedAddress?: string;
  /** The client certificate (--tls-ca); absent when none was presented or the engine cannot read it. */
  clientCert?: PeerCertificate;
}

/** What a redacted header's value reads. */
export const Redacted = '[redacted]';

// Text stays readable; anything else (protobuf, images, gzip) goes base64 so no byte is lost. A cut may
// split a UTF-8 sequence: up to 3 trailing bytes are dropped before deciding.
export function storeBody(entry: JournalEntry, kept: Buffer, truncated: boolean): void {
  let text = kept;
  if (truncated) for (let drop = 1; drop <= 3 && !isUtf8(text) && kept.length > drop; drop++) text = kept.subarray(0, kept.length - drop);
  if (isUtf8(text)) {
    entry.body = text.toString('utf8');
    entry.bodyEncoding = 'utf8';
  } else {
    entry.body = kept.toString('base64');
    entry.bodyEncoding = 'base64';
  }
}

/** A ring of the last `capacity` requests of one worker. */
export class Journal {
  private readonly ring: (JournalEntry | undefined)[];
  private next = 0;
  private seq = 0;
  private readonly redact: ReadonlySet<string>;

  constructor(readonly capacity: number, readonly bodyLimit: number, redact: readonly string[], readonly worker: number) {
    this.ring = new Array<JournalEntry | undefined>(capacity);
    this.redact = new Set(redact.map((h) => h.toLowerCase()));
  }

  /** Keep `entry` (the oldest goes when the ring is full); returns it. */
  add(entry: JournalEntry): JournalEntry {
    this.ring[this.next] = entry;
    this.next = (this.next + 1) % this.capacity;
    return entry;
  }

  /** The next arrival number of this worker. */
  nextSeq(): number {
    return this.seq++;
  }

  /** Whether a header's value is recorded as Redacted (lower-case name). */
  redacts(name: string): boolean {
    return this.redact.has(name);
  }

  /** The recorded requests, oldest first. */
  entries(): JournalEntry[] {
    const out: JournalEntry[] = [];
    for (let i = 0; i < this.capacity; i++) {
      const e = this.ring[(this.next + i) % this.capacity];
      if (e !== undefined) out.push(e);
    }
    return out;
  }

  clear(): void {
    this.ring.fill(undefined);
    this.next = 0;
  }
}

/** The journal's status filter: '503' matches that code, '5xx' the class; null when the text is neither. */
export function statusFilter(text: string): ((code: number) => boolean) | null {
  if (/^[1-5]xx$/i.test(text)) {
    const cls = Number(text[0]);
    return (code) => Math.floor(code / 100) === cls;
  }
  const exact = text.length === 3 ? wholeNumber(text) : -1;
  if (exact < 100 || exact > 599) return null;
  return (code) => code === exact;
}

/** Merge every worker's entries into arrival order. */
export function mergeJournals(lists: readonly (readonly JournalEntry[])[]): JournalEntry[] {
  return lists.flat().sort((a, b) => a.time - b.time || a.worker - b.worker || a.seq - b.seq);
}

/** Apply a journal filter to entries in arrival order: method, path prefix, status, then the last `limit`. */
export function selectEntries(entries: readonly JournalEntry[], filter: JournalFilter): JournalEntry[] {
  const method = filter.method?.toUpperCase();
  const path = filter.path;
  // The endpoint validated the text; an invalid one from the fixture API matches nothing.
  const status = filter.status === undefined ? null : statusFilter(filter.status) ?? ((): boolean => false);
  const kept = entries.filter((e) => (method === undefined || e.method === method) && (path === undefined || e.url.startsWith(path)) &&
    (status === null || (e.status !== null && status(e.status))));
  return filter.limit === undefined ? kept : kept.slice(Math.max(0, kept.length - filter.limit));
}

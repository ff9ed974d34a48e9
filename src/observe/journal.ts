// The request journal (--journal N): the last N requests of this worker, for integration tests that
// assert on what the gateway forwarded. Off by default; when off no wrapper exists, so it costs nothing.
import { isUtf8 } from 'node:buffer';
import { performance } from 'node:perf_hooks';
import type { HttpRequest, HttpResponse } from '../runtime/uws.js';
import { peekLastCode, resetLastCode } from '../http/respond.js';
import { contained } from '../http/contain.js';
import type { JournalFilter } from '../runtime/messages.js';

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
  /** The status answered; null while the response is pending, or when the client left before it. */
  status: number | null;
}

/** What a redacted header's value reads. */
export const Redacted = '[redacted]';

/** The journal entry of a request being handled, with the body limit that applies to it. */
export interface RunningEntry {
  readonly entry: JournalEntry;
  readonly bodyLimit: number;
}

// The entry of the request whose handler is running: collectBody (http/body.ts) takes it, because the
// route's own onData replaces the journal's and must hand the body over instead.
let running: RunningEntry | null = null;

// The entry whose response may be written now: set around a handler, a body collector's callback and a
// deferred send, so the status that respond.ts wrote can be recorded, and a response deferred from there
// (the scheduler) keeps its entry.
let answering: JournalEntry | null = null;

/** The journal entry whose response is being written (null when the journal is off or outside a request). */
export function answeringEntry(): JournalEntry | null {
  return answering;
}

/** Bring `entry` in scope before writing its response (pair with endAnswer). */
export function beginAnswer(entry: JournalEntry): void {
  answering = entry;
  resetLastCode();
}

/** Record the status written since beginAnswer (the first one wins: a drip writes its status once). */
export function endAnswer(entry: JournalEntry): void {
  const code = peekLastCode();
  if (code !== 0 && entry.status === null) entry.status = code;
  answering = null;
}

/** For body collectors: the journal entry of the request being handled (null when the journal is off). */
export function takeRunningEntry(): RunningEntry | null {
  const taken = running;
  running = null;
  return taken;
}

/** Store a body (or its first bodyLimit bytes) that a collector received in full. */
export function setBody(r: RunningEntry, body: Buffer): void {
  r.entry.bodyBytes = body.length;
  r.entry.truncated = body.length > r.bodyLimit;
  storeBody(r.entry, body.subarray(0, r.bodyLimit), r.entry.truncated);
}

// Text stays readable; anything else (protobuf, images, gzip) goes base64 so no byte is lost. A cut may
// split a UTF-8 sequence: up to 3 trailing bytes are dropped before deciding.
function storeBody(entry: JournalEntry, kept: Buffer, truncated: boolean): void {
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

  /** Record a request (reads req synchronously) and, when it carries a body, collect it as it arrives. */
  record(res: HttpResponse, req: HttpRequest): JournalEntry {
    // Keyed by client text: a null prototype, so a header named 'constructor' or '__proto__' is a plain key.
    const headers = Object.create(null) as Record<string, string>;
    let hasBody = false;
    req.forEach((name, value) => {
      if (name === 'content-length') hasBody ||= value !== '0';
      else if (name === 'transfer-encoding') hasBody = true;
      const v = this.redact.has(name) ? Redacted : value;
      headers[name] = headers[name] === undefined ? v : `${headers[name]}, ${v}`;
    });
    const query = req.getQuery();
    const entry: JournalEntry = {
      time: performance.timeOrigin + performance.now(),
      worker: this.worker,
      seq: this.seq++,
      method: req.getCaseSensitiveMethod().toUpperCase(),
      url: query ? `${req.getUrl()}?${query}` : req.getUrl(),
      headers,
      body: '',
      bodyEncoding: 'utf8',
      bodyBytes: 0,
      truncated: false,
      status: null,
    };
    this.ring[this.next] = entry;
    this.next = (this.next + 1) % this.capacity;
    if (hasBody) this.tap(res, entry);
    return entry;
  }

  /** Run the route's handler with `entry` visible to body collectors. */
  around(entry: JournalEntry, res: HttpResponse, req: HttpRequest, handler: (res: HttpResponse, req: HttpRequest) => void): void {
    running = { entry, bodyLimit: this.bodyLimit };
    beginAnswer(entry);
    try {
      handler(res, req);
    } finally {
      running = null;
      endAnswer(entry);
    }
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

  // uWS delivers the body even after a synchronous response, so this works for every route; a route that
  // collects the body itself replaces this handler and calls setBody instead (see takeRunningEntry and setBody).
  private tap(res: HttpResponse, entry: JournalEntry): void {
    const chunks: Buffer[] = [];
    let kept = 0;
    res.onData((chunk: ArrayBuffer, isLast: boolean) => contained(null, 'journal body', () => {
      entry.bodyBytes += chunk.byteLength;
      if (kept < this.bodyLimit && chunk.byteLength > 0) {
        // uWS reuses the chunk's memory after this callback: copy what we keep.
        const part = Buffer.from(chunk, 0, Math.min(chunk.byteLength, this.bodyLimit - kept));
        chunks.push(Buffer.from(part));
        kept += part.length;
      }
      if (isLast) {
        entry.truncated = entry.bodyBytes > this.bodyLimit;
        storeBody(entry, Buffer.concat(chunks, kept), entry.truncated);
      }
    }));
  }
}

/** The journal's status filter: '503' matches that code, '5xx' the class; null when the text is neither. */
export function statusFilter(text: string): ((code: number) => boolean) | null {
  if (/^[1-5]xx$/i.test(text)) {
    const cls = Number(text[0]);
    return (code) => Math.floor(code / 100) === cls;
  }
  if (!/^[1-5]\d\d$/.test(text)) return null;
  const exact = Number(text);
  return (code) => code === exact;
}

/** Run `write` (a response being written for `entry`) and record the status it wrote; just `write` when the journal is off. */
export function answer(entry: JournalEntry | null, write: () => void): void {
  if (entry === null) {
    write();
    return;
  }
  beginAnswer(entry);
  try {
    write();
  } finally {
    endAnswer(entry);
  }
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

// Records requests and their answers into the journal (observe/journal.ts): the entry of a request whose
// handler runs, the body as it arrives, and the status the writer wrote. Off by default; when off no wrapper
// exists (app.ts chooses once at startup), so it costs nothing.
import { performance } from 'node:perf_hooks';
import type { HttpRequest, HttpResponse } from './uws.js';
import type { Writer } from './writer.js';
import { contained } from './contain.js';
import { clientCertificateOf, proxiedAddressOf } from './peer.js';
import { Redacted, storeBody, type Journal, type JournalEntry } from '../observe/journal.js';

/** The journal entry of a request being handled, with the body limit that applies to it. */
export interface RunningEntry {
  readonly entry: JournalEntry;
  readonly bodyLimit: number;
}

/**
 * A worker's journal recorder. It hooks into the worker's writer (writer.recorder), whose lastCode it reads
 * around each answer: the writer knows nothing of the journal.
 */
export class Recorder {
  // The entry of the request whose handler is running: collectBody (http/body.ts) takes it, because the
  // route's own onData replaces the journal's and must hand the body over instead.
  private running: RunningEntry | null = null;
  // The entry whose response may be written now: set around a handler, a body collector's callback and a
  // deferred send, so the status the writer wrote can be recorded, and a response deferred from there
  // (the scheduler) keeps its entry.
  private answering: JournalEntry | null = null;

  constructor(readonly journal: Journal, private readonly writer: Writer) {}

  /** The journal entry whose response is being written (null outside a request). */
  answeringEntry(): JournalEntry | null {
    return this.answering;
  }

  /** Bring `entry` in scope before writing its response (pair with endAnswer). */
  beginAnswer(entry: JournalEntry): void {
    this.answering = entry;
    this.writer.lastCode = 0;
  }

  /** Record the status written since beginAnswer (the first one wins: a drip writes its status once). */
  endAnswer(entry: JournalEntry): void {
    const code = this.writer.lastCode;
    if (code !== 0 && entry.status === null) entry.status = code;
    this.answering = null;
  }

  /** For body collectors: the journal entry of the request being handled. */
  takeRunningEntry(): RunningEntry | null {
    const taken = this.running;
    this.running = null;
    return taken;
  }

  /** Record a request (reads req synchronously) and run the route's handler with its entry visible to body collectors. */
  handle(res: HttpResponse, req: HttpRequest, handler: (res: HttpResponse, req: HttpRequest) => void): void {
    const journal = this.journal;
    const entry = record(journal, this.writer, res, req);
    this.running = { entry, bodyLimit: journal.bodyLimit };
    this.beginAnswer(entry);
    try {
      handler(res, req);
    } finally {
      this.running = null;
      this.endAnswer(entry);
    }
  }

  /** Run `write` (a response being written for `entry`) and record the status it wrote; just `write` when entry is null. */
  answer(entry: JournalEntry | null, write: () => void): void {
    if (entry === null) {
      write();
      return;
    }
    this.beginAnswer(entry);
    try {
      write();
    } finally {
      this.endAnswer(entry);
    }
  }
}

/** Store a body (or its first bodyLimit bytes) that a collector received in full. */
export function setBody(r: RunningEntry, body: Buffer): void {
  r.entry.bodyBytes = body.length;
  r.entry.truncated = body.length > r.bodyLimit;
  storeBody(r.entry, body.subarray(0, r.bodyLimit), r.entry.truncated);
}

// Record a request into `journal` (reads req synchronously) and, when it carries a body, collect it as it arrives.
function record(journal: Journal, writer: Writer, res: HttpResponse, req: HttpRequest): JournalEntry {
  // Keyed by client text: a null prototype, so a header named 'constructor' or '__proto__' is a plain key.
  const headers = Object.create(null) as Record<string, string>;
  let hasBody = false;
  req.forEach((name, value) => {
    if (name === 'content-length') hasBody ||= value !== '0';
    else if (name === 'transfer-encoding') hasBody = true;
    const v = journal.redacts(name) ? Redacted : value;
    headers[name] = headers[name] === undefined ? v : `${headers[name]}, ${v}`;
  });
  const query = req.getQuery();
  const entry = journal.add({
    time: performance.timeOrigin + performance.now(),
    worker: journal.worker,
    seq: journal.nextSeq(),
    method: req.getCaseSensitiveMethod().toUpperCase(),
    url: query ? `${req.getUrl()}?${query}` : req.getUrl(),
    headers,
    body: '',
    bodyEncoding: 'utf8',
    bodyBytes: 0,
    truncated: false,
    status: null,
  });
  // What the connection says beyond the peer address (PROXY header, client certificate): only when present.
  const proxied = proxiedAddressOf(res);
  if (proxied !== '') entry.proxiedAddress = proxied;
  const cert = clientCertificateOf(res);
  if (cert !== null) entry.clientCert = cert;
  if (hasBody) tap(writer, res, entry, journal.bodyLimit);
  return entry;
}

// uWS delivers the body even after a synchronous response, so this works for every route; a route that
// collects the body itself replaces this handler and calls setBody instead (see takeRunningEntry and setBody).
function tap(writer: Writer, res: HttpResponse, entry: JournalEntry, bodyLimit: number): void {
  const chunks: Buffer[] = [];
  let kept = 0;
  res.onData((chunk: ArrayBuffer, isLast: boolean) => contained(writer, null, 'journal body', () => {
    entry.bodyBytes += chunk.byteLength;
    if (kept < bodyLimit && chunk.byteLength > 0) {
      // uWS reuses the chunk's memory after this callback: copy what we keep.
      const part = Buffer.from(chunk, 0, Math.min(chunk.byteLength, bodyLimit - kept));
      chunks.push(Buffer.from(part));
      kept += part.length;
    }
    if (isLast) {
      entry.truncated = entry.bodyBytes > bodyLimit;
      storeBody(entry, Buffer.concat(chunks, kept), entry.truncated);
    }
  }));
}

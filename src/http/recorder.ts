// Records requests and their answers into the journal (observe/journal.ts): the entry of a request whose
// handler runs, the body as it arrives, and the status the writer wrote. Off by default; when off no wrapper
// exists (app.ts chooses once at startup), so it costs nothing.
import { performance } from 'node:perf_hooks';
import type { HttpRequest, HttpResponse } from './uws.js';
import { peekLastCode, resetLastCode } from './respond.js';
import { contained } from './contain.js';
import { Redacted, storeBody, type Journal, type JournalEntry } from '../observe/journal.js';

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

/** Record a request into `journal` (reads req synchronously) and, when it carries a body, collect it as it arrives. */
export function record(journal: Journal, res: HttpResponse, req: HttpRequest): JournalEntry {
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
  if (hasBody) tap(res, entry, journal.bodyLimit);
  return entry;
}

/** Run the route's handler with `entry` visible to body collectors. */
export function around(journal: Journal, entry: JournalEntry, res: HttpResponse, req: HttpRequest, handler: (res: HttpResponse, req: HttpRequest) => void): void {
  running = { entry, bodyLimit: journal.bodyLimit };
  beginAnswer(entry);
  try {
    handler(res, req);
  } finally {
    running = null;
    endAnswer(entry);
  }
}

// uWS delivers the body even after a synchronous response, so this works for every route; a route that
// collects the body itself replaces this handler and calls setBody instead (see takeRunningEntry and setBody).
function tap(res: HttpResponse, entry: JournalEntry, bodyLimit: number): void {
  const chunks: Buffer[] = [];
  let kept = 0;
  res.onData((chunk: ArrayBuffer, isLast: boolean) => contained(null, 'journal body', () => {
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

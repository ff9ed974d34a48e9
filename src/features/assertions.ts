// Request assertions: a request (or its configured route) says what the gateway should have sent
// (expect-header, expect-no-header, expect-method, expect-path, expect-host, expect-body-json; grammar in
// grammar/expect.ts) and a failed check is answered 412 (or expect-status) with a JSON diff, one entry per
// failed check, instead of the route's answer; the journal entry carries the same list (`assertions`).
// Only requests with expectations get here (controls.ts hands them over): the plain path never does.
import { checkLabel, compileExpectations, isExpectName, resolvePointer, type Check, type ExpectText, type Expectations, type Failure } from '../grammar/expect.js';
import { MaxJsonDepth } from '../config/defaults.js';
import { DepthError, parseBoundedJson } from '../http/depth.js';
import { makeHead, type Head } from '../http/head.js';
import type { HttpRequest, HttpResponse } from '../http/uws.js';
import type { RouteContext } from './context.js';

export type { Expectations };

/** The 412 body: why, and one {check, expected, received} per failed check. */
export interface AssertionReply {
  readonly error: string;
  readonly failed: readonly Failure[];
}

/**
 * The expect-* controls of a request, X-Mock's before the query's per control name (as for the other
 * controls); null when there are none. Throws GrammarError on a bad value.
 */
export function readExpectations(query: URLSearchParams, header: URLSearchParams): Expectations | null {
  let texts: ExpectText[] | null = null;
  const add = (from: URLSearchParams, where: string, other: URLSearchParams | null): void => {
    for (const [k, v] of from) {
      if (!isExpectName(k) || (other !== null && other.has(k))) continue;
      (texts ??= []).push([k, v, where === '' ? k : `${where} ${k}`]);
    }
  };
  add(header, 'X-Mock', null);
  add(query, '', header);
  return texts === null ? null : compileExpectations(texts);
}

/** What a request carried, read synchronously (req is gone once the handler returns). */
export interface Seen {
  readonly method: string;
  readonly path: string;
  readonly headers: Map<string, string>;
}

/** Per-worker evaluation of expectations; answers the failures itself. */
export class Assertions {
  private readonly heads = new Map<number, Head>();

  constructor(private readonly ctx: RouteContext) {}

  /**
   * Check `ex` against the request: `pass(res)` answers when every check holds (now, or corked once the
   * body is in when a check reads it); otherwise the failure status and diff are answered. Reads req synchronously.
   */
  check(res: HttpResponse, req: HttpRequest, ex: Expectations, pass: (res: HttpResponse) => void): void {
    const seen = read(req, ex.checks);
    if (!ex.needsBody) {
      this.settle(res, ex, evaluate(ex.checks, seen, null), pass);
      return;
    }
    this.ctx.bodies.collect(res, req.getHeader('content-length'), this.ctx.config.maxBodyBytes, (r, body) => {
      this.settle(r, ex, evaluate(ex.checks, seen, body), pass);
    });
  }

  /** The request side of `ex`, read now: for routes that read the body themselves (checkSeen settles it). Reads req synchronously. */
  seen(req: HttpRequest, ex: Expectations): Seen {
    return read(req, ex.checks);
  }

  /** As check(), with the request side read by seen() and the body the route read. */
  checkSeen(res: HttpResponse, ex: Expectations, seen: Seen, body: Buffer, pass: (res: HttpResponse) => void): void {
    this.settle(res, ex, evaluate(ex.checks, seen, ex.needsBody ? body : null), pass);
  }

  private settle(res: HttpResponse, ex: Expectations, failed: Failure[], pass: (res: HttpResponse) => void): void {
    if (failed.length === 0) {
      pass(res);
      return;
    }
    const entry = this.ctx.writer.recorder?.answeringEntry() ?? null;
    if (entry !== null) entry.assertions = failed;
    const reply: AssertionReply = { error: `the request failed ${failed.length} of ${ex.checks.length} expectation(s)`, failed };
    // The failure path may allocate and stringify: it is not the plain path.
    this.ctx.writer.sendBody(res, this.head(ex.status), Buffer.from(JSON.stringify(reply)));
  }

  private head(status: number): Head {
    let h = this.heads.get(status);
    if (h === undefined) {
      h = makeHead(status, 'application/json');
      this.heads.set(status, h);
    }
    return h;
  }
}

// Only the headers some check names are read (getHeader per name; uWS returns the first of repeated ones).
function read(req: HttpRequest, checks: readonly Check[]): Seen {
  const headers = new Map<string, string>();
  for (const c of checks) {
    const name = c.kind === 'header' || c.kind === 'no-header' ? c.name : c.kind === 'host' ? 'host' : null;
    if (name !== null && !headers.has(name)) headers.set(name, req.getHeader(name));
  }
  return { method: req.getCaseSensitiveMethod().toUpperCase(), path: req.getUrl(), headers };
}

/** Every failed check, in the order given (empty when all hold). body is null when no check reads it. */
export function evaluate(checks: readonly Check[], seen: Seen, body: Buffer | null): Failure[] {
  const failed: Failure[] = [];
  let doc: { value: unknown; problem: string | null } | null = null;
  for (const c of checks) {
    switch (c.kind) {
      case 'header': {
        const v = seen.headers.get(c.name) ?? '';
        if (v !== c.value) failed.push({ check: checkLabel(c), expected: c.value, received: v === '' ? null : v });
        break;
      }
      case 'no-header': {
        const v = seen.headers.get(c.name) ?? '';
        if (v !== '') failed.push({ check: checkLabel(c), expected: null, received: v });
        break;
      }
      case 'method':
        if (seen.method !== c.value) failed.push({ check: 'method', expected: c.value, received: seen.method });
        break;
      case 'path':
        if (seen.path !== c.value) failed.push({ check: 'path', expected: c.value, received: seen.path });
        break;
      case 'host': {
        const v = (seen.headers.get('host') ?? '').toLowerCase();
        if (v !== c.value) failed.push({ check: 'host', expected: c.value, received: v === '' ? null : v });
        break;
      }
      case 'body-json': {
        doc ??= parseBody(body ?? Buffer.alloc(0));
        if (doc.problem !== null) {
          failed.push({ check: checkLabel(c), expected: c.value, received: doc.problem });
          break;
        }
        const v = resolvePointer(doc.value, c.tokens);
        if (v === undefined || !sameJson(v, c.value)) failed.push({ check: checkLabel(c), expected: c.value, received: v === undefined ? null : v });
        break;
      }
    }
  }
  return failed;
}

// The body as JSON, bounded like every client JSON (http/depth.ts); a problem is reported as the received value.
function parseBody(body: Buffer): { value: unknown; problem: string | null } {
  const text = body.toString('utf8');
  if (text.length === 0) return { value: undefined, problem: '(no body)' };
  try {
    return { value: parseBoundedJson(text), problem: null };
  } catch (err) {
    return { value: undefined, problem: err instanceof DepthError ? `(body nested deeper than ${MaxJsonDepth})` : '(body is not JSON)' };
  }
}

/** JSON equality: same type and value; objects by their keys regardless of order, arrays in order. */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => sameJson(x, bb[i]));
  }
  const ka = Object.keys(a);
  const ob = b as Record<string, unknown>;
  return ka.length === Object.keys(ob).length && ka.every((k) => Object.prototype.hasOwnProperty.call(ob, k) && sameJson((a as Record<string, unknown>)[k], ob[k]));
}

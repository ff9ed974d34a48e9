// Request assertions ("what the gateway sent"): the expect-* controls of a request (query or X-Mock) and the
// `expect` object of a configured route, parsed into one Expectations value. The grammar of each control:
//   expect-header=Name:Value       the header is present with exactly this value (repeatable)
//   expect-no-header=Name          the header is absent (repeatable)
//   expect-method=POST             the method (case-insensitive)
//   expect-path=/api/users/7       the path, without the query string
//   expect-host=api.internal       the Host header (case-insensitive; :authority on HTTP/2)
//   expect-body-json=/user/id:42   the JSON body's value at an RFC 6901 pointer equals this JSON (repeatable)
//   expect-status=422              the status answered when a check fails (default 412)
// Evaluation is features/assertions.ts; this module only parses.
import { HeaderToken } from '../config/defaults.js';
import { GrammarError, quoteValue } from './errors.js';

/** The expect-* control names, in documentation order. */
export const ExpectNames = [
  'expect-header', 'expect-no-header', 'expect-method', 'expect-path', 'expect-host', 'expect-body-json', 'expect-status',
] as const;

/** One expect-* control name. */
export type ExpectName = (typeof ExpectNames)[number];

/** Most checks one request or route may carry (each is evaluated per request). */
export const MaxChecks = 64;
/** Longest expected value text (a header value, a path, a JSON value). */
export const MaxExpectedBytes = 8192;
/** The status a failed expectation is answered with unless expect-status says otherwise. */
export const DefaultExpectStatus = 412;

/** One check: what is compared, and the expected value as the diff shows it. */
export type Check =
  | { readonly kind: 'header'; readonly name: string; readonly value: string }
  | { readonly kind: 'no-header'; readonly name: string }
  | { readonly kind: 'method'; readonly value: string }
  | { readonly kind: 'path'; readonly value: string }
  | { readonly kind: 'host'; readonly value: string }
  | { readonly kind: 'body-json'; readonly pointer: string; readonly tokens: readonly string[]; readonly value: unknown };

/** A compiled set of checks and the status answered when one fails. */
export interface Expectations {
  readonly checks: readonly Check[];
  readonly status: number;
  /** Whether any check reads the body (then the body is collected before answering). */
  readonly needsBody: boolean;
}

/** Whether a control name is one of the expect-* controls. */
export function isExpectName(name: string): name is ExpectName {
  return (ExpectNames as readonly string[]).includes(name);
}

/**
 * Parse an RFC 6901 JSON pointer into its reference tokens ('' is the whole document; otherwise each token
 * follows a '/', with ~1 for '/' and ~0 for '~'). A '~' followed by anything else is an error.
 */
export function parsePointer(text: string, param: string): string[] {
  if (text === '') return [];
  if (text[0] !== '/') throw new GrammarError(param, `invalid JSON pointer ${quoteValue(text)} for ${param}: it must be empty or start with /, e.g. /user/id`);
  return text.slice(1).split('/').map((t) => {
    if (/~(?![01])/.test(t)) throw new GrammarError(param, `invalid JSON pointer ${quoteValue(text)} for ${param}: ~ must be followed by 0 (for ~) or 1 (for /)`);
    return t.replace(/~1/g, '/').replace(/~0/g, '~');
  });
}

/** The value at `tokens` in `doc` (RFC 6901 evaluation); `undefined` when the pointer names nothing. */
export function resolvePointer(doc: unknown, tokens: readonly string[]): unknown {
  let at = doc;
  for (const t of tokens) {
    if (Array.isArray(at)) {
      // Array indexes are decimal without leading zeros; '-' (past the end) names nothing to compare.
      if (!/^(0|[1-9][0-9]*)$/.test(t)) return undefined;
      const i = Number(t);
      if (i >= at.length) return undefined;
      at = at[i];
    } else if (at !== null && typeof at === 'object') {
      if (!Object.prototype.hasOwnProperty.call(at, t)) return undefined;
      at = (at as Record<string, unknown>)[t];
    } else {
      return undefined;
    }
  }
  return at;
}

// The last ':' that starts a JSON value splits pointer and value: a pointer token may hold ':' itself
// ("/a:b:1" is pointer /a:b and value 1), a JSON string value too ("/name:\"x:y\""): the first split whose
// right side is valid JSON, scanning from the left, wins.
function parseBodyJson(text: string, param: string): Check {
  for (let i = text.indexOf(':'); i >= 0; i = text.indexOf(':', i + 1)) {
    const right = text.slice(i + 1);
    // MaxExpectedBytes bounds the nesting too (at most 4096 levels: JSON.parse and the comparison take that).
    let value: unknown;
    try {
      value = JSON.parse(right);
    } catch {
      continue;
    }
    const pointer = text.slice(0, i);
    return { kind: 'body-json', pointer, tokens: parsePointer(pointer, param), value };
  }
  throw new GrammarError(param, `invalid ${param} ${quoteValue(text)}: use <JSON pointer>:<JSON value>, e.g. /user/id:42 or /name:"bob"`);
}

function headerName(text: string, param: string, hint: string): string {
  const name = text.trim();
  if (!HeaderToken.test(name)) throw new GrammarError(param, `invalid header name ${quoteValue(text)} for ${param}: ${hint}`);
  return name.toLowerCase();
}

/** Parse one expect-* control's value (param names where it came from, for the 400). */
export function parseCheck(name: Exclude<ExpectName, 'expect-status'>, text: string, param: string): Check {
  if (text.length > MaxExpectedBytes) throw new GrammarError(param, `${param} is longer than ${MaxExpectedBytes} bytes`);
  switch (name) {
    case 'expect-header': {
      const colon = text.indexOf(':');
      const hint = 'use Name:Value, e.g. expect-header=X-Tenant:acme';
      if (colon < 0) throw new GrammarError(param, `invalid ${param} ${quoteValue(text)}: ${hint}`);
      return { kind: 'header', name: headerName(text.slice(0, colon), param, hint), value: text.slice(colon + 1).trim() };
    }
    case 'expect-no-header':
      return { kind: 'no-header', name: headerName(text, param, 'use a header name, e.g. expect-no-header=X-Debug') };
    case 'expect-method':
      if (!HeaderToken.test(text)) throw new GrammarError(param, `invalid method ${quoteValue(text)} for ${param}: use a method name, e.g. expect-method=POST`);
      return { kind: 'method', value: text.toUpperCase() };
    case 'expect-path':
      if (text[0] !== '/' || text.includes('?')) throw new GrammarError(param, `invalid path ${quoteValue(text)} for ${param}: use a path starting with / and without a query, e.g. expect-path=/api/users/7`);
      return { kind: 'path', value: text };
    case 'expect-host':
      if (text === '' || /[\s/?#@]/.test(text)) throw new GrammarError(param, `invalid host ${quoteValue(text)} for ${param}: use host or host:port, e.g. expect-host=api.internal`);
      return { kind: 'host', value: text.toLowerCase() };
    case 'expect-body-json':
      return parseBodyJson(text, param);
  }
}

/** expect-status: the status a failed expectation is answered with, 400 to 599. */
export function parseExpectStatus(text: string, param: string): number {
  if (!/^[45][0-9][0-9]$/.test(text)) throw new GrammarError(param, `invalid status ${quoteValue(text)} for ${param}: use a code from 400 to 599, e.g. expect-status=422`);
  return Number(text);
}

/** One control as read: its name, its value text and where it came from. */
export type ExpectText = readonly [name: ExpectName, text: string, param: string];

/** Compile expect-* controls into Expectations; null when there are none. Throws GrammarError on a bad one. */
export function compileExpectations(texts: readonly ExpectText[]): Expectations | null {
  if (texts.length === 0) return null;
  const checks: Check[] = [];
  let status = DefaultExpectStatus;
  for (const [name, text, param] of texts) {
    if (name === 'expect-status') {
      status = parseExpectStatus(text, param);
    } else {
      checks.push(parseCheck(name, text, param));
    }
  }
  if (checks.length > MaxChecks) throw new GrammarError(texts[0][2], `too many expectations (${checks.length}): at most ${MaxChecks}`);
  // expect-status alone changes nothing (no check can fail): no expectations.
  if (checks.length === 0) return null;
  return { checks, status, needsBody: checks.some((c) => c.kind === 'body-json') };
}

/** Both sets apply (a request's checks and its route's); the first one's status wins when it set one. */
export function mergeExpectations(first: Expectations | null, second: Expectations | null): Expectations | null {
  if (first === null) return second;
  if (second === null) return first;
  return { checks: [...second.checks, ...first.checks], status: first.status, needsBody: first.needsBody || second.needsBody };
}

/** The name a check is reported under in the diff, e.g. "header x-tenant" or "body-json /user/id". */
export function checkLabel(c: Check): string {
  switch (c.kind) {
    case 'header': return `header ${c.name}`;
    case 'no-header': return `no-header ${c.name}`;
    case 'body-json': return `body-json ${c.pointer}`;
    default: return c.kind;
  }
}

/** One failed check as the 412 body and the journal show it (received null: absent). */
export interface Failure {
  readonly check: string;
  readonly expected: unknown;
  readonly received: unknown;
}

/**
 * A configured route's `expect` object (control names without `expect-`: header, no-header, method, path,
 * host, body-json, status; a value or a list) as Expectations; null when absent. `at` names it in errors.
 */
export function compileRouteExpect(expect: Readonly<Record<string, unknown>> | undefined, at: string): Expectations | null {
  if (expect === undefined) return null;
  const texts: ExpectText[] = [];
  for (const [k, v] of Object.entries(expect)) {
    const name = `expect-${k}`;
    if (!isExpectName(name)) throw new GrammarError(`${at}/${k}`, `unknown expectation ${quoteValue(k)}: use ${ExpectNames.map((n) => n.slice(7)).join(', ')}`);
    for (const t of Array.isArray(v) ? (v as unknown[]) : [v]) texts.push([name, String(t), `${at}/${k}`]);
  }
  return compileExpectations(texts);
}

// Route templates (body.template): any JSON value whose strings (object keys included) may hold placeholders
// {{now}}, {{params.<name>}} and {{query.<name>}}. One linear scanner reads them for both the config check
// and the compiler, so what `check` accepts is exactly what a worker serves.
//
// The grammar, per JSON string:
// - "{{" opens a placeholder; the next "}}" in the same string closes it. Whitespace around the name is
//   ignored ({{ now }} is {{now}}).
// - Malformed: a "{{" with no "}}" after it in the same string (unclosed), an empty name, a name other than
//   now, params.<name> and query.<name> (query names have no dot), and, against the route's path,
//   params.<name> without a :<name> segment.
// - A "}}" with no opener is literal text (CSS, prose): only "{{" starts a placeholder.
// - Placeholders cannot span strings: each string is scanned on its own, so a stray "{{" never swallows the
//   JSON structure after it. In a key, a placeholder fills the key (its value escaped like any other), so
//   the rendered body is always valid JSON.
// Each scan uses indexOf from the last position: linear in the template's length whatever it holds.

/** What a placeholder reads per request. */
export type Placeholder = { readonly kind: 'now' } | { readonly kind: 'param'; readonly name: string } | { readonly kind: 'query'; readonly name: string };

/**
 * A template compiled to JSON text: chunks[0] slot[0] chunks[1] ... slot[n-1] chunks[n]. Each slot sits
 * inside a JSON string literal, so its value is written escaped and without quotes.
 */
export interface CompiledTemplate {
  readonly chunks: readonly string[];
  readonly slots: readonly Placeholder[];
}

/** One problem in a template: where (a JSON pointer relative to the template) and what. */
export interface TemplateProblem {
  readonly at: string;
  readonly message: string;
}

/** The result of reading a template: the compiled form and every problem found (compile only when none). */
export interface TemplateScan {
  readonly template: CompiledTemplate;
  readonly problems: readonly TemplateProblem[];
}

/** Deepest nesting of arrays and objects a template may have (the compiler recurses once per level). */
export const MaxTemplateDepth = 256;
/** Most problems reported per template: a hostile one holding millions must not make a reply of millions. */
export const MaxTemplateProblems = 10;

const Placeholders = '{{now}}, {{params.<name>}} or {{query.<name>}}';
// Longest placeholder text echoed back in an error: a hostile one must not flood the reply.
const MaxEcho = 40;

// Thrown through the walk once enough problems are known: nothing after them is compiled or reported.
const Enough = new Error('enough template problems');

function echo(text: string): string {
  return text.length > MaxEcho ? `${text.slice(0, MaxEcho)}…` : text;
}

/** A placeholder's name (between the braces, trimmed) as a Placeholder, or a message saying why it is not one. */
export function parsePlaceholder(inner: string): Placeholder | string {
  const name = inner.trim();
  if (name === '') return `empty placeholder {{${inner.length > 0 ? ' ' : ''}}}: use ${Placeholders}`;
  if (name === 'now') return { kind: 'now' };
  if (name.startsWith('params.') && name.length > 7) return { kind: 'param', name: name.slice(7) };
  if (name.startsWith('query.') && name.length > 6 && !name.includes('.', 6)) return { kind: 'query', name: name.slice(6) };
  return `unknown placeholder {{${echo(name)}}}: use ${Placeholders}`;
}

/**
 * Split one string into literal text and placeholders: texts has one more entry than slots. Throws no
 * error: problems are appended to `problems` (the scan stops once it holds MaxTemplateProblems).
 */
export function scanString(s: string, problems: string[]): { texts: string[]; slots: Placeholder[] } {
  const texts: string[] = [];
  const slots: Placeholder[] = [];
  let last = 0;
  let open = s.indexOf('{{');
  while (open >= 0) {
    const close = s.indexOf('}}', open + 2);
    if (close < 0) {
      problems.push(`unclosed {{ at character ${open} ("${echo(s.slice(open))}"): close it with }}, e.g. {{query.id}}`);
      break;
    }
    const p = parsePlaceholder(s.slice(open + 2, close));
    if (typeof p === 'string') {
      problems.push(p);
      if (problems.length >= MaxTemplateProblems) break;
    } else {
      texts.push(s.slice(last, open));
      slots.push(p);
      last = close + 2;
    }
    open = s.indexOf('{{', close + 2);
  }
  texts.push(s.slice(last));
  return { texts, slots };
}

/** JSON pointer token (RFC 6901). */
function token(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** The names of a route path's :name segments, in order: {{params.<name>}} reads the one at its index. */
export function pathParams(path: string): string[] {
  return path.split('/').filter((s) => s.startsWith(':')).map((s) => s.slice(1));
}

/**
 * Read a template value: its JSON text with the slots cut out, and every problem with its JSON pointer.
 * `routePath` is the route's path; a {{params.x}} needs a :x segment in it.
 */
export function scanTemplate(value: unknown, routePath: string): TemplateScan {
  const params = pathParams(routePath);
  const chunks: string[] = [];
  const slots: Placeholder[] = [];
  const problems: TemplateProblem[] = [];
  let text = '';
  const str = (s: string, at: string, key: boolean): void => {
    const found: string[] = [];
    const { texts, slots: own } = scanString(s, found);
    for (const p of own) {
      if (p.kind === 'param' && !params.includes(p.name)) found.push(`{{params.${echo(p.name)}}} but the path ${routePath} has no :${echo(p.name)}`);
    }
    for (const message of found) problems.push({ at, message: key ? `in the key: ${message}` : message });
    if (problems.length >= MaxTemplateProblems) throw Enough;
    // Each literal piece is escaped as JSON.stringify would escape the whole string: the cuts fall on
    // ASCII braces, never inside an escape or a surrogate pair.
    text += '"';
    for (let i = 0; i < own.length; i++) {
      text += JSON.stringify(texts[i]).slice(1, -1);
      chunks.push(text);
      slots.push(own[i]);
      text = '';
    }
    text += `${JSON.stringify(texts[texts.length - 1]).slice(1, -1)}"`;
  };
  const walk = (v: unknown, at: string, depth: number): void => {
    if (depth > MaxTemplateDepth) {
      problems.push({ at, message: `nested deeper than ${MaxTemplateDepth} levels` });
      text += 'null';
      return;
    }
    if (typeof v === 'string') {
      str(v, at, false);
    } else if (Array.isArray(v)) {
      text += '[';
      v.forEach((item, i) => {
        if (i > 0) text += ',';
        walk(item, `${at}/${i}`, depth + 1);
      });
      text += ']';
    } else if (v !== null && typeof v === 'object') {
      text += '{';
      let first = true;
      for (const [k, item] of Object.entries(v)) {
        if (item === undefined) continue;
        if (!first) text += ',';
        first = false;
        str(k, `${at}/${token(k)}`, true);
        text += ':';
        walk(item, `${at}/${token(k)}`, depth + 1);
      }
      text += '}';
    } else {
      // Numbers, booleans, null: as JSON.stringify writes them (a parsed config holds nothing else).
      text += JSON.stringify(v) ?? 'null';
    }
  };
  try {
    walk(value, '', 0);
  } catch (err) {
    if (err !== Enough) throw err;
    problems.length = MaxTemplateProblems;
    problems.push({ at: '', message: `more problems not listed (the first ${MaxTemplateProblems} are)` });
  }
  chunks.push(text);
  return { template: { chunks, slots }, problems };
}

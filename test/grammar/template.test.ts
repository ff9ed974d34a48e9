// The template scanner: which placeholders are well formed, the JSON text it compiles to, and linear work
// on hostile input (the regexes it replaced took 21 s on "{{" + 5,000 spaces).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MaxTemplateDepth, MaxTemplateProblems, scanTemplate, type Placeholder } from '../../src/grammar/template.js';

/** The body a compiled template renders when every slot holds `fill` (already JSON-escaped). */
function render(value: unknown, path: string, fill: (p: Placeholder) => string): string {
  const { template, problems } = scanTemplate(value, path);
  assert.deepEqual(problems, [], JSON.stringify(value));
  let out = template.chunks[0];
  template.slots.forEach((s, i) => { out += fill(s) + template.chunks[i + 1]; });
  return out;
}

const name = (p: Placeholder): string => (p.kind === 'now' ? 'NOW' : `${p.kind}:${p.name}`);

const good: ReadonlyArray<readonly [string, unknown, string, unknown]> = [
  ['now', { a: '{{now}}' }, '/', { a: 'NOW' }],
  ['whitespace around the name', { a: 'x {{ query.id }} y' }, '/', { a: 'x query:id y' }],
  ['a path parameter', { id: '{{params.id}}', n: 1 }, '/u/:id', { id: 'param:id', n: 1 }],
  ['several in one string', { a: '{{query.a}}-{{query.b}}' }, '/', { a: 'query:a-query:b' }],
  ['in a key', { '{{query.k}}': 1 }, '/', { 'query:k': 1 }],
  ['}} without an opener is text', { css: 'a { b: {c} }}' }, '/', { css: 'a { b: {c} }}' }],
  ['a brace after a placeholder is text', { a: '{{now}}}' }, '/', { a: 'NOW}' }],
  ['single braces are text', { a: '{x} { {now} }' }, '/', { a: '{x} { {now} }' }],
  ['escapes around slots', { a: 'é"\\\n{{now}}\u2028\ud83d\ude00' }, '/', { a: 'é"\\\nNOW\u2028\ud83d\ude00' }],
  ['nested values', [1, true, null, { b: ['{{now}}', 2.5] }, 'x'], '/', [1, true, null, { b: ['NOW', 2.5] }, 'x']],
  ['a bare string', '{{query.q}}', '/', 'query:q'],
  ['a number', 42, '/', 42],
];

for (const [what, value, path, expected] of good) {
  test(`template scanner accepts: ${what}`, () => {
    assert.deepEqual(JSON.parse(render(value, path, name)), expected);
  });
}

const bad: ReadonlyArray<readonly [string, unknown, string, string, RegExp]> = [
  ['an unclosed {{', { a: '{{' }, '/', '/a', /^unclosed \{\{ at character 0/],
  ['an unclosed {{ before more JSON', { a: '{{query.x', b: { c: 1 } }, '/', '/a', /^unclosed \{\{/],
  ['an empty name', { a: '{{}}' }, '/', '/a', /^empty placeholder \{\{\}\}/],
  ['a blank name', { a: '{{   }}' }, '/', '/a', /^empty placeholder \{\{ \}\}/],
  ['an unknown name', { a: '{{nope}}' }, '/', '/a', /^unknown placeholder \{\{nope\}\}: use \{\{now\}\}/],
  ['a dotted query name', { a: '{{query.a.b}}' }, '/', '/a', /^unknown placeholder \{\{query\.a\.b\}\}/],
  ['a query without a name', { a: '{{query.}}' }, '/', '/a', /^unknown placeholder/],
  ['a parameter the path lacks', { a: '{{params.x}}' }, '/u/:id', '/a', /^\{\{params\.x\}\} but the path \/u\/:id has no :x/],
  ['a placeholder in a key', { '{{now': 1 }, '/', '/{{now', /^in the key: unclosed \{\{/],
  ['JSON pointer escapes', { 'a/b': { '~': '{{x}}' } }, '/', '/a~1b/~0', /^unknown placeholder \{\{x\}\}/],
  ['a hostile name is cut in the message', { a: `{{${'n'.repeat(5000)}}}` }, '/', '/a', /^unknown placeholder \{\{n{40}…\}\}/],
];

for (const [what, value, path, at, message] of bad) {
  test(`template scanner refuses: ${what}`, () => {
    const { problems } = scanTemplate(value, path);
    assert.equal(problems.length, 1, JSON.stringify(problems));
    assert.equal(problems[0].at, at);
    assert.match(problems[0].message, message);
    assert.ok(problems[0].message.length < 200, 'the message stays short');
  });
}

test('template scanner: every problem is reported, each at its own path', () => {
  const { problems } = scanTemplate({ a: '{{nope}} {{now}} {{', b: ['{{}}'] }, '/');
  assert.deepEqual(problems.map((p) => p.at), ['/a', '/a', '/b/0']);
});

test(`template scanner: nesting deeper than ${MaxTemplateDepth} levels is a problem, not a stack overflow`, () => {
  let deep: unknown = '{{now}}';
  for (let i = 0; i < 100_000; i++) deep = [deep];
  const { problems } = scanTemplate(deep, '/');
  assert.equal(problems.length, 1);
  assert.match(problems[0].message, /nested deeper than/);
  assert.equal(scanTemplate(JSON.parse(`${'['.repeat(MaxTemplateDepth)}1${']'.repeat(MaxTemplateDepth)}`), '/').problems.length, 0);
});

test('template scanner: a template without placeholders compiles to JSON.stringify of it', () => {
  fc.assert(fc.property(fc.jsonValue(), (v) => {
    const { template, problems } = scanTemplate(v, '/');
    const text = JSON.stringify(v);
    if (text.includes('{{')) return; // may hold placeholders: covered by the tables above
    assert.deepEqual(problems, []);
    assert.deepEqual(template.chunks, [text]);
  }), { numRuns: 300 });
});

test('template scanner: rendering always gives valid JSON with the filled values', () => {
  // Strings made of placeholder-ish pieces: whatever is accepted renders to the value with slots filled.
  const piece = fc.constantFrom('{{now}}', '{{query.q}}', '}}', '{', '}', 'a', '"', '\\', '\n', ' ', 'é');
  fc.assert(fc.property(fc.array(piece, { maxLength: 12 }).map((a) => a.join('')), (s) => {
    const { problems } = scanTemplate({ [s]: s }, '/');
    if (problems.length > 0) return;
    const filled = s.replace(/\{\{now\}\}/g, 'NOW').replace(/\{\{query\.q\}\}/g, 'query:q');
    assert.deepEqual(JSON.parse(render({ [s]: s }, '/', name)), { [filled]: filled });
  }), { numRuns: 500 });
});

// Correctness on inputs the regexes took minutes over. The timeout only turns a reintroduced super-linear
// scan into a failure instead of a hang; a linear scan of these takes milliseconds.
test('template scanner: 100K- and 1M-character hostile strings are scanned in one pass', { timeout: 20_000 }, () => {
  for (const n of [100_000, 1_000_000]) {
    const spaces = ' '.repeat(n);
    assert.match(scanTemplate({ a: `{{${spaces}` }, '/').problems[0].message, /^unclosed/);
    assert.match(scanTemplate({ a: `{{${spaces}}}` }, '/').problems[0].message, /^empty placeholder/);
    assert.match(scanTemplate({ a: `{{${spaces}"}` }, '/').problems[0].message, /^unclosed/);
    // Many openers, one closer far away: each "{{" is looked at once.
    assert.equal(scanTemplate({ a: '{{'.repeat(n / 2) }, '/').problems.length, 1);
    const ok = scanTemplate({ a: `${'{{now}}'.repeat(n / 7)}` }, '/');
    assert.equal(ok.problems.length, 0);
    assert.equal(ok.template.slots.length, Math.floor(n / 7));
  }
});

test(`template scanner: at most ${MaxTemplateProblems} problems are listed, however many there are`, () => {
  for (const value of [{ a: '{{x}}'.repeat(200_000) }, Array.from({ length: 50_000 }, () => '{{x}}')]) {
    const { problems } = scanTemplate(value, '/');
    assert.equal(problems.length, MaxTemplateProblems + 1);
    assert.match(problems[MaxTemplateProblems].message, /more problems not listed/);
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GrammarError } from '../../src/grammar/errors.js';
import {
  compileExpectations, compileRouteExpect, mergeExpectations, parseCheck, parseExpectStatus, parsePointer, resolvePointer, type ExpectText,
} from '../../src/grammar/expect.js';

test('parseCheck reads each kind', () => {
  const table: [Parameters<typeof parseCheck>[0], string, unknown][] = [
    ['expect-header', 'X-Tenant: acme', { kind: 'header', name: 'x-tenant', value: 'acme' }],
    ['expect-header', 'X-Empty:', { kind: 'header', name: 'x-empty', value: '' }],
    ['expect-header', 'Authorization:Bearer a:b', { kind: 'header', name: 'authorization', value: 'Bearer a:b' }],
    ['expect-no-header', 'X-Debug', { kind: 'no-header', name: 'x-debug' }],
    ['expect-method', 'post', { kind: 'method', value: 'POST' }],
    ['expect-path', '/api/users/7', { kind: 'path', value: '/api/users/7' }],
    ['expect-host', 'API.internal:8080', { kind: 'host', value: 'api.internal:8080' }],
    ['expect-body-json', '/user/id:42', { kind: 'body-json', pointer: '/user/id', tokens: ['user', 'id'], value: 42 }],
    ['expect-body-json', '/name:"bob"', { kind: 'body-json', pointer: '/name', tokens: ['name'], value: 'bob' }],
    ['expect-body-json', '/name:"a:b"', { kind: 'body-json', pointer: '/name', tokens: ['name'], value: 'a:b' }],
    // "b:1" is not JSON, "1" is: the pointer is /a:b.
    ['expect-body-json', '/a:b:1', { kind: 'body-json', pointer: '/a:b', tokens: ['a:b'], value: 1 }],
    ['expect-body-json', ':{"a":[1,null]}', { kind: 'body-json', pointer: '', tokens: [], value: { a: [1, null] } }],
    ['expect-body-json', '/a~1b/c~0d:true', { kind: 'body-json', pointer: '/a~1b/c~0d', tokens: ['a/b', 'c~d'], value: true }],
  ];
  for (const [name, text, want] of table) {
    assert.deepEqual(parseCheck(name, text, name), want, `${name}=${text}`);
  }
});

test('parseCheck rejects bad values with a GrammarError naming the param', () => {
  const bad: [Parameters<typeof parseCheck>[0], string][] = [
    ['expect-header', 'NoColon'], ['expect-header', 'Bad Name:x'], ['expect-header', ':x'],
    ['expect-no-header', 'a b'], ['expect-no-header', ''],
    ['expect-method', 'P OST'], ['expect-method', ''],
    ['expect-path', 'relative'], ['expect-path', '/a?b=1'],
    ['expect-host', ''], ['expect-host', 'a/b'], ['expect-host', 'user@host'],
    ['expect-body-json', 'nocolon'], ['expect-body-json', '/a:not json'], ['expect-body-json', 'a:1'], ['expect-body-json', '/a~2:1'],
    ['expect-header', `X:${'v'.repeat(9000)}`],
  ];
  for (const [name, text] of bad) {
    assert.throws(() => parseCheck(name, text, `X-Mock ${name}`), (e: unknown) => e instanceof GrammarError && e.param === `X-Mock ${name}`, `${name}=${text.slice(0, 30)}`);
  }
});

test('parsePointer and resolvePointer follow RFC 6901', () => {
  const doc = { foo: ['bar', 'baz'], '': 0, 'a/b': 1, 'c%d': 2, 'e^f': 3, 'g|h': 4, 'i\\j': 5, 'k"l': 6, ' ': 7, 'm~n': 8 };
  // The RFC's own examples (section 5).
  const rfc: [string, unknown][] = [
    ['', doc], ['/foo', ['bar', 'baz']], ['/foo/0', 'bar'], ['/', 0], ['/a~1b', 1], ['/c%d', 2], ['/e^f', 3],
    ['/g|h', 4], ['/i\\j', 5], ['/k"l', 6], ['/ ', 7], ['/m~0n', 8],
  ];
  for (const [p, want] of rfc) assert.deepEqual(resolvePointer(doc, parsePointer(p, 'p')), want, p);
  for (const p of ['/foo/2', '/foo/01', '/foo/-', '/nope', '/foo/0/x']) assert.equal(resolvePointer(doc, parsePointer(p, 'p')), undefined, p);
  // Inherited names are not members.
  assert.equal(resolvePointer({}, ['constructor']), undefined);
  assert.equal(resolvePointer({}, ['__proto__']), undefined);
  assert.throws(() => parsePointer('foo', 'p'), GrammarError);
  assert.throws(() => parsePointer('/a~', 'p'), GrammarError);
});

test('compileExpectations: status, bounds, needsBody; merge keeps both lists', () => {
  const t = (name: ExpectText[0], text: string): ExpectText => [name, text, name];
  assert.equal(compileExpectations([]), null);
  const a = compileExpectations([t('expect-method', 'GET'), t('expect-status', '422')]);
  assert.equal(a?.status, 422);
  assert.equal(a?.needsBody, false);
  const b = compileExpectations([t('expect-body-json', '/x:1')]);
  assert.equal(b?.status, 412);
  assert.equal(b?.needsBody, true);
  const m = mergeExpectations(a, b);
  assert.equal(m?.checks.length, 2);
  assert.equal(m?.status, 422);
  assert.equal(m?.needsBody, true);
  assert.equal(mergeExpectations(null, b), b);
  assert.equal(compileExpectations([t('expect-status', '422')]), null);
  for (const s of ['200', '600', '41', 'abc']) assert.throws(() => parseExpectStatus(s, 'expect-status'), GrammarError, s);
  assert.throws(() => compileExpectations(Array.from({ length: 65 }, () => t('expect-no-header', 'x'))), GrammarError);
});

test('compileRouteExpect reads a route object and names the bad key', () => {
  const ex = compileRouteExpect({ header: ['X-A:1', 'X-B:2'], 'no-header': 'X-C', method: 'post', 'body-json': '/id:7', status: 409 }, '/routes/0/expect');
  assert.equal(ex?.checks.length, 5);
  assert.equal(ex?.status, 409);
  assert.equal(compileRouteExpect(undefined, 'x'), null);
  assert.throws(() => compileRouteExpect({ heder: 'X:1' }, '/routes/0/expect'), (e: unknown) => e instanceof GrammarError && e.param === '/routes/0/expect/heder');
  assert.throws(() => compileRouteExpect({ 'body-json': 'x' }, '/routes/0/expect'), (e: unknown) => e instanceof GrammarError && e.param === '/routes/0/expect/body-json');
});

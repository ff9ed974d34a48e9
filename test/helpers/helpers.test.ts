// The test helpers are code the other tests trust: a splitter that lost a line or a withServer that left a
// server running would pass tests it should fail, or leak processes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lineSplitter, parseLogLine, splitLines } from './log-lines.js';
import { withServer, type TestServer } from './server.js';

test('lineSplitter joins a line cut across chunks and keeps an unterminated tail for later', () => {
  const lines: string[] = [];
  const feed = lineSplitter((l) => lines.push(l));
  feed('{"a":');
  assert.deepEqual(lines, []);
  feed(Buffer.from('1}\n{"b":2}\n\n{"c"'));
  assert.deepEqual(lines, ['{"a":1}', '{"b":2}', '']);
  feed(':3}\n');
  assert.deepEqual(lines, ['{"a":1}', '{"b":2}', '', '{"c":3}']);
});

test('splitLines drops empty lines and keeps a last line without its newline', () => {
  assert.deepEqual(splitLines('a\n\nb\nc'), ['a', 'b', 'c']);
  assert.deepEqual(splitLines(''), []);
});

test('parseLogLine: JSON objects only', () => {
  assert.deepEqual(parseLogLine('{"event":"listening","port":1}'), { event: 'listening', port: 1 });
  for (const other of ['', 'listening on 1', '{"cut', '5', 'null', '[1]']) assert.equal(parseLogLine(other), null, other);
});

test('withServer stops the server when the body throws, and reports the body\'s error', async () => {
  let seen: TestServer | null = null;
  await assert.rejects(withServer({}, async (server) => {
    seen = server;
    assert.equal((await fetch(`${server.url}/json`)).status, 200);
    throw new Error('body failed');
  }), /body failed/);
  const server = seen as TestServer | null;
  assert.ok(server !== null);
  assert.equal(await server.exited, 0, 'stopped (SIGTERM, clean exit)');
});

test('withServer asserts the exit code after a passing body', async () => {
  const got = await withServer({ args: ['--workers', '1'] }, async (server) => server.port);
  assert.ok(got > 0, 'the body\'s result is returned');
  await assert.rejects(withServer({ exitCode: 3 }, async () => {}), /exit code after the test/);
});

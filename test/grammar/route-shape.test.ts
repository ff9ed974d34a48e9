// Route paths against uWS 20.30's router: the limits route-shape.ts encodes are uWS's own (probed in child
// processes, since a refused pattern aborts the process), and the checks keep every path inside them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { adminPrefixClash, BuiltInPatterns, MaxPathBytes, MaxPathSegments, pathProblem, routeShape } from '../../src/grammar/route-shape.js';
import { createApp } from '../../src/app/app.js';
import { parseCommand } from '../../src/config/options.js';
import { defaultEngine, nativeOnly } from '../helpers/engines.js';

const uwsPath = createRequire(import.meta.url).resolve('uWebSockets.js');

/** Register `patterns` with app.any in a fresh process; how many got registered before it ended, and how it ended. */
function register(patterns: string[]): { registered: number; aborted: boolean } {
  const script = `const uws = require(${JSON.stringify(uwsPath)}); uws._cfg('silent'); const app = uws.App();
    for (const p of JSON.parse(require('fs').readFileSync(0, 'utf8'))) { app.any(p, (res) => res.end()); process.stdout.write('+'); }
    process.exit(0);`;
  const r = spawnSync(process.execPath, ['-e', script], { input: JSON.stringify(patterns), encoding: 'utf8' });
  return { registered: r.stdout.length, aborted: r.signal === 'SIGABRT' };
}

const x = (n: number): string => '/x'.repeat(n);

test('uWS facts: a pattern registered twice aborts; only the first 100 segments count', nativeOnly(), () => {
  assert.deepEqual(register(['/a', '/a']), { registered: 1, aborted: true });
  assert.deepEqual(register([`${x(MaxPathSegments)}/a`, `${x(MaxPathSegments)}/b`]), { registered: 1, aborted: true },
    'two paths sharing their first 100 segments are one route to uWS');
  assert.deepEqual(register([`${x(MaxPathSegments - 1)}/a`, `${x(MaxPathSegments - 1)}/b`]), { registered: 2, aborted: false });
  assert.deepEqual(register(['/anything/*', '/anything/*']), { registered: 1, aborted: true }, 'an admin prefix of /anything/ did this');
  // Different nodes: no abort (routeShape still treats ":x"/":y" as one, since the second could never answer).
  assert.deepEqual(register(['/a/:x', '/a/:y', '/a/*', '/a*', '/a//b', '/a/']), { registered: 6, aborted: false });
});

test('routeShape: ":name" counts as one, and only the segments uWS reads count', () => {
  assert.equal(routeShape('/a/:x/b'), routeShape('/a/:y/b'));
  assert.notEqual(routeShape('/a/:x'), routeShape('/a/*'));
  assert.notEqual(routeShape('/a'), routeShape('/a/'));
  assert.equal(routeShape(`${x(MaxPathSegments)}/a`), routeShape(`${x(MaxPathSegments)}/b`), 'uWS sees these as the same route');
  assert.notEqual(routeShape(`${x(MaxPathSegments - 1)}/a`), routeShape(`${x(MaxPathSegments - 1)}/b`));
});

test('pathProblem: what uWS cannot take as written, or could never match', () => {
  for (const ok of ['/', '/a', '/a/:id', '/a/*', '/*', '/a//b', '/a/', '/a:b', x(MaxPathSegments), `/${'a'.repeat(MaxPathBytes - 1)}`]) {
    assert.equal(pathProblem(ok), null, ok);
  }
  const bad: [string, RegExp][] = [
    [`${x(MaxPathSegments)}/a`, /101 segments; at most 100/],
    [`/${'a'.repeat(MaxPathBytes)}`, /8193 bytes long; at most 8192/],
    ['/a/*/b', /"\*" is a wildcard only as the whole last segment/],
    ['/a*', /"\*" is a wildcard only/],
    ['/a/b*', /"\*" is a wildcard only/],
    ['/a?b=1', /"\?", which a request path never contains \(the query is not part of the path/],
    ['/a#b', /"#"/],
    ['/a b', /" "/],
    ['/a\r\nX: 1', /"\\r"/],
    ['a', /must start with \//],
  ];
  for (const [path, message] of bad) assert.match(pathProblem(path) ?? 'null', message, path);
});

test('adminPrefixClash: a prefix may not overlap any built-in route', () => {
  const clashes: [string, string][] = [
    ['/anything/', '/anything/*'], ['/anything/deeper/', '/anything/*'], ['/status/', '/status/:codes'], ['/delay/', '/delay/:duration'],
    ['/json/', '/json/valid'], ['/payloads/', '/payloads/'], ['/resource/', '/resource/:id'], ['/redirect/', '/redirect/:n'],
  ];
  for (const [prefix, clash] of clashes) assert.equal(adminPrefixClash(prefix), clash, prefix);
  // A built-in path that is the prefix itself, or one below a different first segment, is no overlap.
  for (const prefix of ['/__mock/', '/_mock/', '/_admin/', '/json/valid/', '/echo/', '/anything-else/', '/payloadsx/']) {
    assert.equal(adminPrefixClash(prefix), null, prefix);
  }
});

test('BuiltInPatterns is the route table the app registers (every built-in data route but the catch-all)', () => {
  const cmd = parseCommand(['--workers', '1'], {});
  assert.equal(cmd.kind, 'serve');
  if (cmd.kind !== 'serve') return;
  // Built in this process, never listening: the app is only read for its route names.
  const { ctx } = createApp(defaultEngine(), { config: cmd.config, startedAt: 0, workerIndex: 0 });
  const data = ctx.routeNames.filter((p) => !p.startsWith(cmd.config.adminPrefix) && p !== '/*');
  assert.deepEqual([...data].sort(), [...BuiltInPatterns].sort());
});

test('the route table throws, rather than let uWS abort the process, when a built-in shape is taken twice', () => {
  const cmd = parseCommand(['--workers', '1'], {});
  if (cmd.kind !== 'serve') throw new Error('serve expected');
  // An admin prefix the option check would refuse, forced in: its ${'${prefix}*'} is the built-in /anything/*.
  const config = { ...cmd.config, adminPrefix: '/anything/' };
  assert.throws(() => createApp(defaultEngine(), { config, startedAt: 0, workerIndex: 0 }), /route \/anything\/\* clashes with \/anything\/\*, registered before it/);
});

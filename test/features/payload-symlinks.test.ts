// Symlinks in the payload folder (issue 15, item 10): one leading to another file of the folder is served;
// a dangling one, or one leading outside the folder, stops startup with one line naming it (a dangling one
// gave a raw ENOENT; one to /etc/hostname was served), and is a 400 as a runtime route's body.file.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, startServer, type TestServer } from '../helpers/server.js';

const root = mkdtempSync(join(tmpdir(), 'mock-payload-links-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** A payload folder holding a.json and whatever `extra` adds; an outside folder with secret.txt beside it. */
function folder(name: string, extra: (dir: string, outside: string) => void): string {
  const dir = join(root, name, 'payloads');
  const outside = join(root, name, 'outside');
  mkdirSync(dir, { recursive: true });
  mkdirSync(outside, { recursive: true });
  writeFileSync(join(dir, 'a.json'), '{"a":1}');
  writeFileSync(join(outside, 'secret.txt'), 'secret');
  extra(dir, outside);
  return dir;
}

describe('payload folder startup', () => {
  const refused: [string, (dir: string, outside: string) => void, RegExp][] = [
    ['a dangling symlink', (d) => symlinkSync(join(d, 'gone.json'), join(d, 'dangling.json')),
      /^mock-upstream: dangling\.json in the payload folder .* is a symlink to a missing file \(.*gone\.json\)$/],
    ['a symlink to a file outside the folder', (d, o) => symlinkSync(join(o, 'secret.txt'), join(d, 'leak.txt')),
      /^mock-upstream: leak\.txt in the payload folder .* is a symlink leading outside it \(to .*secret\.txt\): only files inside the folder are served$/],
    ['a relative symlink climbing out', (d) => symlinkSync('../outside/secret.txt', join(d, 'up.txt')),
      /^mock-upstream: up\.txt in the payload folder .* is a symlink leading outside it/],
    ['a symlink to a folder outside', (d, o) => symlinkSync(o, join(d, 'elsewhere')),
      /^mock-upstream: elsewhere in the payload folder .* is a symlink leading outside it/],
  ];
  refused.forEach(([what, make, message], i) => {
    test(`${what}: exit 1 with one line naming it`, async () => {
      const r = await runCli(['--port', '0', '--workers', '2', '--payloads', folder(`refused-${i}`, make)]);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stderr.trimEnd(), message);
      assert.equal(r.stderr.trimEnd().split('\n').length, 1, r.stderr);
    });
  });
});

describe('payload folder with a symlink inside it', () => {
  let server: TestServer;
  let dir: string;
  let outside: string;
  before(async () => {
    dir = folder('inside', (d) => {
      symlinkSync('a.json', join(d, 'b.json'));
      mkdirSync(join(d, 'sub'));
      symlinkSync('sub', join(d, 'sub-link'));
    });
    outside = join(dir, '..', 'outside');
    server = await startServer(['--payloads', dir]);
  });
  after(async () => { assert.equal(await server.stop(), 0); });

  test('a symlink to a file in the folder is served (and listed); folders are skipped', async () => {
    const b = await fetch(`${server.url}/payloads/b`);
    assert.equal(b.status, 200);
    assert.equal(await b.text(), '{"a":1}');
    const list = await (await fetch(`${server.url}/payloads/`)).json() as { payloads: { file: string }[] };
    assert.deepEqual(list.payloads.map((p) => p.file), ['a.json', 'b.json']);
  });

  test('runtime routes: body.file through a symlink inside is served; leaving the folder or dangling is a 400', async () => {
    // Made after startup, so only the body.file check stands between them and the network.
    symlinkSync(join(outside, 'secret.txt'), join(dir, 'late-leak.txt'));
    symlinkSync(join(dir, 'nothing.json'), join(dir, 'late-dangling.json'));
    const add = async (file: string): Promise<{ status: number; text: string }> => {
      const r = await fetch(`${server.url}/__mock/routes`, { method: 'POST', body: JSON.stringify({ path: `/f/${file}`, body: { file } }) });
      return { status: r.status, text: await r.text() };
    };
    const ok = await add('b.json');
    assert.equal(ok.status, 201, ok.text);
    assert.equal(await (await fetch(`${server.url}/f/b.json`)).text(), '{"a":1}');
    const leak = await add('late-leak.txt');
    assert.equal(leak.status, 400);
    assert.match(leak.text, /\/body\/file: late-leak\.txt in the payload folder .* is a symlink leading outside it/);
    const dangling = await add('late-dangling.json');
    assert.equal(dangling.status, 400);
    assert.match(dangling.text, /\/body\/file: late-dangling\.json in the payload folder .* is a symlink to a missing file/);
    assert.equal((await fetch(`${server.url}/f/late-leak.txt`)).status, 404, 'the refused route was not added');
  });
});

// What nginx in front makes of each fault: the status its client gets. docs/faults.md and the README carry
// this table; the test checks their rows against what nginx answered, so the table stays true.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, type TestServer } from '../helpers/server.js';
import { startNginx, type TestNginx } from '../helpers/nginx.js';
import { run } from '../helpers/h2.js';

// Fault -> the status nginx answers with (a fault after the head keeps the upstream's 200: the body breaks instead;
// 0: no status at all: nginx relays garbage as an HTTP/0.9 response, or drops the client before any byte).
export const NginxOutcomes: readonly (readonly [string, number])[] = [
  ['reset', 502], ['empty', 502], ['garbage', 0], ['truncate(10)', 200], ['malformed-chunk', 0], ['hang', 504],
  ['slow-headers(4s)', 504], ['slow-body(1KB)', 200], ['big-headers(64KB)', 502],
];

describe('faults through nginx', () => {
  let server: TestServer;
  let nginx: TestNginx;
  before(async () => {
    server = await startServer(['--max-delay', '10s']);
    nginx = await startNginx([
      'location / {',
      `  proxy_pass http://127.0.0.1:${server.port};`,
      '  proxy_http_version 1.1;',
      '  proxy_set_header Connection "";',
      '  proxy_read_timeout 1s;',
      '  proxy_next_upstream off;',
      '}',
    ]);
  });
  after(async () => {
    await nginx?.stop();
    await server?.stop();
  });

  it('answers each fault with the status docs/faults.md lists', async () => {
    const page = readFileSync(new URL('../../../docs/faults.md', import.meta.url), 'utf8');
    for (const [fault, status] of NginxOutcomes) {
      const r = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '20', `http://127.0.0.1:${nginx.port}/json/valid?fault=${fault}`]);
      assert.equal(Number(r.stdout), status, `${fault}: nginx answered ${r.stdout} (curl exit ${r.code})\n${nginx.errorLog().slice(-2000)}`);
      const row = new RegExp(`^\\| \`${fault.replace(/[()]/g, '\\$&')}\` \\| ${status === 0 ? 'none' : status} `, 'm');
      assert.match(page, row, `docs/faults.md has no row "| \`${fault}\` | ${status === 0 ? 'none' : status} |"`);
    }
    // The README's one-line table: the faults in this order, then their statuses (none: no status at all).
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8').split('\n');
    const at = readme.findIndex((l) => l.startsWith('| `reset` | `empty` |'));
    assert.ok(at >= 0, 'README has the faults-through-nginx table');
    const cells = (l: string): string[] => l.split('|').slice(1, -1).map((c) => c.trim());
    assert.deepEqual(cells(readme[at]), NginxOutcomes.map(([f]) => `\`${f}\``));
    assert.deepEqual(cells(readme[at + 2]).map((c) => /^\d{3}/.test(c) ? Number(c.slice(0, 3)) : 0), NginxOutcomes.map(([, st]) => st));
    // nginx and the upstream both go on serving.
    const ok = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', `http://127.0.0.1:${nginx.port}/json/valid`]);
    assert.equal(ok.stdout, '200');
  });
});

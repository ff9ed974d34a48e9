// The probe is a client: it may use the foundations the server shares (the stamp, the grammars) but never the
// server itself (features, app, http, runtime), which the floors rule alone would allow from its floor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ProbeDir = fileURLToPath(new URL('../../../src/probe/', import.meta.url));
const Allowed = /^(\.\/[\w-]+\.js|\.\.\/(grammar|serializers)\/[\w-]+\.js|node:[\w/]+|ws|eventsource-parser)$/;

test('src/probe imports only itself, grammar/, serializers/, node: modules, ws and eventsource-parser', () => {
  const files = readdirSync(ProbeDir).filter((f) => f.endsWith('.ts'));
  assert.ok(files.length >= 5, `found ${files.join(', ')}`);
  const all: string[] = [];
  for (const f of files) {
    const text = readFileSync(`${ProbeDir}${f}`, 'utf8');
    const specs = [...text.matchAll(/\bfrom '([^']+)'|\bimport\('([^']+)'\)/g)].map((m) => m[1] ?? m[2]);
    for (const s of specs) assert.match(s, Allowed, `${f} imports ${s}`);
    all.push(...specs);
  }
  // The scan sees imports at all (a broken pattern would pass everything).
  assert.ok(all.includes('../serializers/stamp.js') && all.includes('./args.js'), all.join(', '));
});

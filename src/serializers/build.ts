// Build step (run after tsc): compiles every schema in schemas.ts to standalone serializer code in
// dist/src/serializers/generated/, so no thread loads the fast-json-stringify compiler at run time.
import { mkdirSync, writeFileSync } from 'node:fs';
import fastJson from 'fast-json-stringify';
import { Schemas } from './schemas.js';

const out = new URL('./generated/', import.meta.url);
mkdirSync(out, { recursive: true });
for (const [name, schema] of Object.entries(Schemas)) {
  const code = fastJson(schema as object, { mode: 'standalone' }) as unknown as string;
  writeFileSync(new URL(`${name}.cjs`, out), code);
}

// The precompiled serializers are current (regenerated output matches) and serialize as JSON.stringify would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fastJson from 'fast-json-stringify';
import { Schemas } from '../../src/serializers/schemas.js';
import { serializeEcho, serializeError, serializeStats } from '../../src/serializers/index.js';

for (const [name, schema] of Object.entries(Schemas)) {
  test(`generated/${name}.cjs matches a fresh standalone compile of its schema`, () => {
    const fresh = fastJson(schema as object, { mode: 'standalone' }) as unknown as string;
    const built = readFileSync(new URL(`../../src/serializers/generated/${name}.cjs`, import.meta.url), 'utf8');
    assert.equal(built, fresh, 'stale serializer: run npm run build');
  });
}

test('serializers produce the JSON the schemas describe', () => {
  assert.deepEqual(JSON.parse(serializeError({ error: 'bad "x"\n', param: 'p' })), { error: 'bad "x"\n', param: 'p' });
  assert.deepEqual(JSON.parse(serializeError({ error: 'e' })), { error: 'e' });
  const echo = { Method: 'GET', RequestURI: '/echo?a=1', Header: 'host: a\r\n', Headers: { host: 'a' }, Body: 'é', Host: 'a', QueryArgs: { a: '1' } };
  assert.deepEqual(JSON.parse(serializeEcho(echo)), echo);
  const stats = { workers: [{ id: 0, rps: 1.5, inFlight: 0, pending: 0, elu: 0.1, saturated: false, requests: 3 }],
    totals: { rps: 1.5, inFlight: 0, pending: 0, requests: 3, bytes: 10, saturatedWorkers: 0 }, uptimeSeconds: 1 };
  assert.deepEqual(JSON.parse(serializeStats(stats)), stats);
});

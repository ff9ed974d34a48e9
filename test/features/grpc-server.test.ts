// gRPC on the real server's HTTP/2 listener (--h2-port), with the grpc-js client: Echo and health beside the
// HTTP routes on one port, health changed through the admin API reaching every worker, reflection, metrics.
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { after, before, describe, it } from 'node:test';
import { startServer, type TestServer } from '../helpers/server.js';
import { h2Ask, h2PortOf } from '../helpers/h2.js';
import { clientOf, collect, loadPackage, meta, unary, unaryError } from '../helpers/grpc.js';

function client(port: number, file: string, service: string): grpc.Client {
  const Ctor = clientOf(loadPackage(file), service);
  // A fresh channel per client (grpc-js shares subchannels by target otherwise): each lands on a worker of its own choosing.
  return new Ctor(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
}

describe('gRPC on the HTTP/2 listener', () => {
  let server: TestServer;
  let port: number;
  before(async () => {
    server = await startServer(['--h2-port', '0', '--workers', '2']);
    port = await h2PortOf(server);
  });
  after(async () => { await server.stop(); });

  it('serves every mock.v1.Echo method and plain HTTP routes on the same port', async () => {
    const echo = client(port, 'mock/v1/echo.proto', 'mock.v1.Echo');
    const r = await unary<{ message: string; payload: Buffer }>(echo, 'Unary', { message: 'hi', payload: Buffer.from([1, 2, 3]) });
    assert.equal(r.message, 'hi');
    assert.deepEqual([...r.payload], [1, 2, 3]);
    const stream = await collect<{ message: string }>((echo as unknown as { ServerStream(req: object, md: grpc.Metadata): grpc.ClientReadableStream<unknown> })
      .ServerStream({ message: 'tick' }, meta({ 'x-mock-messages': '3', 'x-mock-interval': '5ms' })));
    assert.equal(stream.messages.length, 3);
    // Client streaming: every message received, joined, once the client half-closes.
    const joined = await new Promise<{ message: string }>((resolve, reject) => {
      const call = (echo as unknown as { ClientStream(cb: (e: grpc.ServiceError | null, r: { message: string }) => void): grpc.ClientWritableStream<object> })
        .ClientStream((e, res) => (e !== null ? reject(e) : resolve(res)));
      for (const m of ['a', 'b', 'c']) call.write({ message: m });
      call.end();
    });
    assert.match(joined.message, /a.*b.*c/);
    // Bidi: each message echoed as it comes.
    const bidi = (echo as unknown as { Bidi(): grpc.ClientDuplexStream<object, unknown> }).Bidi();
    const both = collect<{ message: string }>(bidi);
    for (const m of ['x', 'y']) bidi.write({ message: m });
    bidi.end();
    assert.deepEqual((await both).messages.map((m) => m.message), ['x', 'y']);
    const err = await unaryError(echo, 'Unary', { message: 'x' }, meta({ 'x-mock-status': '14' }));
    assert.equal(err.code, grpc.status.UNAVAILABLE);
    echo.close();
    const http = await h2Ask(port, 'GET', '/json/valid');
    assert.equal(http.status, 200);
  });

  it('sets a health status through the admin API in every worker', async () => {
    const checkOnce = async (): Promise<string> => {
      const h = client(port, 'grpc/health/v1/health.proto', 'grpc.health.v1.Health');
      try {
        return (await unary<{ status: string }>(h, 'Check', { service: 'orders' }).catch((e: grpc.ServiceError) => ({ status: grpc.status[e.code] }))).status;
      } finally {
        h.close();
      }
    };
    assert.equal(await checkOnce(), 'NOT_FOUND');
    const set = await fetch(`${server.url}/__mock/grpc/health`, { method: 'POST', body: JSON.stringify({ service: 'orders', status: 'NOT_SERVING' }) });
    assert.equal(set.status, 200, await set.text());
    // Eight fresh connections spread over both workers: every one answers the new status.
    const seen = await Promise.all(Array.from({ length: 8 }, () => checkOnce()));
    assert.deepEqual(new Set(seen), new Set(['NOT_SERVING']));
    const list = await (await fetch(`${server.url}/__mock/grpc/health`)).json() as { services: { service: string; status: string }[] };
    assert.ok(list.services.some((s) => s.service === 'orders' && s.status === 'NOT_SERVING'), JSON.stringify(list));
    const bad = await fetch(`${server.url}/__mock/grpc/health`, { method: 'POST', body: JSON.stringify({ service: 'orders', status: 'MAYBE' }) });
    assert.equal(bad.status, 400);
  });

  it('lists services by reflection and counts calls in the metrics', async () => {
    const Reflection = clientOf(loadPackage('grpc/reflection/v1/reflection.proto'), 'grpc.reflection.v1.ServerReflection');
    const r = new Reflection(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const call = (r as unknown as { ServerReflectionInfo(): grpc.ClientDuplexStream<object, unknown> }).ServerReflectionInfo();
    const done = collect<{ list_services_response?: { service: { name: string }[] } }>(call);
    call.write({ list_services: '' });
    call.end();
    const { messages } = await done;
    const names = messages[0].list_services_response?.service.map((s) => s.name) ?? [];
    for (const s of ['mock.v1.Echo', 'grpc.health.v1.Health']) assert.ok(names.includes(s), names.join(','));
    r.close();
    const metrics = await (await fetch(`${server.url}/__mock/metrics`)).text();
    assert.match(metrics, /mock_upstream_grpc_calls_total\{method="\/mock.v1.Echo\/Unary",code="OK"\} [1-9]/);
    assert.match(metrics, /mock_upstream_grpc_calls_total\{method="\/mock.v1.Echo\/Unary",code="UNAVAILABLE"\} [1-9]/);
  });

  it('answers an unknown service UNIMPLEMENTED and keeps serving', async () => {
    const Ctor = grpc.makeGenericClientConstructor({
      Nope: { path: '/no.such.Service/Nope', requestStream: false, responseStream: false,
        requestSerialize: (b: Buffer) => b, requestDeserialize: (b: Buffer) => b, responseSerialize: (b: Buffer) => b, responseDeserialize: (b: Buffer) => b },
    }, 'Nope');
    const c = new Ctor(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const err = await unaryError(c, 'Nope', Buffer.alloc(0));
    assert.equal(err.code, grpc.status.UNIMPLEMENTED);
    c.close();
    assert.equal((await h2Ask(port, 'GET', '/json/valid')).status, 200);
  });
});

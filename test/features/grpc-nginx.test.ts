// gRPC through a gateway: nginx's grpc_pass in front of the HTTP/2 listener, the grpc-js client on nginx's side,
// as README and the compose rig document (statuses and metadata controls must pass through unchanged).
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { after, before, describe, it } from 'node:test';
import { startServer, type TestServer } from '../helpers/server.js';
import { h2PortOf } from '../helpers/h2.js';
import { startNginx, type TestNginx } from '../helpers/nginx.js';
import { clientOf, collect, loadPackage, meta, unary, unaryError } from '../helpers/grpc.js';

describe('gRPC through nginx grpc_pass', () => {
  let server: TestServer;
  let nginx: TestNginx;
  before(async () => {
    server = await startServer(['--h2-port', '0']);
    const h2Port = await h2PortOf(server);
    nginx = await startNginx([`location / { grpc_pass grpc://127.0.0.1:${h2Port}; }`], [], 'http2');
  });
  after(async () => {
    await nginx?.stop();
    await server?.stop();
  });

  it('passes Echo calls, streams, statuses and health checks through', async () => {
    const target = `127.0.0.1:${nginx.port}`;
    const Echo = clientOf(loadPackage('mock/v1/echo.proto'), 'mock.v1.Echo');
    const echo = new Echo(target, grpc.credentials.createInsecure());
    const r = await unary<{ message: string }>(echo, 'Unary', { message: 'via nginx' });
    assert.equal(r.message, 'via nginx');
    const s = await collect<{ message: string }>((echo as unknown as { ServerStream(req: object, md: grpc.Metadata): grpc.ClientReadableStream<unknown> })
      .ServerStream({ message: 'x' }, meta({ 'x-mock-messages': '4', 'x-mock-interval': '10ms' })));
    assert.equal(s.messages.length, 4, nginx.errorLog());
    const err = await unaryError(echo, 'Unary', { message: 'x' }, meta({ 'x-mock-status': '8' }));
    assert.equal(err.code, grpc.status.RESOURCE_EXHAUSTED);
    echo.close();
    const Health = clientOf(loadPackage('grpc/health/v1/health.proto'), 'grpc.health.v1.Health');
    const h = new Health(target, grpc.credentials.createInsecure());
    assert.equal((await unary<{ status: string }>(h, 'Check', { service: '' })).status, 'SERVING');
    h.close();
  });
});

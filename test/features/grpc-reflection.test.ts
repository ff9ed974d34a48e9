// Server reflection (v1 and v1alpha) with a grpc-js client built from reflection.proto: list services, fetch
// file descriptors by name and by symbol, and build a working Echo client from the reflected descriptors
// alone (what grpcurl does).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as loader from '@grpc/proto-loader';
import { clientOf, makeClient, startGrpcServer, unary, within, type GrpcTestServer } from '../helpers/grpc.js';

interface ReflectionReply {
  valid_host?: string;
  original_request?: Record<string, unknown>;
  list_services_response?: { service: { name: string }[] };
  file_descriptor_response?: { file_descriptor_proto: Buffer[] };
  all_extension_numbers_response?: { base_type_name: string; extension_number: number[] };
  error_response?: { error_code: number; error_message: string };
}

// A FileDescriptorSet from FileDescriptorProto bytes: field 1, repeated, length-delimited.
function descriptorSet(files: Buffer[]): Buffer {
  const parts: Buffer[] = [];
  for (const f of files) {
    const len: number[] = [];
    let n = f.length;
    while (n >= 128) {
      len.push((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    len.push(n);
    parts.push(Buffer.from([0x0a, ...len]), f);
  }
  return Buffer.concat(parts);
}

for (const version of ['v1', 'v1alpha']) {
  describe(`server reflection ${version}`, () => {
    let server: GrpcTestServer;
    let client: grpc.Client;

    before(async () => {
      server = await startGrpcServer();
      client = makeClient(server, `grpc/reflection/${version}/reflection.proto`, `grpc.reflection.${version}.ServerReflection`);
    });
    after(async () => {
      client.close();
      await server.close();
      assert.deepEqual(server.errors, []);
    });

    // Send each request on one bidi call; the replies come back in order.
    async function ask(requests: object[]): Promise<ReflectionReply[]> {
      const call = (client as unknown as { ServerReflectionInfo: () => grpc.ClientDuplexStream<object, ReflectionReply> }).ServerReflectionInfo();
      const replies: ReflectionReply[] = [];
      const done = new Promise<void>((resolve, reject) => {
        call.on('data', (r: ReflectionReply) => replies.push(r));
        call.on('error', reject);
        call.on('end', () => resolve());
      });
      for (const r of requests) call.write(r);
      call.end();
      await within(done, 5000, 'reflection call');
      return replies;
    }

    it('lists every service', async () => {
      const [r] = await ask([{ host: 'h', list_services: '' }]);
      assert.equal(r.valid_host, 'h');
      assert.deepEqual(r.list_services_response?.service.map((s) => s.name).sort(), [
        'grpc.health.v1.Health', 'grpc.reflection.v1.ServerReflection', 'grpc.reflection.v1alpha.ServerReflection', 'mock.v1.Echo',
      ]);
    });

    it('answers file_by_filename and file_containing_symbol with descriptors grpc-js can build a working client from', async () => {
      const [byName, bySymbol, byMethod] = await ask([
        { file_by_filename: 'mock/v1/echo.proto' },
        { file_containing_symbol: 'grpc.health.v1.Health' },
        { file_containing_symbol: 'mock.v1.Echo.Unary' },
      ]);
      const echoFiles = byName.file_descriptor_response?.file_descriptor_proto ?? [];
      assert.equal(echoFiles.length, 1);
      assert.deepEqual(byMethod.file_descriptor_response?.file_descriptor_proto, echoFiles);
      const healthFiles = bySymbol.file_descriptor_response?.file_descriptor_proto ?? [];
      const def = loader.loadFileDescriptorSetFromBuffer(descriptorSet([...echoFiles, ...healthFiles]), { keepCase: true, enums: String });
      assert.ok('mock.v1.EchoResponse' in def && 'grpc.health.v1.HealthCheckResponse' in def, Object.keys(def).join(' '));
      const pkg = grpc.loadPackageDefinition(def);
      const Echo = clientOf(pkg, 'mock.v1.Echo');
      const echo = new Echo(server.address, grpc.credentials.createInsecure());
      const r = await unary<{ message: string }>(echo, 'Unary', { message: 'reflected' });
      assert.equal(r.message, 'reflected');
      echo.close();
      const Health = clientOf(pkg, 'grpc.health.v1.Health');
      const health = new Health(server.address, grpc.credentials.createInsecure());
      assert.deepEqual(await unary(health, 'Check', {}), { status: 'SERVING' });
      health.close();
    });

    it('answers unknown files and symbols with NOT_FOUND, and extension queries for known types', async () => {
      const [file, symbol, ext, numbers, nothing] = await ask([
        { file_by_filename: 'nope.proto' },
        { file_containing_symbol: 'no.Such' },
        { file_containing_extension: { containing_type: 'mock.v1.EchoRequest', extension_number: 100 } },
        { all_extension_numbers_of_type: 'mock.v1.EchoRequest' },
        {},
      ]);
      assert.equal(file.error_response?.error_code, grpc.status.NOT_FOUND);
      assert.equal(symbol.error_response?.error_code, grpc.status.NOT_FOUND);
      assert.equal(ext.error_response?.error_code, grpc.status.NOT_FOUND);
      assert.equal(numbers.all_extension_numbers_response?.base_type_name, 'mock.v1.EchoRequest');
      assert.equal(nothing.error_response?.error_code, grpc.status.INVALID_ARGUMENT);
      assert.equal(file.original_request?.file_by_filename, 'nope.proto');
    });
  });
}

// A bare @grpc/grpc-js server with mock.v1.Echo/Unary (the request's message and payload back) and
// grpc.health.v1.Health/Check (SERVING), from the package's own .proto files: the gRPC server a Node.js
// user would write, for the h2 bench's gRPC comparison.
// Usage: node dist/bench/servers/grpc-echo.js <port>
import { Server, ServerCredentials, loadPackageDefinition, type GrpcObject, type ServiceClientConstructor, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';

const portArg = process.argv[2] ?? '';
const port = Number(portArg);
if (!/^\d+$/.test(portArg) || port < 1 || port > 65535) {
  process.stderr.write(`grpc-echo: expected a port (1-65535) as the only argument, got ${JSON.stringify(portArg)}\n`);
  process.exit(2);
}

const protoDir = fileURLToPath(new URL('../../../proto', import.meta.url));
const definition = loadSync(['mock/v1/echo.proto', 'grpc/health/v1/health.proto'], { includeDirs: [protoDir] });
const root = loadPackageDefinition(definition);
const service = (path: string): ServiceClientConstructor['service'] =>
  (path.split('.').reduce<unknown>((node, key) => (node as GrpcObject)[key], root) as ServiceClientConstructor).service;

interface EchoRequest {
  message: string;
  payload: Buffer;
}

const server = new Server();
server.addService(service('mock.v1.Echo'), {
  Unary: (call: ServerUnaryCall<EchoRequest, EchoRequest>, callback: sendUnaryData<EchoRequest>) =>
    callback(null, { message: call.request.message, payload: call.request.payload }),
});
server.addService(service('grpc.health.v1.Health'), {
  Check: (_call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<{ status: string }>) => callback(null, { status: 'SERVING' }),
});
server.bindAsync(`127.0.0.1:${port}`, ServerCredentials.createInsecure(), (err) => {
  if (err !== null) {
    process.stderr.write(`grpc-echo: ${err.message}\n`);
    process.exit(1);
  }
});

const shutdown = (): void => {
  server.forceShutdown();
  process.exit(0);
};
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);

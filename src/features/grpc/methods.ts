// The gRPC method paths, in counter-row order: a module of its own (no protobufjs), so the admin side and the
// metrics can name the counters without loading the handler, which costs ~140 ms of startup (index.ts).

/** The method paths, in counter-row order (shared counters are sized with grpcCounterCells(GrpcMethodPaths.length)). */
export const GrpcMethodPaths: readonly string[] = [
  '/grpc.health.v1.Health/Check',
  '/grpc.health.v1.Health/Watch',
  '/mock.v1.Echo/Unary',
  '/mock.v1.Echo/ServerStream',
  '/mock.v1.Echo/ClientStream',
  '/mock.v1.Echo/Bidi',
  '/grpc.reflection.v1.ServerReflection/ServerReflectionInfo',
  '/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo',
];


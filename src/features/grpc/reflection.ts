// Server reflection, grpc.reflection.v1 and v1alpha (one wire format, two service names): list_services,
// file_by_filename, file_containing_symbol (FileDescriptorProto bytes of the file and its imports), and the
// extension queries answered for protos that declare no extensions. What grpcurl and grpc-js clients ask.
import type { Call, Method } from './call.js';
import { Code, encodeFrame, PrefixBytes } from './framing.js';
import type { ProtoSet } from './protos.js';

interface ReflectionRequest {
  host?: string;
  file_by_filename?: string;
  file_containing_symbol?: string;
  file_containing_extension?: { containing_type?: string; extension_number?: number };
  all_extension_numbers_of_type?: string;
  list_services?: string;
}

/** The reflection answer (a response object for protobufjs) to one request. */
export function answerReflection(protos: ProtoSet, req: ReflectionRequest): Record<string, unknown> {
  const out: Record<string, unknown> = { valid_host: req.host ?? '', original_request: req };
  if (req.list_services !== undefined && req.list_services !== null) {
    out.list_services_response = { service: protos.services.map((name) => ({ name })) };
  } else if (typeof req.file_by_filename === 'string') {
    const name = req.file_by_filename;
    if (protos.files.has(name)) out.file_descriptor_response = { file_descriptor_proto: withImports(protos, name) };
    else out.error_response = { error_code: Code.NOT_FOUND, error_message: `file not found: ${name}` };
  } else if (typeof req.file_containing_symbol === 'string') {
    const symbol = req.file_containing_symbol.startsWith('.') ? req.file_containing_symbol.slice(1) : req.file_containing_symbol;
    const file = protos.symbols.get(symbol);
    if (file !== undefined) out.file_descriptor_response = { file_descriptor_proto: withImports(protos, file) };
    else out.error_response = { error_code: Code.NOT_FOUND, error_message: `symbol not found: ${symbol}` };
  } else if (req.file_containing_extension !== undefined && req.file_containing_extension !== null) {
    const ext = req.file_containing_extension;
    out.error_response = { error_code: Code.NOT_FOUND, error_message: `extension not found: ${ext.containing_type ?? ''} ${ext.extension_number ?? 0}` };
  } else if (typeof req.all_extension_numbers_of_type === 'string') {
    const type = req.all_extension_numbers_of_type;
    if (protos.messages.has(type)) out.all_extension_numbers_response = { base_type_name: type, extension_number: [] };
    else out.error_response = { error_code: Code.NOT_FOUND, error_message: `type not found: ${type}` };
  } else {
    out.error_response = { error_code: Code.INVALID_ARGUMENT, error_message: 'the request asks nothing (no message_request field set)' };
  }
  return out;
}

// The file then every file it imports, transitively, each once.
function withImports(protos: ProtoSet, name: string): Uint8Array[] {
  const seen = new Set<string>();
  const out: Uint8Array[] = [];
  const visit = (n: string): void => {
    if (seen.has(n)) return;
    seen.add(n);
    const bytes = protos.files.get(n);
    if (bytes !== undefined) out.push(bytes);
    for (const dep of protos.imports.get(n) ?? []) visit(dep);
  };
  visit(name);
  return out;
}

/** ServerReflectionInfo for v1 and v1alpha (rows `index`, `index + 1` of the counters). */
export function reflectionMethods(protos: ProtoSet, index: number): Method[] {
  const make = (version: string, row: number): Method => ({
    path: `/grpc.reflection.${version}.ServerReflection/ServerReflectionInfo`,
    index: row,
    clientStreams: true,
    start(): void {},
    message(call: Call, frame: Buffer): void {
      let req: ReflectionRequest;
      try {
        req = protos.reflectionRequest.toObject(protos.reflectionRequest.decode(frame.subarray(PrefixBytes))) as ReflectionRequest;
      } catch (err) {
        call.finish(Code.INTERNAL, `grpc: error unmarshalling request: ${(err as Error).message}`);
        return;
      }
      const reply = protos.reflectionResponse.encode(protos.reflectionResponse.fromObject(answerReflection(protos, req))).finish();
      call.send(encodeFrame(reply));
    },
    halfClose(call: Call): void {
      call.finish(Code.OK);
    },
    timer(): void {},
    closed(): void {},
  });
  return [make('v1', index), make('v1alpha', index + 1)];
}

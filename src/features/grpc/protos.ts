// The .proto files we serve, loaded once at startup with protobufjs: their FileDescriptorProto bytes and
// symbol table for server reflection, and the reflection messages' codecs (reflection is rare, so a
// reflective decoder is fine there; the hot methods use codecs.ts).
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import descriptor from 'protobufjs/ext/descriptor.js';

/** The proto files shipped in the package's proto/ directory, as reflection names them. */
export const ProtoFiles = [
  'grpc/health/v1/health.proto',
  'grpc/reflection/v1/reflection.proto',
  'grpc/reflection/v1alpha/reflection.proto',
  'mock/v1/echo.proto',
] as const;

/** The package's proto/ directory (dist/src/features/grpc/ is four levels below the package root). */
export const DefaultProtoDir = fileURLToPath(new URL('../../../../proto/', import.meta.url));

/** Everything reflection needs, computed once per worker. */
export interface ProtoSet {
  /** FileDescriptorProto bytes by file name. */
  readonly files: ReadonlyMap<string, Uint8Array>;
  /** Each file's dependencies (none today: our protos import nothing), by file name. */
  readonly imports: ReadonlyMap<string, readonly string[]>;
  /** The file that declares each fully qualified symbol (package, message, enum, service, method). */
  readonly symbols: ReadonlyMap<string, string>;
  /** Fully qualified message names (for all_extension_numbers_of_type). */
  readonly messages: ReadonlySet<string>;
  /** Fully qualified service names, in file order. */
  readonly services: readonly string[];
  /** ServerReflectionRequest / Response (v1 and v1alpha share one wire format). */
  readonly reflectionRequest: protobuf.Type;
  readonly reflectionResponse: protobuf.Type;
}

type DescriptorMessage = { name?: string | null; field?: { typeName?: string | null; name?: string | null }[]; nestedType?: DescriptorMessage[] };

/** Load and describe the protos under `dir` (throws when a file is missing or does not parse: a packaging bug). */
export function loadProtos(dir: string = DefaultProtoDir): ProtoSet {
  const files = new Map<string, Uint8Array>();
  const imports = new Map<string, readonly string[]>();
  const symbols = new Map<string, string>();
  const messages = new Set<string>();
  const services: string[] = [];
  let reflectionRoot: protobuf.Root | null = null;
  for (const name of ProtoFiles) {
    const root = new protobuf.Root();
    root.resolvePath = (_origin, target) => `${dir}${target}`;
    root.loadSync(name, { keepCase: true });
    root.resolveAll();
    const set = root.toDescriptor('proto3');
    if (set.file.length !== 1) throw new Error(`${name}: expected one package, found ${set.file.length}`);
    const file = set.file[0];
    file.name = name;
    // protobufjs writes type names relative to their scope; protoc (and Go's protodesc, under grpcurl)
    // use fully qualified ones with a leading dot.
    const pkg = root.lookup(file.package as string) as protobuf.Namespace;
    for (const m of (file.messageType ?? []) as DescriptorMessage[]) qualify(m, pkg.lookupType(m.name as string));
    files.set(name, descriptor.FileDescriptorProto.encode(file).finish());
    imports.set(name, []);
    collect(pkg, name, symbols, messages, services);
    if (name === 'grpc/reflection/v1/reflection.proto') reflectionRoot = root;
  }
  const r = reflectionRoot as protobuf.Root;
  return {
    files, imports, symbols, messages, services,
    reflectionRequest: r.lookupType('grpc.reflection.v1.ServerReflectionRequest'),
    reflectionResponse: r.lookupType('grpc.reflection.v1.ServerReflectionResponse'),
  };
}

function qualify(m: DescriptorMessage, type: protobuf.Type): void {
  for (const f of m.field ?? []) {
    if (f.typeName === undefined || f.typeName === null || f.typeName === '') continue;
    const resolved = type.fields[f.name as string].resolvedType;
    if (resolved !== null) f.typeName = resolved.fullName;
  }
  for (const nested of m.nestedType ?? []) qualify(nested, type.lookupType(nested.name as string));
}

function collect(ns: protobuf.NamespaceBase, file: string, symbols: Map<string, string>, messages: Set<string>, services: string[]): void {
  symbols.set(ns.fullName.slice(1), file);
  for (const child of ns.nestedArray) {
    const full = child.fullName.slice(1);
    symbols.set(full, file);
    if (child instanceof protobuf.Service) {
      services.push(full);
      for (const m of child.methodsArray) symbols.set(m.fullName.slice(1), file);
    } else if (child instanceof protobuf.Type) {
      messages.add(full);
      collect(child, file, symbols, messages, services);
    } else if (child instanceof protobuf.Enum) {
      // enum values are not symbols reflection asks for
    } else if (child instanceof protobuf.Namespace) {
      collect(child, file, symbols, messages, services);
    }
  }
}

// The documented reference tables against their sources, in both directions: the config-file table
// (docs/configuration.md, "Configured routes") against schema/mock-upstream.schema.json, the schema's `server`
// object and both tables against the settings table in src/config/settings.ts, the flag table
// (docs/configuration.md, "Configuration") against that settings table too, and the log
// table (docs/operations.md, "Operating it") against the `event:` names in src/. Every example in the
// config-file table, and the README's config example, must pass `mock-upstream check`.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SchemaPath } from '../../src/config/file.js';
import { parseCommand } from '../../src/config/options.js';
import { serverSchema, SettingRows } from '../../src/config/settings.js';

const Options = SettingRows;

const Root = new URL('../../../', import.meta.url);
const Readme = readFileSync(new URL('README.md', Root), 'utf8');
const ConfigDoc = readFileSync(new URL('docs/configuration.md', Root), 'utf8');
const OperationsDoc = readFileSync(new URL('docs/operations.md', Root), 'utf8');
const Schema = JSON.parse(readFileSync(SchemaPath, 'utf8')) as SchemaNode;

interface SchemaNode {
  $ref?: string;
  type?: string | string[];
  const?: unknown;
  enum?: unknown[];
  oneOf?: SchemaNode[];
  anyOf?: SchemaNode[];
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  description?: string;
}

// ---- Markdown -------------------------------------------------------------------------------------

/** The text of the `## <title>…` section of a Markdown document, up to the next `## ` heading. */
function section(title: string, doc: string): string {
  const lines = doc.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`## ${title}`));
  assert.ok(start >= 0, `no "## ${title}" section`);
  const end = lines.findIndex((l, i) => i > start && l.startsWith('## '));
  return lines.slice(start, end < 0 ? undefined : end).join('\n');
}

/** Cells of a table row; `\|` is a literal pipe. */
function cells(line: string): string[] {
  return line.trim().replace(/^\|/, '').replace(/(?<!\\)\|$/, '').split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, '|'));
}

/** The rows of the table (in `text`) whose first header cell is `first`, keyed by header. */
function table(text: string, first: string): Record<string, string>[] {
  const lines = text.split('\n').map((l) => l.trim());
  const at = lines.findIndex((l) => l.startsWith('|') && cells(l)[0] === first);
  assert.ok(at >= 0, `no table with a "${first}" column`);
  const header = cells(lines[at]);
  const rows: Record<string, string>[] = [];
  for (let i = at + 2; i < lines.length && lines[i].startsWith('|'); i++) {
    const row = cells(lines[i]);
    assert.equal(row.length, header.length, `row with ${row.length} cells, header has ${header.length}: ${lines[i]}`);
    rows.push(Object.fromEntries(header.map((h, j) => [h, row[j]])));
  }
  assert.ok(rows.length > 0, `the "${first}" table is empty`);
  return rows;
}

/** The `code` spans of a cell. */
function code(cell: string): string[] {
  return [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
}

/** A cell as plain text: code spans unwrapped. */
function plain(cell: string): string {
  return cell.replace(/`([^`]*)`/g, '$1').trim();
}

/** Fail on anything the source has that the README lacks, and on anything the README has that the source lacks. */
function assertSameSet(readme: Iterable<string>, source: Iterable<string>, what: string, sourceName: string): void {
  const r = new Set(readme);
  const s = new Set(source);
  assert.deepEqual([...s].filter((x) => !r.has(x)), [], `${what} missing from the docs`);
  assert.deepEqual([...r].filter((x) => !s.has(x)), [], `${what} in the docs but not in ${sourceName}`);
}

// ---- Schema ---------------------------------------------------------------------------------------

interface Property {
  /** README spelling: server.port, routes[].body.json. */
  readonly path: string;
  readonly node: SchemaNode;
}

/** Follow a local $ref (#/definitions/...). */
function deref(node: SchemaNode): SchemaNode {
  if (node.$ref === undefined) return node;
  assert.ok(node.$ref.startsWith('#/'), `only local $refs are supported: ${node.$ref}`);
  return deref(node.$ref.slice(2).split('/').reduce<unknown>((n, key) => (n as Record<string, unknown>)[key], Schema) as SchemaNode);
}

/** Every property the schema declares, nested objects and array items included. */
function schemaProperties(): Property[] {
  const out: Property[] = [];
  const walk = (node: SchemaNode, prefix: string): void => {
    const n = deref(node);
    if (n.items !== undefined) walk(n.items, `${prefix}[]`);
    for (const [key, child] of Object.entries(n.properties ?? {})) {
      const path = prefix === '' ? key : `${prefix}.${key}`;
      out.push({ path, node: child });
      walk(child, path);
    }
  };
  walk(Schema, '');
  return out;
}

/** The JSON types a schema node allows ("any" when it does not say). */
function jsonTypes(node: SchemaNode): Set<string> {
  const n = deref(node);
  const of = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v);
  if (n.type !== undefined) return new Set(Array.isArray(n.type) ? n.type : [n.type]);
  if ('const' in n) return new Set([of(n.const)]);
  if (n.enum !== undefined) return new Set(n.enum.map(of));
  const branches = n.oneOf ?? n.anyOf;
  if (branches !== undefined) return new Set(branches.flatMap((b) => [...jsonTypes(b)]));
  return new Set(['any']);
}

const TypeWords = /\b(string|integer|number|boolean|object|array|null|any)\b/g;

/** Build a config file holding `value` at `path` (routes get a path of their own unless the row sets it). */
function place(parts: string[], value: unknown): Record<string, unknown> {
  const [head, ...rest] = parts;
  const inner = rest.length === 0 ? value : place(rest, value);
  if (head.endsWith('[]')) return { [head.slice(0, -2)]: [{ path: '/items/:id', ...(inner as object) }] };
  return { [head]: inner };
}

// What a server setting's example needs beside it to be a valid config on its own.
const Companions: Record<string, Record<string, string>> = {
  'server.tlsCert': { tlsKey: '/certs/server.key' },
  'server.tlsKey': { tlsCert: '/certs/server.crt' },
  'server.tlsCa': { tlsCert: '/certs/server.crt', tlsKey: '/certs/server.key' },
};

/** Run `mock-upstream check` (the real option parsing and file checks) on a config value. */
function check(value: unknown, dir: string): string | null {
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(value));
  try {
    const c = parseCommand(['check', file], {});
    return c.kind === 'check' ? null : `parsed as ${c.kind}`;
  } catch (err) {
    return (err as Error).message;
  }
}

describe('config-file reference (docs/configuration.md, "Configured routes") against the schema', () => {
  const properties = schemaProperties();
  const rows = table(section('Configured routes', ConfigDoc), 'property');
  const byPath = new Map(rows.map((r) => [code(r.property)[0], r]));

  test('every schema property is in the table and every row is a schema property', () => {
    for (const r of rows) assert.equal(code(r.property).length, 1, `one property per row: ${r.property}`);
    assert.equal(byPath.size, rows.length, 'a property has two rows');
    assertSameSet(byPath.keys(), properties.map((p) => p.path), 'config-file properties', 'the schema');
  });

  test('every schema property has a description (editors show it)', () => {
    for (const p of properties) assert.ok((p.node.description ?? '').length >= 10, `${p.path} has no description`);
  });

  test('each row names the JSON types the schema allows', () => {
    for (const p of properties) {
      const row = byPath.get(p.path);
      if (row === undefined) continue;
      const said = new Set([...row.type.matchAll(TypeWords)].map((m) => m[1]));
      assert.deepEqual([...said].sort(), [...jsonTypes(p.node)].sort(), `type of ${p.path}: "${row.type}"`);
    }
  });

  test('each example is valid at its place in a config file (schema and value checks)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mock-readme-'));
    try {
      for (const p of properties) {
        const row = byPath.get(p.path);
        if (row === undefined) continue;
        const [example] = code(row.example);
        assert.ok(example !== undefined, `${p.path} has no example`);
        let value: unknown;
        assert.doesNotThrow(() => { value = JSON.parse(example); }, `example of ${p.path} is not JSON: ${example}`);
        const placed = place(p.path.split('.'), value);
        // Settings valid only with a companion (TLS files come in pairs) are checked beside it.
        const with_ = Companions[p.path];
        if (with_ !== undefined) Object.assign(placed.server as object, with_);
        assert.equal(check(placed, dir), null, `example of ${p.path}: ${example}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the README\'s JSON example of configured routes passes `mock-upstream check`', () => {
    const blocks = [...section('Configured routes', Readme).matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]);
    assert.ok(blocks.length > 0, 'no ```json example');
    const dir = mkdtempSync(join(tmpdir(), 'mock-readme-'));
    try {
      for (const b of blocks) assert.equal(check(JSON.parse(b), dir), null, b);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a server setting has the default of its flag in the Configuration table', () => {
    const flags = new Map(table(section('Configuration', ConfigDoc), 'flag').flatMap((r) =>
      code(r.flag).map((f) => [/--([\w-]+)/.exec(f)?.[1] ?? f, plain(r.default)] as const)));
    for (const p of properties.filter((x) => x.path.startsWith('server.'))) {
      const flag = p.path.slice('server.'.length).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
      assert.ok(Options.some((o) => o.flag === flag), `${p.path} has no flag --${flag}`);
      const row = byPath.get(p.path);
      if (row !== undefined) assert.equal(plain(row.default), flags.get(flag), `default of ${p.path} vs --${flag}`);
    }
  });
});

describe('the settings table (src/config/settings.ts) against the schema and the config-file table', () => {
  test('the shipped schema\'s `server` object is the one the table makes', () => {
    const shipped = (Schema.properties ?? {}).server;
    assert.deepEqual(shipped, serverSchema(),
      `schema/mock-upstream.schema.json's "server" differs from the settings table; the table's version:\n${JSON.stringify(serverSchema(), null, 2)}`);
  });

  test('each server.* row of the config-file table names its flag, and is a table row with a file schema', () => {
    const rows = table(section('Configured routes', ConfigDoc), 'property').filter((r) => code(r.property)[0].startsWith('server.'));
    const fileRows = SettingRows.filter((r) => r.file !== undefined);
    assertSameSet(rows.map((r) => code(r.property)[0].slice('server.'.length)), fileRows.map((r) => r.key), 'server settings', 'the settings table');
    for (const r of rows) {
      const row = fileRows.find((f) => f.key === code(r.property)[0].slice('server.'.length));
      if (row !== undefined) assert.ok(code(r.meaning).includes(`--${row.flag}`), `server.${row.key}'s meaning names --${row.flag}`);
    }
  });
});

describe('flag table (docs/configuration.md, "Configuration") against the settings table', () => {
  interface Documented { short: string | null; value: string; env: string; dflt: string }
  const documented = new Map<string, Documented>();
  for (const r of table(section('Configuration', ConfigDoc), 'flag')) {
    const spans = code(r.flag);
    assert.ok(spans.length > 0, `no flag in row: ${r.flag}`);
    for (const span of spans) {
      const m = /^(?:-(\w), )?--([\w-]+)(?: (.+))?$/.exec(span);
      assert.ok(m !== null, `cannot read flag "${span}"`);
      assert.ok(!documented.has(m[2]), `--${m[2]} documented twice`);
      documented.set(m[2], { short: m[1] ?? null, value: m[3] ?? '', env: plain(r.env), dflt: plain(r.default) });
    }
  }

  test('every option is documented and every documented flag exists', () => {
    assertSameSet(documented.keys(), Options.map((o) => o.flag), 'flags', 'the settings table (src/config/settings.ts)');
  });

  test('short flag, value placeholder and environment variable match', () => {
    for (const o of Options) {
      const d = documented.get(o.flag);
      if (d === undefined) continue;
      assert.equal(d.short, o.short ?? null, `short flag of --${o.flag}`);
      assert.equal(d.value, o.value, `value of --${o.flag}`);
      assert.equal(d.env, o.env ?? '', `env of --${o.flag}`);
    }
  });

  test('a default stated by --help is the documented default', () => {
    for (const o of Options) {
      const d = documented.get(o.flag);
      const stated = /\(default:? ([^)]*)\)/.exec(o.help)?.[1];
      if (d === undefined || stated === undefined) continue;
      // "auto = available cores" -> "auto"
      assert.equal(d.dflt, stated.split(' = ')[0], `default of --${o.flag}`);
    }
  });
});

describe('log table (docs/operations.md, "Operating it") against the code', () => {
  const srcDir = fileURLToPath(new URL('src/', Root));
  const files = (readdirSync(srcDir, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts'));
  const events = new Set(files.flatMap((f) => [...readFileSync(join(srcDir, f), 'utf8').matchAll(/\bevent: ['"]([\w-]+)['"]/g)].map((m) => m[1])));

  test('every `event` the server logs is in the table, and the table names no other', () => {
    assert.ok(events.has('listening'), 'found no events in src/');
    const rows = table(section('Operating it', OperationsDoc), 'level');
    assertSameSet(rows.flatMap((r) => code(r.event)), events, 'log events', 'src/');
  });
});

// The floors rule: a module imports only from its own floor or a lower one. Floors are folders (or single
// files) of src/, numbered from the entry (1) down to the foundations; an import that resolves to a module
// on a higher floor (a smaller number) is an error naming both floors. Imports of packages are not checked.
import { dirname, relative, resolve, sep } from 'node:path';

/**
 * Floors from the top: entry, runtime, app composition, features, HTTP core, foundations. A module's floor
 * is the first entry whose path is the module's path or a folder holding it (paths relative to src/).
 */
export const Floors = [
  { name: 'entry', paths: ['cli.ts', 'main.ts', 'index.ts'] },
  // probe/: the stream client (`mock-upstream probe`), a second program beside the server's runtime.
  { name: 'runtime', paths: ['runtime', 'probe'] },
  { name: 'app', paths: ['app'] },
  { name: 'features', paths: ['features'] },
  { name: 'core', paths: ['http'] },
  { name: 'foundations', paths: ['grammar', 'serializers', 'observe', 'config', 'version.ts'] },
];

/** Index of the floor of a file under srcDir (0 = entry), or -1 outside every floor. */
export function floorOf(file, srcDir) {
  const rel = relative(srcDir, file).split(sep).join('/').replace(/\.js$/, '.ts');
  if (rel.startsWith('..')) return -1;
  return Floors.findIndex((f) => f.paths.some((p) => rel === p || rel.startsWith(`${p}/`)));
}

/** @type {import('eslint').Rule.RuleModule} */
const rule = {
  meta: {
    type: 'problem',
    docs: { description: 'a module imports only from its own floor or below (docs/architecture.md)' },
    schema: [{ type: 'object', properties: { src: { type: 'string' } }, additionalProperties: false }],
    messages: {
      upward: '{{from}} (floor "{{fromFloor}}") may not import {{to}} (floor "{{toFloor}}", higher): move the shared piece down, or pass it in from above',
      unplaced: '{{from}} is in no floor: add its folder to the floor table in eslint/floors.js',
    },
  },
  create(context) {
    const srcDir = resolve(context.options[0]?.src ?? 'src');
    const file = context.filename;
    const mine = floorOf(file, srcDir);
    if (relative(srcDir, file).startsWith('..')) return {};
    const check = (node) => {
      if (mine < 0) {
        context.report({ node, messageId: 'unplaced', data: { from: relative(srcDir, file) } });
        return;
      }
      const spec = node.source?.value;
      if (typeof spec !== 'string' || !spec.startsWith('.')) return;
      const target = resolve(dirname(file), spec);
      const theirs = floorOf(target, srcDir);
      if (theirs >= 0 && theirs < mine) {
        context.report({ node, messageId: 'upward', data: {
          from: relative(srcDir, file), fromFloor: Floors[mine].name, to: relative(srcDir, target), toFloor: Floors[theirs].name,
        } });
      }
    };
    return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check, ImportExpression: check };
  },
};

export default { rules: { floors: rule } };

// Locations the benches share. Everything is resolved from the package root so
// the same code works from bench/*.ts (tsc) and dist/bench/*.js (node).
import { existsSync, mkdirSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const PackageName = 'mock-upstream';

let cachedRoot: string | undefined;

/** Absolute path of the mock-upstream package root (the directory holding its package.json). */
export function repoRoot(): string {
  if (cachedRoot !== undefined) return cachedRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const parsed: unknown = JSON.parse(readFileSync(manifest, 'utf8'));
      if (typeof parsed === 'object' && parsed !== null && (parsed as { name?: unknown }).name === PackageName) {
        cachedRoot = dir;
        return dir;
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`bench: cannot find the ${PackageName} package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/** Scratch directory for server logs (bench/.work, git-ignored), created on demand. */
export function workDir(): string {
  const dir = join(repoRoot(), 'bench', '.work');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Path relative to the package root, for command lines people can paste from there. */
export function fromRoot(absolute: string): string {
  return relative(repoRoot(), absolute) || '.';
}

/** True when the module with this import.meta.url is the script node was started with. */
export function isMain(moduleUrl: string): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}

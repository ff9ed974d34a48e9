// The Dockerfile, checked without Docker (no engine runs here or in CI): dockerfile-ast parses it and
// this file REPLAYS the build in temporary directories -- a copy of the build context that honours
// .dockerignore, one directory per stage standing in for its filesystem -- then starts the final
// stage's ENTRYPOINT, asks its HEALTHCHECK and stops it with SIGTERM, as `docker run`/`docker stop` would.
//
// What the replay cannot be (and so does not claim to be): the base image is this machine, not
// node:20-bookworm-slim (RUN uses the host's bash, node and npm, and the host environment stands in for
// the base image's ENV); RUN runs as the current user, so USER and COPY --chown are checked, not
// enacted (instead every shipped file must be readable by a non-root user); there is no PID namespace,
// so "node is PID 1" is checked as "exec-form ENTRYPOINT whose program is node". Instructions the replay
// does not emulate fail the test rather than being skipped.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  chmodSync, cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync,
  rmSync, statSync, symlinkSync, copyFileSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DockerfileParser, type Arg, type Copy, type Env, type From, type Healthcheck, type Instruction, type Label, type Run,
} from 'dockerfile-ast';
import { lineSplitter, parseLogLine } from '../helpers/log-lines.js';

/** Repository root (this file runs from dist/test/packaging/). */
const RepoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** The only uWebSockets.js binaries the image may ship: Linux x64/arm64 for Node 20 (ABI 115). */
const KeptUwsBinaries = [
  'node_modules/uWebSockets.js/binaries/uws_linux_arm64_115.node',
  'node_modules/uWebSockets.js/binaries/uws_linux_x64_115.node',
];

// ---------------------------------------------------------------------------------------------------
// .dockerignore: moby/patternmatcher semantics (anchored at the context root; a match on a parent
// directory excludes everything below it; later `!` lines re-include; `**` spans directories).

interface IgnoreRule { readonly re: RegExp; readonly negate: boolean }

/** Compile .dockerignore text into ordered rules. */
export function parseDockerignore(text: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  for (const raw of text.split(/\r?\n/)) {
    let line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const negate = line.startsWith('!');
    if (negate) line = line.slice(1).trim();
    // Docker cleans the pattern and treats the context root as "/".
    line = posix.normalize(line).replace(/^\/+/, '').replace(/\/+$/, '');
    if (line === '' || line === '.') continue;
    rules.push({ re: patternToRegExp(line), negate });
  }
  return rules;
}

function patternToRegExp(pattern: string): RegExp {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        if (pattern[i + 1] === '/') i++;
        re += i + 1 >= pattern.length ? '.*' : '(.*/)?';
      } else {
        re += '[^/]*';
      }
    } else if (ch === '?') {
      re += '[^/]';
    } else if (ch === '\\' && i + 1 < pattern.length) {
      i++;
      re += pattern[i].replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    } else if (ch === '[') {
      // A character class passes through as in Go's filepath.Match ([!...] is its negation).
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) throw new Error(`.dockerignore: unterminated [ in "${pattern}"`);
      re += `[${pattern.slice(i + 1, end).replace(/^!/, '^')}]`;
      i = end;
    } else {
      re += ch.replace(/[.+^${}()|\]\\/]/g, '\\$&');
    }
  }
  return new RegExp(`${re}$`);
}

/** Whether a context-relative POSIX path is excluded: the last rule matching it or a parent decides. */
export function isIgnored(rules: readonly IgnoreRule[], rel: string): boolean {
  const parts = rel.split('/');
  const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let ignored = false;
  for (const rule of rules) {
    if (candidates.some((c) => rule.re.test(c))) ignored = !rule.negate;
  }
  return ignored;
}

/** Copy a build context to `dest` as `docker build` would send it (modes kept, .dockerignore applied). */
export function copyContext(contextDir: string, dest: string): void {
  const ignoreFile = join(contextDir, '.dockerignore');
  const rules = existsSync(ignoreFile) ? parseDockerignore(readFileSync(ignoreFile, 'utf8')) : [];
  // With no `!` rule nothing below an excluded directory can come back, so it is not even walked
  // (node_modules would otherwise dominate the test's time).
  const canReinclude = rules.some((r) => r.negate);
  const walk = (rel: string): void => {
    const from = join(contextDir, rel);
    for (const entry of readdirSync(from, { withFileTypes: true })) {
      const childRel = rel === '' ? entry.name : `${rel}/${entry.name}`;
      const ignored = isIgnored(rules, childRel);
      const src = join(contextDir, childRel);
      const out = join(dest, childRel);
      if (entry.isDirectory()) {
        if (ignored && !canReinclude) continue;
        mkdirSync(out, { recursive: true });
        walk(childRel);
        chmodSync(out, statSync(src).mode & 0o7777);
      } else if (!ignored && (entry.isFile() || entry.isSymbolicLink())) {
        if (entry.isSymbolicLink()) symlinkSync(readlinkSync(src), out);
        else copyFileSync(src, out);
      }
    }
  };
  mkdirSync(dest, { recursive: true });
  walk('');
}

// ---------------------------------------------------------------------------------------------------
// Reading the Dockerfile into stages: steps to replay plus the image config each stage ends with.

type Command = readonly string[] | string; // exec form, or shell form (run with bash -c)

interface ImageConfig {
  env: Record<string, string>;
  workdir: string;
  user: string | null;
  expose: string[];
  labels: Record<string, string>;
  healthcheck: { command: Command; flags: Record<string, string> } | null | undefined; // null = NONE
  entrypoint: Command | null;
  cmd: Command | null;
  stopSignal: string | null;
}

type Step =
  | { readonly kind: 'workdir'; readonly line: number; readonly path: string }
  | { readonly kind: 'copy'; readonly line: number; readonly from: string | null; readonly sources: string[]; readonly dest: string; readonly workdir: string }
  | { readonly kind: 'run'; readonly line: number; readonly command: Command; readonly workdir: string; readonly env: Record<string, string> };

interface Stage {
  readonly index: number;
  readonly name: string | null;
  readonly image: string;
  /** Index of an earlier stage used as the base (`FROM build`), else null for an external image. */
  readonly baseStage: number | null;
  readonly steps: Step[];
  readonly config: ImageConfig;
}

/** Exec form if the text is a JSON array of strings (Docker's rule), else the shell-form string. */
function commandForm(text: string): Command {
  try {
    const v: unknown = JSON.parse(text);
    if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return v as string[];
  } catch { /* shell form */ }
  return text.trim();
}

/** Docker's word expansion subset: $VAR, ${VAR}, ${VAR:-word}, ${VAR:+word}, and \$ for a literal $. */
function expand(text: string, vars: Readonly<Record<string, string | undefined>>): string {
  return text.replace(/\\\$|\$\{([A-Za-z_]\w*)(?::([-+])([^}]*))?\}|\$([A-Za-z_]\w*)/g,
    (m: string, braced?: string, op?: string, word?: string, bare?: string) => {
      if (m === '\\$') return '$';
      const v = vars[braced ?? bare ?? ''];
      if (op === '-') return v ? v : (word ?? '');
      if (op === '+') return v ? (word ?? '') : '';
      return v ?? '';
    });
}

function unsupported(i: Instruction, what: string): never {
  throw new Error(`Dockerfile line ${i.getRange().start.line + 1}: ${what} is not emulated by the replay; extend test/packaging/dockerfile.test.ts`);
}

/** Parse Dockerfile text into stages; throws on anything the replay cannot faithfully emulate. */
export function readStages(text: string): Stage[] {
  const df = DockerfileParser.parse(text);
  const globalArgs: Record<string, string> = {};
  const stages: Stage[] = [];
  let stage: Stage | null = null;
  let stageArgs: Record<string, string> = {};
  let cmdSet = false;
  for (const i of df.getInstructions()) {
    const keyword = i.getKeyword();
    const line = i.getRange().start.line + 1;
    const content = i.getArgumentsContent() ?? '';
    if (keyword === 'ARG') {
      const p = (i as Arg).getProperty();
      if (p === null) unsupported(i, 'ARG without a name');
      const value = expand(p.getValue() ?? '', { ...globalArgs, ...stageArgs });
      if (stage === null) globalArgs[p.getName()] = value;
      else stageArgs[p.getName()] = value;
      continue;
    }
    if (keyword === 'FROM') {
      const from = i as From;
      const image = expand(from.getImage() ?? '', globalArgs);
      const base = stages.find((s) => s.name !== null && s.name.toLowerCase() === image.toLowerCase()) ?? null;
      const config: ImageConfig = base !== null
        ? structuredClone(base.config)
        // An external image: its ENV is unknown here (the host stands in), its WORKDIR we take as "/".
        : { env: {}, workdir: '/', user: null, expose: [], labels: {}, healthcheck: undefined, entrypoint: null, cmd: null, stopSignal: null };
      stage = { index: stages.length, name: from.getBuildStage(), image, baseStage: base?.index ?? null, steps: [], config };
      stages.push(stage);
      stageArgs = {};
      cmdSet = false;
      continue;
    }
    if (stage === null) unsupported(i, `${keyword} before FROM`);
    const c = stage.config;
    const vars = { ...stageArgs, ...c.env };
    switch (keyword) {
      case 'WORKDIR':
        c.workdir = posix.resolve(c.workdir, expand(content.trim(), vars));
        stage.steps.push({ kind: 'workdir', line, path: c.workdir });
        break;
      case 'ENV':
        for (const p of (i as Env).getProperties()) c.env[p.getName()] = expand(p.getValue() ?? '', { ...stageArgs, ...c.env });
        break;
      case 'LABEL':
        for (const p of (i as Label).getProperties()) c.labels[p.getName()] = expand(p.getValue() ?? '', vars);
        break;
      case 'USER':
        c.user = expand(content.trim(), vars);
        break;
      case 'EXPOSE':
        c.expose.push(...i.getArguments().map((a) => expand(a.getValue(), vars).replace(/\/tcp$/i, '')));
        break;
      case 'STOPSIGNAL':
        c.stopSignal = expand(content.trim(), vars);
        break;
      case 'ENTRYPOINT':
        c.entrypoint = commandForm(content);
        if (!cmdSet) c.cmd = null; // Docker: ENTRYPOINT resets a CMD inherited from the base image.
        break;
      case 'CMD':
        c.cmd = commandForm(content);
        cmdSet = true;
        break;
      case 'HEALTHCHECK': {
        const hc = i as Healthcheck;
        const sub = hc.getSubcommand()?.getValue().toUpperCase();
        if (sub === 'NONE') { c.healthcheck = null; break; }
        if (sub !== 'CMD') unsupported(i, `HEALTHCHECK ${sub ?? '(empty)'}`);
        const flags: Record<string, string> = {};
        for (const f of hc.getFlags()) flags[f.getName()] = f.getValue() ?? '';
        c.healthcheck = { command: commandForm(content.replace(/^\s*CMD\s+/i, '')), flags };
        break;
      }
      case 'COPY': {
        const copy = i as Copy;
        if (copy.getHeredocs().length > 0) unsupported(i, 'COPY with a heredoc');
        let from: string | null = null;
        for (const f of copy.getFlags()) {
          // --chown/--chmod: the replay runs as one user, so ownership is ignored (the test checks modes instead).
          if (f.getName() === 'from') from = expand(f.getValue() ?? '', vars);
          else if (!['chown', 'chmod', 'link'].includes(f.getName())) unsupported(i, `COPY --${f.getName()}`);
        }
        const form = commandForm(content);
        const words = (typeof form === 'string' ? i.getArguments().map((a) => a.getValue()) : [...form]).map((w) => expand(w, vars));
        if (words.length < 2) throw new Error(`Dockerfile line ${line}: COPY needs a source and a destination`);
        stage.steps.push({ kind: 'copy', line, from, sources: words.slice(0, -1), dest: words[words.length - 1], workdir: c.workdir });
        break;
      }
      case 'RUN': {
        const run = i as Run;
        if (run.getHeredocs().length > 0) unsupported(i, 'RUN with a heredoc');
        for (const f of run.getFlags()) {
          // A cache mount only speeds up a rebuild; anything else changes what RUN sees.
          if (!(f.getName() === 'mount' && /(^|,)type=cache(,|$)/.test(f.getValue() ?? ''))) unsupported(i, `RUN --${f.getName()}=${f.getValue() ?? ''}`);
        }
        stage.steps.push({ kind: 'run', line, command: commandForm(content), workdir: c.workdir, env: { ...stageArgs, ...c.env } });
        break;
      }
      default:
        unsupported(i, keyword);
    }
  }
  if (stages.length === 0) throw new Error('Dockerfile has no FROM');
  return stages;
}

// ---------------------------------------------------------------------------------------------------
// Replaying the build.

/** A replayed stage: its directory stands in for the image's "/". */
export interface BuiltStage extends Stage { readonly root: string }

/** Host environment standing in for the base image's: without the test runner's and npm's markers. */
function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // node --test tags its children; npm run exports its project (local prefix, package fields, a PATH
  // with this checkout's node_modules/.bin) -- none of that exists inside the image.
  for (const k of Object.keys(env)) {
    if (k === 'NODE_TEST_CONTEXT' || k === 'NODE_ENV' || k === 'INIT_CWD' || /^npm_(?!config_)/i.test(k) || /^npm_config_(local_)?prefix$/i.test(k)) delete env[k];
  }
  env.PATH = (env.PATH ?? '').split(':').filter((p) => !p.includes('node_modules/.bin')).join(':');
  return env;
}

/** Map an image path (absolute, or relative to `workdir`) into a stage directory, never outside it. */
function hostPath(root: string, workdir: string, imagePath: string): string {
  return join(root, posix.resolve(workdir, imagePath));
}

/** Expand `*`, `?` and `[...]` in a source path segment by segment; throws when nothing matches. */
function expandSources(base: string, source: string, what: string): string[] {
  const segments = posix.normalize(source).replace(/^\/+/, '').split('/').filter((s) => s !== '' && s !== '.');
  let found = [''];
  for (const seg of segments) {
    if (seg === '..') throw new Error(`${what}: "${source}" leaves the build context`);
    if (!/[*?[]/.test(seg)) { found = found.map((f) => (f === '' ? seg : `${f}/${seg}`)); continue; }
    const re = patternToRegExp(seg);
    found = found.flatMap((f) => {
      const dir = join(base, f);
      if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
      return readdirSync(dir).filter((n) => re.test(n)).sort().map((n) => (f === '' ? n : `${f}/${n}`));
    });
  }
  found = found.filter((f) => existsSync(join(base, f)));
  if (found.length === 0) throw new Error(`${what}: source "${source}" not found (missing, or excluded by .dockerignore)`);
  return found;
}

function copyStep(step: Extract<Step, { kind: 'copy' }>, stage: BuiltStage, built: readonly BuiltStage[], context: string): void {
  const what = `Dockerfile line ${step.line} (COPY)`;
  let base = context;
  if (step.from !== null) {
    const src = built.find((s) => s.name === step.from || String(s.index) === step.from);
    if (src === undefined) throw new Error(`${what}: --from=${step.from} is not an earlier stage (images are not emulated)`);
    base = src.root; // --from sources are paths from that stage's "/".
  }
  const sources = step.sources.flatMap((s) => expandSources(base, s, what));
  const destIsDir = step.dest.endsWith('/') || sources.length > 1;
  const dest = hostPath(stage.root, step.workdir, step.dest);
  for (const rel of sources) {
    const src = join(base, rel);
    if (lstatSync(src).isDirectory()) {
      // Docker copies a directory's contents, not the directory itself.
      mkdirSync(dest, { recursive: true });
      cpSync(src, dest, { recursive: true, verbatimSymlinks: true, force: true });
    } else {
      const target = destIsDir || (existsSync(dest) && statSync(dest).isDirectory()) ? join(dest, posix.basename(rel)) : dest;
      mkdirSync(join(target, '..'), { recursive: true });
      cpSync(src, target, { verbatimSymlinks: true, force: true });
    }
  }
}

/** Run a command to completion; resolves with its exit code (null on signal) and combined output. */
function execute(command: Command, cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ code: number | null; output: string }> {
  const [file, args] = typeof command === 'string' ? ['bash', ['-c', command]] : [command[0], command.slice(1)];
  return new Promise((resolve, reject) => {
    // Own process group, so a timeout also ends what npm or bash started.
    const proc = spawn(file, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    proc.stdout.on('data', (d: Buffer) => { output += d.toString(); });
    proc.stderr.on('data', (d: Buffer) => { output += d.toString(); });
    const timer = setTimeout(() => {
      try { if (proc.pid !== undefined) process.kill(-proc.pid, 'SIGKILL'); } catch { /* already gone */ }
      reject(new Error(`timed out after ${timeoutMs} ms: ${JSON.stringify(command)}\n${output.slice(-4000)}`));
    }, timeoutMs);
    proc.on('error', (err) => { clearTimeout(timer); reject(err); });
    proc.on('close', (code) => { clearTimeout(timer); resolve({ code, output }); });
  });
}

/** Absolute image paths a RUN names would hit this machine's filesystem instead of the stage's. */
function assertNoImagePaths(step: Extract<Step, { kind: 'run' }>, imageDirs: ReadonlySet<string>): void {
  const text = typeof step.command === 'string' ? step.command : step.command.join(' ');
  for (const dir of imageDirs) {
    if (dir === '/') continue;
    const re = new RegExp(`(^|[\\s'"=:])${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(/|[\\s'";]|$)`);
    if (re.test(text)) {
      throw new Error(`Dockerfile line ${step.line}: RUN names the image path ${dir}; the replay only maps WORKDIR, so use a path relative to it`);
    }
  }
}

/** Replay every stage in order in `workRoot` (context copy + one directory per stage); `log` gets RUN timings. */
export async function replayBuild(
  dockerfileText: string, contextDir: string, workRoot: string,
  log: (msg: string) => void = () => {}, stepTimeoutMs = 90_000,
): Promise<BuiltStage[]> {
  const stages = readStages(dockerfileText);
  // Docker builds with umask 022; a stricter host umask would make the replay's own directories (and
  // what npm writes) look unreadable to the image's non-root user.
  const umask = process.umask(0o022);
  try {
    return await replayStages(stages, contextDir, workRoot, log, stepTimeoutMs);
  } finally {
    process.umask(umask);
  }
}

async function replayStages(
  stages: readonly Stage[], contextDir: string, workRoot: string, log: (msg: string) => void, stepTimeoutMs: number,
): Promise<BuiltStage[]> {
  const context = join(workRoot, 'context');
  copyContext(contextDir, context);
  const built: BuiltStage[] = [];
  for (const s of stages) {
    const stage: BuiltStage = { ...s, root: join(workRoot, `stage-${s.index}${s.name ? `-${s.name}` : ''}`) };
    mkdirSync(stage.root, { recursive: true });
    if (s.baseStage !== null) cpSync(built[s.baseStage].root, stage.root, { recursive: true, verbatimSymlinks: true });
    const imageDirs = new Set<string>();
    for (const step of s.steps) {
      if (step.kind === 'workdir') {
        imageDirs.add(step.path);
        mkdirSync(hostPath(stage.root, '/', step.path), { recursive: true });
      } else if (step.kind === 'copy') {
        imageDirs.add(posix.resolve(step.workdir, step.dest));
        copyStep(step, stage, built, context);
      } else {
        assertNoImagePaths(step, imageDirs);
        const cwd = hostPath(stage.root, '/', step.workdir);
        mkdirSync(cwd, { recursive: true });
        const started = Date.now();
        const { code, output } = await execute(step.command, cwd, { ...baseEnv(), ...step.env }, stepTimeoutMs);
        log(`line ${step.line} RUN: ${Date.now() - started} ms`);
        if (code !== 0) {
          throw new Error(`Dockerfile line ${step.line}: RUN ${JSON.stringify(step.command)} exited ${code}\n${output.slice(-4000)}`);
        }
      }
    }
    built.push(stage);
  }
  return built;
}

/** Every path under `dir` (relative, POSIX), files and directories, without following symlinks. */
function walkTree(dir: string, rel = ''): { rel: string; mode: number; isDir: boolean }[] {
  const out: { rel: string; mode: number; isDir: boolean }[] = [];
  for (const entry of readdirSync(join(dir, rel), { withFileTypes: true })) {
    const childRel = rel === '' ? entry.name : `${rel}/${entry.name}`;
    if (entry.isSymbolicLink()) continue;
    const st = lstatSync(join(dir, childRel));
    out.push({ rel: childRel, mode: st.mode, isDir: entry.isDirectory() });
    if (entry.isDirectory()) out.push(...walkTree(dir, childRel));
  }
  return out;
}

/** A Go duration as Docker's HEALTHCHECK flags take it ("3s", "1m30s", "500ms"), in ms. */
function goDurationMs(text: string): number {
  const units: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  const rest = text.replace(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g, (_m, n: string, u: string) => { total += Number(n) * units[u]; return ''; });
  if (text === '' || rest !== '') throw new Error(`bad duration "${text}"`);
  return total;
}

// ---------------------------------------------------------------------------------------------------
// The tests.

const workRoots: string[] = [];
/** A fresh temporary directory, removed after the tests. */
function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  workRoots.push(dir);
  return dir;
}
after(() => { for (const d of workRoots) rmSync(d, { recursive: true, force: true }); });

describe('.dockerignore matching', () => {
  test('follows moby/patternmatcher: anchored, parents exclude children, ** spans, ! re-includes', () => {
    const rules = parseDockerignore('# comment\nnode_modules\n*.log\n**/*.tmp\n/docs\nsecret?.txt\n*\n!src\n!keep.log\n');
    assert.equal(isIgnored(rules, 'node_modules/pino/index.js'), true);
    assert.equal(isIgnored(rules, 'src/cli.ts'), false, '!src re-includes a directory excluded by *');
    assert.equal(isIgnored(rules, 'keep.log'), false);
    assert.equal(isIgnored(rules, 'other.log'), true);
    const anchored = parseDockerignore('*.log\n**/*.tmp\nsecret?.txt\n/docs\n');
    assert.equal(isIgnored(anchored, 'a.log'), true);
    assert.equal(isIgnored(anchored, 'sub/a.log'), false, '*.log only matches at the context root');
    assert.equal(isIgnored(anchored, 'sub/deep/a.tmp'), true);
    assert.equal(isIgnored(anchored, 'a.tmp'), true, '**/ also matches zero directories');
    assert.equal(isIgnored(anchored, 'secret1.txt'), true);
    assert.equal(isIgnored(anchored, 'docs/x.md'), true);
    assert.equal(isIgnored(anchored, 'src/docs/x.md'), false);
  });
});

describe('Dockerfile replay engine', () => {
  /** A throwaway build context with the given files (path -> content). */
  function context(files: Record<string, string>): string {
    const dir = tempDir('mock-upstream-ctx-');
    for (const [p, text] of Object.entries(files)) {
      mkdirSync(join(dir, p, '..'), { recursive: true });
      writeFileSync(join(dir, p), text);
    }
    return dir;
  }

  test('emulates WORKDIR, COPY (dirs, files, --from, --chown), ENV and RUN like a build would', async () => {
    const dockerfile = [
      'FROM scratch AS one',
      'WORKDIR /w',
      'ENV GREETING=hi',
      'COPY data ./data',
      'COPY --chown=1000:1000 top.txt ./',
      'RUN printf "%s" "$GREETING" > data/out.txt && test -f top.txt && test -f data/in.txt',
      'FROM scratch',
      'WORKDIR /app',
      'COPY --from=one /w/data ./d',
      'COPY top.txt renamed.txt',
    ].join('\n');
    const ctx = context({ 'data/in.txt': 'in', 'top.txt': 'top' });
    const built = await replayBuild(dockerfile, ctx, tempDir('mock-upstream-replay-'));
    const app = join(built[1].root, 'app');
    assert.equal(readFileSync(join(app, 'd/out.txt'), 'utf8'), 'hi');
    assert.equal(readFileSync(join(app, 'd/in.txt'), 'utf8'), 'in');
    assert.equal(readFileSync(join(app, 'renamed.txt'), 'utf8'), 'top');
  });

  test('fails on a failing RUN, a missing or ignored source, and an unknown stage', async () => {
    const ctx = context({ 'ok.txt': 'x', 'secret.txt': 's', '.dockerignore': 'secret.txt\n' });
    const attempt = (df: string): Promise<BuiltStage[]> => replayBuild(df, ctx, tempDir('mock-upstream-replay-'));
    await assert.rejects(attempt('FROM scratch\nWORKDIR /w\nRUN exit 3\n'), /line 3: RUN .* exited 3/);
    await assert.rejects(attempt('FROM scratch\nCOPY missing.txt ./\n'), /source "missing.txt" not found/);
    await assert.rejects(attempt('FROM scratch\nCOPY secret.txt ./\n'), /excluded by .dockerignore/);
    await assert.rejects(attempt('FROM scratch\nCOPY --from=nope /x ./\n'), /not an earlier stage/);
    await assert.rejects(attempt('FROM scratch\nADD ok.txt ./\n'), /ADD is not emulated/);
    await assert.rejects(attempt('FROM scratch\nWORKDIR /app\nRUN ls /app/x\n'), /names the image path \/app/);
  });
});

describe('Dockerfile', () => {
  const dockerfileText = readFileSync(join(RepoRoot, 'Dockerfile'), 'utf8');
  const stages = readStages(dockerfileText);
  const final = stages[stages.length - 1];
  // Started by the first test that needs it and shared, so the expensive replay runs once; a failure
  // rejects every test that awaits it (none is skipped).
  let replayed: Promise<BuiltStage[]> | null = null;
  const replay = (log: (msg: string) => void): Promise<BuiltStage[]> =>
    (replayed ??= replayBuild(dockerfileText, RepoRoot, tempDir('mock-upstream-image-'), log));

  test('is multi-stage on node:20-bookworm-slim, with the runtime settings of the final stage', () => {
    assert.ok(stages.length >= 2, 'a build stage and a runtime stage');
    for (const s of stages) {
      if (s.baseStage === null) assert.equal(s.image, 'node:20-bookworm-slim', `stage ${s.index} base`);
    }
    const c = final.config;
    assert.equal(c.user, 'node', 'runs as the non-root node user');
    assert.deepEqual(c.expose, ['8000']);
    assert.equal(c.env.PORT, '8000', 'PORT default matches EXPOSE');
    assert.equal(c.env.HOST, '0.0.0.0', 'listens on all interfaces so -p works');
    assert.equal(c.env.NODE_ENV, 'production');
    assert.ok(c.healthcheck, 'has a HEALTHCHECK');
    const hc = c.healthcheck.command;
    assert.ok(Array.isArray(hc) && hc[0] === 'node', `the HEALTHCHECK uses node (no curl in slim images): ${JSON.stringify(hc)}`);
    assert.ok(Array.isArray(c.entrypoint), 'exec-form ENTRYPOINT: `docker run IMAGE --flags` appends the flags, and no shell sits between Docker and node');
    assert.equal(c.entrypoint[0], 'node', 'node itself is PID 1 and receives SIGTERM (not npm or sh)');
    assert.equal(c.cmd, null, 'no CMD: arguments after the image name are the CLI flags');
    assert.ok(c.stopSignal === null || c.stopSignal === 'SIGTERM', 'docker stop sends SIGTERM, which drains');
    for (const key of ['title', 'description', 'licenses']) {
      assert.ok(c.labels[`org.opencontainers.image.${key}`], `OCI label org.opencontainers.image.${key}`);
    }
  });

  test('replays: npm ci, build and prune succeed; only Linux x64/arm64 ABI-115 uWS binaries and no dev dependencies ship', { timeout: 150_000 }, async (t) => {
    const built = await replay((msg) => t.diagnostic(msg));
    const image = built[built.length - 1];
    const app = hostPath(image.root, '/', image.config.workdir);
    const tree = walkTree(image.root);
    // Anywhere in the image, not just where the package keeps them (dist/ had stray copies).
    const uws = tree.filter((e) => !e.isDir && /(^|\/)uws_[^/]*\.node$/.test(e.rel)).map((e) => posix.relative(image.config.workdir.slice(1), e.rel)).sort();
    assert.deepEqual(uws, KeptUwsBinaries);
    assert.ok(existsSync(join(app, 'dist/src/cli.js')), 'the compiled CLI ships');
    assert.ok(existsSync(join(app, 'payloads')), 'the payload folder ships (so a mount can replace it)');
    // npm's lock marks packages only dev dependencies need; none may survive the prune.
    const lock = JSON.parse(readFileSync(join(RepoRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
    const leftovers = Object.entries(lock.packages).filter(([p, v]) => v.dev === true && existsSync(join(app, p))).map(([p]) => p);
    assert.deepEqual(leftovers, [], 'dev dependencies pruned');
    // USER node meets root-owned files: everything must be readable (and directories searchable) by others.
    const unreadable = tree.filter((e) => (e.isDir ? (e.mode & 0o005) !== 0o005 : (e.mode & 0o004) === 0)).map((e) => e.rel);
    assert.deepEqual(unreadable.slice(0, 10), [], 'files the non-root user could not read');
  });

  test('the replayed image starts, passes its HEALTHCHECK, and exits 0 on SIGTERM', { timeout: 150_000 }, async (t) => {
    const built = await replay((msg) => t.diagnostic(msg));
    const image = built[built.length - 1];
    const c = image.config;
    assert.ok(Array.isArray(c.entrypoint) && c.healthcheck, 'exec-form ENTRYPOINT and a HEALTHCHECK');
    const cwd = hostPath(image.root, '/', c.workdir);
    const env = { ...baseEnv(), ...c.env };
    // As `docker run mock-upstream --port 0 --host 127.0.0.1`: ENTRYPOINT + CMD + the run arguments.
    const argv = [...c.entrypoint, ...(Array.isArray(c.cmd) ? c.cmd : []), '--port', '0', '--host', '127.0.0.1'];
    const proc = spawn(argv[0], argv.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
    try {
      let stderr = '';
      proc.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
      const port = await new Promise<number>((resolve, reject) => {
        const seen: string[] = [];
        const timer = setTimeout(() => reject(new Error(`no listening line within 20 s; stdout:\n${seen.join('\n')}\nstderr:\n${stderr}`)), 20_000);
        proc.stdout.on('data', lineSplitter((line) => {
          seen.push(line);
          const rec = parseLogLine(line);
          if (rec?.event === 'listening' && typeof rec.port === 'number') { clearTimeout(timer); resolve(rec.port); }
        }));
        void exited.then((e) => { clearTimeout(timer); reject(new Error(`the image's process exited (${e.code ?? e.signal}) before listening; stderr:\n${stderr}`)); });
      });
      // The HEALTHCHECK sees the container's env; PORT points it at the port the server picked.
      const hcTimeout = goDurationMs(c.healthcheck.flags.timeout ?? '30s');
      const healthy = await execute(c.healthcheck.command, cwd, { ...env, PORT: String(port) }, hcTimeout + 10_000);
      assert.equal(healthy.code, 0, `HEALTHCHECK failed against the running server:\n${healthy.output}`);

      proc.kill((c.stopSignal ?? 'SIGTERM') as NodeJS.Signals);
      const { code, signal } = await exited;
      assert.deepEqual({ code, signal }, { code: 0, signal: null }, `clean exit on SIGTERM; stderr:\n${stderr}`);
      // And the check is real: with the server gone the same command reports unhealthy.
      const down = await execute(c.healthcheck.command, cwd, { ...env, PORT: String(port) }, hcTimeout + 10_000);
      assert.notEqual(down.code, 0, 'HEALTHCHECK must fail when nothing answers');
    } finally {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    }
  });
});

// Checks for the manifests in k8s/: each takes parsed manifests and returns the problems it found (empty =
// fine), so manifests.test.ts can run them on the real files and on deliberately broken copies alike.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { Deployment, type IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import { ConfigMap, type IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service, type IService } from 'kubernetes-models/v1/Service';
import { PodDisruptionBudget, type IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IProbe } from 'kubernetes-models/v1/Probe';
import { parseCommand, UsageError, type ServerConfig } from '../../src/config/options.js';
import { ConfigFileError } from '../../src/config/file.js';
import { AdminPrefix } from '../../src/config/defaults.js';

/** The label every object carries and every selector uses. */
export const NameLabel = 'app.kubernetes.io/name';
export const AppName = 'mock-upstream';
/**
 * How long the supervisor waits past the grace period before giving up on its workers (ShutdownSlackMs in
 * src/runtime/supervisor.ts, not exported): the pod must be allowed that long too.
 */
export const ShutdownSlackMs = 3_000;
/** The image's WORKDIR (Dockerfile): what it ships there is this repository's build (dist/, payloads/, ...). */
export const ImageWorkdir = '/app';
/** The repository root (checks.js runs from dist/test/k8s/). */
const RepoRoot = fileURLToPath(new URL('../../../', import.meta.url));

type Labels = Record<string, string>;
interface LabelSelector {
  matchLabels?: Labels;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** One YAML document from k8s/ as parsed, with where it came from. */
export interface Manifest {
  readonly file: string;
  readonly obj: Record<string, unknown>;
}

/** kustomization.yaml: only the fields these checks read. */
export interface Kustomization {
  apiVersion?: string;
  kind?: string;
  resources?: string[];
}

/** Everything in k8s/, sorted by kind. Plain data: structuredClone() makes a copy safe to break. */
export interface Bundle {
  /** The YAML files in the folder except kustomization.yaml. */
  files: string[];
  manifests: Manifest[];
  kustomization: Kustomization;
  deployment: IDeployment;
  services: IService[];
  configMaps: IConfigMap[];
  pdbs: IPodDisruptionBudget[];
}

/** Parse every YAML document of a string; YAML errors and warnings throw. */
export function parseYamlDocs(text: string, where: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const doc of parseAllDocuments(text)) {
    const bad = [...doc.errors, ...doc.warnings];
    if (bad.length > 0) throw new Error(`${where}: ${bad.map((e) => e.message).join('; ')}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue; // an empty document (e.g. a trailing ---)
    if (typeof value !== 'object' || Array.isArray(value)) throw new Error(`${where}: a document is not a mapping`);
    out.push(value as Record<string, unknown>);
  }
  return out;
}

/** Read and sort the manifests of a folder. Throws when a kind the checks need is missing. */
export function loadBundle(dir: string): Bundle {
  const all = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();
  const files = all.filter((f) => f !== 'kustomization.yaml');
  const manifests: Manifest[] = [];
  for (const file of files) {
    for (const obj of parseYamlDocs(readFileSync(join(dir, file), 'utf8'), file)) manifests.push({ file, obj });
  }
  const [kustomization] = parseYamlDocs(readFileSync(join(dir, 'kustomization.yaml'), 'utf8'), 'kustomization.yaml');
  const ofKind = <T>(kind: string): T[] => manifests.filter((m) => m.obj.kind === kind).map((m) => m.obj as T);
  const deployments = ofKind<IDeployment>('Deployment');
  if (deployments.length !== 1) throw new Error(`expected one Deployment in ${dir}, found ${deployments.length}`);
  return {
    files,
    manifests,
    kustomization: kustomization as Kustomization,
    deployment: deployments[0],
    services: ofKind<IService>('Service'),
    configMaps: ofKind<IConfigMap>('ConfigMap'),
    pdbs: ofKind<IPodDisruptionBudget>('PodDisruptionBudget'),
  };
}

const Validators: Record<string, (obj: Record<string, unknown>) => void> = {
  'apps/v1 Deployment': (o) => new Deployment(o as unknown as IDeployment).validate(),
  'v1 Service': (o) => new Service(o as unknown as IService).validate(),
  'v1 ConfigMap': (o) => new ConfigMap(o as unknown as IConfigMap).validate(),
  'policy/v1 PodDisruptionBudget': (o) => new PodDisruptionBudget(o as unknown as IPodDisruptionBudget).validate(),
};

/** The object validates against the Kubernetes OpenAPI schema of its apiVersion and kind. */
export function checkSchema(m: Manifest): string[] {
  const key = `${String(m.obj.apiVersion)} ${String(m.obj.kind)}`;
  const validate = Validators[key];
  if (validate === undefined) return [`${m.file}: no schema for ${key} (expected one of: ${Object.keys(Validators).join(', ')})`];
  const name = (m.obj.metadata as { name?: unknown } | undefined)?.name;
  if (typeof name !== 'string' || name === '') return [`${m.file}: ${key} has no metadata.name`];
  try {
    validate(m.obj);
    return [];
  } catch (err) {
    return [`${m.file}: ${key} ${name}: ${(err as Error).message}`];
  }
}

/** Does a label selector select these labels? An empty selector counts as a mistake, not "everything". */
export function selects(selector: LabelSelector | Labels | undefined, labels: Labels | undefined): boolean {
  if (selector === undefined) return false;
  const sel: LabelSelector = 'matchLabels' in selector || 'matchExpressions' in selector
    ? selector as LabelSelector : { matchLabels: selector as Labels };
  const l = labels ?? {};
  const pairs = Object.entries(sel.matchLabels ?? {});
  const exprs = sel.matchExpressions ?? [];
  if (pairs.length === 0 && exprs.length === 0) return false;
  for (const [k, v] of pairs) if (l[k] !== v) return false;
  for (const e of exprs) {
    const has = Object.hasOwn(l, e.key);
    const ok = e.operator === 'In' ? has && (e.values ?? []).includes(l[e.key])
      : e.operator === 'NotIn' ? !has || !(e.values ?? []).includes(l[e.key])
        : e.operator === 'Exists' ? has
          : e.operator === 'DoesNotExist' ? !has : false;
    if (!ok) return false;
  }
  return true;
}

function podLabels(d: IDeployment): Labels {
  return (d.spec?.template.metadata?.labels ?? {}) as Labels;
}

/** The mock-upstream container: the one running the mock-upstream image. */
export function serverContainer(d: IDeployment): IContainer | undefined {
  return d.spec?.template.spec?.containers.find((c) => /(^|\/)mock-upstream(:|@|$)/.test(c.image ?? ''));
}

/** Every object carries the app label; the Deployment's and PDB's selectors pick the pod template. */
export function checkLabels(b: Bundle): string[] {
  const problems: string[] = [];
  for (const m of b.manifests) {
    const meta = m.obj.metadata as { name?: string; labels?: Labels } | undefined;
    if (meta?.labels?.[NameLabel] !== AppName) problems.push(`${m.file}: ${String(m.obj.kind)} ${meta?.name} lacks label ${NameLabel}: ${AppName}`);
  }
  const pod = podLabels(b.deployment);
  if (pod[NameLabel] !== AppName) problems.push(`deployment: pod template lacks label ${NameLabel}: ${AppName}`);
  if (!selects(b.deployment.spec?.selector, pod)) problems.push('deployment: spec.selector does not select its own pod template');
  if (b.pdbs.length === 0) problems.push('no PodDisruptionBudget');
  for (const p of b.pdbs) {
    if (!selects(p.spec?.selector, pod)) problems.push(`PodDisruptionBudget ${p.metadata?.name}: selector does not select the Deployment's pods`);
  }
  return problems;
}

/** Every Service's selector picks the Deployment's pods. */
export function checkServiceSelectors(b: Bundle): string[] {
  const pod = podLabels(b.deployment);
  if (b.services.length === 0) return ['no Service'];
  return b.services.filter((s) => !selects(s.spec?.selector, pod))
    .map((s) => `Service ${s.metadata?.name}: selector ${JSON.stringify(s.spec?.selector ?? {})} does not select the pod labels ${JSON.stringify(pod)}`);
}

/** The container port a Service targetPort or probe port names (by name or number), or undefined. */
export function resolvePort(c: IContainer, port: string | number | undefined): number | undefined {
  if (port === undefined) return undefined;
  const found = (c.ports ?? []).find((p) => (typeof port === 'number' ? p.containerPort === port : p.name === port));
  return found?.containerPort;
}

/** Every Service targetPort is a container port (by name or number) of the server container. */
export function checkServicePorts(b: Bundle): string[] {
  const c = serverContainer(b.deployment);
  if (c === undefined) return ['deployment: no mock-upstream container'];
  const problems: string[] = [];
  for (const s of b.services) {
    for (const p of s.spec?.ports ?? []) {
      const target = p.targetPort ?? p.port; // Kubernetes defaults targetPort to port
      if (resolvePort(c, target) === undefined) {
        problems.push(`Service ${s.metadata?.name} port ${p.name ?? p.port}: targetPort ${JSON.stringify(target)} is not a port of container ${c.name}`);
      }
    }
  }
  return problems;
}

/** "2" -> 2, "1500m" -> 1.5; NaN when not a CPU quantity. */
export function cpuQuantity(q: string | number | undefined): number {
  if (typeof q === 'number') return q;
  const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(q ?? '');
  if (m === null) return NaN;
  return Number(m[1]) / (m[2] === 'm' ? 1000 : 1);
}

/**
 * The container's environment as the kubelet would give it: literal values as written, downward-API
 * resource fields computed from the container's resources (limits.cpu with divisor 1 -> whole CPUs,
 * rounded up, as the kubelet does), field references given a plausible value.
 */
export function containerEnv(c: IContainer): { env: NodeJS.ProcessEnv; problems: string[] } {
  const env: NodeJS.ProcessEnv = {};
  const problems: string[] = [];
  for (const e of c.env ?? []) {
    if (e.value !== undefined) env[e.name] = e.value;
    else if (e.valueFrom?.resourceFieldRef) {
      const ref = e.valueFrom.resourceFieldRef;
      if (ref.resource !== 'limits.cpu' && ref.resource !== 'requests.cpu') {
        problems.push(`env ${e.name}: resourceFieldRef ${ref.resource} is not handled by these checks`);
        continue;
      }
      const [kind] = ref.resource.split('.') as ['limits' | 'requests'];
      const amount = cpuQuantity(c.resources?.[kind]?.cpu as string | number | undefined);
      const divisor = cpuQuantity((ref.divisor ?? '1') as string | number);
      if (Number.isNaN(amount)) problems.push(`env ${e.name}: ${ref.resource} is not set, so the kubelet would expose the node's CPUs`);
      else env[e.name] = String(Math.ceil(amount / divisor));
    } else if (e.valueFrom?.fieldRef) {
      env[e.name] = 'pod-field-value';
    } else {
      problems.push(`env ${e.name}: no literal value and no downward-API reference`);
    }
  }
  return { env, problems };
}

/** A path of the container's filesystem, written out locally: see materialize(). */
export interface Materialized {
  /** The temporary folder standing in for the container's root. */
  readonly root: string;
  /** The container's args and env, every absolute path in them rewritten by local(). */
  readonly args: string[];
  readonly env: NodeJS.ProcessEnv;
  /** A container path -> its local stand-in: under a volume mount, the written-out copy; under the image's
   * WORKDIR, the repository (the image ships its build); anything else unchanged (and so likely missing). */
  local(path: string): string;
  /** Text naming local paths (an error message) in the container's spelling. */
  container(text: string): string;
  /** Remove the temporary folder. */
  cleanup(): void;
}

/**
 * Write the server container's volumes to a temporary folder at their mount paths, the way the kubelet
 * lays a ConfigMap volume out (the keys as symlinks into a hidden `..data` folder), and rewrite the
 * container's args and env to point there. The real server can then be started, or its config parsed,
 * with exactly the files the pod would see.
 */
export function materialize(b: Bundle): Materialized {
  const c = serverContainer(b.deployment);
  const volumes = b.deployment.spec?.template.spec?.volumes ?? [];
  const root = mkdtempSync(join(tmpdir(), 'mock-k8s-'));
  const mountPaths = (c?.volumeMounts ?? []).map((m) => posix.normalize(m.mountPath));
  try {
    for (const m of c?.volumeMounts ?? []) {
      const dir = join(root, m.mountPath);
      mkdirSync(dir, { recursive: true });
      const ref = volumes.find((v) => v.name === m.name)?.configMap;
      const cm = b.configMaps.find((x) => x.metadata?.name === ref?.name);
      if (ref === undefined || cm === undefined) continue; // emptyDir and the like: an empty folder
      const data = cm.data ?? {};
      const items = ref.items ?? Object.keys(data).map((key) => ({ key, path: key }));
      const stamp = '..2025_01_01_00_00_00.000000000';
      for (const item of items) {
        if (data[item.key] === undefined) continue; // checkVolumes reports it
        const file = join(dir, stamp, item.path);
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, data[item.key]);
      }
      symlinkSync(stamp, join(dir, '..data'));
      for (const top of new Set(items.filter((i) => data[i.key] !== undefined).map((i) => i.path.split('/')[0]))) {
        symlinkSync(join('..data', top), join(dir, top));
      }
    }
  } catch (err) {
    rmSync(root, { recursive: true, force: true });
    throw err;
  }
  const under = (path: string, base: string): boolean => path === base || path.startsWith(base === '/' ? base : `${base}/`);
  const local = (path: string): string => {
    if (!path.startsWith('/')) return path;
    const p = posix.normalize(path);
    if (mountPaths.some((m) => under(p, m))) return join(root, p);
    if (under(p, ImageWorkdir)) return join(RepoRoot, posix.relative(ImageWorkdir, p));
    return path;
  };
  // `--flag=/path` as well as `--flag /path`; env values are paths or not, as they come.
  const rewrite = (arg: string): string => {
    const eq = /^(--?[\w-]+=)(\/.*)$/.exec(arg);
    return eq !== null ? `${eq[1]}${local(eq[2])}` : local(arg);
  };
  const env: NodeJS.ProcessEnv = c === undefined ? {} : containerEnv(c).env;
  const repo = RepoRoot.replace(/\/$/, '');
  return {
    root,
    args: (c?.args ?? []).map(rewrite),
    env: Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === undefined ? v : local(v)])),
    local,
    container: (text) => text.split(root).join('').split(repo).join(ImageWorkdir),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

/**
 * The container's args and env parse with the server's own parser into a `serve` command; the image's
 * ENTRYPOINT is kept (no `command`). The files they name are those the pod would see (materialize()), so
 * a `--config` file is read and validated exactly as the server does at startup. Returns the resulting
 * config, its configFile and payloadsDir in the container's spelling, when they do.
 */
export function serverConfig(b: Bundle): { config: ServerConfig | null; problems: string[] } {
  const c = serverContainer(b.deployment);
  if (c === undefined) return { config: null, problems: ['deployment: no mock-upstream container'] };
  const problems: string[] = [];
  if (c.command !== undefined) problems.push(`container ${c.name}: \`command\` replaces the image's ENTRYPOINT (node dist/src/cli.js); use args`);
  const { env, problems: envProblems } = containerEnv(c);
  problems.push(...envProblems);
  const run = materialize(b);
  try {
    const cmd = parseCommand(run.args, run.env);
    if (cmd.kind !== 'serve') problems.push(`container ${c.name}: args ${JSON.stringify(c.args)} ask for ${cmd.kind}, not serve`);
    if (cmd.kind !== 'serve') return { config: null, problems };
    const config: ServerConfig = {
      ...cmd.config,
      configFile: cmd.config.configFile === null ? null : run.container(cmd.config.configFile),
      payloadsDir: run.container(cmd.config.payloadsDir),
    };
    return { config, problems };
  } catch (err) {
    if (err instanceof UsageError) {
      problems.push(`container ${c.name}: args ${JSON.stringify(c.args ?? [])} with env ${JSON.stringify(env)} are rejected by the CLI: ${run.container(err.message)}`);
    } else if (err instanceof ConfigFileError) {
      problems.push(`container ${c.name}: the server refuses its config file ${run.container(err.file)}: ${err.errors.map(run.container).join('; ')}`);
    } else {
      throw err;
    }
    return { config: null, problems };
  } finally {
    run.cleanup();
  }
}

export function checkArgs(b: Bundle): string[] {
  return serverConfig(b).problems;
}

/**
 * Readiness and liveness probes GET an admin route the server serves, on a container port that is the
 * port the server listens on.
 */
export function checkProbes(b: Bundle, adminPaths: readonly string[]): string[] {
  const c = serverContainer(b.deployment);
  const { config } = serverConfig(b);
  if (c === undefined || config === null) return ['deployment: no mock-upstream container with a valid configuration'];
  const problems: string[] = [];
  const probes: [string, IProbe | undefined][] = [['readinessProbe', c.readinessProbe], ['livenessProbe', c.livenessProbe], ['startupProbe', c.startupProbe]];
  for (const [kind, probe] of probes) {
    if (probe === undefined) {
      if (kind !== 'startupProbe') problems.push(`container ${c.name}: no ${kind}`);
      continue;
    }
    const get = probe.httpGet;
    if (get === undefined) { problems.push(`${kind}: not an httpGet probe`); continue; }
    if (!adminPaths.includes(get.path ?? '/')) problems.push(`${kind}: path ${get.path} is not an admin route (${adminPaths.join(', ')})`);
    const port = resolvePort(c, get.port);
    if (port === undefined) problems.push(`${kind}: port ${JSON.stringify(get.port)} is not a port of container ${c.name}`);
    else if (port !== config.port) problems.push(`${kind}: port ${JSON.stringify(get.port)} is ${port}, but the server listens on ${config.port}`);
    const scheme = config.tls ? 'HTTPS' : 'HTTP';
    if ((get.scheme ?? 'HTTP') !== scheme) problems.push(`${kind}: scheme ${get.scheme} but the server speaks ${scheme}`);
  }
  // The server's own port must be declared, or Services and probes have nothing to name.
  if (!(c.ports ?? []).some((p) => p.containerPort === config.port)) problems.push(`container ${c.name}: the server listens on ${config.port}, which is not a containerPort`);
  return problems;
}

/** Probe paths of the server container (for the live check against the real server). */
export function probePaths(b: Bundle): string[] {
  const c = serverContainer(b.deployment);
  return [c?.readinessProbe, c?.livenessProbe, c?.startupProbe].flatMap((p) => (p?.httpGet?.path ? [p.httpGet.path] : []));
}

/**
 * Every volume mount names a declared volume; every ConfigMap volume names a ConfigMap in the bundle and
 * every key it projects exists in it; every declared volume is mounted.
 */
export function checkVolumes(b: Bundle): string[] {
  const spec = b.deployment.spec?.template.spec;
  const volumes = spec?.volumes ?? [];
  const problems: string[] = [];
  const mounted = new Set<string>();
  for (const c of [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])]) {
    for (const m of c.volumeMounts ?? []) {
      mounted.add(m.name);
      if (!volumes.some((v) => v.name === m.name)) problems.push(`container ${c.name}: mount ${m.mountPath} names undeclared volume ${m.name}`);
    }
  }
  // A mount point inside a ConfigMap volume cannot be created: that volume is read-only.
  const mounts = (spec?.containers ?? []).flatMap((c) => (c.volumeMounts ?? []).map((m) => ({ c: c.name, path: posix.normalize(m.mountPath), name: m.name })));
  for (const inner of mounts) {
    for (const outer of mounts) {
      const isConfigMap = volumes.find((v) => v.name === outer.name)?.configMap !== undefined;
      if (inner.c === outer.c && isConfigMap && inner.path.startsWith(`${outer.path}/`)) {
        problems.push(`container ${inner.c}: mount ${inner.path} is inside ConfigMap volume ${outer.name} (${outer.path}), where no mount point can be created; mount them side by side`);
      }
    }
  }
  for (const v of volumes) {
    if (!mounted.has(v.name)) problems.push(`volume ${v.name} is declared but never mounted`);
    const ref = v.configMap;
    if (ref === undefined) continue;
    const cm = b.configMaps.find((m) => m.metadata?.name === ref.name);
    if (cm === undefined) {
      problems.push(`volume ${v.name}: ConfigMap ${ref.name} is not in the manifests`);
      continue;
    }
    const keys = [...Object.keys(cm.data ?? {}), ...Object.keys(cm.binaryData ?? {})];
    if (keys.length === 0) problems.push(`volume ${v.name}: ConfigMap ${ref.name} has no keys`);
    for (const item of ref.items ?? []) {
      if (!keys.includes(item.key)) problems.push(`volume ${v.name}: key ${item.key} is not in ConfigMap ${ref.name} (keys: ${keys.join(', ')})`);
    }
  }
  return problems;
}

/** The ConfigMap mounts of the server container: mount path and ConfigMap name. */
function configMapMounts(b: Bundle): { mountPath: string; configMap: string }[] {
  const volumes = b.deployment.spec?.template.spec?.volumes ?? [];
  return (serverContainer(b.deployment)?.volumeMounts ?? []).flatMap((m) => {
    const name = volumes.find((v) => v.name === m.name)?.configMap?.name;
    return name === undefined ? [] : [{ mountPath: posix.normalize(m.mountPath), configMap: name }];
  });
}

/**
 * The container serves the mounted ConfigMaps: its `--config` (or MOCK_CONFIG) is a file of a ConfigMap
 * mount, every other ConfigMap mount is its `--payloads` folder, and the config file passes the server's
 * own validation against the files the pod would see. That validation is parseCommand's: it reads the file
 * and runs checkConfig (src/config/file.ts) with the effective limits and payload folder, exactly as
 * `mock-upstream check FILE --payloads DIR` and the server at startup do; each error keeps its JSON path.
 */
export function checkConfigFile(b: Bundle): string[] {
  const c = serverContainer(b.deployment);
  if (c === undefined) return ['deployment: no mock-upstream container'];
  const run = materialize(b);
  let config: ServerConfig;
  try {
    const cmd = parseCommand(run.args, run.env);
    if (cmd.kind !== 'serve') return [`container ${c.name}: args ask for ${cmd.kind}, not serve`];
    config = cmd.config;
  } catch (err) {
    if (err instanceof ConfigFileError) return err.errors.map((e) => `${run.container(err.file)}: ${run.container(e)}`);
    if (err instanceof UsageError) return [`container ${c.name}: args rejected by the CLI: ${run.container(err.message)}`];
    throw err;
  } finally {
    run.cleanup();
  }
  const mounts = configMapMounts(b);
  const problems: string[] = [];
  const inside = (path: string, dir: string): boolean => path.startsWith(`${dir}/`);
  const configFile = config.configFile === null ? null : run.container(config.configFile);
  const payloadsDir = posix.normalize(run.container(config.payloadsDir));
  if (configFile === null) {
    problems.push(`container ${c.name}: passes no --config (or MOCK_CONFIG), so the mounted config file is not served`);
  } else if (!mounts.some((m) => inside(configFile, m.mountPath))) {
    problems.push(`container ${c.name}: --config ${configFile} is not a file of a mounted ConfigMap (${mounts.map((m) => m.mountPath).join(', ')})`);
  }
  const shipped = posix.join(ImageWorkdir, 'payloads');
  if (payloadsDir !== shipped && !mounts.some((m) => m.mountPath === payloadsDir)) {
    problems.push(`container ${c.name}: --payloads ${payloadsDir} is neither a mounted ConfigMap nor the image's ${shipped}`);
  }
  for (const m of mounts) {
    const used = (configFile !== null && inside(configFile, m.mountPath)) || payloadsDir === m.mountPath;
    if (!used) problems.push(`ConfigMap ${m.configMap} is mounted at ${m.mountPath}, but neither --config nor --payloads (${payloadsDir}) points there`);
  }
  return problems;
}

/** The seconds of a `sleep N` preStop hook; 0 without one; NaN when the hook is something else. */
export function preStopSleepSeconds(c: IContainer): number {
  const hook = c.lifecycle?.preStop;
  if (hook === undefined) return 0;
  const cmd = hook.exec?.command ?? [];
  const i = cmd.findIndex((w) => w === 'sleep' || w.endsWith('/sleep'));
  if (i < 0 || cmd.length !== i + 2) return NaN;
  return Number(cmd[i + 1]);
}

/**
 * terminationGracePeriodSeconds covers the preStop sleep, then MOCK_GRACE of draining, then the
 * supervisor's slack: the kubelet must not SIGKILL a server that is still finishing responses.
 */
export function checkShutdown(b: Bundle): string[] {
  const c = serverContainer(b.deployment);
  const { config } = serverConfig(b);
  if (c === undefined || config === null) return ['deployment: no mock-upstream container with a valid configuration'];
  const sleepS = preStopSleepSeconds(c);
  if (Number.isNaN(sleepS)) return [`container ${c.name}: preStop is not an exec \`sleep N\``];
  const problems: string[] = [];
  if (sleepS <= 0) problems.push(`container ${c.name}: no preStop sleep, so SIGTERM arrives before endpoint removal reaches the gateways`);
  const periodS = b.deployment.spec?.template.spec?.terminationGracePeriodSeconds ?? 30;
  const neededMs = sleepS * 1000 + config.graceMs + ShutdownSlackMs;
  if (periodS * 1000 <= neededMs) {
    problems.push(`terminationGracePeriodSeconds ${periodS} s does not exceed preStop sleep ${sleepS} s + MOCK_GRACE ${config.graceMs} ms + shutdown slack ${ShutdownSlackMs} ms`);
  }
  return problems;
}

/**
 * WORKERS comes from the CPU limit (downward API, divisor 1), the limit is whole CPUs, CPU requests equal
 * limits, and memory has a request and a limit.
 */
export function checkResources(b: Bundle): string[] {
  const c = serverContainer(b.deployment);
  if (c === undefined) return ['deployment: no mock-upstream container'];
  const problems: string[] = [];
  const workers = (c.env ?? []).find((e) => e.name === 'WORKERS');
  const ref = workers?.valueFrom?.resourceFieldRef;
  if (ref === undefined) problems.push('env WORKERS is not taken from the CPU limit (valueFrom.resourceFieldRef)');
  else {
    if (ref.resource !== 'limits.cpu') problems.push(`env WORKERS comes from ${ref.resource}, not limits.cpu`);
    if (cpuQuantity((ref.divisor ?? '1') as string | number) !== 1) problems.push(`env WORKERS: divisor ${ref.divisor} is not 1`);
    if (ref.containerName !== undefined && ref.containerName !== c.name) problems.push(`env WORKERS: containerName ${ref.containerName} is not ${c.name}`);
  }
  const req = c.resources?.requests ?? {};
  const lim = c.resources?.limits ?? {};
  const cpuReq = cpuQuantity(req.cpu as string | number | undefined);
  const cpuLim = cpuQuantity(lim.cpu as string | number | undefined);
  if (Number.isNaN(cpuLim)) problems.push('no CPU limit');
  else if (!Number.isInteger(cpuLim)) problems.push(`CPU limit ${lim.cpu} is not whole CPUs: WORKERS would round up past the quota`);
  if (cpuReq !== cpuLim) problems.push(`CPU request ${req.cpu} differs from the limit ${lim.cpu}: numbers vary with the node's load`);
  if (req.memory === undefined || lim.memory === undefined) problems.push('memory needs both a request and a limit');
  return problems;
}

/** Non-root uid 1000, read-only root filesystem, no privilege escalation, every capability dropped. */
export function checkSecurity(b: Bundle): string[] {
  const c = serverContainer(b.deployment);
  if (c === undefined) return ['deployment: no mock-upstream container'];
  const pod = b.deployment.spec?.template.spec?.securityContext ?? {};
  const sc = c.securityContext ?? {};
  const problems: string[] = [];
  if ((sc.runAsNonRoot ?? pod.runAsNonRoot) !== true) problems.push('runAsNonRoot is not true');
  if ((sc.runAsUser ?? pod.runAsUser) !== 1000) problems.push('runAsUser is not 1000 (node in the image)');
  if (sc.readOnlyRootFilesystem !== true) problems.push('readOnlyRootFilesystem is not true');
  if (sc.allowPrivilegeEscalation !== false) problems.push('allowPrivilegeEscalation is not false');
  if (sc.privileged === true) problems.push('privileged');
  if (!(sc.capabilities?.drop ?? []).includes('ALL')) problems.push('capabilities.drop lacks ALL');
  if ((sc.capabilities?.add ?? []).length > 0) problems.push(`capabilities added: ${sc.capabilities?.add?.join(', ')}`);
  return problems;
}

/** The admin prefix the container's server uses (--admin-prefix), the default when its args do not parse. */
export function adminPrefix(b: Bundle): string {
  return serverConfig(b).config?.adminPrefix ?? AdminPrefix;
}

/** The pod's prometheus.io annotations point at /__mock/metrics (under the server's admin prefix) on a container port. */
export function checkMetricsAnnotations(b: Bundle): string[] {
  const c = serverContainer(b.deployment);
  if (c === undefined) return ['deployment: no mock-upstream container'];
  const prefix = adminPrefix(b);
  const a = (b.deployment.spec?.template.metadata?.annotations ?? {}) as Record<string, string>;
  const problems: string[] = [];
  if (a['prometheus.io/scrape'] !== 'true') problems.push('pod annotation prometheus.io/scrape is not "true"');
  if (a['prometheus.io/path'] !== `${prefix}metrics`) problems.push(`pod annotation prometheus.io/path is ${a['prometheus.io/path']}, not ${prefix}metrics`);
  const port = Number(a['prometheus.io/port']);
  if (resolvePort(c, port) === undefined) problems.push(`pod annotation prometheus.io/port ${a['prometheus.io/port']} is not a container port`);
  return problems;
}

/** kustomization.yaml is a Kustomization whose resources are exactly the manifest files of the folder. */
export function checkKustomization(b: Bundle): string[] {
  const k = b.kustomization;
  const problems: string[] = [];
  if (k.apiVersion !== 'kustomize.config.k8s.io/v1beta1' || k.kind !== 'Kustomization') {
    problems.push(`kustomization.yaml: ${k.apiVersion} ${k.kind} is not kustomize.config.k8s.io/v1beta1 Kustomization`);
  }
  const listed = k.resources ?? [];
  for (const f of b.files) if (!listed.includes(f)) problems.push(`kustomization.yaml: resources lack ${f}`);
  for (const f of listed) if (!b.files.includes(f)) problems.push(`kustomization.yaml: resource ${f} is not a file in k8s/`);
  if (new Set(listed).size !== listed.length) problems.push('kustomization.yaml: a resource is listed twice');
  return problems;
}

/** The ```yaml blocks of a Markdown document, each parsed into its documents. */
export function markdownYaml(markdown: string, where: string): Record<string, unknown>[] {
  const blocks = [...markdown.matchAll(/^```ya?ml\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
  return blocks.flatMap((text, i) => parseYamlDocs(text, `${where} yaml block ${i + 1}`));
}

interface ServiceMonitorLike {
  metadata?: { name?: string };
  spec?: { selector?: LabelSelector; endpoints?: { port?: string; path?: string }[] };
}

/**
 * A ServiceMonitor (Prometheus Operator) selects exactly one of our Services (both select the same pods:
 * two would scrape every pod twice), scrapes a named port of it, at /__mock/metrics (the server's admin prefix).
 */
export function checkServiceMonitor(sm: ServiceMonitorLike, b: Bundle): string[] {
  const name = sm.metadata?.name;
  const chosen = b.services.filter((s) => selects(sm.spec?.selector, s.metadata?.labels as Labels | undefined));
  if (chosen.length !== 1) return [`ServiceMonitor ${name}: selects ${chosen.length} Services (${chosen.map((s) => s.metadata?.name).join(', ')}), expected exactly 1`];
  const problems: string[] = [];
  const prefix = adminPrefix(b);
  const endpoints = sm.spec?.endpoints ?? [];
  if (endpoints.length === 0) problems.push(`ServiceMonitor ${name}: no endpoints`);
  for (const e of endpoints) {
    if (!(chosen[0].spec?.ports ?? []).some((p) => p.name === e.port)) problems.push(`ServiceMonitor ${name}: port ${e.port} is not a port name of Service ${chosen[0].metadata?.name}`);
    if (e.path !== `${prefix}metrics`) problems.push(`ServiceMonitor ${name}: path ${e.path} is not ${prefix}metrics`);
  }
  return problems;
}

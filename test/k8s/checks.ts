// Checks for the manifests in k8s/: each takes parsed manifests and returns the problems it found (empty =
// fine), so manifests.test.ts can run them on the real files and on deliberately broken copies alike.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { Deployment, type IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import { ConfigMap, type IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service, type IService } from 'kubernetes-models/v1/Service';
import { PodDisruptionBudget, type IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IProbe } from 'kubernetes-models/v1/Probe';
import { parseCommand, UsageError, type ServerConfig } from '../../src/config/options.js';
import { AdminPrefix } from '../../src/config/defaults.js';

/** The label every object carries and every selector uses. */
export const NameLabel = 'app.kubernetes.io/name';
export const AppName = 'mock-upstream';
/**
 * How long the supervisor waits past the grace period before giving up on its workers (ShutdownSlackMs in
 * src/runtime/supervisor.ts, not exported): the pod must be allowed that long too.
 */
export const ShutdownSlackMs = 3_000;

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

/**
 * The container's args and env parse with the server's own parser into a `serve` command; the image's
 * ENTRYPOINT is kept (no `command`). Returns the resulting config when they do.
 */
export function serverConfig(b: Bundle): { config: ServerConfig | null; problems: string[] } {
  const c = serverContainer(b.deployment);
  if (c === undefined) return { config: null, problems: ['deployment: no mock-upstream container'] };
  const problems: string[] = [];
  if (c.command !== undefined) problems.push(`container ${c.name}: \`command\` replaces the image's ENTRYPOINT (node dist/src/cli.js); use args`);
  const { env, problems: envProblems } = containerEnv(c);
  problems.push(...envProblems);
  try {
    const cmd = parseCommand(c.args ?? [], env);
    if (cmd.kind !== 'serve') problems.push(`container ${c.name}: args ${JSON.stringify(c.args)} ask for ${cmd.kind}, not serve`);
    return { config: cmd.kind === 'serve' ? cmd.config : null, problems };
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    problems.push(`container ${c.name}: args ${JSON.stringify(c.args ?? [])} with env ${JSON.stringify(env)} are rejected by the CLI: ${err.message}`);
    return { config: null, problems };
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

/** The files a volume mounted at `mountPath` puts there, by file name -> content. */
export function filesMountedAt(b: Bundle, mountPath: string): Map<string, string> | undefined {
  const spec = b.deployment.spec?.template.spec;
  const c = serverContainer(b.deployment);
  const mount = c?.volumeMounts?.find((m) => m.mountPath === mountPath);
  const ref = spec?.volumes?.find((v) => v.name === mount?.name)?.configMap;
  const cm = b.configMaps.find((m) => m.metadata?.name === ref?.name);
  if (ref === undefined || cm === undefined) return undefined;
  const data = cm.data ?? {};
  const items = ref.items ?? Object.keys(data).map((key) => ({ key, path: key }));
  return new Map(items.filter((i) => data[i.key] !== undefined).map((i) => [i.path, data[i.key]]));
}

/**
 * The mounted config file is JSON with a `routes` array, and every `body.file` it names is a file of the
 * mounted payload folder.
 */
export function checkConfigFile(b: Bundle, configPath = '/app/config', payloadsPath = '/app/payloads'): string[] {
  const config = filesMountedAt(b, configPath);
  const payloads = filesMountedAt(b, payloadsPath);
  if (config === undefined) return [`nothing from a ConfigMap is mounted at ${configPath}`];
  if (payloads === undefined) return [`nothing from a ConfigMap is mounted at ${payloadsPath}`];
  const text = config.get('mock-upstream.json');
  if (text === undefined) return [`${configPath}/mock-upstream.json is not mounted`];
  let parsed: { routes?: { body?: { file?: string } }[] };
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch (err) {
    return [`${configPath}/mock-upstream.json is not JSON: ${(err as Error).message}`];
  }
  if (!Array.isArray(parsed.routes)) return [`${configPath}/mock-upstream.json has no routes array`];
  const problems: string[] = [];
  for (const r of parsed.routes) {
    const file = r.body?.file;
    if (file !== undefined && !payloads.has(file)) problems.push(`route body.file ${file} is not in ${payloadsPath} (${[...payloads.keys()].join(', ')})`);
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

/** The pod's prometheus.io annotations point at /__mock/metrics on a container port. */
export function checkMetricsAnnotations(b: Bundle): string[] {
  const c = serverContainer(b.deployment);
  if (c === undefined) return ['deployment: no mock-upstream container'];
  const a = (b.deployment.spec?.template.metadata?.annotations ?? {}) as Record<string, string>;
  const problems: string[] = [];
  if (a['prometheus.io/scrape'] !== 'true') problems.push('pod annotation prometheus.io/scrape is not "true"');
  if (a['prometheus.io/path'] !== `${AdminPrefix}metrics`) problems.push(`pod annotation prometheus.io/path is ${a['prometheus.io/path']}, not ${AdminPrefix}metrics`);
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
 * two would scrape every pod twice), scrapes a named port of it, at /__mock/metrics.
 */
export function checkServiceMonitor(sm: ServiceMonitorLike, b: Bundle): string[] {
  const name = sm.metadata?.name;
  const chosen = b.services.filter((s) => selects(sm.spec?.selector, s.metadata?.labels as Labels | undefined));
  if (chosen.length !== 1) return [`ServiceMonitor ${name}: selects ${chosen.length} Services (${chosen.map((s) => s.metadata?.name).join(', ')}), expected exactly 1`];
  const problems: string[] = [];
  const endpoints = sm.spec?.endpoints ?? [];
  if (endpoints.length === 0) problems.push(`ServiceMonitor ${name}: no endpoints`);
  for (const e of endpoints) {
    if (!(chosen[0].spec?.ports ?? []).some((p) => p.name === e.port)) problems.push(`ServiceMonitor ${name}: port ${e.port} is not a port name of Service ${chosen[0].metadata?.name}`);
    if (e.path !== `${AdminPrefix}metrics`) problems.push(`ServiceMonitor ${name}: path ${e.path} is not ${AdminPrefix}metrics`);
  }
  return problems;
}

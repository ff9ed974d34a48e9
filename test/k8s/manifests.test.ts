// The Kubernetes manifests in k8s/ validate against the Kubernetes OpenAPI schemas and agree with each other
// and with the server: selectors, ports, probe paths, mounted keys, CLI args, the mounted config file (the
// server's own validation), shutdown timing. Each check is also run on a deliberately broken copy, to prove
// it bites; the real server is started with the container's args, env and mounted files.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { IContainer } from 'kubernetes-models/v1/Container';
import { adminRoutes } from '../../src/features/admin.js';
import type { RouteContext } from '../../src/features/context.js';
import { AdminPrefix } from '../../src/config/defaults.js';
import { startServer } from '../helpers/server.js';
import {
  AppName, checkArgs, checkConfigFile, checkKustomization, checkLabels, checkMetricsAnnotations, checkProbes,
  checkResources, checkSchema, checkSecurity, checkServiceMonitor, checkServicePorts, checkServiceSelectors,
  checkShutdown, checkVolumes, containerEnv, loadBundle, markdownYaml, materialize, NameLabel, probePaths,
  serverConfig, serverContainer, type Bundle,
} from './checks.js';

// Tests run from dist/test/k8s/: the repository root is three levels up.
const Root = new URL('../../../', import.meta.url);
const K8sDir = fileURLToPath(new URL('k8s/', Root));
const DocPath = fileURLToPath(new URL('docs/kubernetes.md', Root));

const bundle = loadBundle(K8sDir);
/** The admin route table, as the server builds it for the container's config (patterns only; the handlers are not called). */
const ContainerConfig = serverConfig(bundle).config;
const AdminPaths = adminRoutes({ draining: false, config: ContainerConfig } as RouteContext).map((r) => r.pattern);

function container(b: Bundle): IContainer {
  const c = serverContainer(b.deployment);
  assert.ok(c, 'the Deployment runs a mock-upstream container');
  return c;
}

describe('k8s manifests', () => {
  test('the folder holds the expected objects', () => {
    const kinds = bundle.manifests.map((m) => `${m.obj.kind}/${(m.obj.metadata as { name: string }).name}`).sort();
    assert.deepEqual(kinds, [
      'ConfigMap/mock-upstream-config', 'ConfigMap/mock-upstream-payloads', 'Deployment/mock-upstream',
      'PodDisruptionBudget/mock-upstream', 'Service/mock-upstream', 'Service/mock-upstream-headless',
    ]);
    assert.equal(container(bundle).image, 'mock-upstream:latest');
  });

  for (const m of bundle.manifests) {
    test(`${m.file}: ${String(m.obj.kind)} ${(m.obj.metadata as { name?: string } | undefined)?.name} validates against the Kubernetes schema`, () => {
      assert.deepEqual(checkSchema(m), []);
    });
  }

  const checks: [string, (b: Bundle) => string[]][] = [
    ['labels are consistent and the Deployment and PDB selectors pick the pod template', checkLabels],
    ['Service selectors match the Deployment pod labels', checkServiceSelectors],
    ['Service targetPorts are container ports', checkServicePorts],
    ['container args and env parse with the server\'s own parser', checkArgs],
    ['probes GET admin routes on the port the server listens on', (b) => checkProbes(b, AdminPaths)],
    ['mounted volumes name ConfigMaps and keys that exist', checkVolumes],
    ['--config and --payloads name the mounted ConfigMaps, and the server accepts the config file', checkConfigFile],
    ['terminationGracePeriodSeconds exceeds preStop sleep + MOCK_GRACE + shutdown slack', checkShutdown],
    ['WORKERS follows the CPU limit; CPU requests = limits; memory bounded', checkResources],
    ['the container runs as uid 1000, read-only, without privileges', checkSecurity],
    ['Prometheus annotations point at /__mock/metrics on a container port', checkMetricsAnnotations],
    ['kustomization.yaml lists every manifest file', checkKustomization],
  ];
  for (const [name, check] of checks) {
    test(name, () => assert.deepEqual(check(bundle), []));
  }

  test('WORKERS resolves to the CPU limit in whole CPUs, and the server runs that many workers', () => {
    const c = container(bundle);
    const { env, problems } = containerEnv(c);
    assert.deepEqual(problems, []);
    assert.equal(env.WORKERS, String(c.resources?.limits?.cpu));
    const { config } = serverConfig(bundle);
    assert.equal(config?.workers, Number(c.resources?.limits?.cpu));
    assert.equal(config?.port, 8000);
    assert.equal(config?.host, '0.0.0.0');
  });

  test('there is a ClusterIP Service and a headless one, both on port 8000 named http', () => {
    const byName = new Map(bundle.services.map((s) => [s.metadata?.name, s]));
    const cluster = byName.get(AppName);
    const headless = byName.get(`${AppName}-headless`);
    assert.ok(cluster && headless);
    assert.equal(cluster.spec?.type ?? 'ClusterIP', 'ClusterIP');
    assert.notEqual(cluster.spec?.clusterIP, 'None');
    assert.equal(headless.spec?.clusterIP, 'None');
    for (const s of [cluster, headless]) assert.deepEqual(s.spec?.ports?.map((p) => [p.name, p.port]), [['http', 8000]]);
  });

  test('the server reads its config file and payload folder from read-only ConfigMap mounts', () => {
    const { config, problems } = serverConfig(bundle);
    assert.deepEqual(problems, []);
    assert.equal(config?.configFile, '/etc/mock-upstream/config/mock-upstream.json');
    assert.equal(config?.payloadsDir, '/etc/mock-upstream/payloads');
    assert.deepEqual(config?.routes.map((r) => r.path), ['/api/hello', '/api/users/:id']);
    const mounts = container(bundle).volumeMounts ?? [];
    for (const path of ['/etc/mock-upstream/config', '/etc/mock-upstream/payloads']) {
      const m = mounts.find((v) => v.mountPath === path);
      assert.ok(m, `a volume is mounted at ${path}`);
      assert.equal(m.readOnly, true);
    }
  });

  test('the admin route table has the probe paths (static check against the server\'s routes)', () => {
    for (const p of probePaths(bundle)) assert.ok(AdminPaths.includes(p), `${p} in ${AdminPaths.join(', ')}`);
    assert.equal(ContainerConfig?.adminPrefix, AdminPrefix, 'the container keeps the default admin prefix');
    assert.ok(probePaths(bundle).every((p) => p.startsWith(AdminPrefix)));
  });

  test('the real server, started with the container\'s args, env and mounted files, serves them and its probes', async () => {
    // The ConfigMaps written out at their mount paths under a temporary root, args and env pointing there.
    const run = materialize(bundle);
    try {
      // startServer puts --port 0 --host 127.0.0.1 --workers 1 first (flags beat the env); it needs info logs.
      const server = await startServer(run.args, { ...run.env, LOG_LEVEL: 'info' });
      try {
        const paths = probePaths(bundle);
        assert.ok(paths.length >= 2);
        for (const path of paths) {
          const r = await fetch(`${server.url}${path}`);
          assert.equal(r.status, 200, `GET ${path}`);
          await r.arrayBuffer();
        }
        // The config file's routes are in force, and body.file and /payloads/ read the mounted payloads.
        const payload = bundle.configMaps.find((m) => m.metadata?.name === 'mock-upstream-payloads')?.data?.['hello.json'];
        assert.ok(payload);
        for (const path of ['/api/hello', '/payloads/hello']) {
          const r = await fetch(`${server.url}${path}`);
          assert.equal(r.status, 200, `GET ${path}`);
          assert.equal(await r.text(), payload, `GET ${path} serves hello.json`);
        }
        const user = await fetch(`${server.url}/api/users/7`);
        assert.equal(((await user.json()) as { id: string }).id, '7');
        const listing = await (await fetch(`${server.url}/payloads/`)).text();
        assert.match(listing, /hello/);
        assert.doesNotMatch(listing, /\.\.data|catalog-100kb/, 'only the ConfigMap\'s keys, not its ..data folder or the shipped payloads');
      } finally {
        assert.equal(await server.stop(), 0);
      }
    } finally {
      run.cleanup();
    }
  });
});

describe('docs/kubernetes.md', () => {
  const docs = markdownYaml(readFileSync(DocPath, 'utf8'), 'docs/kubernetes.md');

  test('its YAML examples parse, and its ServiceMonitor scrapes one Service\'s http port at /__mock/metrics', () => {
    const monitors = docs.filter((d) => d.kind === 'ServiceMonitor');
    assert.equal(monitors.length, 1);
    assert.deepEqual(checkServiceMonitor(monitors[0], bundle), []);
  });

  test('it deploys with kubectl apply -k k8s/ and names the in-cluster URL', () => {
    const text = readFileSync(DocPath, 'utf8');
    assert.match(text, /kubectl apply -k k8s\//);
    assert.match(text, /http:\/\/mock-upstream\.<ns>\.svc\.cluster\.local:8000/);
  });
});

/** A broken copy of the bundle; the checks must report it. */
interface Mutation {
  readonly name: string;
  readonly mutate: (b: Bundle) => void;
  readonly check: (b: Bundle) => string[];
  readonly expect: RegExp;
}

const svc = (b: Bundle, name = AppName) => {
  const s = b.services.find((x) => x.metadata?.name === name);
  assert.ok(s?.spec);
  return s.spec;
};
const podSpec = (b: Bundle) => {
  const s = b.deployment.spec?.template.spec;
  assert.ok(s);
  return s;
};
const setEnv = (b: Bundle, name: string, value: string) => {
  const e = (container(b).env ?? []).find((x) => x.name === name);
  assert.ok(e);
  e.value = value;
  delete e.valueFrom;
};

/** Edit the config file in the mock-upstream-config ConfigMap. */
const editConfig = (b: Bundle, edit: (c: { routes: Record<string, unknown>[] }) => void) => {
  const data = b.configMaps.find((c) => c.metadata?.name === 'mock-upstream-config')?.data;
  assert.ok(data?.['mock-upstream.json']);
  const config = JSON.parse(data['mock-upstream.json']) as { routes: Record<string, unknown>[] };
  edit(config);
  data['mock-upstream.json'] = JSON.stringify(config);
};

const mutations: Mutation[] = [
  { name: 'a Service selector with a typo', check: checkServiceSelectors, expect: /does not select the pod labels/,
    mutate: (b) => { svc(b).selector = { [NameLabel]: 'mock-upstrem' }; } },
  { name: 'a headless Service with an empty selector', check: checkServiceSelectors, expect: /mock-upstream-headless: selector/,
    mutate: (b) => { svc(b, `${AppName}-headless`).selector = {}; } },
  { name: 'a targetPort name no container port has', check: checkServicePorts, expect: /targetPort "htpp" is not a port/,
    mutate: (b) => { svc(b).ports![0].targetPort = 'htpp'; } },
  { name: 'a numeric targetPort the container does not expose', check: checkServicePorts, expect: /targetPort 8080 is not a port/,
    mutate: (b) => { svc(b, `${AppName}-headless`).ports![0].targetPort = 8080; } },
  { name: 'a readiness probe on a path the server does not serve', check: (b) => checkProbes(b, AdminPaths), expect: /readinessProbe: path \/healthz is not an admin route/,
    mutate: (b) => { container(b).readinessProbe!.httpGet!.path = '/healthz'; } },
  { name: 'a liveness probe on an undeclared port', check: (b) => checkProbes(b, AdminPaths), expect: /livenessProbe: port "metrics" is not a port/,
    mutate: (b) => { container(b).livenessProbe!.httpGet!.port = 'metrics'; } },
  { name: 'no liveness probe', check: (b) => checkProbes(b, AdminPaths), expect: /no livenessProbe/,
    mutate: (b) => { delete container(b).livenessProbe; } },
  { name: 'PORT moved to 9000 while the probes still use the http port (8000)', check: (b) => checkProbes(b, AdminPaths), expect: /server listens on 9000/,
    mutate: (b) => { setEnv(b, 'PORT', '9000'); } },
  { name: 'a volume naming a ConfigMap that does not exist', check: checkVolumes, expect: /ConfigMap mock-upstream-cfg is not in the manifests/,
    mutate: (b) => { podSpec(b).volumes!.find((v) => v.name === 'config')!.configMap!.name = 'mock-upstream-cfg'; } },
  { name: 'a projected key missing from its ConfigMap', check: checkVolumes, expect: /key mock-upstream.json is not in ConfigMap/,
    mutate: (b) => { b.configMaps.find((c) => c.metadata?.name === 'mock-upstream-config')!.data = { 'config.json': '{}' }; } },
  { name: 'a mount naming an undeclared volume', check: checkVolumes, expect: /names undeclared volume/,
    mutate: (b) => { container(b).volumeMounts![0].name = 'cfg'; } },
  { name: 'a config route whose body.file is not a mounted payload', check: checkConfigFile,
    expect: /mock-upstream.json: \/routes\/0\/body\/file: hello.json not found in the payload folder \/etc\/mock-upstream\/payloads/,
    mutate: (b) => { b.configMaps.find((c) => c.metadata?.name === 'mock-upstream-payloads')!.data = { 'other.json': '{}' }; } },
  { name: 'a config route with a bad latency', check: checkConfigFile,
    expect: /^\/etc\/mock-upstream\/config\/mock-upstream.json: \/routes\/1\/latency: invalid/,
    mutate: (b) => { editConfig(b, (c) => { c.routes[1].latency = 'lognormal(p50=soon)'; }); } },
  { name: 'a config file the server refuses also fails the args check', check: checkArgs,
    expect: /the server refuses its config file \/etc\/mock-upstream\/config\/mock-upstream.json: \/routes\/1\/latency: invalid/,
    mutate: (b) => { editConfig(b, (c) => { c.routes[1].latency = 'lognormal(p50=soon)'; }); } },
  { name: 'a config file that is not JSON', check: checkConfigFile, expect: /mock-upstream.json: \/: .*JSON/,
    mutate: (b) => { b.configMaps.find((c) => c.metadata?.name === 'mock-upstream-config')!.data!['mock-upstream.json'] = '{ routes: [] }'; } },
  { name: 'args without --config', check: checkConfigFile, expect: /passes no --config/,
    mutate: (b) => { container(b).args = ['serve', '--payloads', '/etc/mock-upstream/payloads']; } },
  { name: '--config at the old, unmounted /app/config path', check: checkConfigFile, expect: /^\/app\/config\/mock-upstream.json: \/: ENOENT/,
    mutate: (b) => { container(b).args![2] = '/app/config/mock-upstream.json'; } },
  { name: 'args without --payloads: body.file looks in the shipped folder', check: checkConfigFile, expect: /hello.json not found in the payload folder \/app\/payloads/,
    mutate: (b) => { container(b).args = ['serve', '--config', '/etc/mock-upstream/config/mock-upstream.json']; } },
  { name: 'a payload ConfigMap mounted where --payloads does not look', check: checkConfigFile, expect: /ConfigMap mock-upstream-payloads is mounted at \/srv\/payloads, but neither/,
    mutate: (b) => {
      editConfig(b, (c) => { c.routes.splice(0, 1); });
      container(b).volumeMounts!.find((m) => m.name === 'payloads')!.mountPath = '/srv/payloads';
    } },
  { name: '--payloads naming a folder nothing is mounted at', check: checkConfigFile, expect: /--payloads \/srv\/payloads is neither a mounted ConfigMap/,
    mutate: (b) => { editConfig(b, (c) => { c.routes.splice(0, 1); }); container(b).args![4] = '/srv/payloads'; } },
  { name: 'a mount inside a ConfigMap volume', check: checkVolumes, expect: /mount \/etc\/mock-upstream\/config\/payloads is inside ConfigMap volume config/,
    mutate: (b) => { container(b).volumeMounts!.find((m) => m.name === 'payloads')!.mountPath = '/etc/mock-upstream/config/payloads'; } },
  { name: 'an arg the CLI does not know', check: checkArgs, expect: /rejected by the CLI: .*no-such-flag/,
    mutate: (b) => { container(b).args = ['serve', '--no-such-flag', 'x']; } },
  { name: 'an env value the CLI rejects', check: checkArgs, expect: /rejected by the CLI: invalid log level "verbose"/,
    mutate: (b) => { setEnv(b, 'LOG_LEVEL', 'verbose'); } },
  { name: 'a command replacing the ENTRYPOINT', check: checkArgs, expect: /replaces the image's ENTRYPOINT/,
    mutate: (b) => { container(b).command = ['node', 'server.js']; } },
  { name: 'a grace period shorter than preStop + MOCK_GRACE', check: checkShutdown, expect: /terminationGracePeriodSeconds 10 s does not exceed/,
    mutate: (b) => { podSpec(b).terminationGracePeriodSeconds = 10; } },
  { name: 'MOCK_GRACE raised past the grace period', check: checkShutdown, expect: /MOCK_GRACE 30000 ms/,
    mutate: (b) => { setEnv(b, 'MOCK_GRACE', '30s'); } },
  { name: 'no preStop sleep', check: checkShutdown, expect: /no preStop sleep/,
    mutate: (b) => { delete container(b).lifecycle; } },
  { name: 'WORKERS=auto instead of the CPU limit', check: checkResources, expect: /WORKERS is not taken from the CPU limit/,
    mutate: (b) => { setEnv(b, 'WORKERS', 'auto'); } },
  { name: 'CPU request below the limit', check: checkResources, expect: /CPU request 1 differs from the limit 2/,
    mutate: (b) => { container(b).resources!.requests!.cpu = '1'; } },
  { name: 'a fractional CPU limit', check: checkResources, expect: /not whole CPUs/,
    mutate: (b) => { container(b).resources!.limits!.cpu = '1500m'; container(b).resources!.requests!.cpu = '1500m'; } },
  { name: 'a writable root filesystem', check: checkSecurity, expect: /readOnlyRootFilesystem is not true/,
    mutate: (b) => { container(b).securityContext!.readOnlyRootFilesystem = false; } },
  { name: 'running as root', check: checkSecurity, expect: /runAsUser is not 1000/,
    mutate: (b) => { container(b).securityContext!.runAsUser = 0; } },
  { name: 'a scrape path outside the admin prefix', check: checkMetricsAnnotations, expect: /prometheus.io\/path is \/metrics/,
    mutate: (b) => { b.deployment.spec!.template.metadata!.annotations!['prometheus.io/path'] = '/metrics'; } },
  { name: 'a PDB selecting nothing we run', check: checkLabels, expect: /PodDisruptionBudget mock-upstream: selector/,
    mutate: (b) => { b.pdbs[0].spec!.selector = { matchLabels: { app: 'mock-upstream' } }; } },
  { name: 'a kustomization missing a manifest', check: checkKustomization, expect: /resources lack service-headless.yaml/,
    mutate: (b) => { b.kustomization.resources = b.kustomization.resources!.filter((f) => f !== 'service-headless.yaml'); } },
  { name: 'a kustomization listing a file that does not exist', check: checkKustomization, expect: /resource ingress.yaml is not a file/,
    mutate: (b) => { b.kustomization.resources!.push('ingress.yaml'); } },
  { name: 'a containerPort written as a string', check: (b) => checkSchema({ file: 'deployment.yaml', obj: b.deployment as unknown as Record<string, unknown> }), expect: /containerPort must be integer/,
    mutate: (b) => { (container(b).ports![0] as { containerPort: unknown }).containerPort = '8000'; } },
  { name: 'a Service type that does not exist', check: (b) => checkSchema({ file: 'service.yaml', obj: b.services[0] as unknown as Record<string, unknown> }), expect: /type must be equal to one of the allowed values/,
    mutate: (b) => { (b.services[0].spec as { type: string }).type = 'Headless'; } },
];

describe('the checks bite: each reports its broken copy', () => {
  for (const m of mutations) {
    test(m.name, () => {
      const broken = structuredClone(bundle);
      m.mutate(broken);
      const problems = m.check(broken);
      assert.ok(problems.some((p) => m.expect.test(p)), `expected a problem matching ${m.expect}, got ${JSON.stringify(problems)}`);
      assert.deepEqual(m.check(bundle), [], 'the original is untouched and passes');
    });
  }

  test('a ServiceMonitor selecting both Services is reported', () => {
    const sm = { metadata: { name: 'sm' }, spec: { selector: { matchLabels: { [NameLabel]: AppName } }, endpoints: [{ port: 'http', path: '/__mock/metrics' }] } };
    assert.match(checkServiceMonitor(sm, bundle).join('\n'), /selects 2 Services/);
  });
});

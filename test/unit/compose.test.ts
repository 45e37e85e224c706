/**
 * docker-compose.yml and the Dockerfile: nothing here can pull images or run containers, so the
 * Compose file is validated with Debian's `docker-compose` (`config` needs no engine) and checked
 * against the services docs/operations.md names. Skipped, saying why, where docker-compose is absent.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadPipelineFile } from '../../src/config/load';
import { known } from '../../src/invariant';

const root = resolve(__dirname, '../..');
const file = resolve(root, 'docker-compose.yml');
const snowflakeEnv = {
  SNOWFLAKE_ACCOUNT: 'acme-test',
  SNOWFLAKE_USER: 'LOADER',
  SNOWFLAKE_PASSWORD: 'not-a-secret',
  SNOWFLAKE_DATABASE: 'RAW',
};

function compose(args: string[], env: NodeJS.ProcessEnv = {}) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SNOWFLAKE_')));
  return spawnSync('docker-compose', ['-f', file, ...args], { cwd: root, env: { ...clean, ...env }, encoding: 'utf8' });
}

const probe = spawnSync('docker-compose', ['version'], { encoding: 'utf8' });
const available = probe.status === 0;
if (!available)
  console.log(
    `compose.test: skipping the docker-compose checks: docker-compose is not installed ` +
      `(${probe.error?.message ?? probe.stderr}); .ci/run installs it`,
  );

/** Service names in the first column of the docs' docker-compose table. */
function documentedServices(): string[] {
  const doc = readFileSync(resolve(root, 'docs/operations.md'), 'utf8');
  const start = doc.indexOf('## 6. docker-compose');
  const end = doc.indexOf('\n## ', start + 1);
  const section = doc.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/^\| `([a-z0-9-]+)` \|/gm)].map((m) => known(m[1], 'the pattern has one group'));
}

describe('docker-compose.yml', () => {
  it.skipIf(!available)('is a valid Compose file (docker-compose config -q)', () => {
    const result = compose(['config', '-q'], snowflakeEnv);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it.skipIf(!available)('refuses to start without the Snowflake credentials', () => {
    const result = compose(['config', '-q']);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('SNOWFLAKE_ACCOUNT');
  });

  it.skipIf(!available)('has every service the documentation names, and no other', () => {
    const result = compose(['config', '--services'], snowflakeEnv);
    expect(result.status).toBe(0);
    const services = result.stdout.trim().split('\n').sort();
    const documented = documentedServices().sort();
    expect(documented).toContain('conduit-worker');
    expect(services).toEqual(documented);
  });

  it.skipIf(!available)(
    'runs the Conduit worker from the Dockerfile, with replicas, secrets from the environment and the pipeline mounted',
    () => {
      const result = compose(['config'], snowflakeEnv);
      expect(result.status).toBe(0);
      const config = parse(result.stdout) as { services: Record<string, Record<string, unknown>> };
      const worker = config.services['conduit-worker'] as {
        build: { dockerfile: string };
        deploy: { replicas: number };
        environment: Record<string, string>;
        command: string[];
        volumes: unknown[];
      };
      expect(worker.build.dockerfile).toBe('Dockerfile');
      expect(worker.deploy.replicas).toBeGreaterThanOrEqual(2);
      expect(worker.command).toEqual(['worker', '--config', '/config/pipeline.yaml', '--metrics-port', '9464']);
      expect(worker.environment).toMatchObject({
        ...snowflakeEnv,
        TEMPORAL_ADDRESS: 'temporal:7233',
        PGHOST: 'source-postgres',
      });
      expect(JSON.stringify(worker.volumes)).toContain('/config/pipeline.yaml');
      // Temporal persists in PostgreSQL.
      expect((config.services.temporal as { environment: Record<string, string> }).environment).toMatchObject({
        DB: 'postgres12',
        POSTGRES_SEEDS: 'temporal-postgresql',
      });
    },
  );
});

describe('Dockerfile', () => {
  it('builds in two node:24 (bookworm-slim) stages with npm ci and runs the worker on /config/pipeline.yaml', () => {
    const text = readFileSync(resolve(root, 'Dockerfile'), 'utf8');
    expect(text.match(/^FROM /gm)).toHaveLength(2);
    expect(text.match(/^FROM node:24-bookworm-slim\b/gm)).toHaveLength(2);
    expect(text).toMatch(/^RUN npm ci\b/m);
    expect(text).toContain('npx tsc -p tsconfig.json');
    expect(text).toContain('node dist/build-bundle.js'); // workers load the prebuilt workflow bundle
    expect(text).toContain('ENTRYPOINT ["node", "bin/conduit.js"]');
    expect(text).toContain('CMD ["worker", "--config", "/config/pipeline.yaml", "--metrics-port", "9464"]');
    expect(text).toMatch(/^EXPOSE 9464$/m);
    expect(text).toMatch(/^HEALTHCHECK .*\n\s+CMD .*127\.0\.0\.1:9464\/healthz/m);
    expect(text).toMatch(/^USER node$/m);
  });

  it('serves a pipeline file that reads its connections from the environment compose sets', () => {
    const pipeline = readFileSync(resolve(root, 'examples/compose-pipeline.yaml'), 'utf8');
    for (const variable of ['PGHOST', 'PGPASSWORD', 'SNOWFLAKE_ACCOUNT', 'SNOWFLAKE_PASSWORD'])
      expect(pipeline).toContain(`\${${variable}}`);
    const env = {
      ...snowflakeEnv,
      PGHOST: 'source-postgres',
      PGPORT: '5432',
      PGDATABASE: 'source',
      PGUSER: 'conduit',
      PGPASSWORD: 'pw',
      TEMPORAL_ADDRESS: 'temporal:7233',
    };
    const config = loadPipelineFile(resolve(root, 'examples/compose-pipeline.yaml'), { env });
    expect(config).toMatchObject({
      name: 'demo',
      temporal: { address: 'temporal:7233', taskQueue: 'conduit' },
      source: { host: 'source-postgres', ssl: 'disable' },
    });
  });
});

/** promtool from PROMTOOL, or Debian's prometheus package via scripts/provision-promtool.sh (cached). */
function findPromtool(): { path?: string; why?: string } {
  if (process.env.PROMTOOL) return { path: process.env.PROMTOOL };
  const found = spawnSync('bash', [resolve(root, 'scripts/provision-promtool.sh')], { encoding: 'utf8' });
  return found.status === 0 ? { path: found.stdout.trim() } : { why: found.stderr.trim() };
}
const promtool = findPromtool();
// CI must run these checks; elsewhere a machine without Debian's package skips them, saying why.
if (!promtool.path && process.env.CI) throw new Error(`promtool is required in CI: ${promtool.why}`);
if (!promtool.path) console.log(`compose.test: skipping the promtool checks: ${promtool.why}`);

describe('monitoring (deploy/)', () => {
  const prometheusDir = resolve(root, 'deploy/prometheus');
  const run = (args: string[]) =>
    spawnSync(promtool.path ?? 'promtool', args, { cwd: prometheusDir, encoding: 'utf8' });

  it.skipIf(!promtool.path)('has a valid Prometheus config whose alert rules pass their unit tests', () => {
    const config = run(['check', 'config', 'prometheus.yml']);
    expect(config.stderr + config.stdout).toContain('SUCCESS: 5 rules found');
    expect(config.status).toBe(0);
    const tests = run(['test', 'rules', 'alerts.test.yml']);
    expect(tests.stdout + tests.stderr).toContain('SUCCESS');
    expect(tests.status).toBe(0);
  });

  it('has a dashboard on the provisioned Prometheus data source, where Grafana is told to look', () => {
    const dashboard = JSON.parse(readFileSync(resolve(root, 'deploy/grafana/dashboards/conduit.json'), 'utf8')) as {
      uid: string;
      panels: { title: string; datasource: { uid: string }; targets: { expr: string }[] }[];
    };
    const source = parse(
      readFileSync(resolve(root, 'deploy/grafana/provisioning/datasources/prometheus.yml'), 'utf8'),
    ) as {
      datasources: { uid: string; url: string }[];
    };
    expect(source.datasources[0]?.url).toBe('http://prometheus:9090');
    expect(dashboard.panels.length).toBeGreaterThan(5);
    for (const panel of dashboard.panels) {
      expect(panel.datasource.uid, panel.title).toBe(source.datasources[0]?.uid);
      expect(panel.targets.length, panel.title).toBeGreaterThan(0);
    }
  });

  it.skipIf(!available)("runs Prometheus and Grafana on deploy/, scraping the workers' metrics port", () => {
    const result = compose(['config'], snowflakeEnv);
    expect(result.status).toBe(0);
    const config = parse(result.stdout) as { services: Record<string, { volumes?: string[] }> };
    // docker-compose prints volumes as source:target[:mode]; bind mounts with absolute sources.
    const mounts = (service: string) =>
      (config.services[service]?.volumes ?? []).map((v) => v.replace(root, '.').split(':').slice(0, 2));
    expect(mounts('prometheus')).toContainEqual(['./deploy/prometheus', '/etc/prometheus']);
    expect(mounts('grafana')).toContainEqual(['./deploy/grafana/provisioning', '/etc/grafana/provisioning']);
    expect(mounts('grafana')).toContainEqual(['./deploy/grafana/dashboards', '/var/lib/grafana/dashboards']);
    const scrape = parse(readFileSync(resolve(root, 'deploy/prometheus/prometheus.yml'), 'utf8')) as {
      scrape_configs: { dns_sd_configs: { names: string[]; port: number }[] }[];
    };
    expect(scrape.scrape_configs[0]?.dns_sd_configs[0]).toMatchObject({ names: ['conduit-worker'], port: 9464 });
  });
});

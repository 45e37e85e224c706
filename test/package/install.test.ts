/**
 * The npm package as a user gets it: `npm pack` on a copy of the checkout (what a fresh clone
 * holds, so `prepack` builds from nothing), `npm install <tarball>` into an empty folder, then the
 * installed `conduit` and a TypeScript file compiled against the installed declarations. Needs no
 * services; slow (a full build, webpack, an install), hence a project of its own.
 */
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { localModules } from '../../src/build-bundle';
import { temporalCliPath } from '../../src/dev/temporal';
import { scratchDir } from '../support/scratch';

const ROOT = resolve(__dirname, '../..');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** What tsc writes for a module without code: the preamble, comments, the source map link. */
const EMPTY_MODULE =
  /"use strict";|Object\.defineProperty\(exports, "__esModule", \{ value: true \}\);|\/\*\*?[^]*?\*\/|\/\/.*$/gm;

interface Packed {
  filename: string;
  size: number;
  unpackedSize: number;
  files: { path: string }[];
}

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function exec(file: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Result> {
  return new Promise((done) => {
    execFile(
      file,
      args,
      { cwd, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024, timeout: 540_000 },
      (error, stdout, stderr) =>
        done({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
    );
  });
}

/** The checkout as a fresh clone would have it (tracked and new files, not ignored ones), plus node_modules. */
function copyCheckout(to: string): void {
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  for (const path of listed.split('\0').filter(Boolean)) {
    const target = join(to, path);
    mkdirSync(dirname(target), { recursive: true });
    try {
      copyFileSync(join(ROOT, path), target);
    } catch (error) {
      // A tracked file deleted in the working tree is not part of what gets packed.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  symlinkSync(join(ROOT, 'node_modules'), join(to, 'node_modules'), 'dir');
}

/** Environment the example pipeline's ${VAR}s read (validate resolves them; nothing is contacted). */
const PIPELINE_ENV = {
  PGHOST: '127.0.0.1',
  PGPORT: '5432',
  PGDATABASE: 'shop',
  PGUSER: 'reader',
  PGPASSWORD: 'not-used',
  SNOWFLAKE_ACCOUNT: 'myorg-myaccount',
  SNOWFLAKE_USER: 'LOADER',
  SNOWFLAKE_PASSWORD: 'not-used',
  SNOWFLAKE_DATABASE: 'RAW',
};

/** Uses the library as a TypeScript project would; `typeof` lines prove the imports resolve at run time too. */
const CONSUMER = `import { createConduitWorker, loadPipelineFile, startPipelineRun } from 'conduit-core';
import type { ConduitWorker, PipelineConfig } from 'conduit-core';
import { connectClient, type RunOutcome } from 'conduit-core/client';

export async function serve(file: string): Promise<ConduitWorker> {
  const config: PipelineConfig = loadPipelineFile(file);
  const worker = await createConduitWorker({ pipelines: [config], maxConcurrentActivities: 2 });
  return worker;
}

export function describeOutcome(outcome: RunOutcome): string {
  return outcome.ok ? \`\${outcome.result.tables.length} tables\` : outcome.message;
}

console.log([typeof createConduitWorker, typeof startPipelineRun, typeof connectClient].join(' '));
`;

/** Must not compile: the declarations are real types, not \`any\`. */
const MISUSE = `import { createConduitWorker } from 'conduit-core';
export const worker = createConduitWorker({ pipelines: 'orders.yaml' });
`;

describe('npm package', () => {
  let packed: Packed;
  let work: string;
  let app: string;
  let conduit: string;

  beforeAll(async () => {
    work = scratchDir('package');
    const checkout = join(work, 'checkout');
    copyCheckout(checkout);
    const pack = await exec('npm', ['pack', '--json', '--pack-destination', work], checkout);
    expect(pack.code, `npm pack failed:\n${pack.stderr}\n${pack.stdout}`).toBe(0);
    // Lifecycle scripts print before the JSON; the report is the last top-level array.
    const report = JSON.parse(pack.stdout.slice(pack.stdout.lastIndexOf('\n[') + 1)) as Packed[];
    packed = report[0]!;
    process.stdout.write(
      `npm package ${packed.filename}: ${packed.size} bytes packed, ${packed.unpackedSize} unpacked, ` +
        `${packed.files.length} files\n`,
    );

    app = join(work, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
    const typesNode = (
      JSON.parse(readFileSync(join(ROOT, 'node_modules', '@types', 'node', 'package.json'), 'utf8')) as {
        version: string;
      }
    ).version;
    const install = await exec(
      'npm',
      [
        'install',
        join(work, packed.filename),
        `@types/node@${typesNode}`,
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        '--loglevel=error',
      ],
      app,
    );
    expect(install.code, `npm install failed:\n${install.stderr}`).toBe(0);
    conduit = join(app, 'node_modules', '.bin', 'conduit');
  }, 600_000);

  it('holds the built code, bundle, declarations, emulator and examples, and no tests, sources or CI files', () => {
    const paths = packed.files.map((f) => f.path);
    for (const needed of [
      'bin/conduit.js',
      'dist/cli/main.js',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/worker.d.ts',
      'dist/client.d.ts',
      'dist/workflow-bundle.js',
      'dist/workflow-bundle.json',
      'emulator/conduit_emulator.py',
      'emulator/requirements.txt',
      'scripts/provision-emulator.sh',
      'scripts/provision-temporal.sh',
      'examples/demo-pipeline.yaml',
      'LICENSE',
      'README.md',
      'package.json',
    ])
      expect(paths).toContain(needed);
    const unwanted = paths.filter(
      (p) =>
        /^(test|src|\.ci|docs|bench|test-artifacts|\.conduit|node_modules)\//.test(p) ||
        /^dist\/(bench|docs|soak)\//.test(p) ||
        (p.endsWith('.ts') && !p.endsWith('.d.ts')) ||
        p.endsWith('.map') ||
        p.includes('tsbuildinfo') ||
        p === 'scripts/bootstrap.sh',
    );
    expect(unwanted).toEqual([]);
  });

  it('ships only compiled code that the command or the library loads (no dev tools such as the bench)', () => {
    const installed = join(app, 'node_modules', 'conduit-core');
    // The command, the library, and the workflow bundle's entries (the workflows and their interceptors).
    const entries = ['cli/main.js', 'index.js', 'workflows/index.js', 'workflows/interceptors.js'];
    const loaded = new Set(entries.flatMap((entry) => localModules(join(installed, 'dist', entry))));
    const shipped = packed.files
      .map((f) => f.path)
      .filter((p) => p.startsWith('dist/') && p.endsWith('.js') && p !== 'dist/workflow-bundle.js');
    // A module of types only compiles to an empty one; its declarations are what ships it.
    const typesOnly = (p: string) => readFileSync(join(installed, p), 'utf8').replace(EMPTY_MODULE, '').trim() === '';
    expect(shipped.filter((p) => !loaded.has(join(installed, p)) && !typesOnly(p))).toEqual([]);
  });

  it('runs conduit --help, COMMAND --help, --version and validate from the installed package', async () => {
    const help = await exec(conduit, ['--help'], app);
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toContain('conduit run --config FILE');
    expect(help.stdout).toContain('conduit schedule create');

    const scheduleHelp = await exec(conduit, ['schedule', '--help'], app);
    expect(scheduleHelp.code, scheduleHelp.stderr).toBe(0);
    expect(scheduleHelp.stdout).toMatch(/^Usage:\n {2}conduit schedule create/);

    const version = await exec(conduit, ['--version'], app);
    expect(version.code, version.stderr).toBe(0);
    expect(version.stdout.trim()).toBe(VERSION);

    const example = join(app, 'node_modules', 'conduit-core', 'examples', 'demo-pipeline.yaml');
    const validate = await exec(conduit, ['validate', '--config', example], app, PIPELINE_ENV);
    expect(validate.code, validate.stderr).toBe(0);
    expect(validate.stdout).toContain('pipeline "demo" is valid');
  });

  it('ships a workflow bundle the installed worker accepts (no webpack at start-up)', async () => {
    const module = join(app, 'node_modules', 'conduit-core', 'dist', 'build-bundle.js');
    const check = await exec(
      process.execPath,
      ['-e', `process.stdout.write(String(require(${JSON.stringify(module)}).prebuiltWorkflowBundle()?.codePath))`],
      app,
    );
    expect(check.code, check.stderr).toBe(0);
    expect(check.stdout).toBe(join(app, 'node_modules', 'conduit-core', 'dist', 'workflow-bundle.js'));
  });

  it('type-checks a TypeScript file importing the library against the installed declarations', async () => {
    writeFileSync(join(app, 'index.ts'), CONSUMER);
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'node16',
          moduleResolution: 'node16',
          strict: true,
          types: ['node'],
          // As \`tsc --init\` sets it: @temporalio/common's declarations import 'ms', which has no types.
          skipLibCheck: true,
          outDir: 'out',
        },
        files: ['index.ts'],
      }),
    );
    const compiled = await exec(process.execPath, [TSC, '-p', 'tsconfig.json'], app);
    expect(compiled.code, compiled.stdout).toBe(0);
    const ran = await exec(process.execPath, [join('out', 'index.js')], app);
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout.trim()).toBe('function function function');

    writeFileSync(join(app, 'misuse.ts'), MISUSE);
    const refused = await exec(
      process.execPath,
      [
        TSC,
        '--noEmit',
        '--strict',
        '--skipLibCheck',
        '--module',
        'node16',
        '--moduleResolution',
        'node16',
        'misuse.ts',
      ],
      app,
    );
    expect(refused.code).not.toBe(0);
    expect(refused.stdout).toMatch(/misuse\.ts.*error TS2322.*not assignable to type 'PipelineConfig\[\]'/s);
  });

  it('provisions the tools of conduit dev/demo into the per-user cache, not the package folder', async () => {
    const installed = join(app, 'node_modules', 'conduit-core');
    const cache = join(work, 'cache');
    // The per-user cache as a checkout leaves it (building the CLI with Go takes minutes).
    mkdirSync(join(cache, 'temporal-cli-v1.5.1'), { recursive: true });
    copyFileSync(temporalCliPath(), join(cache, 'temporal-cli-v1.5.1', 'temporal'));
    const paths = join(installed, 'dist', 'dev', 'paths.js');
    const where = await exec(
      process.execPath,
      [
        '-e',
        `const p = require(${JSON.stringify(paths)});` +
          'process.stdout.write(JSON.stringify([p.projectRoot(), p.isCheckout(), p.localToolsDir()]))',
      ],
      app,
      { CONDUIT_CACHE_DIR: cache },
    );
    expect(where.code, where.stderr).toBe(0);
    expect(JSON.parse(where.stdout)).toEqual([installed, false, cache]);

    // What conduit dev runs first (src/dev/provision.ts), with a PATH that has no temporal on it.
    const provision = await exec('bash', [join(installed, 'scripts', 'provision-temporal.sh')], app, {
      CONDUIT_TOOLS_DIR: cache,
      TEMPORAL_CLI: '',
      PATH: '/usr/bin:/bin',
    });
    expect(provision.code, provision.stderr).toBe(0);
    expect(existsSync(join(cache, 'bin', 'temporal'))).toBe(true);
    expect(existsSync(join(installed, '.conduit'))).toBe(false);
  });
});

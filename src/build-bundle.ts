/**
 * The prebuilt workflow bundle: `node dist/build-bundle.js` writes `dist/workflow-bundle.js` (and a
 * manifest of the compiled files it was built from), and `createConduitWorker` loads it instead of
 * running webpack at start-up. Bundling at start costs 1–2 s and leaves about 70 MB of webpack in
 * the worker's memory for good; a prebuilt bundle costs neither.
 *
 * The manifest holds a hash of every local module the bundle contains (the compiled workflows and
 * what they import) and the SDK version. A bundle whose sources changed since it was built is
 * ignored, so a stale bundle can never run old workflow code: the worker bundles at start instead.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { known } from './invariant';

export const WORKFLOW_BUNDLE_FILE = 'workflow-bundle.js';
const MANIFEST_FILE = 'workflow-bundle.json';

interface BundleManifest {
  sdk: string;
  /** sha256 of each local module, by path relative to the bundle's folder. */
  modules: Record<string, string>;
}

/** Where the compiled workflows of this build are: next to this module (dist/, or src/ under vitest). */
function workflowsEntry(folder: string): string | undefined {
  const entry = join(folder, 'workflows', 'index.js');
  return existsSync(entry) ? entry : undefined;
}

/** The workflow interceptors bundled with the workflows (tracing), `.js` in a build, `.ts` under vitest. */
export function workflowInterceptorModules(folder: string = __dirname): string[] {
  const found = ['interceptors.js', 'interceptors.ts'].map((f) => join(folder, 'workflows', f)).find(existsSync);
  if (!found) throw new Error(`no workflow interceptor module in ${join(folder, 'workflows')}`);
  return [found];
}

/** Version of the workflow SDK that the bundle embeds; a different one needs a new bundle. */
function sdkVersion(): string {
  const manifest = JSON.parse(readFileSync(require.resolve('@temporalio/workflow/package.json'), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}

/**
 * The local CommonJS modules reachable from `entry` through relative `require("./…")` calls (and the
 * lazy `import('./…')`s tsc keeps as they are): the files webpack puts into the bundle besides packages.
 * tsc drops type-only imports, so this is exactly the workflow code and the shared modules it uses.
 */
export function localModules(entry: string): string[] {
  const seen = new Set<string>();
  const pending = [entry];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    const code = readFileSync(file, 'utf8');
    for (const match of code.matchAll(/(?:require|import)\((["'])(\.{1,2}\/[^"']+)\1\)/g)) {
      const base = resolve(dirname(file), known(match[2], 'the pattern has two groups'));
      const candidate = [base, `${base}.js`, join(base, 'index.js')].find(
        (path) => existsSync(path) && path.endsWith('.js'),
      );
      if (candidate) pending.push(candidate);
    }
  }
  return [...seen].sort();
}

function currentManifest(folder: string, entry: string): BundleManifest {
  const modules: Record<string, string> = {};
  for (const file of [entry, ...workflowInterceptorModules(folder)].flatMap(localModules))
    modules[relative(folder, file)] = createHash('sha256').update(readFileSync(file)).digest('hex');
  return { sdk: sdkVersion(), modules };
}

function sameManifest(a: BundleManifest, b: BundleManifest): boolean {
  return (
    a.sdk === b.sdk &&
    JSON.stringify(Object.entries(a.modules).sort()) === JSON.stringify(Object.entries(b.modules).sort())
  );
}

/**
 * The prebuilt bundle of this build when it exists and matches the compiled workflow code; otherwise
 * undefined (the worker then bundles at start-up). Costs a few milliseconds.
 */
export function prebuiltWorkflowBundle(folder: string = __dirname): { codePath: string } | undefined {
  const codePath = join(folder, WORKFLOW_BUNDLE_FILE);
  const manifestPath = join(folder, MANIFEST_FILE);
  const entry = workflowsEntry(folder);
  if (!entry || !existsSync(codePath) || !existsSync(manifestPath)) return undefined;
  try {
    const built = JSON.parse(readFileSync(manifestPath, 'utf8')) as BundleManifest;
    return sameManifest(built, currentManifest(folder, entry)) ? { codePath } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Writes the bundle and its manifest next to the compiled workflows, unless an up-to-date one is
 * there already. Files are written under temporary names and renamed, so a worker starting at the
 * same moment sees the old pair or the new one. Returns the bundle's path.
 */
export async function buildWorkflowBundle(
  folder: string = __dirname,
  options: { force?: boolean } = {},
): Promise<string> {
  const entry = workflowsEntry(folder);
  if (!entry)
    throw new Error(
      `no compiled workflows at ${join(folder, 'workflows')}: run the TypeScript build (npm run build) first`,
    );
  const codePath = join(folder, WORKFLOW_BUNDLE_FILE);
  if (!options.force && prebuiltWorkflowBundle(folder)) return codePath;
  const manifest = currentManifest(folder, entry);
  const quiet = {
    trace() {},
    debug() {},
    info() {},
    warn() {},
    error: (message: string) => console.error(message),
    log() {},
  };
  const { code } = await bundleWorkflowCode({
    workflowsPath: entry,
    workflowInterceptorModules: workflowInterceptorModules(folder),
    logger: quiet,
  });
  const suffix = `.${process.pid}.tmp`;
  writeFileSync(codePath + suffix, code);
  writeFileSync(join(folder, MANIFEST_FILE) + suffix, `${JSON.stringify(manifest, null, 2)}\n`);
  renameSync(codePath + suffix, codePath);
  renameSync(join(folder, MANIFEST_FILE) + suffix, join(folder, MANIFEST_FILE));
  return codePath;
}

if (require.main === module) {
  buildWorkflowBundle(__dirname, { force: process.argv.includes('--force') }).then(
    (path) => console.log(`workflow bundle: ${path}`),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}

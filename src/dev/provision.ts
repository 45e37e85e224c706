/**
 * Runs the provisioning scripts (scripts/provision-*.sh) for `conduit dev` and `conduit demo`, so
 * they work from an installed package as from a checkout: the emulator's venv and the Temporal CLI
 * go to the local tools folder (paths.ts). Both scripts are idempotent and quick when done already.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { localToolsDir, projectRoot } from './paths';

/** `emulator: false` skips the Snowflake emulator's venv (a demo into DuckDB needs none). */
export async function provisionLocalTools(options: { emulator: boolean } = { emulator: true }): Promise<void> {
  const root = projectRoot();
  const env = { ...process.env, CONDUIT_TOOLS_DIR: localToolsDir(root) };
  const scripts = options.emulator ? ['provision-emulator.sh', 'provision-temporal.sh'] : ['provision-temporal.sh'];
  await Promise.all(
    scripts.map(
      (script) =>
        new Promise<void>((done, fail) => {
          // Their progress lines and errors (what to install) go to this process's stderr.
          const child = spawn('bash', [join(root, 'scripts', script)], { stdio: ['ignore', 'ignore', 'inherit'], env });
          child.once('error', (error) => fail(new Error(`could not run bash for ${script}: ${error.message}`)));
          child.once('exit', (code, signal) =>
            code === 0 ? done() : fail(new Error(`${script} failed (${signal ?? `exit code ${code}`}); see above`)),
          );
        }),
    ),
  );
}

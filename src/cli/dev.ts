import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { localToolsDir } from '../dev/paths';
import { provisionLocalTools } from '../dev/provision';
import { startLocalServices, toEnv } from '../dev/services';

/** `conduit dev`: local Temporal (with UI), PostgreSQL and the Snowflake emulator until Ctrl-C. */
export async function devCommand(): Promise<number> {
  await provisionLocalTools();
  const services = await startLocalServices();
  try {
    const env = toEnv(services);
    const toolsDir = localToolsDir();
    mkdirSync(toolsDir, { recursive: true });
    const envFile = join(toolsDir, 'dev.env');
    const exports = Object.entries(env).map(([key, value]) => `export ${key}=${shellQuote(value)}`);
    // Throwaway local credentials: printing them is how a developer reaches the services.
    writeFileSync(envFile, `${exports.join('\n')}\n`, { mode: 0o600 });
    process.stdout.write(
      `${exports.join('\n')}\n\n` +
        `Temporal UI: ${services.temporal.uiUrl}\n` +
        `The environment above is also in ${envFile} (source it in another shell).\n` +
        'Press Ctrl-C to stop the services.\n',
    );
    await new Promise<void>((done) => {
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => done());
    });
    return 0;
  } finally {
    await services.stop();
  }
}

function shellQuote(value: string): string {
  return /^[A-Za-z0-9_.:/@-]*$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

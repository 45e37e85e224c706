import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/**
 * The folder holding the emulator and the provisioning scripts: a checkout's root, or the installed
 * package's folder. The nearest ancestor of this module with emulator/conduit_emulator.py, the same
 * from src/ (tests) and dist/ (the built CLI).
 */
export function projectRoot(): string {
  let dir = __dirname;
  for (;;) {
    if (existsSync(join(dir, 'emulator', 'conduit_emulator.py'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return resolve(__dirname, '..', '..');
    dir = parent;
  }
}

/** A checkout (scripts/bootstrap.sh is there), not an installed package. */
export function isCheckout(root: string = projectRoot()): boolean {
  return existsSync(join(root, 'scripts', 'bootstrap.sh'));
}

/**
 * Where the local tools live (the emulator's venv, the Temporal CLI, dev.env): a checkout's own
 * .conduit, else the per-user cache ${CONDUIT_CACHE_DIR:-~/.cache/conduit}, since an installed
 * package's folder may be read-only and is replaced by every install.
 */
export function localToolsDir(root: string = projectRoot()): string {
  if (isCheckout(root)) return join(root, '.conduit');
  return process.env['CONDUIT_CACHE_DIR'] || join(homedir(), '.cache', 'conduit');
}

import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * The checkout's root: the nearest ancestor of this module holding scripts/bootstrap.sh. The same
 * from src/ (tests) and dist/ (the built CLI).
 */
export function projectRoot(): string {
  let dir = __dirname;
  for (;;) {
    if (existsSync(join(dir, 'scripts', 'bootstrap.sh'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return resolve(__dirname, '..', '..');
    dir = parent;
  }
}

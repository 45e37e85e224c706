/**
 * Temporary folders for tests (pipeline files, certificates, data directories), removed after the
 * test file that made them, so runs leave nothing behind in the OS temp folder. (A process 'exit'
 * handler was tried first: it never ran in vitest's fork workers.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const folders: string[] = [];

// Imported while a test file is collected, so this runs after that file's own afterAll hooks.
afterAll(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

/** A fresh folder under the OS temp folder, named `conduit-<purpose>-XXXXXX`. */
export function scratchDir(purpose: string): string {
  const folder = mkdtempSync(join(tmpdir(), `conduit-${purpose}-`));
  folders.push(folder);
  return folder;
}

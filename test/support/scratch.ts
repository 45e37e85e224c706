/**
 * Temporary folders for tests (pipeline files, certificates, data directories), removed when the
 * test process exits, so runs leave nothing behind in the OS temp folder.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const folders: string[] = [];

process.once('exit', () => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

/** A fresh folder under the OS temp folder, named `conduit-<purpose>-XXXXXX`. */
export function scratchDir(purpose: string): string {
  const folder = mkdtempSync(join(tmpdir(), `conduit-${purpose}-`));
  folders.push(folder);
  return folder;
}

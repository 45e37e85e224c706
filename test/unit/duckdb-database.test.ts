/**
 * The DuckDB file registry (src/connectors/duckdb/database.ts) with the real DuckDB: one instance per file
 * per process whatever the path's spelling, and the file let go with its last session.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDuckDbSession } from '../../src/connectors/duckdb/session';
import type { DestinationSession } from '../../src/connectors/destination';

let folder = '';
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'conduit-duckdb-files-'));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

const open = (path: string): Promise<DestinationSession> => openDuckDbSession({ type: 'duckdb', path, schema: 'main' });
const column = { source: 'id', target: 'id', sourceType: 'int', sourceTypname: 'int4', nullable: true } as const;

/** Whether another process can open the file now (it cannot while this one holds it). */
function openableElsewhere(path: string): boolean {
  const script =
    "require('@duckdb/node-api').DuckDBInstance.create(process.argv[1])" +
    '.then(() => process.exit(0), () => process.exit(3))';
  try {
    execFileSync(process.execPath, ['-e', script, path], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('DuckDB files in one process', () => {
  it('shares one instance between sessions, through a symbolic link too', async () => {
    const path = join(folder, 'shared.duckdb');
    const link = join(folder, 'link.duckdb');
    const first = await open(path);
    await symlink(path, link);
    const second = await open(link);
    const third = await open(join(folder, '.', 'shared.duckdb'));
    await first.createTable({ schema: 'main', name: 't' }, [{ ...column, type: { kind: 'integer', bytes: 4 } }], 'm');
    // A second instance would not see the first one's uncheckpointed table.
    expect(await second.tableMarker({ schema: 'main', name: 't' })).toBe('m');
    expect(await third.countRows({ schema: 'main', name: 't' })).toBe(0);
    await Promise.all([first.close(), second.close()]);
    expect(openableElsewhere(path)).toBe(false);
    await third.close();
    expect(third.isUp()).toBe(false);
    expect(openableElsewhere(path)).toBe(true);
    // Opened again after the last close: the table was checkpointed with it.
    const again = await open(path);
    expect(await again.tableMarker({ schema: 'main', name: 't' })).toBe('m');
    await again.close();
  });
});

/**
 * What the contract tests share: column plans, staging and loading rows through a session, and one
 * destination per test file for each entry of the registry.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { Codec } from '../../src/config/compression';
import type { DestinationSession, FileLoad } from '../../src/connectors/destination';
import type { ColumnKind, ColumnPlan, QualifiedName } from '../../src/shared';
import type { ContractDestination, ContractTarget } from './destinations';
import { writeStagedFile } from './staged-csv';

/** A planned column: target name = source name, PostgreSQL's type name for messages. */
export function column(name: string, type: ColumnKind, nullable = true): ColumnPlan {
  return { source: name, target: name, sourceType: type.kind, sourceTypname: type.kind, type, nullable };
}

/**
 * A fresh destination for the file's tests, a session on it, and a local folder for files to stage;
 * all removed after the file's tests.
 */
export function contractSetup(destination: ContractDestination): {
  target: () => ContractTarget;
  session: () => DestinationSession;
  local: () => string;
} {
  let target: ContractTarget | undefined;
  let session: DestinationSession | undefined;
  let local: string | undefined;
  beforeAll(async () => {
    target = await destination.create();
    session = await target.open();
    local = await mkdtemp(join(tmpdir(), 'conduit-contract-local-'));
  });
  afterAll(async () => {
    await session?.close();
    await target?.cleanup();
    if (local) await rm(local, { recursive: true, force: true });
  });
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the contract destination is not set up');
    return value;
  };
  return { target: () => ready(target), session: () => ready(session), local: () => ready(local) };
}

/** Stages one file per entry of `files` (rows as PostgreSQL's text) and loads them all into `table`. */
export async function stageAndLoad(
  session: DestinationSession,
  local: string,
  table: QualifiedName,
  columns: ColumnPlan[],
  files: { stem: string; rows: (string | null)[][]; codec?: Codec }[],
  stage: QualifiedName = { schema: table.schema, name: `${table.name}_stage` },
): Promise<FileLoad[]> {
  await session.createStagingArea(stage);
  const names: string[] = [];
  for (const file of files) {
    const path = await writeStagedFile(local, file.stem, file.rows, file.codec ?? 'zstd');
    await session.upload(stage, path, file.codec ?? 'zstd');
    names.push(path.slice(local.length + 1));
  }
  return session.loadFiles(table, columns, stage, names);
}

/** Rows by their `id` column, for comparing without an order. */
export function byId<T extends Record<string, unknown>>(rows: T[]): T[] {
  return [...rows].sort((a, b) => Number(a.id) - Number(b.id));
}

/**
 * DuckDB's staging areas are folders next to the database file: `<file>.conduit-stage/<schema>/<stage>/`.
 * DuckDB reads staged files from there itself, so they must sit where the worker that writes the file
 * can read them, which one writing process per file guarantees. Folder names are made file-system safe
 * (schema and table names may hold slashes, dots or any Unicode) and stay distinct through a hash.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, mkdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Codec } from '../../config/compression';
import { CODEC_EXTENSION } from '../compression';
import { PermanentError } from '../errors';
import { FailureType } from '../../failure-types';
import type { QualifiedName } from '../../shared';
import { shortHash } from './capabilities';

export function stagingRoot(databasePath: string): string {
  return `${databasePath}.conduit-stage`;
}

/** A name as one path segment: kept when plainly safe, else its safe characters and a hash of the whole. */
function segment(name: string): string {
  if (/^[A-Za-z0-9_-]{1,100}$/.test(name)) return name;
  return `${name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 60)}-${shortHash(name)}`;
}

export function stagingFolder(databasePath: string, stage: QualifiedName): string {
  return join(stagingRoot(databasePath), segment(stage.schema), segment(stage.name));
}

export async function createStagingFolder(databasePath: string, stage: QualifiedName): Promise<void> {
  await mkdir(stagingFolder(databasePath, stage), { recursive: true });
}

/** Removes the stage's folder, then the schema's and the root's when they are left empty. */
export async function dropStagingFolder(databasePath: string, stage: QualifiedName): Promise<void> {
  const folder = stagingFolder(databasePath, stage);
  await rm(folder, { recursive: true, force: true });
  for (const parent of [join(folder, '..'), stagingRoot(databasePath)])
    if (
      !(await rmdir(parent).then(
        () => true,
        () => false,
      ))
    )
      return;
}

/** A staged file's name: one plain path segment (what `upload` stores and the load reads). */
function checkedName(file: string): string {
  if (file !== basename(file) || file === '' || file.startsWith('.') || file.includes('\0')) {
    throw new PermanentError(`"${file}" is not the name of a staged file`, FailureType.LoadFailed);
  }
  return file;
}

export function stagedFile(databasePath: string, stage: QualifiedName, file: string): string {
  return join(stagingFolder(databasePath, stage), checkedName(file));
}

/**
 * Puts a local file into the staging area under its base name, atomically: a copy under a temporary name
 * (a copy-on-write clone where the file system has them), then a rename over any earlier file of that
 * name, so the load never reads a half-written file. Not a hard link: a retried extract rewriting its
 * local file would rewrite the staged one. A missing staging area is an error, as a dropped Snowflake stage is:
 * a straggling upload must not recreate a folder its run has cleaned up.
 */
export async function uploadToStage(
  databasePath: string,
  stage: QualifiedName,
  localFile: string,
  codec: Codec,
): Promise<void> {
  const name = checkedName(basename(localFile));
  if (!name.endsWith(CODEC_EXTENSION[codec])) {
    throw new PermanentError(
      `staged file ${name} must end in ${CODEC_EXTENSION[codec]} (its codec, ${codec}, is read from the name)`,
      FailureType.LoadFailed,
    );
  }
  const folder = stagingFolder(databasePath, stage);
  const found = await stat(folder).catch(() => undefined);
  if (!found?.isDirectory()) {
    throw new Error(`the staging area ${stage.schema}.${stage.name} (${folder}) does not exist; create it first`);
  }
  const temporary = join(folder, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await copyFile(localFile, temporary, constants.COPYFILE_FICLONE);
    await rename(temporary, join(folder, name));
  } finally {
    await rm(temporary, { force: true });
  }
}

/** DuckDB's name of a staged file's compression, from the extension `upload` required. */
export function stagedCompression(file: string): 'zstd' | 'gzip' {
  if (file.endsWith(CODEC_EXTENSION.zstd)) return 'zstd';
  if (file.endsWith(CODEC_EXTENSION.gzip)) return 'gzip';
  throw new PermanentError(
    `staged file ${file} ends in neither ${CODEC_EXTENSION.zstd} nor ${CODEC_EXTENSION.gzip}`,
    FailureType.LoadFailed,
  );
}

/**
 * BigQuery's staging areas are local folders the loading worker uploads from (a load job takes a local
 * file as media upload): `$CONDUIT_BIGQUERY_STAGING_DIR` (a folder every worker of the pipeline shares),
 * else the system's temporary folder. A `gcsStagingBucket` setting, for large tables and workers on
 * several hosts, is not built yet (docs/bigquery-emulator.md, "What is left").
 */
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Codec } from '../../config/compression';
import { CODEC_EXTENSION } from '../compression';
import { PermanentError } from '../errors';
import { FailureType } from '../../failure-types';
import type { QualifiedName } from '../../shared';
import { shortHash } from './capabilities';

function stagingRoot(): string {
  return process.env.CONDUIT_BIGQUERY_STAGING_DIR || join(tmpdir(), 'conduit-bigquery-stage');
}

/** A name as one path segment: kept when plainly safe, else its safe characters and a hash of the whole. */
function segment(name: string): string {
  if (/^[A-Za-z0-9_-]{1,100}$/.test(name)) return name;
  return `${name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 60)}-${shortHash(name)}`;
}

export function stagingFolder(project: string, stage: QualifiedName): string {
  return join(stagingRoot(), segment(project), segment(stage.schema), segment(stage.name));
}

export async function createStagingFolder(project: string, stage: QualifiedName): Promise<void> {
  await mkdir(stagingFolder(project, stage), { recursive: true });
}

export async function dropStagingFolder(project: string, stage: QualifiedName): Promise<void> {
  await rm(stagingFolder(project, stage), { recursive: true, force: true });
}

function checkedName(file: string): string {
  if (file !== basename(file) || file === '' || file.startsWith('.') || file.includes('\0')) {
    throw new PermanentError(`"${file}" is not the name of a staged file`, FailureType.LoadFailed);
  }
  return file;
}

export function stagedFile(project: string, stage: QualifiedName, file: string): string {
  return join(stagingFolder(project, stage), checkedName(file));
}

/**
 * Copies a local gzip file into the staging area under its base name, through a temporary name and a
 * rename, so a load never reads a half-written file. A missing staging area is an error: a straggling
 * upload must not recreate a folder its run has cleaned up.
 */
export async function uploadToStage(
  project: string,
  stage: QualifiedName,
  localFile: string,
  codec: Codec,
): Promise<void> {
  const name = checkedName(basename(localFile));
  if (codec !== 'gzip' || !name.endsWith(CODEC_EXTENSION.gzip)) {
    throw new PermanentError(
      `staged file ${name} is ${codec}; BigQuery loads CSV compressed with gzip only`,
      FailureType.LoadFailed,
    );
  }
  const folder = stagingFolder(project, stage);
  const found = await stat(folder).catch(() => undefined);
  if (!found?.isDirectory()) {
    throw new Error(`the staging area ${stage.schema}.${stage.name} (${folder}) does not exist; create it first`);
  }
  const temporary = join(folder, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await copyFile(localFile, temporary);
    await rename(temporary, join(folder, name));
  } finally {
    await rm(temporary, { force: true });
  }
}

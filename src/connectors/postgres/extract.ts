import { createWriteStream } from 'node:fs';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants as zlibConstants, createGzip } from 'node:zlib';
import type { Client } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { ColumnPlan, PartitionRange, QualifiedName } from '../../shared';
import { rangePredicate } from './partitioning';
import { quoteTable } from './sql';
import { extractExpression } from './types';

export interface ExtractProgress {
  rows: number;
  /** Compressed bytes written so far. */
  bytes: number;
}

/**
 * The statement that writes one partition as CSV. PostgreSQL's CSV writes NULL as an unquoted empty
 * field and '' as `""`, which is what Snowflake's EMPTY_FIELD_AS_NULL reads back exactly.
 */
export function extractStatement(table: QualifiedName, columns: ColumnPlan[], range: PartitionRange): string {
  const select = columns.map((c) => extractExpression(c.source, c.type, c.sourceTypname)).join(', ');
  return `COPY (SELECT ${select} FROM ${quoteTable(table.schema, table.name)} WHERE ${rangePredicate(range)}) TO STDOUT (FORMAT csv)`;
}

/**
 * Streams one partition through gzip into a local file: memory stays flat whatever the partition's
 * size. The read runs in a REPEATABLE READ transaction so the partition is one consistent snapshot.
 */
export async function extractToFile(
  client: Client,
  statement: string,
  file: string,
  onProgress: (progress: ExtractProgress) => void,
): Promise<ExtractProgress> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    const copy = client.query(copyTo(statement));
    const progress: ExtractProgress = { rows: 0, bytes: 0 };
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback: TransformCallback) {
        progress.bytes += chunk.length;
        onProgress(progress);
        callback(null, chunk);
      },
    });
    // Level 1: most of gzip's size reduction at a fraction of its CPU; the stage recompresses nothing.
    const gzip = createGzip({ level: 1, chunkSize: 256 * 1024, strategy: zlibConstants.Z_DEFAULT_STRATEGY });
    await pipeline(copy, gzip, counter, createWriteStream(file, { highWaterMark: 1024 * 1024 }));
    progress.rows = copy.rowCount;
    await client.query('COMMIT');
    return progress;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

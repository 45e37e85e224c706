import { createWriteStream } from 'node:fs';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Client } from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { ColumnPlan, CursorWindow, PartitionRange, QualifiedName } from '../../shared';
import type { Codec } from '../../config/compression';
import { createCompressor } from '../compression';
import type { ValueLimits } from '../destination';
import { windowPredicate } from './cursor';
import { edgeCounterName, edgeRule, guardedExpression } from './edges';
import { rangePredicate } from './partitioning';
import { importSnapshot } from './snapshot';
import { quoteTable } from './sql';
import { extractExpression } from './types';
import { known } from '../../invariant';

export interface ExtractProgress {
  rows: number;
  /** Compressed bytes written so far. */
  bytes: number;
}

export interface ExtractStatement {
  sql: string;
  /** Columns (by index) whose values the destination may not hold; each is counted during the COPY. */
  guarded: number[];
}

/**
 * The statement that writes one partition as CSV. PostgreSQL's CSV writes NULL as an unquoted empty
 * field and '' as `""`, which every destination's load reads back exactly (Snowflake's EMPTY_FIELD_AS_NULL). Values the
 * destination cannot hold are written as NULL and counted (see edges.ts); the caller decides whether
 * that fails the table.
 */
export function extractStatement(
  table: QualifiedName,
  columns: ColumnPlan[],
  range: PartitionRange,
  limits: ValueLimits,
  window?: CursorWindow,
): ExtractStatement {
  const guarded: number[] = [];
  const select = columns.map((column, index) => {
    const expression = extractExpression(column.source, column.type, column.sourceTypname, column.structure);
    const rule = edgeRule(column, limits);
    if (!rule) return expression;
    guarded.push(index);
    return guardedExpression(expression, rule, index);
  });
  const where = window ? `${rangePredicate(range)} AND ${windowPredicate(window)}` : rangePredicate(range);
  return {
    sql:
      `COPY (SELECT ${select.join(', ')} FROM ${quoteTable(table.schema, table.name)} WHERE ${where}) ` +
      "TO STDOUT (FORMAT csv, ENCODING 'UTF8')",
    guarded,
  };
}

/**
 * Streams one partition through the compressor into a local file: memory stays flat whatever the
 * partition's size. The read runs in a REPEATABLE READ transaction so the partition is one
 * consistent snapshot: its own, or the table's shared snapshot when `snapshotId` is given. When the
 * COPY is cut short the client is closed (see below); otherwise it can run more statements.
 */
export async function extractToFile(
  client: Client,
  statement: ExtractStatement,
  file: string,
  codec: Codec,
  onProgress: (progress: ExtractProgress) => void,
  snapshotId?: string,
): Promise<ExtractProgress & { edges: Map<number, number> }> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  let copy: ReturnType<typeof copyTo> | undefined;
  try {
    if (snapshotId !== undefined) await importSnapshot(client, snapshotId);
    copy = client.query(copyTo(statement.sql));
    const progress: ExtractProgress = { rows: 0, bytes: 0 };
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback: TransformCallback) {
        progress.bytes += chunk.length;
        onProgress(progress);
        callback(null, chunk);
      },
    });
    await pipeline(
      copy,
      batchChunks(COMPRESSOR_INPUT_BATCH_BYTES),
      createCompressor(codec),
      counter,
      createWriteStream(file, { highWaterMark: 1024 * 1024 }),
    );
    progress.rows = copy.rowCount;
    const edges = await readEdgeCounters(client, statement.guarded);
    await client.query('COMMIT');
    return { ...progress, edges };
  } catch (error) {
    if (copy && !copy.readableEnded) {
      // Cut short mid-protocol: ROLLBACK or end() would wait behind the COPY for ever, so end the
      // client and close its socket at once (docs/reliability.md, "A COPY cut short").
      const ended = client.end().catch(() => undefined);
      client.connection.stream.destroy();
      await ended;
    } else {
      await client.query('ROLLBACK').catch(() => undefined);
    }
    throw error;
  }
}

/** How much of the COPY stream the compressor is handed at a time. */
const COMPRESSOR_INPUT_BATCH_BYTES = 1024 * 1024;

/**
 * Joins the COPY stream's ~64 KB chunks into ~`size`-byte buffers so PostgreSQL and the compressor run
 * side by side instead of taking turns (docs/performance.md, "1 MB batches").
 */
function batchChunks(size: number): Transform {
  let pending: Buffer[] = [];
  let bytes = 0;
  const take = (): Buffer => {
    const [only] = pending;
    const batch = only && pending.length === 1 ? only : Buffer.concat(pending, bytes);
    pending = [];
    bytes = 0;
    return batch;
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      pending.push(chunk);
      bytes += chunk.length;
      if (bytes >= size) callback(null, take());
      else callback();
    },
    flush(callback: TransformCallback) {
      if (bytes > 0) callback(null, take());
      else callback();
    },
  });
}

/** The counters the guarded expressions bumped, read in the COPY's transaction; only non-zero ones. */
async function readEdgeCounters(client: Client, guarded: number[]): Promise<Map<number, number>> {
  const counts = new Map<number, number>();
  if (guarded.length === 0) return counts;
  const select = guarded.map((index, i) => `current_setting('${edgeCounterName(index)}', true) AS c${i}`).join(', ');
  const { rows } = await client.query<Record<string, string | null>>(`SELECT ${select}`);
  const settings = known(rows[0], 'a SELECT without FROM returns one row');
  guarded.forEach((index, i) => {
    const count = Number(settings[`c${i}`] || 0);
    if (count > 0) counts.set(index, count);
  });
  return counts;
}

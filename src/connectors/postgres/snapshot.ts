import type { Client } from 'pg';
import { known } from '../../invariant';
import { PermanentError } from '../errors';
import { quoteLiteral } from './sql';
import { FailureType } from '../../failure-types';

/**
 * Opens the transaction whose snapshot a table's partitions share and exports it. The snapshot lives
 * exactly as long as this transaction: the caller keeps the connection open and idle until every
 * partition has imported it.
 */
export async function exportSnapshot(client: Client): Promise<string> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  const { rows } = await client.query<{ id: string }>('SELECT pg_export_snapshot() AS id');
  return known(rows[0], 'a SELECT without FROM returns one row').id;
}

/**
 * Makes the current (just begun, REPEATABLE READ) transaction see the exported snapshot. When the
 * exporting transaction has ended (its holder crashed, PostgreSQL restarted) PostgreSQL answers
 * "invalid snapshot identifier": no retry of this extract can fix that, so it is a PermanentError
 * of type SnapshotLost, which tells the table to export a new snapshot and re-read every partition.
 */
export async function importSnapshot(client: Client, id: string): Promise<void> {
  if (!/^[0-9A-F]+(-[0-9A-F]+)+$/i.test(id)) throw new Error(`not a snapshot identifier: ${JSON.stringify(id)}`);
  try {
    await client.query(`SET TRANSACTION SNAPSHOT ${quoteLiteral(id)}`);
  } catch (error) {
    const err = error as Error & { code?: string };
    // 22023 invalid_parameter_value: the snapshot's exporting transaction is gone.
    if (err.code === '22023') {
      throw new PermanentError(
        `the table's shared snapshot ${id} no longer exists (the transaction holding it ended): ${err.message}`,
        FailureType.SnapshotLost,
      );
    }
    throw error;
  }
}

/**
 * Schema evolution of incremental tables between runs (new column, widened types, dropped column,
 * an incompatible change and the way out: --full-refresh), and `conduit state show|set`, end to end
 * on the shared Temporal, PostgreSQL and Snowflake emulator.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stateCommand } from '../../src/cli/state';
import { startPipelineRun, waitForRun } from '../../src/client';
import { Harness } from '../support/harness';
import { sharedServices } from '../support/services';
import { scratchDir } from '../support/scratch';
import { known } from '../../src/invariant';

const S = 'evo_src';
const harness = new Harness(sharedServices(), {
  sourceSchema: S,
  pipeline: { tables: [{ name: `${S}.evolving`, mode: 'incremental_merge', cursor: 'updated_at' }] },
});
const TABLE = `${S}.evolving`;

async function sql(text: string): Promise<void> {
  await harness.pg.query(text);
}

/** Changes some rows, moving their cursor past every other row's so the next run reads them. */
async function touch(where: string, set = ''): Promise<void> {
  await sql(
    `UPDATE ${S}.evolving SET ${set}${set ? ', ' : ''}updated_at = (SELECT max(updated_at) FROM ` +
      `${S}.evolving) + interval '1 hour' WHERE ${where}`,
  );
}

async function sourceHigh(): Promise<string> {
  const { rows } = await harness.pg.query<{ high: string }>(`SELECT max(updated_at)::text AS high FROM ${S}.evolving`);
  return known(rows[0], 'an aggregate SELECT returns one row').high;
}

async function targetColumns(): Promise<string[]> {
  const rows = await harness.snowflake.query<{
    name: string;
    type: string;
    length: string | null;
    precision: string | null;
    scale: string | null;
  }>(
    `SELECT COLUMN_NAME AS "name", DATA_TYPE AS "type", CHARACTER_MAXIMUM_LENGTH AS "length",
            NUMERIC_PRECISION AS "precision", NUMERIC_SCALE AS "scale"
     FROM "${harness.config.destination.database}".INFORMATION_SCHEMA.COLUMNS
     WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'evolving' ORDER BY ORDINAL_POSITION`,
    [harness.targetSchema],
  );
  return rows.map(
    (r) => `${r.name} ${r.type}${r.length ? `(${r.length})` : ''}${r.precision ? `(${r.precision},${r.scale})` : ''}`,
  );
}

async function run(fullRefresh?: string[]) {
  const handle = await startPipelineRun(harness.client, harness.config.temporal, {
    pipeline: harness.config.name,
    tables: [TABLE],
    fullRefresh,
  });
  return waitForRun(handle);
}

async function runOk(fullRefresh?: string[]) {
  const outcome = await run(fullRefresh);
  if (!outcome.ok) throw new Error(outcome.message);
  return known(outcome.result.tables[0], 'the run has one table');
}

beforeAll(async () => {
  await harness.start();
  await sql(
    `CREATE TABLE ${S}.evolving (id int PRIMARY KEY, code varchar(10), qty int, price numeric(8,2), note ` +
      `text NOT NULL, updated_at timestamp NOT NULL)`,
  );
  await sql(
    `INSERT INTO ${S}.evolving SELECT g, 'c' || g, g, g / 8.0, 'note ' || g, timestamp '2024-05-01' + g * ` +
      `interval '1 minute' FROM generate_series(1, 600) g`,
  );
});
afterAll(() => harness.stop());

describe('schema evolution of an incremental table', () => {
  it('first run creates the typed target', async () => {
    const result = await runOk();
    expect(result.schemaChanges).toEqual([]);
    expect(await harness.expectSameContent('evolving')).toBe(600);
  });

  it('adds a new source column before loading', async () => {
    await sql(`ALTER TABLE ${S}.evolving ADD COLUMN extra text`);
    await touch('id % 4 = 0', `extra = 'x' || id`);
    const result = await runOk();
    expect(result.schemaChanges).toEqual(['added column "extra" VARCHAR(134217728)']);
    expect(await targetColumns()).toContain('extra TEXT(134217728)');
    // Rows not touched since have no value in the source either (ADD COLUMN without a default).
    expect(await harness.expectSameContent('evolving')).toBe(600);
  });

  it('widens varchar length, int → bigint and numeric precision in place', async () => {
    await sql(
      `ALTER TABLE ${S}.evolving ALTER COLUMN code TYPE varchar(50), ALTER COLUMN qty TYPE bigint, ALTER ` +
        `COLUMN price TYPE numeric(14,2)`,
    );
    await touch('id = 7', `code = repeat('long', 12), qty = 9000000000000, price = 123456789012.34`);
    const result = await runOk();
    expect(result.schemaChanges).toEqual([
      'widened "code" from VARCHAR(10) to VARCHAR(50)',
      'widened "qty" from NUMBER(10,0) to NUMBER(19,0)',
      'widened "price" from NUMBER(8,2) to NUMBER(14,2)',
    ]);
    expect(await targetColumns()).toEqual(
      expect.arrayContaining(['code TEXT(50)', 'qty NUMBER(19,0)', 'price NUMBER(14,2)']),
    );
    expect(await harness.expectSameContent('evolving')).toBe(600);
  });

  it('keeps a column dropped from the source, NULL in rows written from then on', async () => {
    await sql(`ALTER TABLE ${S}.evolving DROP COLUMN note`);
    await touch('id <= 10', `extra = 'after drop'`);
    const result = await runOk();
    expect(result.schemaChanges).toEqual([
      '"note" is no longer in the source: kept, NULL in rows written from now on',
      '"note" may be NULL now (dropped from the source)',
    ]);
    const rows = await harness.snowflake.query<{ id: string; note: string | null; extra: string | null }>(
      `SELECT "id", "note", "extra" FROM "${harness.targetSchema}"."evolving" WHERE "id" IN (10, 11) ORDER BY "id"`,
    );
    expect(rows).toEqual([
      { id: '10', note: null, extra: 'after drop' },
      { id: '11', note: 'note 11', extra: null },
    ]);
  });

  it('fails an incompatible change with a clear message and leaves target and cursor as they were', async () => {
    const cursorBefore = await stateLine();
    await sql(`ALTER TABLE ${S}.evolving ALTER COLUMN qty TYPE text`);
    await touch('id = 1', `qty = 'many'`);
    const outcome = await run();
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.message).toContain('"qty" changed from NUMBER(19,0) to text (VARCHAR(134217728))');
    expect(outcome.message).toContain(`conduit run --config <file> --full-refresh ${TABLE}`);
    expect(await stateLine()).toBe(cursorBefore);
  });

  it('--full-refresh reloads the table whole in its new shape and resets the cursor', async () => {
    const result = await runOk([TABLE]);
    expect(result.rows).toBe(600);
    // The dropped column is gone with the reload: the target is the source again.
    expect(await harness.expectSameContent('evolving')).toBe(600);
    expect(await stateLine()).toContain(`cursor ${await sourceHigh()} `);
  });
});

describe('conduit state', () => {
  it('set moves the cursor back so the next run re-reads from there, and refuses values of another kind', async () => {
    const file = pipelineFile();
    const refused = await state(['set', '--config', file, 'evolving', 'yesterday']);
    expect(refused.code).toBe(1);
    expect(refused.text).toContain('"yesterday" is not a cursor value');
    expect((await state(['set', '--config', file, 'missing', '5'])).text).toContain('no state for "missing"');

    const moved = await state(['set', '--config', file, 'evolving', '2024-05-01 09:00:00']);
    expect(moved.code).toBe(0);
    expect(moved.text).toContain(`evolving: cursor ${await sourceHigh()} → 2024-05-01 09:00:00`);
    // A change made without moving the cursor (updated_at 09:59): only a re-read from 09:00 finds it.
    await sql(`UPDATE ${S}.evolving SET qty = 'changed behind the cursor' WHERE id = 599`);
    const result = await runOk();
    expect(result.rows).toBeGreaterThan(0);
    expect(await harness.expectSameContent('evolving')).toBe(600);
  });
});

async function state(args: string[]): Promise<{ code: number; text: string }> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const code = await stateCommand(args, out);
  return { code, text };
}

async function stateLine(): Promise<string> {
  return (await state(['show', '--config', pipelineFile()])).text;
}

let written: string | undefined;

/** The harness's pipeline as a file, for the CLI (its password variables set in this process). */
function pipelineFile(): string {
  if (written) return written;
  Object.assign(process.env, harness.env);
  written = join(scratchDir('state'), 'pipeline.yaml');
  writeFileSync(written, JSON.stringify(harness.pipelineDocument(harness.config.name)));
  return written;
}

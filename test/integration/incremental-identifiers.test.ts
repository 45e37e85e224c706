/**
 * Incremental modes with `identifierCase: upper`: cursor, key and soft-delete columns are named as in
 * the source and applied under their folded names in Snowflake.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness } from '../support/harness';
import { sharedServices } from '../support/services';
import { known } from '../../src/invariant';

const S = 'inci_src';
const harness = new Harness(sharedServices(), {
  sourceSchema: S,
  pipeline: {
    tables: [
      {
        name: `${S}.Members`,
        mode: 'incremental_merge',
        cursor: 'ChangedAt',
        softDelete: { column: 'Gone', action: 'delete' },
      },
    ],
    settings: { identifierCase: 'upper' },
  },
});

beforeAll(async () => {
  await harness.start();
  await harness.pg.query(
    `CREATE TABLE ${S}."Members" ("MemberId" int PRIMARY KEY, "Name" text, "ChangedAt" bigint NOT NULL, ` +
      `"Gone" boolean)`,
  );
  await harness.pg.query(
    `INSERT INTO ${S}."Members" SELECT g, 'member ' || g, g, g % 10 = 0 FROM generate_series(1, 200) g`,
  );
});
afterAll(() => harness.stop());

async function target(): Promise<string[]> {
  const rows = await harness.snowflake.query<{ MEMBERID: string; NAME: string }>(
    `SELECT "MEMBERID", "NAME" FROM "${harness.targetSchema}"."MEMBERS" ORDER BY "MEMBERID"`,
  );
  return rows.map((r) => `${r.MEMBERID}:${r.NAME}`);
}

async function expected(): Promise<string[]> {
  const { rows } = await harness.pg.query<{ line: string }>(
    `SELECT "MemberId" || ':' || "Name" AS line FROM ${S}."Members" WHERE "Gone" IS NOT TRUE ORDER BY "MemberId"`,
  );
  return rows.map((r) => r.line);
}

describe('incremental merge with identifierCase upper', () => {
  it('loads, merges and deletes under the folded names', async () => {
    await harness.runOk([`${S}.Members`]);
    expect(await target()).toEqual(await expected());
    await harness.pg.query(
      `UPDATE ${S}."Members" SET "Name" = 'renamed', "ChangedAt" = 1000 + "MemberId" WHERE "MemberId" % 7 = 0`,
    );
    await harness.pg.query(
      `UPDATE ${S}."Members" SET "Gone" = true, "ChangedAt" = 2000 + "MemberId" WHERE "MemberId" % 9 = 0`,
    );
    const outcome = await harness.runOk([`${S}.Members`]);
    expect(known(outcome.result.tables[0], 'the run has one table').cursor).toBe('2198');
    expect(await target()).toEqual(await expected());
  });
});

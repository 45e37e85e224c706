/**
 * Identifiers through the real pipeline: names keep their exact spelling (quoted) by default, fold
 * to Snowflake's uppercase convention on request, and names that would collide are refused before
 * anything is written.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quoteIdent as q } from '../../src/connectors/postgres/sql';
import { Harness } from '../support/harness';
import { sharedServices } from '../support/services';
import { known } from '../../src/invariant';

const services = sharedServices();
const HOSTILE = 'x"; DROP TABLE t; --';
const preserved = new Harness(services, { sourceSchema: 'Ident Src "Mixed"' });
const upper = new Harness(services, {
  sourceSchema: 'ident_upper_src',
  pipeline: { settings: { identifierCase: 'upper' } },
});
const colliding = new Harness(services, {
  sourceSchema: 'ident_collide_src',
  pipeline: { settings: { identifierCase: 'upper' } },
});
const all = [preserved, upper, colliding];

beforeAll(async () => {
  await Promise.all(all.map((h) => h.start()));
});
afterAll(async () => {
  await Promise.all(all.map((h) => h.stop()));
});

describe('identifiers', () => {
  it('keeps mixed case, spaces, reserved words, embedded quotes and hostile SQL exactly', async () => {
    const schema = q(preserved.options.sourceSchema);
    await preserved.pg.query(
      `CREATE TABLE ${schema}."Order Items" ("Id" int PRIMARY KEY, "select" text, "Mixed Case" int, ` +
        `"quote""d" text, "from" date)`,
    );
    await preserved.pg.query(
      `INSERT INTO ${schema}."Order Items" VALUES (1, 'a', 10, 'q', '2024-01-01'), (2, NULL, NULL, '', NULL)`,
    );
    await preserved.pg.query(`CREATE TABLE ${schema}.${q(HOSTILE)} (${q(HOSTILE)} int)`);
    await preserved.pg.query(`INSERT INTO ${schema}.${q(HOSTILE)} VALUES (7)`);

    const outcome = await preserved.runOk();
    expect(outcome.result.tables.map((t) => t.target).sort()).toEqual(
      [`${preserved.targetSchema}.Order Items`, `${preserved.targetSchema}.${HOSTILE}`].sort(),
    );
    expect(await preserved.expectSameContent('Order Items')).toBe(2);
    expect(await preserved.expectSameContent(HOSTILE)).toBe(1);
    const { tables } = await preserved.destinationObjects();
    expect(tables.sort()).toEqual(['Order Items', HOSTILE].sort());
  });

  it('folds names to uppercase when identifierCase is upper', async () => {
    await upper.pg.query(`CREATE TABLE ident_upper_src."Customers" ("Id" int PRIMARY KEY, "firstName" text)`);
    await upper.pg.query(`INSERT INTO ident_upper_src."Customers" VALUES (1, 'Ada'), (2, 'Grace')`);
    const outcome = await upper.runOk();
    expect(known(outcome.result.tables[0], 'the run has one table').target).toBe(`${upper.targetSchema}.CUSTOMERS`);
    const rows = await upper.snowflake.query<{ ID: string; FIRSTNAME: string }>(
      // Unquoted, as teams on Snowflake's convention write it.
      `SELECT ID, FIRSTNAME FROM ${q(upper.targetSchema)}.CUSTOMERS ORDER BY ID`,
    );
    expect(rows).toEqual([
      { ID: '1', FIRSTNAME: 'Ada' },
      { ID: '2', FIRSTNAME: 'Grace' },
    ]);
  });

  it('refuses two tables that would land in one target before writing anything', async () => {
    await colliding.pg.query(`CREATE TABLE ident_collide_src."Orders" (id int)`);
    await colliding.pg.query(`CREATE TABLE ident_collide_src."ORDERS" (id int)`);
    const outcome = await colliding.run();
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.message).toMatch(
      new RegExp(
        /source tables ident_collide_src\.(Orders|ORDERS) and ident_collide_src\.(Orders|ORDERS) /.source +
          /would both load into .*\.ORDERS/.source,
      ),
    );
    expect((await colliding.destinationObjects()).tables).toEqual([]);
  });

  it('refuses two columns that would collide in the target, naming them', async () => {
    await colliding.pg.query(`CREATE TABLE ident_collide_src.cols ("amount" int, "Amount" int)`);
    const outcome = await colliding.run(['ident_collide_src.cols']);
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.message).toContain(
      'columns "amount" and "Amount" of "ident_collide_src"."cols" both become "AMOUNT" in Snowflake',
    );
  });
});

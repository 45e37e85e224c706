/**
 * Every statement the Snowflake dialect renders, for a table holding every mapped type under hostile
 * names in a database and schema with such names, checked by sqlglot's `snowflake` grammar and
 * Snowflake's documented limits (test/support/snowflake_grammar.py, run with the emulator's venv).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CODECS } from '../../src/config/compression';
import { STATE_TABLE } from '../../src/connectors/destination';
import { PINNED_SESSION_PARAMETERS } from '../../src/connectors/snowflake/connection';
import {
  copyIntoSql,
  countRowsSql,
  createSchemaSql,
  createShadowTableSql,
  createStageSql,
  dropStageSql,
  dropTableSql,
  MAX_FILES_PER_COPY,
  putFileSql,
  renameSql,
  shadowTableName,
  stageName,
  swapSql,
  tableCommentSql,
  type TableRef,
} from '../../src/connectors/snowflake/dialect';
import {
  addColumnSql,
  appendSql,
  createStateTableSql,
  deleteStateSql,
  dropNotNullSql,
  insertStateSql,
  listStateSql,
  mergeSql,
  readStateSql,
  settleFullLoadSql,
  targetColumnsSql,
  widenColumnSql,
} from '../../src/connectors/snowflake/incremental-sql';
import type { ColumnKind, ColumnPlan } from '../../src/shared';

const ROOT = resolve(__dirname, '../..');
const PYTHON = resolve(ROOT, '.conduit/venv/bin/python');
const CHECKER = resolve(ROOT, 'test/support/snowflake_grammar.py');

/** One of each kind (a new kind fails to compile here until it is added). */
const KINDS: Record<ColumnKind['kind'], ColumnKind[]> = {
  integer: [
    { kind: 'integer', bytes: 2 },
    { kind: 'integer', bytes: 4 },
    { kind: 'integer', bytes: 8 },
  ],
  decimal: [
    { kind: 'decimal', precision: 38, scale: 0 },
    { kind: 'decimal', precision: 38, scale: 37 },
    { kind: 'decimal', precision: 1, scale: 0 },
  ],
  float: [
    { kind: 'float', bytes: 4 },
    { kind: 'float', bytes: 8 },
  ],
  boolean: [{ kind: 'boolean' }],
  text: [{ kind: 'text' }, { kind: 'text', maxLength: 1 }, { kind: 'text', maxLength: 10_485_760, fixedLength: true }],
  date: [{ kind: 'date' }],
  time: [{ kind: 'time' }],
  timestamp: [{ kind: 'timestamp' }],
  timestamptz: [{ kind: 'timestamptz' }],
  interval: [{ kind: 'interval' }],
  uuid: [{ kind: 'uuid' }],
  json: [{ kind: 'json' }],
  array: [{ kind: 'array' }],
  binary: [{ kind: 'binary' }],
};
const HOSTILE_NAMES = ['select', 'Mixed Case', 'quote"d', "it's", 'naïve ✓', 'from', '$1', 'a.b', 'x'.repeat(255)];

const columns: ColumnPlan[] = Object.values(KINDS)
  .flat()
  .map((type, i) => {
    const name = i < HOSTILE_NAMES.length ? (HOSTILE_NAMES[i] ?? `c${i}`) : `${type.kind} ${i}`;
    return { source: name, target: name, sourceType: type.kind, sourceTypname: type.kind, type, nullable: i % 2 === 0 };
  });
function required<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('a column the statements need is missing');
  return value;
}
const key = required(columns[0]);
const cursor = required(columns[1]);
const flag = required(columns.find((c) => c.type.kind === 'boolean'));

const database = 'My "DB" é';
const schema = 'Staging Área';
// At Snowflake's limit (a `target:` may be that long): the run's shadow table must still fit.
const longName = `Order "Items" ✓ ${'y'.repeat(239)}`;

function statements(tableName: string): { name: string; sql: string }[] {
  const target: TableRef = { database, schema, name: tableName };
  const shadow: TableRef = { database, schema, name: shadowTableName(tableName, '01a23b2a283d') };
  const stage: TableRef = { database, schema, name: stageName(tableName, '01a23b2a283d') };
  const state: TableRef = { database, schema, name: STATE_TABLE };
  const files = Array.from({ length: MAX_FILES_PER_COPY }, (_, i) => `part-${String(i).padStart(6, '0')}.csv.gz`);
  const merge = { columns, key: [key.target], cursor: cursor.target, dropped: ['gone "col"'] };
  const out: Record<string, string> = {
    pinSession: PINNED_SESSION_PARAMETERS,
    createSchema: createSchemaSql(database, schema),
    createStage: createStageSql(stage),
    dropStage: dropStageSql(stage),
    createShadow: createShadowTableSql(shadow, columns, "conduit run 'r1'"),
    copy: copyIntoSql(shadow, columns, stage, files),
    count: countRowsSql(shadow),
    comment: tableCommentSql(database),
    swap: swapSql(target, shadow),
    rename: renameSql(shadow, target),
    dropTable: dropTableSql(shadow),
    createState: createStateTableSql(state),
    readState: readStateSql(state),
    listState: listStateSql(state),
    deleteState: deleteStateSql(state),
    insertState: insertStateSql(state),
    targetColumns: targetColumnsSql(database),
    append: appendSql(
      target,
      shadow,
      columns,
      columns.map((c) => c.target),
      cursor.target,
    ),
    merge: mergeSql(target, shadow, merge),
    mergeSoftDeleteFlag: mergeSql(target, shadow, { ...merge, deleteWhen: { column: flag.target, boolean: true } }),
    mergeSoftDeleteStamp: mergeSql(target, shadow, { ...merge, deleteWhen: { column: cursor.target, boolean: false } }),
    settle: settleFullLoadSql(shadow, { key: [key.target], cursor: cursor.target }),
    settleSoftDelete: settleFullLoadSql(shadow, {
      key: [key.target],
      cursor: cursor.target,
      deleteWhen: { column: flag.target, boolean: true },
    }),
  };
  for (const codec of CODECS)
    out[`put ${codec}`] = putFileSql(`/tmp/conduit work/é/part-000001.csv.${codec}`, codec, stage);
  for (const column of columns) {
    out[`add ${column.type.kind} ${column.target.slice(0, 20)}`] = addColumnSql(target, column);
    out[`widen ${column.type.kind} ${column.target.slice(0, 20)}`] = widenColumnSql(target, column);
  }
  out.dropNotNull = dropNotNullSql(target, key.target);
  return Object.entries(out).map(([name, sql]) => ({ name: `${tableName.slice(0, 20)}: ${name}`, sql }));
}

function check(cases: { name: string; sql: string }[]): { name: string; problems: string[] }[] {
  if (!existsSync(PYTHON)) throw new Error(`${PYTHON} missing: run scripts/bootstrap.sh (sqlglot comes with fakesnow)`);
  const output = execFileSync(PYTHON, [CHECKER], { input: JSON.stringify(cases), maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(output.toString('utf8')) as { name: string; problems: string[] }[];
}

describe('Snowflake grammar of every generated statement', () => {
  it('parses each one and stays within the documented limits', () => {
    const cases = [...statements('Orders "Ünïcode" select'), ...statements(longName)];
    const results = check(cases);
    expect(results).toHaveLength(cases.length);
    expect(results.filter((r) => r.problems.length > 0)).toEqual([]);
  });

  it('catches what Snowflake refuses (the checker can fail)', () => {
    const results = check([
      { name: 'unquoted stage', sql: `PUT 'file:///x.gz' @"My DB"."S"."stg"` },
      { name: 'scale 38', sql: 'CREATE TABLE "a"."b"."c" ("x" NUMBER(38,38))' },
      { name: 'long identifier', sql: `SELECT 1 AS "${'z'.repeat(256)}"` },
      { name: 'garbage', sql: 'CREATE TABLE (' },
    ]);
    expect(results.map((r) => r.problems.length > 0)).toEqual([true, true, true, true]);
  });
});

import type { Client } from 'pg';
import type { ColumnKind, QualifiedName } from '../../shared';
import { PermanentError } from '../errors';
import { quoteIdent, quoteTable } from './sql';
import { classifyPgType, isStructured, type PgColumnType } from './types';
import { FailureType } from '../../failure-types';
import { known } from '../../invariant';

export interface SourceColumn {
  name: string;
  /** As format_type prints it, e.g. `numeric(12,2)`, for messages. */
  displayType: string;
  typname: string;
  kind: ColumnKind | undefined;
  nullable: boolean;
  /** Arrays, ranges, multiranges and composites: the types they are made of. */
  structure?: PgColumnType;
}

export interface SourceTable {
  name: QualifiedName;
  columns: SourceColumn[];
  /** The single-column integer primary key, when there is one: it drives key-range partitioning. */
  integerKey?: string;
  /** Primary key columns, empty when the table has none. */
  primaryKey: string[];
}

interface ColumnRow {
  attname: string;
  display: string;
  attnotnull: boolean;
  typname: string;
  typtype: string;
  typcategory: string;
  typmod: number;
  typid: number;
  is_key: boolean;
  key_columns: number;
}

/** Reads a table's columns, types (domains resolved to their base) and primary key. */
export async function describeTable(client: Client, table: QualifiedName): Promise<SourceTable> {
  const relation = await client.query<{ oid: number; relkind: string }>(
    `SELECT c.oid, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relname = $2`,
    [table.schema, table.name],
  );
  const found = relation.rows[0];
  if (!found) {
    throw new PermanentError(
      `source table ${quoteTable(table.schema, table.name)} does not exist (or the user cannot see it)`,
      FailureType.SourceTableNotFound,
    );
  }
  if (!['r', 'p'].includes(found.relkind)) {
    throw new PermanentError(
      `${quoteTable(table.schema, table.name)} is not a table (relkind ${found.relkind}); only tables can ` +
        `be partitioned and copied`,
      FailureType.SourceNotATable,
    );
  }
  // Domains are followed to their base type (a domain over a domain too) so values map by what they hold.
  const { rows } = await client.query<ColumnRow>(
    `WITH RECURSIVE resolved AS (
       SELECT a.attnum, a.atttypid AS typid, a.atttypmod AS typmod
       FROM pg_attribute a WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped
       UNION ALL
       SELECT r.attnum, t.typbasetype, CASE WHEN t.typtypmod >= 0 THEN t.typtypmod ELSE r.typmod END
       FROM resolved r JOIN pg_type t ON t.oid = r.typid WHERE t.typtype = 'd'
     ), key AS (
       SELECT i.indkey FROM pg_index i WHERE i.indrelid = $1 AND i.indisprimary
     )
     SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS display, a.attnotnull,
            t.typname, t.typtype, t.typcategory, r.typmod, r.typid,
            coalesce(a.attnum = ANY ((SELECT indkey FROM key)::int2[]), false) AS is_key,
            coalesce((SELECT cardinality(indkey::int2[]) FROM key), 0) AS key_columns
     FROM pg_attribute a
     JOIN resolved r ON r.attnum = a.attnum
     JOIN pg_type t ON t.oid = r.typid AND t.typtype <> 'd'
     WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped
     ORDER BY a.attnum`,
    [found.oid],
  );
  if (rows.length === 0) {
    throw new PermanentError(
      `source table ${quoteTable(table.schema, table.name)} has no columns`,
      FailureType.SourceTableEmptyShape,
    );
  }
  const types = new TypeReader(client);
  const columns: SourceColumn[] = [];
  for (const row of rows) {
    const flat = { typname: row.typname, typtype: row.typtype, typcategory: row.typcategory, typmod: row.typmod };
    const type = isStructured(flat) ? await types.describe(row.typid, row.typmod) : flat;
    columns.push({
      name: row.attname,
      displayType: row.display,
      typname: row.typname,
      kind: classifyPgType(type),
      nullable: !row.attnotnull,
      ...(isStructured(type) ? { structure: type } : {}),
    });
  }
  const keyRow = rows.find(
    (row) => row.is_key && row.key_columns === 1 && ['int2', 'int4', 'int8'].includes(row.typname),
  );
  return {
    name: table,
    columns,
    integerKey: keyRow?.attname,
    primaryKey: rows.filter((row) => row.is_key).map((row) => row.attname),
  };
}

interface TypeRow {
  typname: string;
  typtype: string;
  typcategory: string;
  typelem: number;
  typrelid: number;
  typbasetype: number;
  typtypmod: number;
  range_subtype: number | null;
  multirange_range: number | null;
}

/** Composite types nest at most this deep here (PostgreSQL forbids a type containing itself). */
const MAX_TYPE_DEPTH = 32;

/** Reads what arrays, ranges, multiranges and composite types are made of, domains resolved at every level. */
class TypeReader {
  constructor(private readonly client: Client) {}

  async describe(oid: number, typmod: number, depth = 0): Promise<PgColumnType> {
    if (depth > MAX_TYPE_DEPTH) throw new Error(`type ${oid} nests more than ${MAX_TYPE_DEPTH} levels`);
    const { rows } = await this.client.query<TypeRow>(
      `SELECT t.typname, t.typtype, t.typcategory, t.typelem, t.typrelid,
              t.typbasetype, t.typtypmod,
              r.rngsubtype AS range_subtype, m.rngtypid AS multirange_range
       FROM pg_type t LEFT JOIN pg_range r ON r.rngtypid = t.oid LEFT JOIN pg_range m ON m.rngmultitypid = t.oid
       WHERE t.oid = $1`,
      [oid],
    );
    const row = known(rows[0], 'a type the catalog refers to exists');
    if (row.typtype === 'd') return this.describe(row.typbasetype, row.typtypmod >= 0 ? row.typtypmod : typmod, depth);
    const type: PgColumnType = { typname: row.typname, typtype: row.typtype, typcategory: row.typcategory, typmod };
    // An array's typmod is its elements' (varchar(10)[]).
    if (row.typcategory === 'A' && row.typelem !== 0)
      type.element = await this.describe(row.typelem, typmod, depth + 1);
    if (row.multirange_range !== null) type.element = await this.describe(row.multirange_range, -1, depth + 1);
    if (row.range_subtype !== null) type.subtype = await this.describe(row.range_subtype, -1, depth + 1);
    if (row.typtype === 'c') {
      const fields = await this.client.query<{ attname: string; atttypid: number; atttypmod: number }>(
        `SELECT attname, atttypid, atttypmod FROM pg_attribute
         WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
        [row.typrelid],
      );
      type.fields = [];
      for (const field of fields.rows) {
        type.fields.push({
          name: field.attname,
          type: await this.describe(field.atttypid, field.atttypmod, depth + 1),
        });
      }
    }
    return type;
  }
}

/**
 * Sizes unconstrained `numeric` columns from the data: the largest scale and integer digits present.
 * Returns them per column, plus whether a NaN is present (Snowflake's NUMBER cannot hold one).
 */
export interface NumericSize {
  scale: number;
  integerDigits: number;
  hasNaN: boolean;
}

export async function measureNumerics(
  client: Client,
  table: QualifiedName,
  columns: string[],
): Promise<Map<string, NumericSize>> {
  const result = new Map<string, NumericSize>();
  if (columns.length === 0) return result;
  const selects = columns.map((name, i) => {
    const c = quoteIdent(name);
    const finite = `CASE WHEN ${c} = 'NaN' THEN NULL ELSE ${c} END`;
    return [
      `coalesce(max(scale(${finite})), 0) AS scale_${i}`,
      `coalesce(max(CASE WHEN trunc(abs(${finite})) = 0 THEN 0 ELSE length(trunc(abs(${finite}))::text) ` +
        `END), 0) AS digits_${i}`,
      `coalesce(bool_or(${c} = 'NaN'), false) AS nan_${i}`,
    ].join(', ');
  });
  const { rows } = await client.query<Record<string, string | number | boolean>>(
    `SELECT ${selects.join(', ')} FROM ${quoteTable(table.schema, table.name)}`,
  );
  const values = known(rows[0], 'an aggregate SELECT returns one row');
  columns.forEach((name, i) => {
    result.set(name, {
      scale: Number(values[`scale_${i}`]),
      integerDigits: Number(values[`digits_${i}`]),
      hasNaN: values[`nan_${i}`] === true,
    });
  });
  return result;
}

/** How many of a column's numbers NUMBER(38, s) holds exactly, for each scale s from 0 to 37. */
export interface NumericFits {
  /** Values other than NULL and NaN. */
  values: number;
  /** Index s: values with at most s fraction digits and at most 38 - s before the point. */
  byScale: number[];
}

export async function countNumericFits(
  client: Client,
  table: QualifiedName,
  column: string,
  maxPrecision: number,
  maxScale: number,
): Promise<NumericFits> {
  const c = quoteIdent(column);
  const scales = Array.from({ length: maxScale + 1 }, (_, s) => s);
  const number = `${c} <> 'NaN'`;
  const fits = scales.map((s) => {
    const held = `${number} AND abs(${c}) < 1e${maxPrecision - s} AND ${c} = round(${c}, ${s})`;
    return `count(*) FILTER (WHERE ${held}) AS s${s}`;
  });
  const from = quoteTable(table.schema, table.name);
  const { rows } = await client.query<Record<string, string>>(
    `SELECT count(*) FILTER (WHERE ${number}) AS n, ${fits.join(', ')} FROM ${from}`,
  );
  const row = rows[0] ?? {};
  return { values: Number(row.n ?? 0), byScale: scales.map((s) => Number(row[`s${s}`] ?? 0)) };
}

/** Tables and views of a schema, by name. */
export async function listTables(client: Client, schema: string): Promise<string[]> {
  const { rows } = await client.query<{ relname: string }>(
    `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition
     ORDER BY c.relname`,
    [schema],
  );
  return rows.map((row) => row.relname);
}

import type { ColumnKind, SourceType } from '../../shared';
import { quoteIdent, quoteLiteral } from './sql';

/** A column's type as the catalog describes it (catalog.ts), domains already resolved to their base type. */
export type PgColumnType = SourceType;

/**
 * Types whose PostgreSQL text form is their value, carried as text: character types, network
 * addresses, bit strings ('0'/'1'), geometric types (floats printed shortest-exact under
 * extra_float_digits = 1), text search types, WAL positions and snapshots, object names (reg*), and the
 * extension types citext and ltree.
 */
const TEXT_FORMS = new Set([
  'text',
  'varchar',
  'bpchar',
  'name',
  'char',
  'citext',
  'inet',
  'cidr',
  'macaddr',
  'macaddr8',
  'xml',
  'timetz',
  'bit',
  'varbit',
  'point',
  'line',
  'lseg',
  'box',
  'path',
  'polygon',
  'circle',
  'tsvector',
  'tsquery',
  'pg_lsn',
  'txid_snapshot',
  'pg_snapshot',
  'tid',
  'aclitem',
  'refcursor',
  'jsonpath',
  'regproc',
  'regprocedure',
  'regoper',
  'regoperator',
  'regclass',
  'regcollation',
  'regtype',
  'regrole',
  'regnamespace',
  'regconfig',
  'regdictionary',
  'ltree',
  'lquery',
  'ltxtquery',
]);

/** Scalars whose to_json() is their mapped form inside JSON: numbers, booleans, ISO date/time text, strings. */
const JSON_NATIVE = new Set([
  ...TEXT_FORMS,
  'int2',
  'int4',
  'int8',
  'numeric',
  'float4',
  'float8',
  'bool',
  'date',
  'time',
  'timestamp',
  'timestamptz',
  'interval',
  'uuid',
  'jsonb',
  // hstore's own cast to json makes an object of it (string values, NULL values as null)
  'hstore',
]);

/**
 * Scalars that become JSON numbers through casts: money's numeric value; oid, xid and cid (unsigned
 * 32-bit) and xid8 (unsigned 64-bit) through their decimal text. The casts apply to arrays of them too.
 */
const JSON_VIA: Record<string, string[]> = {
  money: ['numeric'],
  oid: ['int8'],
  xid: ['text', 'int8'],
  cid: ['text', 'int8'],
  xid8: ['text', 'numeric'],
};

/** Maps a PostgreSQL type to the neutral column kind; undefined when Conduit cannot carry it exactly. */
export function classifyPgType(type: PgColumnType): ColumnKind | undefined {
  if (type.typcategory === 'A' || type.typtype === 'm') {
    return jsonForm('x', type, 0) === undefined ? undefined : { kind: 'array' };
  }
  if (type.typtype === 'r' || type.typtype === 'c') {
    return jsonForm('x', type, 0) === undefined ? undefined : { kind: 'json' };
  }
  if (type.typtype === 'e') return { kind: 'text' };
  switch (type.typname) {
    case 'int2':
      return { kind: 'integer', bytes: 2 };
    case 'int4':
      return { kind: 'integer', bytes: 4 };
    case 'int8':
    case 'oid':
    case 'xid':
    case 'cid':
      // Unsigned 32-bit values overflow a signed 4-byte integer.
      return { kind: 'integer', bytes: 8 };
    case 'xid8':
      return { kind: 'decimal', precision: 20, scale: 0 };
    case 'numeric':
      return numericKind(type.typmod);
    case 'money':
      return { kind: 'decimal', precision: 19, scale: 2 };
    case 'float4':
      return { kind: 'float', bytes: 4 };
    case 'float8':
      return { kind: 'float', bytes: 8 };
    case 'bool':
      return { kind: 'boolean' };
    case 'varchar':
      return type.typmod > 4 ? { kind: 'text', maxLength: type.typmod - 4 } : { kind: 'text' };
    case 'bpchar':
      return { kind: 'text', maxLength: Math.max(type.typmod - 4, 1), fixedLength: true };
    case 'bit':
    case 'varbit':
      // The typmod of bit(n) and bit varying(n) is n: one character per bit.
      return type.typmod > 0 ? { kind: 'text', maxLength: type.typmod } : { kind: 'text' };
    case 'date':
      return { kind: 'date' };
    case 'time':
      return { kind: 'time' };
    case 'timestamp':
      return { kind: 'timestamp' };
    case 'timestamptz':
      return { kind: 'timestamptz' };
    case 'interval':
      return { kind: 'interval' };
    case 'uuid':
      return { kind: 'uuid' };
    case 'json':
    case 'jsonb':
    case 'hstore':
      return { kind: 'json' };
    case 'bytea':
      return { kind: 'binary' };
    default:
      return TEXT_FORMS.has(type.typname) ? { kind: 'text' } : undefined;
  }
}

/** Whether a type carries structure the extract shapes as JSON (what ColumnPlan.structure describes). */
export function isStructured(type: PgColumnType): boolean {
  return type.typcategory === 'A' || ['r', 'm', 'c'].includes(type.typtype);
}

/**
 * numeric(p,s) keeps its precision and scale; unconstrained numeric is marked with precision 0 and
 * sized from the data when the table is prepared.
 */
function numericKind(typmod: number): ColumnKind {
  if (typmod < 4) return { kind: 'decimal', precision: 0, scale: 0 };
  const precision = ((typmod - 4) >> 16) & 0xffff;
  // PostgreSQL 15+ keeps the scale as an 11-bit signed number (-1000 to 1000): numeric_typmod_scale()
  const scale = (((typmod - 4) & 0x7ff) ^ 1024) - 1024;
  return { kind: 'decimal', precision, scale };
}

/**
 * PostgreSQL's json keeps duplicate keys, which Snowflake's strict PARSE_JSON refuses (aborting the
 * whole COPY): through jsonb each key keeps its last value. jsonb refuses \u0000 and lone surrogate
 * escapes, so a document with such an escape goes as written. See docs/type-mapping.md, "JSON".
 */
function lastKeyWins(column: string, viaJsonb: string, asWritten: string): string {
  // chr(92) is a backslash: the pattern \\u(0000|d[89a-f]), whatever standard_conforming_strings says
  const escape = `repeat(chr(92), 2) || 'u(0000|d[89a-f])'`;
  return `CASE WHEN ${column}::text ~* (${escape}) THEN ${asWritten} ELSE ${viaJsonb} END`;
}

/** Whether to_json() of the type already writes every part of it in its mapped form. */
function nativeJson(type: PgColumnType): boolean {
  if (type.typcategory === 'A') return type.element !== undefined && nativeJson(type.element);
  if (type.typtype === 'c') return (type.fields ?? []).every((field) => nativeJson(field.type));
  if (type.typtype === 'e') return true;
  return type.typtype === 'b' && JSON_NATIVE.has(type.typname);
}

/**
 * The SQL json value of `value` (an expression of `type`) with every part in its mapped form, NULL for
 * NULL; undefined when some part has no mapping. `depth` keeps the aliases of nested subqueries apart.
 */
function jsonForm(value: string, type: PgColumnType, depth: number): string | undefined {
  if (nativeJson(type)) return `to_json(${value})`;
  if (type.typcategory === 'A') return type.element && arrayForm(value, type.element, depth);
  if (type.typtype === 'm') return type.element && multirangeForm(value, type.element, depth);
  if (type.typtype === 'r') return type.subtype && rangeForm(value, type.subtype, depth);
  if (type.typtype === 'c') return type.fields && compositeForm(value, type.fields, depth);
  const via = JSON_VIA[type.typname];
  if (via) return `to_json((${value})${via.map((cast) => `::${cast}`).join('')})`;
  if (type.typname === 'bytea') return `to_json(encode(${value}, 'hex'))`;
  if (type.typname === 'json') return lastKeyWins(value, `(${value})::jsonb::json`, `(${value})`);
  return undefined;
}

/** PostgreSQL's MAXDIM: an array has at most six dimensions. */
const MAX_DIMENSIONS = 6;

/**
 * An array as nested JSON arrays with each element in its mapped form, NULL elements as null. Elements
 * are read in storage (row-major) order and written between the brackets their flat position opens and
 * closes, so one expression serves every number of dimensions.
 */
function arrayForm(array: string, element: PgColumnType, depth: number): string | undefined {
  const via = element.typtype === 'b' ? JSON_VIA[element.typname] : undefined;
  if (via) return `to_json((${array})${via.map((cast) => `::${cast}[]`).join('')})`;
  const [e, k] = [`e${depth}`, `k${depth}`];
  const form = jsonForm(e, element, depth + 1);
  if (form === undefined) return undefined;
  const length = (d: number) => `coalesce(array_length(${array}, ${d}), 1)`;
  // Elements per sub-array of dimension d and deeper: position i opens one bracket per such span it starts.
  const span = (d: number) => Array.from({ length: MAX_DIMENSIONS - d + 1 }, (_, i) => length(d + i)).join(' * ');
  const brackets = (position: string) =>
    Array.from(
      { length: MAX_DIMENSIONS },
      (_, i) => `(array_ndims(${array}) >= ${i + 1} AND ${position} % (${span(i + 1)}) = 0)::int`,
    ).join(' + ');
  const opened = `repeat('[', ${brackets(`(${k} - 1)`)})`;
  const item = `${opened} || coalesce((${form})::text, 'null') || repeat(']', ${brackets(k)})`;
  // In the select list (set-returning functions there run in lockstep) unnest keeps a composite element
  // whole; in FROM it would spread the element's fields over the column aliases.
  const numbered = `SELECT unnest(${array}) AS ${e}, generate_series(1, cardinality(${array})) AS ${k}`;
  const elements = `SELECT string_agg(${item}, ',' ORDER BY ${k}) FROM (${numbered}) AS u${depth}`;
  return `CASE WHEN ${array} IS NULL THEN NULL ELSE coalesce((${elements})::json, '[]'::json) END`;
}

/** A multirange as a JSON array of its ranges, in order (an empty multirange is []). */
function multirangeForm(multirange: string, range: PgColumnType, depth: number): string | undefined {
  const [r, k] = [`r${depth}`, `k${depth}`];
  const form = jsonForm(r, range, depth + 1);
  if (form === undefined) return undefined;
  const numbered = `unnest(${multirange}) WITH ORDINALITY AS u${depth}(${r}, ${k})`;
  const ranges = `SELECT json_agg(${form} ORDER BY ${k}) FROM ${numbered}`;
  return `CASE WHEN ${multirange} IS NULL THEN NULL ELSE coalesce((${ranges}), '[]'::json) END`;
}

/**
 * A range as an object of its bounds (in their mapped form; null where unbounded), their inclusivity,
 * and whether it is empty: PostgreSQL's own lower(), upper(), lower_inc(), upper_inc() and isempty().
 */
function rangeForm(range: string, subtype: PgColumnType, depth: number): string | undefined {
  const lower = jsonForm(`lower(${range})`, subtype, depth);
  const upper = jsonForm(`upper(${range})`, subtype, depth);
  if (lower === undefined || upper === undefined) return undefined;
  const object =
    `json_build_object('lower', ${lower}, 'upper', ${upper}, 'lower_inclusive', lower_inc(${range}), ` +
    `'upper_inclusive', upper_inc(${range}), 'empty', isempty(${range}))`;
  return `CASE WHEN ${range} IS NULL THEN NULL ELSE ${object} END`;
}

/** json_build_object takes at most 100 arguments: 50 fields. */
const FIELDS_PER_OBJECT = 50;

/**
 * A composite value as an object keyed by field name, each field in its mapped form. num_nulls tells a
 * NULL composite from one whose fields are all NULL (`IS NULL` is true for both).
 */
function compositeForm(
  value: string,
  fields: { name: string; type: PgColumnType }[],
  depth: number,
): string | undefined {
  const pairs: string[] = [];
  for (const field of fields) {
    const form = jsonForm(`(${value}).${quoteIdent(field.name)}`, field.type, depth);
    if (form === undefined) return undefined;
    pairs.push(`${quoteLiteral(field.name)}, ${form}`);
  }
  const objects: string[] = [];
  for (let i = 0; i < pairs.length; i += FIELDS_PER_OBJECT) {
    objects.push(`json_build_object(${pairs.slice(i, i + FIELDS_PER_OBJECT).join(', ')})`);
  }
  const object =
    objects.length === 1 ? (objects[0] as string) : `(${objects.map((o) => `${o}::jsonb`).join(' || ')})::json`;
  return `CASE WHEN num_nulls(${value}) = 1 THEN NULL ELSE ${object} END`;
}

/**
 * The SELECT expression that makes PostgreSQL write the value as the load side reads it. Values are
 * shaped here, in the database, because per-row JavaScript is an order of magnitude slower than
 * PostgreSQL's own CSV output. `structure` describes arrays, ranges, multiranges and composites.
 */
export function extractExpression(
  column: string,
  kind: ColumnKind,
  sourceTypname: string,
  structure?: PgColumnType,
): string {
  const c = quoteIdent(column);
  switch (kind.kind) {
    case 'float':
      // Snowflake spells infinities 'inf'/'-inf'; PostgreSQL writes 'Infinity'/'-Infinity'.
      return `CASE WHEN ${c} = 'Infinity' THEN 'inf' WHEN ${c} = '-Infinity' THEN '-inf' ELSE ${c}::text END`;
    case 'decimal':
      return sourceTypname === 'money' ? `${c}::numeric` : c;
    case 'timestamptz':
      // ISO 8601 with an explicit offset, which Snowflake parses without a format string.
      return `to_json(${c}) #>> '{}'`;
    case 'json':
    case 'array':
      return structuredExpression(c, kind.kind, sourceTypname, structure);
    case 'binary':
      return `encode(${c}, 'hex')`;
    default:
      return c;
  }
}

function structuredExpression(
  c: string,
  kind: 'json' | 'array',
  sourceTypname: string,
  structure: PgColumnType | undefined,
): string {
  if (sourceTypname === 'json') return lastKeyWins(c, `${c}::jsonb::text`, `${c}::text`);
  if (sourceTypname === 'hstore') return `${c}::json`;
  if (sourceTypname === '_json') return lastKeyWins(c, `to_jsonb(${c})::text`, `to_json(${c})::text`);
  // Columns planned before structures were recorded: jsonb, and arrays of scalars to_json writes exactly.
  if (!structure) return kind === 'array' ? `to_json(${c})` : c;
  const form = jsonForm(c, structure, 0);
  if (form === undefined) throw new Error(`no JSON form for ${sourceTypname}: the column should have been refused`);
  return form;
}

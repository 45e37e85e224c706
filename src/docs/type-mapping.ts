/**
 * Renders docs/type-mapping.md from the code that does the mapping, so the published table cannot
 * drift from behaviour: `npm run docs` writes it and a unit test checks the committed file.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { edgeRule, megabytes } from '../connectors/postgres/edges';
import type { DestinationCapabilities } from '../connectors/destination';
import { duckDbCapabilities } from '../connectors/duckdb/capabilities';
import { snowflakeCapabilities } from '../connectors/snowflake/capabilities';
import { classifyPgType, extractExpression, isStructured, type PgColumnType } from '../connectors/postgres/types';
import { loadExpression, snowflakeType } from '../connectors/snowflake/dialect';
import {
  DEFAULT_VARCHAR_LENGTH,
  MAX_BINARY_BYTES,
  MAX_NUMBER_PRECISION,
  MAX_NUMBER_SCALE,
  MAX_VARCHAR_BYTES,
  MAX_VARIANT_BYTES,
} from '../connectors/snowflake/limits';
import { declaredNumber } from '../activities/numbers';
import type { ColumnPlan } from '../shared';

interface Example {
  /** As a user declares it. */
  declared: string;
  type: PgColumnType;
  /** For numerics sized from the data: what the prepare step measures. */
  sizedTo?: { precision: number; scale: number };
  note: string;
}

const base = (typname: string, typmod = -1): PgColumnType => ({ typname, typtype: 'b', typcategory: 'X', typmod });
const arrayOf = (element: PgColumnType): PgColumnType => ({
  typname: `_${element.typname}`,
  typtype: 'b',
  typcategory: 'A',
  typmod: -1,
  element,
});
const rangeOf = (typname: string, subtype: PgColumnType): PgColumnType => ({
  typname,
  typtype: 'r',
  typcategory: 'R',
  typmod: -1,
  subtype,
});
const numericMod = (p: number, s: number) => ((p << 16) | (s & 0x7ff)) + 4;

const EXAMPLES: Example[] = [
  { declared: 'smallint', type: base('int2'), note: '' },
  { declared: 'integer', type: base('int4'), note: '' },
  { declared: 'bigint', type: base('int8'), note: 'read back as text or BigInt to keep values beyond 2^53' },
  {
    declared: 'numeric(p,s), p ≤ 38',
    type: base('numeric', numericMod(12, 2)),
    note:
      'example numeric(12,2); a negative scale widens the precision with scale 0, ' +
      'a scale above the precision is all fraction (numeric(2,5): NUMBER(5,5))',
  },
  {
    declared: 'numeric(38,38), numeric(p,s) with s > 37',
    type: base('numeric', numericMod(38, 38)),
    note: 'NUMBER has at most 37 digits after the point: values with more are unrepresentable (see Numbers)',
  },
  {
    declared: 'numeric(p,-s) needing more than 38 digits',
    type: base('numeric', numericMod(38, -5)),
    note:
      'example numeric(38,-5), 43 digits: values of 38 digits or fewer land exactly, the others are ' +
      'unrepresentable',
  },
  {
    declared: 'numeric(p,s), p > 38',
    type: base('numeric', numericMod(50, 10)),
    sizedTo: { precision: 38, scale: 10 },
    note:
      'sized from the values present: NUMBER(38, largest scale) when integer digits + scale ≤ 38 ' +
      'and the scale ≤ 37; otherwise see Numbers',
  },
  {
    declared: 'numeric (unconstrained)',
    type: base('numeric'),
    sizedTo: { precision: 38, scale: 9 },
    note: 'sized from the values present, as above (example: largest scale 9)',
  },
  {
    declared: 'money',
    type: base('money'),
    note: 'as its numeric value, without currency symbol (lc_monetary with 2 fraction digits)',
  },
  {
    declared: 'real',
    type: base('float4'),
    note: "NaN, ±Infinity (as 'inf'/'-inf') and -0 are carried; shortest exact text",
  },
  { declared: 'double precision', type: base('float8'), note: 'as real' },
  { declared: 'boolean', type: base('bool'), note: '' },
  { declared: 'char(n)', type: base('bpchar', 5 + 4), note: 'example char(5); the padding PostgreSQL stores is kept' },
  { declared: 'varchar(n)', type: base('varchar', 20 + 4), note: 'example varchar(20)' },
  {
    declared: 'text',
    type: base('text'),
    note:
      'byte-exact: commas, quotes, CR/LF, tabs, backslashes, `NULL`, `\\N`, emoji; empty string stays ' +
      'distinct from NULL',
  },
  { declared: 'date', type: base('date'), note: 'ISO text' },
  { declared: 'time', type: base('time'), note: '' },
  { declared: 'timestamp', type: base('timestamp'), note: 'ISO text, microseconds' },
  { declared: 'timestamptz', type: base('timestamptz'), note: 'ISO 8601 with offset (UTC); the instant is preserved' },
  {
    declared: 'interval',
    type: base('interval'),
    note: 'ISO 8601 duration text (`P1Y2M3DT4H5M6.5S`); Snowflake has no interval type',
  },
  { declared: 'uuid', type: base('uuid'), note: '' },
  {
    declared: 'json',
    type: base('json'),
    note:
      'queryable VARIANT; extracted through jsonb, so a duplicated key keeps its last value (see JSON); ' +
      'a document over ' +
      `${megabytes(MAX_VARIANT_BYTES)} (VARIANT's limit) fails the load with Snowflake's error`,
  },
  {
    declared: 'jsonb',
    type: base('jsonb'),
    note: 'queryable VARIANT, sent as PostgreSQL prints it (no duplicate keys)',
  },
  {
    declared: 'bytea',
    type: base('bytea'),
    note: "hex in the CSV, decoded by the FILE_FORMAT's `BINARY_FORMAT = HEX` (no conversion function)",
  },
  {
    declared: 'arrays of scalars to_json writes as mapped (e.g. integer[], text[], interval[], inet[], enum[])',
    type: arrayOf(base('int4')),
    note:
      'JSON array, multi-dimensional arrays nest, NULL elements are null, lower bounds are dropped; elements as ' +
      'text where their scalar is (interval as ISO 8601, time, inet, bit…); json[] goes through jsonb[] as json does',
  },
  {
    declared: 'money[], oid[], xid[]',
    type: arrayOf(base('money')),
    note: 'elements as numbers, through an array cast (example money[])',
  },
  {
    declared: 'arrays of other mapped elements (bytea[], ranges[], composites[]…)',
    type: arrayOf(base('bytea')),
    note: 'each element in its mapped form (bytea as hex), dimensions and NULL elements kept: see Structured values',
  },
  { declared: 'enum', type: { typname: 'mood', typtype: 'e', typcategory: 'E', typmod: -1 }, note: 'the label' },
  {
    declared: 'domain over any of these',
    type: base('int4'),
    note: 'mapped by its base type, domains over domains too, also inside arrays and composites',
  },
  { declared: 'inet, cidr, macaddr, macaddr8', type: base('inet'), note: "PostgreSQL's text form" },
  { declared: 'timetz, citext, name, "char"', type: base('timetz'), note: "PostgreSQL's text form" },
  { declared: 'xml', type: base('xml'), note: "PostgreSQL's text form; its size is measured as text" },
  { declared: 'bit(n)', type: base('bit', 8), note: "example bit(8); '0'/'1' text, one character per bit" },
  { declared: 'bit varying', type: base('varbit'), note: "'0'/'1' text" },
  {
    declared: 'point, line, lseg, box, circle',
    type: base('point'),
    note: "PostgreSQL's text form (`(1.5,-0.1)`), floats shortest-exact",
  },
  { declared: 'path, polygon', type: base('polygon'), note: "PostgreSQL's text form, floats shortest-exact" },
  {
    declared: 'tsvector, tsquery',
    type: base('tsvector'),
    note: "PostgreSQL's text form (lexemes, positions, weights)",
  },
  { declared: 'pg_lsn', type: base('pg_lsn'), note: "PostgreSQL's text form (`16/B374D848`)" },
  {
    declared: 'txid_snapshot, pg_snapshot',
    type: base('txid_snapshot'),
    note: "PostgreSQL's text form (`10:20:10,14`)",
  },
  {
    declared: 'tid, aclitem, refcursor, jsonpath, regclass and the other reg* types',
    type: base('regclass'),
    note: "PostgreSQL's text form (reg* as object names)",
  },
  { declared: 'oid, xid, cid', type: base('oid'), note: 'unsigned 32-bit: an 8-byte integer holds every value' },
  { declared: 'xid8', type: base('xid8'), note: 'unsigned 64-bit, up to 20 digits' },
  {
    declared: 'ranges (int4range, numrange, daterange, tstzrange…, user-defined)',
    type: rangeOf('int4range', base('int4')),
    note:
      'object `{lower, upper, lower_inclusive, upper_inclusive, empty}`, bounds in their mapped form, null where ' +
      'unbounded: see Structured values',
  },
  {
    declared: 'multiranges',
    type: {
      typname: 'int4multirange',
      typtype: 'm',
      typcategory: 'R',
      typmod: -1,
      element: rangeOf('int4range', base('int4')),
    },
    note: 'array of range objects, in order; an empty multirange is []',
  },
  {
    declared: 'composite types',
    type: {
      typname: 'pair',
      typtype: 'c',
      typcategory: 'C',
      typmod: -1,
      fields: [
        { name: 'n', type: base('int4') },
        { name: 'b', type: base('bytea') },
      ],
    },
    note: 'object keyed by field name, nested composites and arrays included: see Structured values',
  },
  { declared: 'hstore (extension)', type: base('hstore'), note: 'object of string values (NULL values null)' },
  { declared: 'ltree (extension)', type: base('ltree'), note: "PostgreSQL's text form (`Top.Science`)" },
];

/** Long JSON-building expressions are described in Structured values rather than printed in the table. */
const MAX_PRINTED_EXPRESSION = 200;
function plan(example: Example, destination: DestinationCapabilities): ColumnPlan | undefined {
  const kind = classifyPgType(example.type);
  if (!kind) return undefined;
  const column: ColumnPlan = {
    source: 'c',
    target: 'c',
    sourceType: example.declared,
    sourceTypname: example.type.typname,
    type: kind,
    nullable: true,
    ...(isStructured(example.type) ? { structure: example.type } : {}),
  };
  if (kind.kind !== 'decimal' || example.type.typname !== 'numeric') return column;
  if (example.sizedTo) return { ...column, type: { kind: 'decimal', ...example.sizedTo }, sizedFromData: true };
  return declaredNumber(column, kind.precision, kind.scale, destination.limits.decimal);
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

export function renderTypeMapping(): string {
  const rows = EXAMPLES.map((example) => {
    const column = plan(example, snowflakeCapabilities);
    const inDuckDb = plan(example, duckDbCapabilities);
    if (!column || !inDuckDb) throw new Error(`example ${example.declared} does not classify`);
    const rule = edgeRule(column, snowflakeCapabilities.limits);
    const duckDbRule = edgeRule(inDuckDb, duckDbCapabilities.limits);
    const extract = extractExpression('c', column.type, column.sourceTypname, column.structure);
    const printed =
      extract.length > MAX_PRINTED_EXPRESSION
        ? 'JSON built by the extract (see Structured values)'
        : `\`${cell(extract)}\``;
    return (
      `| ${cell(example.declared)} | \`${snowflakeType(column.type)}\` | ` +
      `\`${duckDbCapabilities.columnType(inDuckDb.type)}\` | ${printed} | ` +
      `\`${cell(loadExpression(column.type, 1))}\` | ${cell(rule?.description ?? '—')} | ` +
      `${cell(duckDbRule?.description ?? '—')} | ${cell(example.note)} |`
    );
  });
  return `# Type mapping: PostgreSQL → Snowflake and DuckDB

<!-- Generated by \`npm run docs\` from src/docs/type-mapping.ts; a unit test fails if this file drifts from the \
code. -->

Every column lands as a typed Snowflake column. Values are shaped by PostgreSQL in the extract's
\`SELECT\` (column \`c\` below), written as CSV by \`COPY … TO STDOUT (FORMAT csv)\` (NULL as an unquoted
empty field, \`''\` as \`""\`), compressed (zstd, or gzip; \`settings.compression\`), staged, and loaded by a \
transforming \`COPY INTO\` whose
\`SELECT\` applies the load expression to the field (\`$1\` below) with
\`FILE_FORMAT = (TYPE = CSV FIELD_OPTIONALLY_ENCLOSED_BY = '"' ESCAPE_UNENCLOSED_FIELD = NONE NULL_IF = ()
EMPTY_FIELD_AS_NULL = TRUE BINARY_FORMAT = HEX COMPRESSION = AUTO)\`.
The extract session runs with \`DateStyle = ISO, YMD\`, \`TimeZone = UTC\`, \`IntervalStyle = iso_8601\`,
\`extra_float_digits = 1\` whatever the server's defaults.

The DuckDB column is the type a DuckDB destination creates; it reads the same staged files with its
own CSV reader (docs/destinations.md, "DuckDB"). The notes describe Snowflake unless they say otherwise.

| PostgreSQL | Snowflake | DuckDB | extract expression | Snowflake load expression | values Snowflake cannot hold \
| values DuckDB cannot hold | notes |
|---|---|---|---|---|---|---|---|
${rows.join('\n')}

A type without a mapping (an extension type other than those above, such as \`cube\`, or an array,
range or composite made of one) is refused when the table is prepared, before any data moves, with a
non-retryable error naming the table, each such column and its type, and the two ways out below.
PostGIS \`geometry\`/\`geography\` and pgvector's \`vector\` have no typed mapping yet; \`columns.asText\`
carries their exact text output: hex EWKB for PostGIS (SRID included; Snowflake's \`TO_GEOGRAPHY\` and
\`TO_GEOMETRY\` read it), \`[1,2,3]\` for a vector.

## Choosing columns: \`columns\`

A table entry (\`name:\`) or a schema entry (\`schema:\`) may say which columns are carried, by
name or glob (\`*\`, \`?\`; names match exactly, case included):

\`\`\`yaml
tables:
  - name: public.parcels
    columns:
      exclude: [internal_*, boundary] # never read from the source
      asText: [shape, span]          # PostgreSQL's text form, whatever the type
\`\`\`

- \`exclude\`: the columns are left out of the extract's \`SELECT\` and of the target table (and an
  excluded primary key no longer splits the table into key ranges: pages do). Excluding every column
  is refused. Incremental modes refuse to exclude the cursor, the key (\`primaryKey\`, or the source's
  primary key) or the soft-delete column.
- \`asText\`: the column lands as \`VARCHAR\` holding PostgreSQL's text output for the value (a
  range as \`[1,5)\`, an array as \`{1,2}\`, a \`cube\` as \`(1, 2, 3)\`), exactly as the server
  writes it with the extract session's settings; values over the text limit are unrepresentable.
- A pattern in both lists is a configuration error. A pattern that matches nothing is allowed (a
  schema entry's patterns apply to each of its tables).

Changing the choice of an incremental table later is a schema change: a newly excluded column is
kept in the target and NULL in new rows, as for a column dropped from the source; a column switched
to text is refused as any incompatible type change is, unless the table is reloaded (\`--full-refresh\`).

## Structured values

Arrays, ranges, multiranges and composite values are built as JSON by PostgreSQL in the extract's
\`SELECT\`, from the catalog's description of the type (domains resolved at every level):

- every part has its mapped form: numbers as JSON numbers (\`money\`, \`oid\`, \`xid\` too),
  \`bytea\` as lowercase hex, \`interval\` as ISO 8601, dates and timestamps as ISO text
  (\`timestamptz\` with offset \`+00:00\`), \`infinity\` as the string \`"infinity"\`, float NaN and
  ±Infinity as the strings \`"NaN"\`, \`"Infinity"\`, \`"-Infinity"\`, text forms as strings, json
  through jsonb as for a json column;
- a range is \`{"lower": …, "upper": …, "lower_inclusive": …, "upper_inclusive": …, "empty": …}\`
  as PostgreSQL's \`lower()\`, \`upper()\`, \`lower_inc()\`, \`upper_inc()\` and \`isempty()\` give it:
  bounds in canonical form (\`(,10]\` of int4range is \`{"lower": null, "upper": 11, …}\`), null
  where unbounded (a \`daterange\` bound of \`infinity\` stays \`"infinity"\`), an empty range has
  null bounds and \`"empty": true\`. A structure rather than the text form because warehouses can
  then query bounds directly; \`columns.asText\` carries the text form instead;
- a multirange is the array of its ranges, in order;
- a composite is an object keyed by its field names (a NULL composite is null, one with every field
  NULL is an object of nulls);
- an array keeps its dimensions (nested arrays) and its NULL elements; an empty array is \`[]\`, and
  PostgreSQL's lower bounds (\`[0:1]={7,8}\`) are dropped, as \`to_json\` drops them. Elements are
  read in storage order and each is written between the brackets its position opens and closes.
  Arrays whose elements \`to_json\` already writes in their mapped form go through \`to_json\` as
  they are; \`money\`, \`oid\`, \`xid\`, \`cid\` and \`xid8\` elements through an array cast.

## Values Snowflake cannot hold: \`settings.onUnrepresentable\`

| value | why |
|---|---|
| \`infinity\`, \`-infinity\`, BC dates, years after 9999 (date, timestamp, timestamptz) | Snowflake's dates span \
years 1–9999 (before 1582 Snowflake warns that results may differ between calendars) |
| \`24:00:00\` (time) | Snowflake's TIME ends at 23:59:59.999999999 |
| numeric \`NaN\` | NUMBER has no NaN |
| numbers that do not fit the column's NUMBER(38,s) (more than 38 digits, or more than 37 after the point) \
| NUMBER holds 38 digits, at most 37 after the point |
| text over ${megabytes(MAX_VARCHAR_BYTES)}, binary over ${megabytes(MAX_BINARY_BYTES)} \
| Snowflake's VARCHAR and BINARY limits |

One policy per pipeline:

- \`fail\` (default): the table fails before anything is loaded; the error names each column, how
  many values, and what they are. Numbers too wide are refused while preparing, before any data moves.
- \`null\`: those values load as NULL; everything else loads exactly. The run summary (and the
  table's result in Temporal) counts them per column.
- \`string\`: a column holding any such value (found by one scan while preparing) lands as VARCHAR
  with PostgreSQL's exact text for every row (\`infinity\`, \`0044-03-15 BC\`, \`NaN\`, all digits).
  Size limits have no text fallback and fail as under \`fail\`.

${numberSections()}
Nothing is ever rounded or truncated silently. Floats need no policy: Snowflake's FLOAT holds
NaN, ±inf and -0.

## Identifiers

Names are always double-quoted, so mixed case, spaces, reserved words and embedded quotes (doubled)
arrive exactly: \`"OrderItems"\` and \`orderitems\` stay distinct tables. \`settings.identifierCase: upper\`
folds table and column names to Snowflake's unquoted convention (\`ORDERITEMS\`). Two sources that
would land in one target table, or two columns in one target column, are refused before anything
is written; give one a \`target\` name. A \`target\` set on a table entry is used exactly as written.
`;
}

/** Numbers, JSON and size limits: how the mapping stays within Snowflake's documented limits. */
function numberSections(): string {
  const [p, s] = [MAX_NUMBER_PRECISION, MAX_NUMBER_SCALE];
  const bytes = (n: number) => n.toLocaleString('en-US');
  return `## Numbers

Snowflake's NUMBER has a precision of 1–${p} and a scale of 0–${s}, at most the precision
([numeric data types](https://docs.snowflake.com/en/sql-reference/data-types-numeric)). Every numeric
lands in such a type:

- \`numeric(p,s)\` with p ≤ ${p}: the same digits before and after the point: \`NUMBER(p,s)\`;
  \`numeric(5,-2)\` (values rounded to hundreds, PostgreSQL 15+) is \`NUMBER(7,0)\`, \`numeric(2,5)\` is
  \`NUMBER(5,5)\`. When that needs more than ${p} digits or more than ${s} after the point
  (\`numeric(38,38)\`, \`numeric(38,-5)\`), the column is \`NUMBER(${p},s)\` with s the declared scale
  clamped to 0–${s}, and every value is checked while extracting: one that NUMBER cannot hold exactly
  is unrepresentable.
- unconstrained \`numeric\` and \`numeric(p,s)\` with p > ${p} are sized from the values present when
  the table is prepared: \`NUMBER(${p}, largest scale)\` when the largest integer part plus the largest
  scale fit ${p} digits and that scale is at most ${s}. Otherwise one more scan counts, for each scale
  s from 0 to ${s}, the values \`NUMBER(${p},s)\` holds exactly, and the column gets the scale that
  holds the most (the smallest such scale on a tie, which leaves the most digits before the point).
  When that scale holds every value (trailing zeros can make the largest scale look larger than
  needed), nothing is unrepresentable. Otherwise, under \`fail\` the table is refused while preparing,
  before any data moves, with the column, the digits it needs and how many values the best type would
  hold; under \`null\` the values that do not fit load as NULL and are counted per column; under
  \`string\` the column lands as text.

A value is never rounded to fit: it is exact, NULL (counted) or text, as the policy says.

## JSON

PostgreSQL's \`json\` keeps an object's keys as written, duplicates included; \`jsonb\` keeps the last
value of a duplicated key. Snowflake's \`PARSE_JSON\` is strict by default
([PARSE_JSON](https://docs.snowflake.com/en/sql-reference/functions/parse_json)): one duplicate key fails
the whole COPY. So \`json\` (and \`json[]\`) values are extracted through \`jsonb\`: a duplicated key keeps
its last value, and the document lands as the same value would from a \`jsonb\` column (keys in jsonb's
order, numbers as jsonb prints them). The load keeps the one-argument \`PARSE_JSON\`, whose use in a COPY
transformation Snowflake documents; \`PARSE_JSON(…, 'd')\` would do the same in Snowflake, but whether
COPY accepts that second argument is not documented. A document holding a \`\\u0000\` or surrogate
escape, which \`jsonb\` refuses, is sent as written: should it also repeat a key, the COPY fails with
Snowflake's error. Values with duplicate keys are not counted: finding them costs a second parse of
every document. Converting through \`jsonb\` costs PostgreSQL a parse of each \`json\` value while
extracting; \`jsonb\` columns are sent as they are.

## Size limits

A VARCHAR holds at most ${bytes(MAX_VARCHAR_BYTES)} bytes (${megabytes(MAX_VARCHAR_BYTES)}) and, without a length,
${bytes(DEFAULT_VARCHAR_LENGTH)} characters; unbounded text therefore lands as \`VARCHAR(${MAX_VARCHAR_BYTES})\`.
A BINARY holds at most ${bytes(MAX_BINARY_BYTES)} bytes (${megabytes(MAX_BINARY_BYTES)}; 8 MB without a length), hence
\`BINARY(${MAX_BINARY_BYTES})\`
([string and binary types](https://docs.snowflake.com/en/sql-reference/data-types-text)).
A VARIANT holds up to ${megabytes(MAX_VARIANT_BYTES)} uncompressed, usually less because of internal overhead
([semi-structured types](https://docs.snowflake.com/en/sql-reference/data-types-semistructured)); a larger
JSON document fails the load with Snowflake's error. Incremental targets made with \`VARCHAR\`
(16,777,216 characters) by earlier versions are widened to \`VARCHAR(${MAX_VARCHAR_BYTES})\` on their next run.
`;
}

if (require.main === module) {
  const file = resolve(__dirname, '../../docs/type-mapping.md');
  writeFileSync(file, renderTypeMapping());
  process.stdout.write(`wrote ${file}\n`);
}

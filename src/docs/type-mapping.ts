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
import { classifyPgType, extractExpression, type PgColumnType } from '../connectors/postgres/types';
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
    declared: 'arrays of scalars (e.g. integer[], text[])',
    type: { typname: '_int4', typtype: 'b', typcategory: 'A', typmod: -1, element: base('int4') },
    note: 'JSON array, multi-dimensional arrays nest, NULL elements are null; json[] goes through jsonb[] as json does',
  },
  { declared: 'enum', type: { typname: 'mood', typtype: 'e', typcategory: 'E', typmod: -1 }, note: 'the label' },
  {
    declared: 'domain over any of these',
    type: base('int4'),
    note: 'mapped by its base type, domains over domains too (example: a domain over integer)',
  },
  { declared: 'inet, cidr, macaddr', type: base('inet'), note: "PostgreSQL's text form" },
  { declared: 'timetz, xml, citext, name', type: base('timetz'), note: "PostgreSQL's text form" },
];

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
    return (
      `| ${cell(example.declared)} | \`${snowflakeType(column.type)}\` | ` +
      `\`${duckDbCapabilities.columnType(inDuckDb.type)}\` | ` +
      `\`${cell(extractExpression('c', column.type, column.sourceTypname))}\` | ` +
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

Anything else (geometric types, ranges, composite types, tsvector, arrays of unlisted element
types…) is refused when the table is prepared, before any data moves, with a non-retryable error
naming the table, column and type.

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

/**
 * Renders docs/type-mapping.md from the code that does the mapping, so the published table cannot
 * drift from behaviour: `npm run docs` writes it and a unit test checks the committed file.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { edgeRule } from '../connectors/postgres/edges';
import { classifyPgType, extractExpression, type PgColumnType } from '../connectors/postgres/types';
import { loadExpression, snowflakeType } from '../connectors/snowflake/dialect';
import type { ColumnKind, ColumnPlan } from '../shared';

interface Example {
  /** As a user declares it. */
  declared: string;
  type: PgColumnType;
  /** For numerics sized from the data: what the prepare step measures. */
  sizedTo?: { precision: number; scale: number };
  note: string;
}

const base = (typname: string, typmod = -1): PgColumnType => ({ typname, typtype: 'b', typcategory: 'X', typmod });
const numericMod = (p: number, s: number) => ((p << 16) | s) + 4;

const EXAMPLES: Example[] = [
  { declared: 'smallint', type: base('int2'), note: '' },
  { declared: 'integer', type: base('int4'), note: '' },
  { declared: 'bigint', type: base('int8'), note: 'read back as text or BigInt to keep values beyond 2^53' },
  {
    declared: 'numeric(p,s), p ≤ 38',
    type: base('numeric', numericMod(12, 2)),
    note: 'example numeric(12,2); negative scales widen the precision, scale 0',
  },
  {
    declared: 'numeric(p,s), p > 38',
    type: base('numeric', numericMod(50, 10)),
    sizedTo: { precision: 38, scale: 10 },
    note: 'sized from the values present: NUMBER(38, largest scale) when integer digits + scale ≤ 38; otherwise the policy decides',
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
    note: 'byte-exact: commas, quotes, CR/LF, tabs, backslashes, `NULL`, `\\N`, emoji; empty string stays distinct from NULL',
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
    note: "queryable VARIANT; a document over 16 MB (VARIANT's limit) fails the load with Snowflake's error",
  },
  { declared: 'jsonb', type: base('jsonb'), note: 'as json' },
  { declared: 'bytea', type: base('bytea'), note: '' },
  {
    declared: 'arrays of scalars (e.g. integer[], text[])',
    type: { typname: '_int4', typtype: 'b', typcategory: 'A', typmod: -1, elementTypname: 'int4' },
    note: 'JSON array, multi-dimensional arrays nest, NULL elements are null',
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

function plan(example: Example): ColumnPlan | undefined {
  const kind = classifyPgType(example.type);
  if (!kind) return undefined;
  const type: ColumnKind = example.sizedTo && kind.kind === 'decimal' ? { kind: 'decimal', ...example.sizedTo } : kind;
  return {
    source: 'c',
    target: 'c',
    sourceType: example.declared,
    sourceTypname: example.type.typname,
    type,
    nullable: true,
    sizedFromData: example.sizedTo !== undefined,
  };
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

export function renderTypeMapping(): string {
  const rows = EXAMPLES.map((example) => {
    const column = plan(example);
    if (!column) throw new Error(`example ${example.declared} does not classify`);
    const rule = edgeRule(column);
    return `| ${cell(example.declared)} | \`${snowflakeType(column.type)}\` | \`${cell(extractExpression('c', column.type, column.sourceTypname))}\` | \`${cell(loadExpression(column.type, 1))}\` | ${cell(rule?.description ?? '—')} | ${cell(example.note)} |`;
  });
  return `# Type mapping: PostgreSQL → Snowflake

<!-- Generated by \`npm run docs\` from src/docs/type-mapping.ts; a unit test fails if this file drifts from the code. -->

Every column lands as a typed Snowflake column. Values are shaped by PostgreSQL in the extract's
\`SELECT\` (column \`c\` below), written as CSV by \`COPY … TO STDOUT (FORMAT csv)\` (NULL as an unquoted
empty field, \`''\` as \`""\`), compressed (zstd, or gzip; \`settings.compression\`), staged, and loaded by a transforming \`COPY INTO\` whose
\`SELECT\` applies the load expression to the field (\`$1\` below) with
\`FILE_FORMAT = (TYPE = CSV FIELD_OPTIONALLY_ENCLOSED_BY = '"' ESCAPE_UNENCLOSED_FIELD = NONE NULL_IF = () EMPTY_FIELD_AS_NULL = TRUE)\`.
The extract session runs with \`DateStyle = ISO, YMD\`, \`TimeZone = UTC\`, \`IntervalStyle = iso_8601\`,
\`extra_float_digits = 1\` whatever the server's defaults.

| PostgreSQL | Snowflake | extract expression | load expression | values Snowflake cannot hold | notes |
|---|---|---|---|---|---|
${rows.join('\n')}

Anything else (geometric types, ranges, composite types, tsvector, arrays of unlisted element
types…) is refused when the table is prepared, before any data moves, with a non-retryable error
naming the table, column and type.

## Values Snowflake cannot hold: \`settings.onUnrepresentable\`

| value | why |
|---|---|
| \`infinity\`, \`-infinity\`, BC dates, years after 9999 (date, timestamp, timestamptz) | Snowflake's dates span years 1–9999 (before 1582 Snowflake warns that results may differ between calendars) |
| \`24:00:00\` (time) | Snowflake's TIME ends at 23:59:59.999999999 |
| numeric \`NaN\` | NUMBER has no NaN |
| numbers needing more than 38 digits | NUMBER holds 38 |
| text over 16 MB, binary over 8 MB | Snowflake's VARCHAR and BINARY limits |

One policy per pipeline:

- \`fail\` (default): the table fails before anything is loaded; the error names each column, how
  many values, and what they are. Numbers too wide are refused while preparing, before any data moves.
- \`null\`: those values load as NULL; everything else loads exactly. The run summary (and the
  table's result in Temporal) counts them per column.
- \`string\`: a column holding any such value (found by one scan while preparing) lands as VARCHAR
  with PostgreSQL's exact text for every row (\`infinity\`, \`0044-03-15 BC\`, \`NaN\`, all digits).
  Size limits have no text fallback and fail as under \`fail\`.

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

if (require.main === module) {
  const file = resolve(__dirname, '../../docs/type-mapping.md');
  writeFileSync(file, renderTypeMapping());
  process.stdout.write(`wrote ${file}\n`);
}

/**
 * Every column kind through a staged file exactly as an extract writes it (connectors/postgres/types.ts),
 * loaded and read back value by value: NULL apart from the empty string, CSV-hostile text, 38 digits,
 * infinities, BC dates, intervals, uuid, json, bytes, arrays with nesting and NULL elements.
 * Values a destination's declared limits exclude never reach it (the extract guards them,
 * connectors/postgres/edges.ts), so they are marked with that limit and left out for such a destination.
 */
import { describe, expect, it } from 'vitest';
import type { ValueLimits } from '../../src/connectors/destination';
import type { ColumnKind } from '../../src/shared';
import { canonicalFloat, canonicalJson, epochDays, epochMicros, type Canonical } from './canonical';
import { destinations } from './destinations';
import { byId, column, contractSetup, stageAndLoad } from './helpers';

/** The limits of `capabilities.limits` that keep values out of a destination. */
const EXCLUDES = {
  'years 1–9999': (limits: ValueLimits) => limits.dateRange === 'years-1-9999',
  'no 24:00:00': (limits: ValueLimits) => !limits.time2400,
  'scale below 38': (limits: ValueLimits) => limits.decimal.maxScale < 38,
};
type Limit = keyof typeof EXCLUDES;

/** A staged text (null: SQL NULL), the canonical value it must read back as, and a limit that may exclude it. */
type Case = [staged: string | null, expected: Canonical, beyond?: Limit];

const years = (staged: string, expected: Canonical): Case => [staged, expected, 'years 1–9999'];

const float4 = (text: string): Case => [
  text,
  canonicalFloat(Math.fround(Number(text.replace(/^(-?)inf$/, '$1Infinity')))),
];
const float8 = (text: string): Case => [text, canonicalFloat(Number(text.replace(/^(-?)inf$/, '$1Infinity')))];
const json = (text: string): Case => [text, canonicalJson(text)];
const same = (text: string): Case => [text, text];

/** Beyond DuckDB's default CSV line of 2 MB. */
const LARGE_TEXT = `${'long line, "quoted" too\n'.repeat(150_000)}end`;

interface MatrixColumn {
  name: string;
  type: ColumnKind;
  cases: Case[];
  /** A column type the destination cannot have (its values would be sized from the data instead). */
  beyond?: Limit;
}

const MATRIX: MatrixColumn[] = [
  {
    name: 'int2',
    type: { kind: 'integer', bytes: 2 },
    cases: [same('32767'), same('-32768'), same('0'), [null, null]],
  },
  { name: 'int4', type: { kind: 'integer', bytes: 4 }, cases: [same('2147483647'), same('-2147483648')] },
  {
    name: 'int8',
    type: { kind: 'integer', bytes: 8 },
    cases: [same('9223372036854775807'), same('-9223372036854775808'), same('9007199254740993')],
  },
  {
    name: 'numeric_38_0',
    type: { kind: 'decimal', precision: 38, scale: 0 },
    cases: [same('9'.repeat(38)), same(`-${'1234567890'.repeat(3)}12345678`), same('0')],
  },
  {
    name: 'numeric_38_10',
    type: { kind: 'decimal', precision: 38, scale: 10 },
    cases: [
      same('1234567890123456789012345678.0123456789'),
      ['-0.0000000001', '-0.0000000001'],
      ['1.5000000000', '1.5'],
    ],
  },
  {
    name: 'numeric_38_38',
    type: { kind: 'decimal', precision: 38, scale: 38 },
    beyond: 'scale below 38',
    cases: [
      same(`0.${'12345678901234567890'}${'123456789012345678'}`),
      same('-0.00000000000000000000000000000000000001'),
    ],
  },
  {
    name: 'numeric_5_2',
    type: { kind: 'decimal', precision: 5, scale: 2 },
    cases: [same('123.45'), same('-0.01'), ['0.00', '0']],
  },
  {
    name: 'float4',
    type: { kind: 'float', bytes: 4 },
    cases: [
      float4('1.5'),
      float4('3.4028235e+38'),
      float4('1e-45'),
      float4('inf'),
      float4('-inf'),
      float4('NaN'),
      float4('-0'),
    ],
  },
  {
    name: 'float8',
    type: { kind: 'float', bytes: 8 },
    cases: [
      float8('0.1'),
      float8('1.7976931348623157e+308'),
      float8('5e-324'),
      float8('inf'),
      float8('-inf'),
      float8('NaN'),
      float8('-0'),
      float8('1e-07'),
    ],
  },
  {
    name: 'bool',
    type: { kind: 'boolean' },
    cases: [
      ['t', 'true'],
      ['f', 'false'],
      [null, null],
    ],
  },
  {
    name: 'text',
    type: { kind: 'text' },
    cases: [
      same(''),
      [null, null],
      same('comma, separated'),
      same('double "quoted" text'),
      same("apostrophe's"),
      same('line\nbreak'),
      same('windows\r\nline'),
      same('lone\rreturn'),
      same('tab\there'),
      same('back\\slash \\N \\\\'),
      same('NULL'),
      same('\\N'),
      same('\\.'),
      same('"'),
      same('""'),
      same(','),
      same('  leading and trailing  '),
      same('emoji 😀 and 𝄞 beyond the BMP, ümlauts, combining é, RTL שלום'),
      same(LARGE_TEXT),
    ],
  },
  { name: 'char_5', type: { kind: 'text', maxLength: 5, fixedLength: true }, cases: [same('ab   '), same('     ')] },
  {
    name: 'date',
    type: { kind: 'date' },
    cases: [
      ['1970-01-01', '0'],
      ['2024-02-29', epochDays(2024, 2, 29)],
      years('0044-03-15 BC', epochDays(-43, 3, 15)),
      years('0001-01-01 BC', epochDays(0, 1, 1)),
      ['0001-01-01', epochDays(1, 1, 1)],
      ['9999-12-31', epochDays(9999, 12, 31)],
      years('4713-11-24 BC', epochDays(-4712, 11, 24)),
      years('5874897-12-31', epochDays(5874897, 12, 31)),
      years('10000-01-01', epochDays(10000, 1, 1)),
      years('infinity', 'infinity'),
      years('-infinity', '-infinity'),
    ],
  },
  {
    name: 'time',
    type: { kind: 'time' },
    cases: [
      ['00:00:00', '00:00:00.000000'],
      ['23:59:59.999999', '23:59:59.999999'],
      ['24:00:00', '24:00:00.000000', 'no 24:00:00'],
      ['12:34:56.5', '12:34:56.500000'],
    ],
  },
  {
    name: 'timestamp',
    type: { kind: 'timestamp' },
    cases: [
      ['1970-01-01 00:00:00', '0'],
      ['2024-02-29 12:34:56.123456', epochMicros(2024, 2, 29, 12, 34, 56, 123456)],
      years('0044-03-15 12:00:00.5 BC', epochMicros(-43, 3, 15, 12, 0, 0, 500000)),
      years('4713-11-24 00:00:00 BC', epochMicros(-4712, 11, 24)),
      ['0001-01-01 00:00:00', epochMicros(1, 1, 1)],
      ['9999-12-31 23:59:59.999999', epochMicros(9999, 12, 31, 23, 59, 59, 999999)],
      years('294246-12-31 23:59:59.999999', epochMicros(294246, 12, 31, 23, 59, 59, 999999)),
      years('infinity', 'infinity'),
      years('-infinity', '-infinity'),
    ],
  },
  {
    name: 'timestamptz',
    type: { kind: 'timestamptz' },
    cases: [
      ['2024-02-29T12:34:56.123456+00:00', epochMicros(2024, 2, 29, 12, 34, 56, 123456)],
      ['2024-01-01T05:30:00+05:30', epochMicros(2024, 1, 1)],
      years('0044-03-15T12:00:00+00:00 BC', epochMicros(-43, 3, 15, 12)),
      ['1999-12-31T23:00:00-01:00', epochMicros(2000, 1, 1)],
      years('infinity', 'infinity'),
      years('-infinity', '-infinity'),
    ],
  },
  {
    name: 'interval',
    type: { kind: 'interval' },
    cases: [
      ['P1Y2M3DT4H5M6.5S', '14 months 3 days 14706500000 us'],
      ['P-1Y-2M3DT-4H-5M-6.5S', '-14 months 3 days -14706500000 us'],
      ['PT0S', '0 months 0 days 0 us'],
      ['PT-0.5S', '0 months 0 days -500000 us'],
      ['P1DT-0.000001S', '0 months 1 days -1 us'],
      ['PT178000000H', '0 months 0 days 640800000000000000 us'],
      ['PT-177999999H-57M', '0 months 0 days -640799999820000000 us'],
      ['P35D', '0 months 35 days 0 us'],
      ['P1M-1D', '1 months -1 days 0 us'],
      ['P178956970Y7M', '2147483647 months 0 days 0 us'],
      ['PT2562047788H54.775807S', '0 months 0 days 9223372036854775807 us'],
    ],
  },
  {
    name: 'uuid',
    type: { kind: 'uuid' },
    cases: [
      same('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'),
      same('00000000-0000-0000-0000-000000000000'),
      same('ffffffff-ffff-ffff-ffff-ffffffffffff'),
    ],
  },
  {
    name: 'json',
    type: { kind: 'json' },
    cases: [
      json('{"b": 1, "a": [1, 2, {"c": null}]}'),
      json('"just a string"'),
      json('123.456e10'),
      // JSON null is a value, SQL NULL is not
      json('null'),
      [null, null],
      json('{"k": "line\\nbreak \\"q\\" 😀 \\u00e9"}'),
      json('[]'),
      json('{}'),
    ],
  },
  {
    name: 'array',
    type: { kind: 'array' },
    cases: [
      json('[[1,2],[3,null]]'),
      json('["Infinity","NaN",1.5]'),
      json('["a\\"b",null]'),
      json('[]'),
      json('[null]'),
      json('["0044-03-15 BC"]'),
      json('[[["deep"]]]'),
    ],
  },
  {
    name: 'bytes',
    type: { kind: 'binary' },
    cases: [same(''), [null, null], same('deadbeef00ff'), same('00'), same('0a0d2c22')],
  },
];

/** The columns and cases a destination with these limits receives. */
function matrixFor(limits: ValueLimits): MatrixColumn[] {
  const excluded = (limit: Limit | undefined) => limit !== undefined && EXCLUDES[limit](limits);
  return MATRIX.filter((m) => !excluded(m.beyond)).map((m) => ({
    ...m,
    cases: m.cases.filter((c) => !excluded(c[2])),
  }));
}

/** Row i: its id, then each column's i-th case (NULL where a column has fewer). */
function stagedRow(matrix: MatrixColumn[], i: number): (string | null)[] {
  return [String(i), ...matrix.map((m) => m.cases[i]?.[0] ?? null)];
}

function expectedRow(matrix: MatrixColumn[], i: number): Record<string, Canonical> {
  return { id: String(i), ...Object.fromEntries(matrix.map((m) => [m.name, m.cases[i]?.[1] ?? null])) };
}

describe.each(destinations)('type matrix: $name', (destination) => {
  const setup = contractSetup(destination);

  it('reads back every value exactly, from zstd and gzip files alike', async () => {
    const session = setup.session();
    const matrix = matrixFor(session.capabilities.limits);
    const rowCount = Math.max(...matrix.map((m) => m.cases.length));
    const columns = [column('id', { kind: 'integer', bytes: 4 }, false), ...matrix.map((m) => column(m.name, m.type))];
    const table = { schema: setup.target().schema, name: 'type_matrix' };
    await session.createTable(table, columns, 'matrix-marker');
    const half = Math.ceil(rowCount / 2);
    const loads = await stageAndLoad(session, setup.local(), table, columns, [
      { stem: 'first', rows: Array.from({ length: half }, (_, i) => stagedRow(matrix, i)), codec: 'zstd' },
      {
        stem: 'second',
        rows: Array.from({ length: rowCount - half }, (_, i) => stagedRow(matrix, half + i)),
        codec: 'gzip',
      },
    ]);
    expect(loads).toEqual([
      { file: 'first.csv.zst', status: 'loaded', rows: half },
      { file: 'second.csv.gz', status: 'loaded', rows: rowCount - half },
    ]);
    expect(await session.countRows(table)).toBe(rowCount);
    const rows = byId(await setup.target().readRows(table, columns));
    // Column by column, so a failure names the column and the case.
    for (const m of matrix) {
      expect(
        rows.map((row) => row[m.name]),
        m.name,
      ).toEqual(Array.from({ length: rowCount }, (_, i) => expectedRow(matrix, i)[m.name]));
    }
  });

  it('tells NULL from the empty string in text and bytes', async () => {
    const session = setup.session();
    const table = { schema: setup.target().schema, name: 'null_or_empty' };
    const columns = [
      column('id', { kind: 'integer', bytes: 4 }),
      column('t', { kind: 'text' }),
      column('b', { kind: 'binary' }),
    ];
    await session.createTable(table, columns, '');
    await stageAndLoad(session, setup.local(), table, columns, [
      {
        stem: 'null-or-empty',
        rows: [
          ['1', '', ''],
          ['2', null, null],
          ['3', ' ', '20'],
        ],
      },
    ]);
    expect(byId(await setup.target().readRows(table, columns))).toEqual([
      { id: '1', t: '', b: '' },
      { id: '2', t: null, b: null },
      { id: '3', t: ' ', b: '20' },
    ]);
  });

  it('loads a one-column file whose NULL rows are empty lines', async ({ skip }) => {
    const gap = setup.target().gaps?.['blank-lines-as-rows'];
    if (gap) return skip(gap);
    const session = setup.session();
    const table = { schema: setup.target().schema, name: 'one_column' };
    const columns = [column('t', { kind: 'text' })];
    await session.createTable(table, columns, '');
    const loads = await stageAndLoad(session, setup.local(), table, columns, [
      { stem: 'one-column', rows: [[null], [''], [null], ['x']] },
    ]);
    expect(loads[0]?.rows).toBe(4);
    const values = (await setup.target().readRows(table, columns)).map((row) => row.t);
    expect(values.sort()).toEqual(['', 'x', null, null].sort());
  });
});

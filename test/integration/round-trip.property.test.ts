/**
 * Property: any row of scalar values PostgreSQL accepts (within Snowflake's ranges) arrives in
 * Snowflake unchanged. fast-check generates the rows; each seed is one real pipeline run whose
 * destination content must equal the source's, value by value.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { Harness } from '../support/harness';
import { sharedServices } from '../support/services';

const harness = new Harness(sharedServices(), {
  sourceSchema: 'prop_src',
  pipeline: { settings: { partitionRows: 40 } },
});
beforeAll(() => harness.start());
afterAll(() => harness.stop());

// 0001-01-01 00:00:00 and 9999-12-31 23:59:59.999999 in microseconds from 1970 (beyond 2^53: BigInt).
const MIN_MICROS = -62_135_596_800_000_000n;
const MAX_MICROS = 253_402_300_799_999_999n;

/** Text PostgreSQL can store: any Unicode but NUL. */
const text = fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) => s.replace(/\0/g, ''));
const tricky = fc.constantFrom('', ' ', 'NULL', '\\N', '"', '""', ',', '\n', '\r\n', "'", '\\', '😀');

function timestampText(micros: bigint): string {
  const millis = Number(micros / 1000n) - (micros % 1000n < 0n ? 1 : 0);
  const date = new Date(millis);
  const year = String(date.getUTCFullYear()).padStart(4, '0');
  const rest = date
    .toISOString()
    .slice(date.toISOString().indexOf('-', 1) + 1, 19)
    .replace('T', ' ');
  const fraction = String(((micros % 1_000_000n) + 1_000_000n) % 1_000_000n).padStart(6, '0');
  return `${year}-${rest}.${fraction}`;
}

function floatText(value: number): string {
  return Object.is(value, -0) ? '-0' : String(value);
}

const row = fc.record({
  i16: fc.option(fc.integer({ min: -32768, max: 32767 })),
  i32: fc.option(fc.integer()),
  i64: fc.option(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String)),
  dec: fc.option(
    fc.bigInt({ min: -(10n ** 20n) + 1n, max: 10n ** 20n - 1n }).map((v) => {
      const digits = (v < 0n ? -v : v).toString().padStart(7, '0');
      return `${v < 0n ? '-' : ''}${digits.slice(0, -6)}.${digits.slice(-6)}`;
    }),
  ),
  f64: fc.option(fc.double().map(floatText)),
  f32: fc.option(fc.float({ noNaN: false }).map(floatText)),
  flag: fc.option(fc.boolean()),
  txt: fc.option(fc.oneof(text, tricky)),
  vc: fc.option(fc.string({ maxLength: 12 }).map((s) => s.replace(/\0/g, ''))),
  day: fc.option(fc.bigInt({ min: MIN_MICROS, max: MAX_MICROS }).map((m) => timestampText(m).slice(0, 10))),
  ts: fc.option(fc.bigInt({ min: MIN_MICROS, max: MAX_MICROS }).map(timestampText)),
  tstz: fc.option(
    fc
      .bigInt({ min: MIN_MICROS + 86_400_000_000n, max: MAX_MICROS - 86_400_000_000n })
      .map((m) => `${timestampText(m)}+00`),
  ),
  uid: fc.option(fc.uuid()),
  doc: fc.option(
    fc
      .jsonValue({ maxDepth: 2 })
      .map((v) =>
        JSON.stringify(v, (_key, value: unknown) =>
          typeof value === 'number' && !Number.isSafeInteger(value) ? Math.trunc(value) % 1_000_000 : value,
        ),
      ),
  ),
  bin: fc.option(fc.uint8Array({ maxLength: 24 }).map((b) => `\\x${Buffer.from(b).toString('hex')}`)),
});

const COLUMNS = [
  'i16 smallint',
  'i32 integer',
  'i64 bigint',
  'dec numeric(26,6)',
  'f64 double precision',
  'f32 real',
  'flag boolean',
  'txt text',
  'vc varchar(12)',
  'day date',
  'ts timestamp',
  'tstz timestamptz',
  'uid uuid',
  'doc jsonb',
  'bin bytea',
];

describe('round trip (property)', () => {
  for (const seed of [1, 2, 3]) {
    it(`random rows arrive unchanged (seed ${seed})`, async () => {
      const table = `random_${seed}`;
      await harness.pg.query(`CREATE TABLE prop_src.${table} (id integer PRIMARY KEY, ${COLUMNS.join(', ')})`);
      const rows = fc.sample(row, { numRuns: 150, seed });
      const names = COLUMNS.map((c) => c.split(' ')[0]) as (keyof (typeof rows)[number])[];
      for (let start = 0; start < rows.length; start += 50) {
        const batch = rows.slice(start, start + 50);
        const values: unknown[] = [];
        const tuples = batch.map((r, i) => {
          values.push(start + i);
          const placeholders = [`$${values.length}`];
          for (const name of names) {
            values.push(r[name]);
            placeholders.push(`$${values.length}`);
          }
          return `(${placeholders.join(', ')})`;
        });
        await harness.pg.query(`INSERT INTO prop_src.${table} VALUES ${tuples.join(', ')}`, values);
      }
      await harness.runOk([`prop_src.${table}`]);
      await harness.expectSameContent(table);
    });
  }
});

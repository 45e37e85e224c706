/**
 * Reading a Snowflake table back for the contract, through snowflake-sdk itself rather than the
 * product's session (whose reads are the thing under test), and each value into canonical.ts's form.
 */
import snowflake from 'snowflake-sdk';
import type { SnowflakeDestination } from '../../src/config/pipeline';
import { valueText } from '../../src/connectors/snowflake/connection';
import { quoteIdent, tableSql } from '../../src/connectors/snowflake/dialect';
import type { ColumnKind, ColumnPlan, QualifiedName } from '../../src/shared';
import {
  canonicalDecimal,
  canonicalFloat,
  canonicalInterval,
  canonicalJson,
  type Canonical,
  type CanonicalRow,
} from './canonical';

interface SnowflakeTimestamp {
  getEpochSeconds(): number;
  getNanoSeconds(): number;
}

/** One SDK connection reading whole tables; kept for a test file (the replace test polls with it). */
export interface SnowflakeReader {
  readRows(table: QualifiedName, columns: ColumnPlan[]): Promise<CanonicalRow[]>;
  /** Runs a statement of the test's own (dropping the file's schema). */
  run(sqlText: string): Promise<void>;
  close(): Promise<void>;
}

export async function openSnowflakeReader(destination: SnowflakeDestination): Promise<SnowflakeReader> {
  const connection = snowflake.createConnection({
    account: destination.account,
    username: destination.user,
    password: destination.password,
    database: quoteIdent(destination.database),
    accessUrl: `${destination.protocol}://${destination.host}:${destination.port}`,
    representNullAsStringNull: false,
  });
  await new Promise<void>((resolve, reject) => connection.connect((error) => (error ? reject(error) : resolve())));
  const execute = (sqlText: string, fetchAsString: ('Number' | 'Boolean' | 'JSON' | 'Buffer')[] = []) =>
    new Promise<unknown[][]>((resolve, reject) =>
      connection.execute({
        sqlText,
        fetchAsString,
        rowMode: 'array',
        complete: (error, _statement, rows) => (error ? reject(error) : resolve((rows ?? []) as unknown[][])),
      }),
    );
  // TIME comes back as text in this format (the default shows whole seconds only).
  await execute("ALTER SESSION SET TIME_OUTPUT_FORMAT = 'HH24:MI:SS.FF6', QUOTED_IDENTIFIERS_IGNORE_CASE = FALSE");
  return {
    async readRows(table, columns) {
      const list = columns.map((c) => quoteIdent(c.target)).join(', ');
      const ref = { database: destination.database, ...table };
      const rows = await execute(`SELECT ${list} FROM ${tableSql(ref)}`, ['Number', 'Boolean', 'JSON', 'Buffer']);
      return rows.map((row) =>
        Object.fromEntries(columns.map((c, i) => [c.target, snowflakeCanonical(row[i] ?? null, c.type)])),
      );
    },
    run: async (sqlText) => {
      await execute(sqlText);
    },
    close: () => new Promise<void>((resolve) => connection.destroy(() => resolve())),
  };
}

/**
 * A value as the SDK returns it (numbers, booleans, JSON and binary fetched as text; dates and
 * timestamps as SDK objects; TIME as text) in canonical form. Where Snowflake holds a kind in another
 * representation (docs/type-mapping.md), this translates it back.
 */
function snowflakeCanonical(value: unknown, kind: ColumnKind): Canonical {
  const text = valueText(value);
  if (text === null) return null;
  switch (kind.kind) {
    case 'float': {
      // FLOAT is a double: a float4 staged as its shortest text is that float4 again when rounded to single.
      const number = Number(text.replace(/^(-?)inf$/i, '$1Infinity'));
      return canonicalFloat(kind.bytes === 4 ? Math.fround(number) : number);
    }
    case 'boolean':
      return ['true', '1'].includes(text.toLowerCase()) ? 'true' : 'false';
    case 'decimal':
      return canonicalDecimal(text);
    case 'date':
      return String(Math.round(asTimestamp(value).getEpochSeconds() / 86400));
    case 'timestamp':
    case 'timestamptz': {
      const ts = asTimestamp(value);
      return (BigInt(ts.getEpochSeconds()) * 1_000_000n + BigInt(Math.round(ts.getNanoSeconds() / 1000))).toString();
    }
    case 'interval':
      // VARCHAR holding PostgreSQL's ISO 8601 text (intervalstyle iso_8601).
      return isoIntervalCanonical(text);
    case 'binary':
      return text.toLowerCase();
    case 'json':
    case 'array':
      return canonicalJson(text);
    default:
      return text;
  }
}

const ISO_INTERVAL =
  /^P(?:(-?\d+)Y)?(?:(-?\d+)M)?(?:(-?\d+)D)?(?:T(?:(-?\d+)H)?(?:(-?\d+)M)?(?:(-?)(\d+)(?:\.(\d{1,6}))?S)?)?$/;

/** `P1Y2M3DT4H5M6.5S` as canonical months, days and microseconds (exact: micros may pass 2^53). */
export function isoIntervalCanonical(text: string): string {
  const match = ISO_INTERVAL.exec(text);
  if (!match) throw new Error(`not an ISO 8601 interval: ${text}`);
  const [, years, months, days, hours, minutes, secondsSign, seconds, fraction] = match;
  const whole = (part: string | undefined) => BigInt(part ?? '0');
  const secondMicros = whole(seconds) * 1_000_000n + BigInt((fraction ?? '').padEnd(6, '0'));
  const micros =
    (whole(hours) * 3600n + whole(minutes) * 60n) * 1_000_000n + (secondsSign === '-' ? -secondMicros : secondMicros);
  return canonicalInterval(Number(whole(years) * 12n + whole(months)), Number(whole(days)), micros);
}

function asTimestamp(value: unknown): SnowflakeTimestamp {
  const candidate = value as Partial<SnowflakeTimestamp>;
  if (typeof candidate.getEpochSeconds !== 'function' || typeof candidate.getNanoSeconds !== 'function') {
    throw new Error(`expected a snowflake-sdk date/time value, got ${JSON.stringify(value)}`);
  }
  return candidate as SnowflakeTimestamp;
}

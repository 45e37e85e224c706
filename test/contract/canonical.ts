/**
 * The canonical form of a value read back from any destination, so one expectation serves them all.
 * Every value is a string, NULL is null:
 * - integer, decimal: the decimal digits, no trailing fraction zeros (`1.50` → `1.5`, `0.00` → `0`);
 * - float: JavaScript's String(number) of the stored value, `-0` kept, `NaN`, `Infinity`, `-Infinity`;
 * - boolean: `true` / `false`; text, uuid: as stored (uuid lowercase);
 * - date: days since 1970-01-01 (negative before, proleptic Gregorian), or `infinity` / `-infinity`;
 * - timestamp, timestamptz: microseconds since 1970-01-01 00:00 UTC, or `infinity` / `-infinity`;
 * - time: `HH:MM:SS.ffffff`; interval: `<months> months <days> days <micros> us`, exactly as held;
 * - json, array: the JSON with object keys sorted; binary: lowercase hex.
 */
import { canonicalJson } from '../support/canonical';

export { canonicalJson };
export type Canonical = string | null;
export type CanonicalRow = Record<string, Canonical>;

export function canonicalDecimal(text: string): string {
  if (!/^-?\d+\.\d+$/.test(text)) return text;
  const trimmed = text.replace(/0+$/, '').replace(/\.$/, '');
  return trimmed === '-0' ? '0' : trimmed;
}

export function canonicalFloat(value: number): string {
  return Object.is(value, -0) ? '-0' : String(value);
}

export function canonicalTime(micros: bigint): string {
  const pad = (n: bigint, width = 2) => n.toString().padStart(width, '0');
  const seconds = micros / 1_000_000n;
  return `${pad(seconds / 3600n)}:${pad((seconds / 60n) % 60n)}:${pad(seconds % 60n)}.${pad(micros % 1_000_000n, 6)}`;
}

export function canonicalInterval(months: number, days: number, micros: bigint): string {
  return `${months} months ${days} days ${micros} us`;
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/**
 * Days from 1970-01-01 to a proleptic Gregorian date, for any year (JavaScript's Date stops at ±275,760);
 * `year` is astronomical: 1 BC is 0, 44 BC is -43. Howard Hinnant's days_from_civil.
 */
function daysFromCivil(year: number, month: number, day: number): bigint {
  const y = BigInt(month <= 2 ? year - 1 : year);
  const era = (y >= 0n ? y : y - 399n) / 400n;
  const yearOfEra = y - era * 400n;
  const m = BigInt(month);
  const dayOfYear = (153n * (m > 2n ? m - 3n : m + 9n) + 2n) / 5n + BigInt(day) - 1n;
  const dayOfEra = yearOfEra * 365n + yearOfEra / 4n - yearOfEra / 100n + dayOfYear;
  return era * 146097n + dayOfEra - 719468n;
}

/** Canonical date: days since the epoch. */
export function epochDays(year: number, month: number, day: number): string {
  return daysFromCivil(year, month, day).toString();
}

/** Canonical timestamp: microseconds since the epoch. */
export function epochMicros(
  year: number,
  month: number,
  day: number,
  hours = 0,
  minutes = 0,
  seconds = 0,
  micros = 0,
): string {
  const secondsOfDay = BigInt(hours * 3600 + minutes * 60 + seconds);
  return ((daysFromCivil(year, month, day) * 86_400n + secondsOfDay) * 1_000_000n + BigInt(micros)).toString();
}

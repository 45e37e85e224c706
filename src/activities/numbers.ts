/**
 * PostgreSQL numeric → the destination's exact decimal, always within its limits (Snowflake's NUMBER:
 * precision 1–38, scale 0–37). Where the declared type or the values need more, the column becomes
 * DECIMAL(max, s) checked value by value while extracting (`sizedFromData`), and `onUnrepresentable`
 * decides about values that do not fit; see docs/type-mapping.md, "Numbers".
 */
import type { Client } from 'pg';
import type { DecimalLimits, DestinationCapabilities } from '../connectors/destination';
import { PermanentError } from '../connectors/errors';
import { countNumericFits, type NumericFits, type NumericSize } from '../connectors/postgres/catalog';
import { FailureType } from '../failure-types';
import type { ColumnPlan, TableJob } from '../shared';

/**
 * numeric(p,s) within the limits: a decimal with the same digits before and after the point. A negative
 * scale (PostgreSQL 15+) rounds to tens, hundreds…, so its values are integers of p - s digits; a scale
 * above the precision is all fraction. Beyond the limits (Snowflake: 38 digits, 37 after the point):
 * DECIMAL(max, ≤ max scale), checked.
 */
export function declaredNumber(plan: ColumnPlan, precision: number, scale: number, limits: DecimalLimits): ColumnPlan {
  const fraction = Math.max(scale, 0);
  const integer = Math.max(precision - scale, 0);
  if (fraction <= limits.maxScale && integer + fraction <= limits.maxPrecision)
    return { ...plan, type: { kind: 'decimal', precision: Math.max(integer + fraction, 1), scale: fraction } };
  return {
    ...plan,
    type: { kind: 'decimal', precision: limits.maxPrecision, scale: Math.min(fraction, limits.maxScale) },
    sizedFromData: true,
  };
}

/**
 * An unconstrained numeric (or one declared wider than the limit): DECIMAL(max, largest scale present)
 * when the values fit it. Otherwise the scale that holds the most values exactly (the smallest such
 * scale, leaving the most room before the point); under `fail` the table is refused while preparing.
 */
export async function sizedNumber(
  client: Client,
  job: TableJob,
  plan: ColumnPlan,
  size: NumericSize,
  table: string,
  destination: DestinationCapabilities,
): Promise<ColumnPlan> {
  const { maxPrecision, maxScale } = destination.limits.decimal;
  const sized = (scale: number): ColumnPlan => ({
    ...plan,
    type: { kind: 'decimal', precision: maxPrecision, scale },
    sizedFromData: true,
  });
  const decimalType = destination
    .columnType({ kind: 'decimal', precision: maxPrecision, scale: 0 })
    .replace(/\(.*/, '');
  const nan = `holds NaN, which ${destination.displayName}'s ${decimalType} cannot`;
  const needed = size.integerDigits + size.scale;
  if (needed <= maxPrecision && size.scale <= maxScale) {
    if (size.hasNaN && job.onUnrepresentable === 'fail') throw refusal(plan, table, nan, destination);
    return sized(size.scale);
  }
  const fits = await countNumericFits(client, job.source, plan.source, maxPrecision, maxScale);
  const best = bestScale(fits);
  const left = fits.values - best.kept;
  if (job.onUnrepresentable === 'fail' && (left > 0 || size.hasNaN)) {
    const problem =
      left > 0
        ? `needs ${needed} digits (${size.integerDigits} before the point, ${size.scale} after); ` +
          `${destination.displayName}'s ${decimalType} holds ${maxPrecision}, at most ${maxScale} after the point, ` +
          `and ${decimalType}(${maxPrecision},${best.scale}) would hold ${best.kept} of its ${fits.values} values ` +
          `exactly`
        : nan;
    throw refusal(plan, table, problem, destination);
  }
  return sized(best.scale);
}

/** The scale keeping the most values; on a tie the smallest, which leaves the most digits before the point. */
export function bestScale(fits: NumericFits): { scale: number; kept: number } {
  let best = { scale: 0, kept: fits.byScale[0] ?? 0 };
  fits.byScale.forEach((kept, scale) => {
    if (kept > best.kept) best = { scale, kept };
  });
  return best;
}

function refusal(
  plan: ColumnPlan,
  table: string,
  problem: string,
  destination: DestinationCapabilities,
): PermanentError {
  const textType = destination.columnType({ kind: 'text' }).replace(/\(.*/, '');
  return new PermanentError(
    `column "${plan.source}" of ${table} (${plan.sourceType}) ${problem}. Nothing was loaded; set ` +
      'settings.onUnrepresentable to "null" (values that do not fit load as NULL, counted per column in the ' +
      `summary) or "string" (the column lands as ${textType} with every digit), or exclude the table`,
    FailureType.UnrepresentableValue,
  );
}

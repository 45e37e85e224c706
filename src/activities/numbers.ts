/**
 * PostgreSQL numeric → Snowflake NUMBER(p,s), always within Snowflake's limits (precision 1–38, scale
 * 0–37). Where the declared type or the values need more, the column becomes NUMBER(38,s) checked
 * value by value while extracting (`sizedFromData`), and `onUnrepresentable` decides about values that
 * do not fit; see docs/type-mapping.md, "Numbers".
 */
import type { Client } from 'pg';
import { PermanentError } from '../connectors/errors';
import { countNumericFits, type NumericFits, type NumericSize } from '../connectors/postgres/catalog';
import { MAX_NUMBER_PRECISION, MAX_NUMBER_SCALE } from '../connectors/snowflake/limits';
import { FailureType } from '../failure-types';
import type { ColumnPlan, TableJob } from '../shared';

/**
 * numeric(p,s) with p ≤ 38: NUMBER with the same digits before and after the point. A negative scale
 * (PostgreSQL 15+) rounds to tens, hundreds…, so its values are integers of p - s digits; a scale above
 * the precision is all fraction. Beyond 38 digits or 37 after the point: NUMBER(38, ≤ 37), checked.
 */
export function declaredNumber(plan: ColumnPlan, precision: number, scale: number): ColumnPlan {
  const fraction = Math.max(scale, 0);
  const integer = Math.max(precision - scale, 0);
  if (fraction <= MAX_NUMBER_SCALE && integer + fraction <= MAX_NUMBER_PRECISION)
    return { ...plan, type: { kind: 'decimal', precision: Math.max(integer + fraction, 1), scale: fraction } };
  return {
    ...plan,
    type: { kind: 'decimal', precision: MAX_NUMBER_PRECISION, scale: Math.min(fraction, MAX_NUMBER_SCALE) },
    sizedFromData: true,
  };
}

/**
 * An unconstrained numeric (or one declared wider than 38): NUMBER(38, largest scale present) when
 * the values fit it. Otherwise the scale that holds the most values exactly (the smallest such scale,
 * leaving the most room before the point); under `fail` the table is refused while preparing.
 */
export async function sizedNumber(
  client: Client,
  job: TableJob,
  plan: ColumnPlan,
  size: NumericSize,
  table: string,
): Promise<ColumnPlan> {
  const sized = (scale: number): ColumnPlan => ({
    ...plan,
    type: { kind: 'decimal', precision: MAX_NUMBER_PRECISION, scale },
    sizedFromData: true,
  });
  const needed = size.integerDigits + size.scale;
  if (needed <= MAX_NUMBER_PRECISION && size.scale <= MAX_NUMBER_SCALE) {
    if (size.hasNaN && job.onUnrepresentable === 'fail') throw refusal(plan, table, 'holds NaN, which NUMBER cannot');
    return sized(size.scale);
  }
  const fits = await countNumericFits(client, job.source, plan.source, MAX_NUMBER_PRECISION, MAX_NUMBER_SCALE);
  const best = bestScale(fits);
  const left = fits.values - best.kept;
  if (job.onUnrepresentable === 'fail' && (left > 0 || size.hasNaN)) {
    const problem =
      left > 0
        ? `needs ${needed} digits (${size.integerDigits} before the point, ${size.scale} after); Snowflake's ` +
          `NUMBER holds ${MAX_NUMBER_PRECISION}, at most ${MAX_NUMBER_SCALE} after the point, and ` +
          `NUMBER(${MAX_NUMBER_PRECISION},${best.scale}) would hold ${best.kept} of its ${fits.values} values exactly`
        : 'holds NaN, which NUMBER cannot';
    throw refusal(plan, table, problem);
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

function refusal(plan: ColumnPlan, table: string, problem: string): PermanentError {
  return new PermanentError(
    `column "${plan.source}" of ${table} (${plan.sourceType}) ${problem}. Nothing was loaded; set ` +
      'settings.onUnrepresentable to "null" (values that do not fit load as NULL, counted per column in the ' +
      'summary) or "string" (the column lands as VARCHAR with every digit), or exclude the table',
    FailureType.UnrepresentableValue,
  );
}

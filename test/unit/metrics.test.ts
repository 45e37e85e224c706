import { describe, expect, it } from 'vitest';
import { cursorEpochSeconds } from '../../src/observability/metrics';

const at = (sourceType: string, high: string | undefined) => cursorEpochSeconds({ column: 'c', sourceType, high });

describe('the committed cursor as Unix time (cursor lag metrics)', () => {
  it('reads timestamptz in PostgreSQL text form, with hour or hour:minute offsets', () => {
    expect(at('timestamp with time zone', '2026-11-30 12:00:40+00')).toBe(Date.parse('2026-11-30T12:00:40Z') / 1000);
    expect(at('timestamptz', '2026-11-30 12:00:40.250+05:30')).toBe(Date.parse('2026-11-30T06:30:40.250Z') / 1000);
  });

  it('reads timestamp without time zone as UTC, and a date as its midnight UTC', () => {
    expect(at('timestamp without time zone', '2026-11-30 12:00:40.123456')).toBe(
      Date.parse('2026-11-30T12:00:40.123Z') / 1000,
    );
    expect(at('date', '2026-12-01')).toBe(Date.parse('2026-12-01T00:00:00Z') / 1000);
  });

  it('has no time for numeric cursors, no cursor yet, or values it cannot read (infinity)', () => {
    expect(at('bigint', '12345')).toBeUndefined();
    expect(at('timestamptz', undefined)).toBeUndefined();
    expect(at('timestamptz', 'infinity')).toBeUndefined();
  });
});

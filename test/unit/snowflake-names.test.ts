import { describe, expect, it } from 'vitest';
import { snowflakeObjectName } from '../../src/config/snowflake-names';

describe('destination database and schema names', () => {
  it('reads them as Snowflake reads an identifier', () => {
    expect(snowflakeObjectName('raw', 'f')).toEqual({ name: 'RAW' });
    expect(snowflakeObjectName('Staging_Area$1', 'f')).toEqual({ name: 'STAGING_AREA$1' });
    expect(snowflakeObjectName('"Staging_Area"', 'f')).toEqual({ name: 'Staging_Area' });
    expect(snowflakeObjectName('"say ""hi"""', 'f')).toEqual({ name: 'say "hi"' });
    expect(snowflakeObjectName('Staging Área', 'f')).toEqual({ name: 'Staging Área' });
    expect(snowflakeObjectName('1st', 'f')).toEqual({ name: '1st' });
  });

  it('names the field and the fix when a name cannot be one', () => {
    expect(snowflakeObjectName('"a"b"', 'destination.schema')).toEqual({
      problem: '`destination.schema`: a double quote inside a quoted name is written twice ("a""b")',
    });
    expect(snowflakeObjectName('""', 'destination.schema')).toEqual({ problem: '`destination.schema`: required' });
    expect(snowflakeObjectName('x'.repeat(256), 'destination.database')).toEqual({
      problem: '`destination.database`: Snowflake names hold at most 255 characters, got 256',
    });
  });
});

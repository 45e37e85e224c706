/**
 * How a Snowflake privilege refusal becomes a message naming the privilege, object, role and GRANT
 * (src/connectors/snowflake/privileges.ts). The session is a stand-in answering CURRENT_ROLE(); the
 * refusals are shaped as connection.ts wraps the SDK's errors. End to end: snowflake-grants.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { PermanentError } from '../../src/connectors/errors';
import { FailureType } from '../../src/failure-types';
import type { SnowflakeSession } from '../../src/connectors/snowflake/connection';
import { withPrivilege, type Need } from '../../src/connectors/snowflake/privileges';

function refused(code: string, message: string): PermanentError {
  const cause = Object.assign(new Error(message), { code });
  return new PermanentError(`running X: ${message}`, FailureType.SnowflakeCompilation, { cause });
}

function session(role: string): SnowflakeSession {
  return {
    query: async <T>() => [{ ROLE: role }] as T[],
    isUp: () => true,
    close: async () => undefined,
  };
}

const STAGE: Need = { privilege: 'CREATE STAGE', kind: 'SCHEMA', object: '"RAW"."SHOP"' };

async function failure(need: Need, error: Error, role = 'LOADER'): Promise<Error> {
  try {
    await withPrivilege(session(role), need, () => Promise.reject(error));
  } catch (caught) {
    return caught as Error;
  }
  throw new Error('expected a failure');
}

describe('withPrivilege', () => {
  it('names the privilege, the object, the role and the GRANT for "Insufficient privileges"', async () => {
    const error = await failure(STAGE, refused('003001', "Insufficient privileges to operate on schema 'SHOP'"));
    expect(error).toBeInstanceOf(PermanentError);
    expect(error).toMatchObject({ kind: 'SnowflakePrivilege' });
    expect(error.message).toBe(
      'the Snowflake role LOADER lacks CREATE STAGE on schema "RAW"."SHOP"; grant it: ' +
        'GRANT CREATE STAGE ON SCHEMA "RAW"."SHOP" TO ROLE "LOADER" (docs/security.md). ' +
        "Snowflake said: Insufficient privileges to operate on schema 'SHOP'",
    );
  });

  it('a database or schema the role cannot see needs USAGE on it, whatever the statement needed', async () => {
    const error = await failure(
      STAGE,
      refused('002003', 'SQL compilation error:\nSchema \'RAW."My schema"\' does not exist or not authorized.'),
      'Mixed "Role"',
    );
    expect(error.message).toContain(
      'the Snowflake role Mixed "Role" lacks USAGE on schema "RAW"."My schema" (or it does not exist); grant it: ',
    );
    expect(error.message).toContain('GRANT USAGE ON SCHEMA "RAW"."My schema" TO ROLE "Mixed ""Role"""');
  });

  it('OWNERSHIP is transferred with its grants; another way out is appended', async () => {
    const need: Need = { privilege: 'OWNERSHIP', kind: 'TABLE', object: '"RAW"."SHOP"."T"', otherwise: 'or drop it' };
    const error = await failure(need, refused('003001', "Insufficient privileges to operate on table 'T'"));
    expect(error.message).toContain(
      'grant it: GRANT OWNERSHIP ON TABLE "RAW"."SHOP"."T" TO ROLE "LOADER" COPY CURRENT GRANTS, or drop it',
    );
  });

  it('passes other errors through unchanged', async () => {
    const missing = refused('002140', 'unsupported');
    expect(await failure(STAGE, missing)).toBe(missing);
    const transient = new Error('socket hang up');
    expect(await failure(STAGE, transient)).toBe(transient);
  });
});

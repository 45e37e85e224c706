/**
 * Snowflake refuses a missing privilege with "Insufficient privileges to operate on schema 'X'" or
 * "… does not exist or not authorized", naming neither the privilege nor the role. A statement run
 * through `withPrivilege` that is refused fails instead as a PermanentError naming the privilege,
 * the object, the session's role and the GRANT that fixes it (docs/security.md).
 */
import { FailureType } from '../../failure-types';
import { PermanentError } from '../errors';
import { DOES_NOT_EXIST_OR_NOT_AUTHORIZED, field, valueText, type SnowflakeSession } from './connection';

/** Snowflake's code for "Insufficient privileges to operate on …" (SQLSTATE 42501). */
const INSUFFICIENT_PRIVILEGES = '003001';

export type ObjectKind = 'DATABASE' | 'SCHEMA' | 'TABLE';

/** What a statement needs: `privilege` on the object of that kind, named as SQL (quoted identifiers). */
export interface Need {
  privilege: string;
  kind: ObjectKind;
  object: string;
  /** Another way out than the grant, appended to the message. */
  otherwise?: string;
}

/** Runs `statement`; a privilege refusal becomes a PermanentError that says which grant is missing. */
export async function withPrivilege<T>(session: SnowflakeSession, need: Need, statement: () => Promise<T>): Promise<T> {
  try {
    return await statement();
  } catch (error) {
    const refusal = privilegeRefusal(error);
    if (refusal === undefined) throw error;
    const missing = refusal.unseen ?? need;
    const role = await currentRole(session);
    const grant =
      missing.privilege === 'OWNERSHIP'
        ? `GRANT OWNERSHIP ON ${missing.kind} ${missing.object} TO ROLE ${role.sql} COPY CURRENT GRANTS`
        : `GRANT ${missing.privilege} ON ${missing.kind} ${missing.object} TO ROLE ${role.sql}`;
    const object = `${missing.kind.toLowerCase()} ${missing.object}${refusal.unseen ? ' (or it does not exist)' : ''}`;
    const otherwise = missing.otherwise ? `, ${missing.otherwise}` : '';
    throw new PermanentError(
      `the Snowflake role ${role.name} lacks ${missing.privilege} on ${object}; ` +
        `grant it: ${grant}${otherwise} (docs/security.md). Snowflake said: ${refusal.message}`,
      FailureType.SnowflakePrivilege,
      { cause: error },
    );
  }
}

interface Refusal {
  message: string;
  /** A database or schema the role cannot see: it needs USAGE on it, whatever the statement needs. */
  unseen?: Need;
}

function privilegeRefusal(error: unknown): Refusal | undefined {
  if (!(error instanceof PermanentError) || !(error.cause instanceof Error)) return undefined;
  const { code } = error.cause as Error & { code?: unknown };
  const message = error.cause.message.replace(/\s+/g, ' ').trim();
  if (code === INSUFFICIENT_PRIVILEGES) return { message };
  if (code !== DOES_NOT_EXIST_OR_NOT_AUTHORIZED) return undefined;
  const container = /\b(Database|Schema) '(.+)' does not exist or not authorized/.exec(message);
  if (container === null) return { message };
  const kind = container[1] === 'Database' ? 'DATABASE' : 'SCHEMA';
  return { message, unseen: { privilege: 'USAGE', kind, object: quoteName(container[2] ?? '') } };
}

/** A name as Snowflake prints it in errors (`RAW.SHOP`, `DB."My schema"`) as quoted SQL. */
function quoteName(printed: string): string {
  const parts = printed.match(/"(?:[^"]|"")*"|[^.]+/g) ?? [];
  return parts.map((part) => (part.startsWith('"') ? part : `"${part}"`)).join('.');
}

async function currentRole(session: SnowflakeSession): Promise<{ name: string; sql: string }> {
  try {
    const rows = await session.query('SELECT CURRENT_ROLE() AS "role"');
    const name = valueText(field(rows[0], 'role')) ?? '';
    if (name) return { name, sql: `"${name.replace(/"/g, '""')}"` };
  } catch {
    // fall through: the refusal is what matters
  }
  return { name: "of the pipeline's destination", sql: '<role>' };
}

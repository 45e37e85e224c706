import './quiet-node-notice.js';
import snowflake from 'snowflake-sdk';
import type { SnowflakeDestination } from '../../config/pipeline';
import { PermanentError } from '../errors';
import { quoteIdent } from './dialect';
import { streamUploadsWithoutCopies } from './streamed-uploads';
import { FailureType } from '../../failure-types';
import { currentStatementScope, currentStatementTag } from '../../observability/statement-tag';

export type Row = Record<string, unknown>;

/** One Snowflake session with a promise API; statements run one after another. */
export interface SnowflakeSession {
  /** Runs one statement; numbers come back as strings so no precision is lost. */
  query<T extends Row = Row>(sqlText: string, binds?: (string | number | null)[]): Promise<T[]>;
  /** False once the session was closed; a server that went away shows only when a statement fails. */
  isUp(): boolean;
  close(): Promise<void>;
}

/**
 * Session parameters the generated SQL relies on, whatever the account or user sets (docs/security.md):
 * ISO text from PostgreSQL read by AUTO detection (not an account's own *_INPUT_FORMAT), hex binaries,
 * CURRENT_TIMESTAMP() in UTC (the state table's UPDATED_AT), and quoted names matched exactly.
 */
export const PINNED_SESSION_PARAMETERS =
  "ALTER SESSION SET TIMEZONE = 'UTC', DATE_INPUT_FORMAT = 'AUTO', TIME_INPUT_FORMAT = 'AUTO', " +
  "TIMESTAMP_INPUT_FORMAT = 'AUTO', BINARY_INPUT_FORMAT = 'HEX', QUOTED_IDENTIFIERS_IGNORE_CASE = FALSE";

/**
 * PUT and GET move files between the worker and the stage's storage without a warehouse; their time
 * (mostly the upload) is not warehouse time.
 */
const FILE_TRANSFER = /^\s*(PUT|GET)\s/i;

let configured = false;

/** Once per process: the SDK logs to a file in the working directory by default (keep it to errors on
 * stderr), and its uploads must stream (see streamed-uploads.ts). */
function configureSdk(): void {
  if (configured) return;
  snowflake.configure({ logLevel: 'ERROR', additionalLogToConsole: true });
  streamUploadsWithoutCopies();
  configured = true;
}

export async function connectSnowflake(destination: SnowflakeDestination): Promise<SnowflakeSession> {
  if (destination.password === undefined) {
    throw new PermanentError(
      'the destination password is not resolved: set the environment variable named in the pipeline file ' +
        'where the worker runs',
      FailureType.MissingSecret,
    );
  }
  configureSdk();
  const connection = snowflake.createConnection({
    account: destination.account,
    username: destination.user,
    password: destination.password,
    // Every statement names its objects in full. The login's database is an identifier (quoted, so
    // its exact name); a schema is not sent: it may not exist before the first run creates it, and
    // an unquoted name with a space made the login itself fail.
    database: quoteIdent(destination.database),
    warehouse: destination.warehouse,
    role: destination.role,
    // An explicit host (the emulator, a private link) is reached through accessUrl; the account stays explicit.
    accessUrl: destination.host ? endpoint(destination) : undefined,
    application: 'ConduitCore',
    // Statements are small and bind few values; never stage binds through PUT.
    arrayBindingThreshold: 100_000,
    // Otherwise a NULL read with fetchAsString comes back as the text 'NULL' (a process-wide SDK setting).
    representNullAsStringNull: false,
    // The SDK's default (7 login retries with growing sleeps) spends ~170 s on an unreachable host
    // before an error, and every activity attempt would repeat that: one retry covers a blip, and
    // Temporal's bounded activity retries cover longer outages.
    sfRetryMaxLoginRetries: 1,
  });
  const where = endpoint(destination);
  await new Promise<void>((resolve, reject) => {
    connection.connect((error) => {
      if (error) reject(classifySnowflakeError(error, `connecting to Snowflake at ${where} as ${destination.user}`));
      else resolve();
    });
  });

  const session: SnowflakeSession = {
    query<T extends Row>(sqlText: string, binds?: (string | number | null)[]): Promise<T[]> {
      const scope = currentStatementScope();
      const started = performance.now();
      return new Promise<T[]>((resolve, reject) => {
        connection.execute({
          sqlText,
          binds,
          fetchAsString: ['Number', 'Date', 'Boolean'],
          // Per statement, not ALTER SESSION: a kept session serves activities of other tables and steps.
          parameters: { QUERY_TAG: currentStatementTag() },
          complete: (error, _statement, rows) => {
            if (!FILE_TRANSFER.test(sqlText)) scope?.addWarehouseTime(performance.now() - started);
            if (error) reject(classifySnowflakeError(error, `running ${summarize(sqlText)}`));
            else resolve((rows ?? []) as T[]);
          },
        });
      });
    },
    isUp(): boolean {
      return connection.isUp();
    },
    close(): Promise<void> {
      return new Promise<void>((resolve) => {
        if (!connection.isUp()) {
          resolve();
          return;
        }
        connection.destroy(() => resolve());
      });
    },
  };
  try {
    await session.query(PINNED_SESSION_PARAMETERS);
  } catch (error) {
    await session.close();
    throw error;
  }
  return session;
}

/** Result column names differ in case between Snowflake and its emulator; match them case-insensitively. */
export function field(row: Row | undefined, name: string): unknown {
  if (!row) return undefined;
  const key = Object.keys(row).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : row[key];
}

/** A driver value as String() renders it (text, numbers, dates), or null for SQL NULL / no such field. */
export function valueText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- driver values: primitives or dates with toString
  return String(value);
}

function endpoint(destination: SnowflakeDestination): string {
  const host = destination.host ?? `${destination.account}.snowflakecomputing.com`;
  return `${destination.protocol}://${host}${destination.port ? `:${destination.port}` : ''}`;
}

/** Opens a session, runs `work`, and always closes the session. */
export async function withSnowflake<T>(
  destination: SnowflakeDestination,
  work: (session: SnowflakeSession) => Promise<T>,
): Promise<T> {
  const session = await connectSnowflake(destination);
  try {
    return await work(session);
  } finally {
    await session.close();
  }
}

/** Login codes Snowflake answers for credentials or accounts that will not start working on retry. */
const PERMANENT_LOGIN_CODES = new Set(['390100', '390101', '390102', '390103', '390144', '390201', '390189', '390422']);

/** Snowflake's error code for "… does not exist or not authorized". */
export const DOES_NOT_EXIST_OR_NOT_AUTHORIZED = '002003';

function classifySnowflakeError(error: unknown, doing: string): Error {
  const err = error as Error & { code?: string | number; sqlState?: string };
  const code = err.code === undefined ? undefined : String(err.code);
  const message = `${doing}: ${err.message}`;
  if (code !== undefined && PERMANENT_LOGIN_CODES.has(code))
    return new PermanentError(`Snowflake login refused (${code}) ${message}`, FailureType.SnowflakeLogin);
  // SQLSTATE class 42 is a compilation error: missing objects, privileges, syntax; 002003 is an
  // object that does not exist or that the role may not see (a schema or database: SQLSTATE 02000).
  if (err.sqlState?.startsWith('42') || code === DOES_NOT_EXIST_OR_NOT_AUTHORIZED)
    return new PermanentError(message, FailureType.SnowflakeCompilation, { cause: error });
  return new Error(message, { cause: error });
}

/** First words of a statement for error messages; statements never carry secrets. */
function summarize(sqlText: string): string {
  const oneLine = sqlText.replace(/\s+/g, ' ').trim();
  return oneLine.length > 160 ? `${oneLine.slice(0, 157)}...` : oneLine;
}

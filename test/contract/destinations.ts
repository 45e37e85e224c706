/**
 * The destinations the contract suite runs against. Tests use the `DestinationSession` interface
 * only; what they need beyond it (a fresh destination, reading rows back canonically, configurations
 * that must fail, another process holding the destination) each entry provides here.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DuckDBBlobValue,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBIntervalValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBTimeValue,
  type DuckDBValue,
} from '@duckdb/node-api';
import { inject } from 'vitest';
import type { DuckDbDestination, SnowflakeDestination } from '../../src/config/pipeline';
import type { DestinationSession } from '../../src/connectors/destination';
import { connectDatabase } from '../../src/connectors/duckdb/database';
import { openDuckDbSession } from '../../src/connectors/duckdb/session';
import { quoteIdent } from '../../src/connectors/duckdb/sql';
import { openSnowflakeSession } from '../../src/connectors/snowflake/destination';
import { quoteIdent as snowflakeIdent } from '../../src/connectors/snowflake/dialect';
import { emulatorDestination } from '../../src/dev/emulator';
import { freePort } from '../../src/dev/ports';
import type { ColumnKind, ColumnPlan, QualifiedName } from '../../src/shared';
import {
  canonicalDecimal,
  canonicalFloat,
  canonicalInterval,
  canonicalJson,
  canonicalTime,
  hex,
  type Canonical,
  type CanonicalRow,
} from './canonical';
import { openSnowflakeReader } from './snowflake-rows';

/** How a session must fail. */
export interface ExpectedFailure {
  message: RegExp;
  /** A PermanentError (retries cannot help) or an ordinary, retryable error. */
  permanent: boolean;
}

export interface BrokenOpen {
  what: string;
  open: () => Promise<DestinationSession>;
  expected: ExpectedFailure;
}

/** Another process holding the destination until `release`. */
export interface Holder {
  open: () => Promise<DestinationSession>;
  expected: ExpectedFailure;
  release: () => Promise<void>;
}

/** Contract behaviour some destination's test stand-in cannot show (its tests are skipped, saying why). */
export type ContractGap = 'concurrent-loads-of-one-file' | 'blank-lines-as-rows' | 'hostile-stage-names';

export interface ContractTarget {
  /** The destination's default schema; tests make schemas of their own too. */
  schema: string;
  open: () => Promise<DestinationSession>;
  /** Every row of a table, each value in canonical form (canonical.ts), in no particular order. */
  readRows: (table: QualifiedName, columns: ColumnPlan[]) => Promise<CanonicalRow[]>;
  brokenOpens: () => Promise<BrokenOpen[]>;
  /** Absent where another process cannot hold the destination (a warehouse). */
  holdElsewhere?: () => Promise<Holder>;
  /** Why this destination as tested here cannot show a behaviour (documented where its stand-in is). */
  gaps?: Partial<Record<ContractGap, string>>;
  cleanup: () => Promise<void>;
}

export interface ContractDestination {
  name: string;
  /** A fresh, empty destination for one test file. */
  create: () => Promise<ContractTarget>;
}

const duckdb: ContractDestination = {
  name: 'DuckDB',
  async create() {
    const folder = await mkdtemp(join(tmpdir(), 'conduit-contract-duckdb-'));
    const config = (path: string): DuckDbDestination => ({ type: 'duckdb', path, schema: 'main' });
    const main = config(join(folder, 'contract.duckdb'));
    return {
      schema: main.schema,
      open: () => openDuckDbSession(main),
      readRows: (table, columns) => readDuckDbRows(main.path, table, columns),
      async brokenOpens() {
        const garbage = join(folder, 'not-a-database.duckdb');
        await writeFile(garbage, 'a spreadsheet, perhaps\n'.repeat(400));
        const directory = join(folder, 'a-directory.duckdb');
        await mkdir(directory, { recursive: true });
        const missingFolder = join(folder, 'no such folder', 'x.duckdb');
        const permanent = (path: string, words: string): ExpectedFailure => ({
          message: new RegExp(`${escapeRegExp(path)}.*${words}|${words}.*${escapeRegExp(path)}`),
          permanent: true,
        });
        return [
          {
            what: 'a file that is not a DuckDB database',
            open: () => openDuckDbSession(config(garbage)),
            expected: permanent(garbage, 'is not a DuckDB database file'),
          },
          {
            what: 'a directory',
            open: () => openDuckDbSession(config(directory)),
            expected: permanent(directory, 'is a directory'),
          },
          {
            what: 'a path in a missing folder',
            open: () => openDuckDbSession(config(missingFolder)),
            expected: permanent(missingFolder, 'does not exist'),
          },
        ];
      },
      async holdElsewhere() {
        const path = join(folder, `held-${Date.now()}.duckdb`);
        const release = await holdInAnotherProcess(path);
        return {
          open: () => openDuckDbSession(config(path)),
          expected: {
            message: new RegExp(
              `^another process holds the DuckDB file ${escapeRegExp(path)}; run DuckDB pipelines on one worker ` +
                `\\(docs/destinations\\.md\\)$`,
            ),
            permanent: false,
          },
          release,
        };
      },
      cleanup: () => rm(folder, { recursive: true, force: true }),
    };
  },
};

/**
 * The Snowflake emulator the contract project's global setup started (test/contract/global-setup.ts),
 * a schema of its own per test file. A warehouse has no `holdElsewhere`: sessions never exclude each other.
 */
const snowflake: ContractDestination = {
  name: 'Snowflake',
  async create() {
    const main: SnowflakeDestination = {
      ...emulatorDestination(inject('snowflake')),
      schema: `contract_${randomBytes(4).toString('hex')}`,
    };
    const setup = await openSnowflakeSession(main);
    await setup.ensureNamespace(main.schema).finally(() => setup.close());
    const reader = await openSnowflakeReader(main);
    const where = (port: number | undefined) => escapeRegExp(`connecting to Snowflake at http://${main.host}:${port}`);
    return {
      schema: main.schema,
      open: () => openSnowflakeSession(main),
      readRows: (table, columns) => reader.readRows(table, columns),
      gaps: {
        'concurrent-loads-of-one-file':
          "the emulator checks a COPY's load history in each session's own DuckDB transaction, so two " +
          'sessions copying one file at once both load it (docs/snowflake-emulator.md, gaps not worked around)',
        'blank-lines-as-rows':
          "the emulator's CSV reader (DuckDB) skips blank lines, so a one-column file's NULL rows do not load " +
          '(docs/snowflake-emulator.md, gaps not worked around)',
        'hostile-stage-names':
          'the emulator keeps stage files in directories named after the schema and stage, and fakesnow cannot ' +
          'parse a stage name with an apostrophe (docs/snowflake-emulator.md, gaps not worked around)',
      },
      async brokenOpens() {
        const closedPort = await freePort();
        return [
          {
            what: 'a wrong password',
            open: () => openSnowflakeSession({ ...main, password: 'not the password' }),
            expected: {
              message: new RegExp(
                `^Snowflake login refused \\(390100\\) ${where(main.port)} as ${main.user}: ` +
                  'Incorrect username or password',
              ),
              permanent: true,
            },
          },
          {
            what: 'a host that does not answer',
            open: () => openSnowflakeSession({ ...main, port: closedPort }),
            expected: { message: new RegExp(`^${where(closedPort)} as ${main.user}: `), permanent: false },
          },
        ];
      },
      async cleanup() {
        try {
          await reader.run(
            `DROP SCHEMA IF EXISTS ${snowflakeIdent(main.database)}.${snowflakeIdent(main.schema)} CASCADE`,
          );
        } finally {
          await reader.close();
        }
      },
    };
  },
};

export const destinations: ContractDestination[] = [duckdb, snowflake];

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Opens the file in a child Node process, which keeps DuckDB's lock until released. */
async function holdInAnotherProcess(path: string): Promise<() => Promise<void>> {
  const script =
    "const { DuckDBInstance } = require('@duckdb/node-api');" +
    'DuckDBInstance.create(process.argv[1]).then(async (db) => { await db.connect(); ' +
    "process.stdout.write('ready\\n'); process.stdin.resume(); process.stdin.on('end', () => process.exit(0)); });";
  const child = spawn(process.execPath, ['-e', script, path], { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the holding process exited early (${code})`)));
    child.stdout.once('data', () => resolve());
  });
  child.removeAllListeners('exit');
  return async () => {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.stdin.end();
    await exited;
  };
}

/** Reads through the worker's own registry of open files: a second instance on the file would corrupt it. */
async function readDuckDbRows(path: string, table: QualifiedName, columns: ColumnPlan[]): Promise<CanonicalRow[]> {
  const database = await connectDatabase(path);
  try {
    const name = `${quoteIdent(table.schema)}.${quoteIdent(table.name)}`;
    const catalog = await database.connection.runAndReadAll('SELECT current_database()');
    const list = columns.map((c) => quoteIdent(c.target)).join(', ');
    const reader = await database.connection.runAndReadAll(
      `SELECT ${list} FROM ${quoteIdent(String(catalog.getRows()[0]?.[0]))}.${name}`,
    );
    return reader
      .getRows()
      .map((row) => Object.fromEntries(columns.map((c, i) => [c.target, duckDbCanonical(row[i] ?? null, c.type)])));
  } finally {
    database.release();
  }
}

function infinity(finite: boolean, positive: boolean, value: string): string {
  return finite ? value : positive ? 'infinity' : '-infinity';
}

function duckDbCanonical(value: DuckDBValue, kind: ColumnKind): Canonical {
  if (value === null) return null;
  if (value instanceof DuckDBDecimalValue) return canonicalDecimal(value.toString());
  if (value instanceof DuckDBDateValue) return infinity(value.isFinite, value.days > 0, String(value.days));
  if (value instanceof DuckDBTimestampValue || value instanceof DuckDBTimestampTZValue)
    return infinity(value.isFinite, value.micros > 0n, value.micros.toString());
  if (value instanceof DuckDBTimeValue) return canonicalTime(value.micros);
  if (value instanceof DuckDBIntervalValue) return canonicalInterval(value.months, value.days, value.micros);
  if (value instanceof DuckDBBlobValue) return hex(value.bytes);
  if (typeof value === 'number') return kind.kind === 'float' ? canonicalFloat(value) : String(value);
  if (typeof value === 'string') return kind.kind === 'json' || kind.kind === 'array' ? canonicalJson(value) : value;
  if (typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  // UUID and anything else print as DuckDB spells them.
  return String(value);
}

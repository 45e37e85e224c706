import { parseArgs } from 'node:util';
import { loadPipelineFile } from '../config/load';
import { withDestination } from '../connectors/destinations';
import { withStatementTag } from '../observability/statement-tag';
import { CommandUsageError } from './schedule';

export const STATE_USAGE = `conduit state show --config FILE
  conduit state set --config FILE TABLE VALUE
      The committed cursor of each incremental table (the _conduit_state table in the destination
      schema) and the source transaction from which the next run also reads late-committed rows.
      set moves a table's cursor (TABLE as show lists it): lower it to re-read rows from VALUE on
      (the late-commit transaction stays). The worker's credentials are needed (the pipeline's
      \${VAR}s must be set).`;

const INTEGER = /^-?\d+$/;
const DECIMAL = /^-?\d+(\.\d+)?$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2}(\.\d{1,6})?([+-]\d{2}(:\d{2})?)?)?$/;

/** `conduit state show|set`; returns the exit code. */
export async function stateCommand(argv: string[], out: NodeJS.WritableStream = process.stdout): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { config: { type: 'string' } },
    allowPositionals: true,
  });
  const [sub, ...args] = positionals;
  if (values.config === undefined) throw new CommandUsageError('state needs --config FILE');
  const config = loadPipelineFile(values.config);
  const schema = config.destination.schema;
  if (sub === 'show' && args.length === 0) {
    const rows = await withStatementTag({ step: 'state show', pipeline: config.name }, () =>
      withDestination(config.destination, (session) => session.listState(schema)),
    );
    if (rows.length === 0) out.write(`no incremental state in schema ${schema} yet\n`);
    for (const row of rows) {
      out.write(
        `${row.table}  (${row.source}, ${row.mode})  cursor ${row.cursor ?? 'not set'}` +
          `${lateFrom(row.snapshotXmin)}  by ${row.marker}  at ${row.updated}\n`,
      );
    }
    return 0;
  }
  const [table, value, ...extra] = args;
  if (sub === 'set' && table !== undefined && value !== undefined && extra.length === 0) {
    return withStatementTag({ step: 'state set', pipeline: config.name }, () =>
      withDestination(config.destination, async (session) => {
        const current = (await session.listState(schema)).find((row) => row.table === table);
        if (!current) {
          out.write(
            `conduit: no state for "${table}" in ${schema}; run the pipeline first ` +
              `(conduit state show lists the tables)\n`,
          );
          return 1;
        }
        const problem = checkValue(current.cursor, value);
        if (problem) {
          out.write(`conduit: "${value}" ${problem}\n`);
          return 1;
        }
        await session.commitBatch(schema, {
          ...current,
          cursor: value,
          marker: `conduit state set at ${new Date().toISOString()}`,
        });
        out.write(
          `${table}: cursor ${current.cursor ?? 'not set'} → ${value}; the next run reads rows from it on ` +
            `(minus the look-back)\n`,
        );
        return 0;
      }),
    );
  }
  throw new CommandUsageError(`state: expected "show" or "set TABLE VALUE"`);
}

/** Where the next window's late-commit arm starts (docs/consistency.md); nothing for older state rows. */
function lateFrom(xmin: string | null): string {
  return xmin === null ? '' : `  late commits from source xid ${xmin}`;
}

/** The new value must look like the values the cursor holds (an integer, a number, a date or timestamp). */
function checkValue(current: string | null, value: string): string | undefined {
  const shapes = [INTEGER, DECIMAL, TIMESTAMP];
  if (!shapes.some((shape) => shape.test(value)))
    return 'is not a cursor value: give an integer, a number or a timestamp like 2024-01-31 23:59:59';
  if (current !== null && !shapes.some((shape) => shape.test(current) && shape.test(value)))
    return `does not look like the current cursor value ${current}`;
  return undefined;
}

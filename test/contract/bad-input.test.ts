/**
 * What goes wrong in the field fails clearly: a destination that cannot be opened (each entry's own
 * cases, and another process holding it) and staged files that do not load, whose errors must not
 * carry the staged values, and which load nothing.
 */
import { describe, expect, it } from 'vitest';
import type { DestinationSession } from '../../src/connectors/destination';
import { PermanentError } from '../../src/connectors/errors';
import { destinations, type ExpectedFailure } from './destinations';
import { column, contractSetup } from './helpers';
import { writeStagedFile } from './staged-csv';

async function expectFailure(open: () => Promise<DestinationSession>, expected: ExpectedFailure): Promise<void> {
  const error = await open().then(
    async (session) => {
      await session.close();
      return new Error('opened');
    },
    (failure: unknown) => failure,
  );
  expect(error).toBeInstanceOf(Error);
  expect((error as Error).message).toMatch(expected.message);
  expect(error instanceof PermanentError, 'permanent').toBe(expected.permanent);
}

/** A value that must never appear in an error message. */
const SECRET = 'card 4111-1111-1111-1111';
const COLUMNS = [column('id', { kind: 'integer', bytes: 4 }, false), column('note', { kind: 'text' })];

describe.each(destinations)('bad input: $name', (destination) => {
  const setup = contractSetup(destination);

  it('refuses destinations it cannot open, saying which and why', async () => {
    for (const broken of await setup.target().brokenOpens()) await expectFailure(broken.open, broken.expected);
  });

  it('fails clearly, and retryably, while another process holds it', async ({ skip }) => {
    const target = setup.target();
    if (!target.holdElsewhere) return skip('another process cannot hold this destination');
    const hold = await target.holdElsewhere();
    try {
      await expectFailure(hold.open, hold.expected);
    } finally {
      await hold.release();
    }
    // Once the other process lets go, the retry succeeds.
    const session = await hold.open();
    expect(await session.version()).toMatch(/\d/);
    await session.close();
  });

  it('loads nothing from a file that does not fit the table, and says so without its values', async () => {
    const session = setup.session();
    const table = { schema: setup.target().schema, name: 'refused_files' };
    const stage = { schema: table.schema, name: 'refused_stage' };
    await session.createTable(table, COLUMNS, 'm');
    await session.createStagingArea(stage);
    const stageRows = async (stem: string, rows: (string | null)[][]) => {
      await session.upload(stage, await writeStagedFile(setup.local(), stem, rows, 'zstd'), 'zstd');
      return `${stem}.csv.zst`;
    };
    const short = await stageRows('short-row', [['1', 'fine'], [SECRET]]);
    const wrongType = await stageRows('wrong-type', [
      ['1', 'fine'],
      [SECRET, 'x'],
    ]);
    for (const file of [short, wrongType]) {
      const error = await session.loadFiles(table, COLUMNS, stage, [file]).then(
        () => new Error('loaded'),
        (failure: unknown) => failure as Error,
      );
      expect(error).toBeInstanceOf(PermanentError);
      expect(error.message).toContain(file);
      expect(error.message).not.toContain('4111');
      expect(JSON.stringify(error)).not.toContain('4111');
    }
    expect(await session.countRows(table)).toBe(0);
    // The partition is extracted again and staged under its name: this time it loads.
    await stageRows('wrong-type', [['1', SECRET]]);
    expect(await session.loadFiles(table, COLUMNS, stage, [wrongType])).toEqual([
      { file: wrongType, status: 'loaded', rows: 1 },
    ]);
    await expect(session.loadFiles(table, COLUMNS, stage, ['never-staged.csv.zst'])).rejects.toThrow(
      /never-staged\.csv\.zst/,
    );
  });

  it('refuses an upload to a staging area that was dropped', async () => {
    const session = setup.session();
    const stage = { schema: setup.target().schema, name: 'dropped_stage' };
    const file = await writeStagedFile(setup.local(), 'late', [['1', 'x']], 'gzip');
    await session.createStagingArea(stage);
    await session.dropStagingArea(stage);
    await expect(session.upload(stage, file, 'gzip')).rejects.toThrow(/dropped_stage/);
  });
});

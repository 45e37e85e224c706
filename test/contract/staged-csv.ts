/**
 * Staged files written the way an extract writes them: PostgreSQL's `COPY … TO STDOUT (FORMAT csv)`
 * (fields quoted when they hold a comma, a quote, CR or LF, or are empty; quotes doubled; NULL an
 * unquoted empty field; `\.` quoted), through the real compressor of connectors/compression.ts.
 */
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Codec } from '../../src/config/compression';
import { CODEC_EXTENSION, createCompressor } from '../../src/connectors/compression';

/** A staged field as PostgreSQL's CSV output writes the value's text (null: SQL NULL). */
export function csvField(value: string | null): string {
  if (value === null) return '';
  if (value === '' || value === '\\.' || /[",\r\n]/.test(value)) return `"${value.replace(/"/g, '""')}"`;
  return value;
}

export function csvLines(rows: (string | null)[][]): string {
  return rows.map((row) => `${row.map(csvField).join(',')}\n`).join('');
}

/** Writes `rows` compressed with `codec` as `<folder>/<stem>.csv<ext>`; the file's path. */
export async function writeStagedFile(
  folder: string,
  stem: string,
  rows: (string | null)[][],
  codec: Codec,
): Promise<string> {
  const file = join(folder, `${stem}.csv${CODEC_EXTENSION[codec]}`);
  await pipeline(
    Readable.from([Buffer.from(csvLines(rows), 'utf8')]),
    createCompressor(codec),
    createWriteStream(file),
  );
  return file;
}

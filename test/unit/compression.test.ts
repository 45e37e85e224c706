/**
 * The staged-file codecs: what `settings.compression` resolves to, that both compressors round-trip
 * bytes exactly, and that a compressor program that fails or cannot start fails the stream instead
 * of leaving a truncated file that looks complete.
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { codecFor, createCompressor, ProcessCompressor, zstdAvailable } from '../../src/connectors/compression';
import { PermanentError } from '../../src/connectors/errors';
import { scratchDir } from '../support/scratch';

/** CSV-like text with some repetition, large enough to take several pipe writes. */
function sampleCsv(rows: number): Buffer {
  const lines = Array.from(
    { length: rows },
    (_, i) =>
      `${i},customer_${i % 97},"a, ""quoted"" note ` +
      `${i % 13}",${i % 2 ? 't' : 'f'},2024-01-${String(1 + (i % 28)).padStart(2, '0')}\n`,
  );
  return Buffer.from(lines.join(''));
}

async function compressToFile(source: Buffer, compressor: NodeJS.ReadWriteStream, file: string): Promise<void> {
  // 1 MB writes, as the extract hands them over.
  const chunks = Array.from({ length: Math.ceil(source.length / 2 ** 20) }, (_, i) =>
    source.subarray(i * 2 ** 20, (i + 1) * 2 ** 20),
  );
  await pipeline(Readable.from(chunks), compressor, createWriteStream(file));
}

describe('settings.compression', () => {
  it('means zstd where the program is, gzip otherwise, and gzip when asked', () => {
    expect(codecFor('auto', true)).toBe('zstd');
    expect(codecFor('auto', false)).toBe('gzip');
    expect(codecFor('zstd', true)).toBe('zstd');
    expect(codecFor('gzip', true)).toBe('gzip');
    expect(codecFor('gzip', false)).toBe('gzip');
  });

  it('refuses zstd on a worker without the program, saying what to install or set', () => {
    const attempt = () => codecFor('zstd', false);
    expect(attempt).toThrow(PermanentError);
    expect(attempt).toThrow(/apt-get install zstd.*settings\.compression to "auto" or "gzip"/);
  });
});

describe('compressors', () => {
  const dir = scratchDir('compression');
  const csv = sampleCsv(60_000);

  it('finds the zstd program (installed by .ci/run; the product falls back to gzip without it)', () => {
    expect(zstdAvailable()).toBe(true);
  });

  it('zstd round-trips the bytes exactly, in far fewer bytes', async () => {
    const file = join(dir, 'sample.csv.zst');
    await compressToFile(csv, createCompressor('zstd'), file);
    const compressed = readFileSync(file);
    expect(compressed.length).toBeLessThan(csv.length / 4);
    expect(execFileSync('zstd', ['-d', '-q', '-c', file], { maxBuffer: 64 * 2 ** 20 }).equals(csv)).toBe(true);
  });

  it('gzip round-trips the bytes exactly', async () => {
    const file = join(dir, 'sample.csv.gz');
    await compressToFile(csv, createCompressor('gzip'), file);
    expect(gunzipSync(readFileSync(file)).equals(csv)).toBe(true);
  });

  it('fails the stream when the program exits non-zero, with its exit status and stderr', async () => {
    const failing = new ProcessCompressor('sh', ['-c', 'head -c 1000; echo "disk full" >&2; exit 3']);
    await expect(compressToFile(csv, failing, join(dir, 'failed.zst'))).rejects.toThrow(
      /sh failed \(exit 3\): disk full/,
    );
  });

  it('fails the stream when the program is killed, even after it wrote output', async () => {
    const killed = new ProcessCompressor('sh', ['-c', 'head -c 1000; kill -9 $$']);
    await expect(compressToFile(csv, killed, join(dir, 'killed.zst'))).rejects.toThrow(/sh failed \(SIGKILL\)/);
  });

  it('fails the stream when the program cannot start', async () => {
    const missing = new ProcessCompressor('conduit-no-such-compressor', []);
    await expect(compressToFile(csv, missing, join(dir, 'missing.zst'))).rejects.toThrow(
      /conduit-no-such-compressor could not run/,
    );
  });
});

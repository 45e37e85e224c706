import { spawn, spawnSync, type ChildProcessByStdio } from 'node:child_process';
import { Duplex, type Readable, type Writable } from 'node:stream';
import { constants as zlibConstants, createGzip } from 'node:zlib';
import type { Codec, CompressionSetting } from '../config/compression';
import { PermanentError } from './errors';
import { FailureType } from '../failure-types';

/**
 * How staged files are compressed: zstd or gzip, which every destination so far reads natively.
 *
 * zstd level 1 takes about a third of gzip level 1's CPU for 20% fewer bytes (1M bench rows:
 * 0.28 vs 0.86 CPU-s, 31 vs 38 MB), and the destination decompresses it faster too. Node 20 has no
 * zstd, so it runs as the `zstd` program in a child process: off the event loop and off libuv's
 * thread pool, on whichever core is free. gzip (zlib, in-process) is the fallback where the program
 * is missing.
 */
/** File-name extension of each codec; destinations name the codecs in their own dialects. */
export const CODEC_EXTENSION: Record<Codec, string> = { zstd: '.zst', gzip: '.gz' };

const ZSTD_PROGRAM = 'zstd';

let zstdPresent: boolean | undefined;

/** Whether the `zstd` program runs here; probed once per process. */
export function zstdAvailable(): boolean {
  zstdPresent ??= spawnSync(ZSTD_PROGRAM, ['--version'], { stdio: 'ignore' }).status === 0;
  return zstdPresent;
}

export function resolveCodec(setting: CompressionSetting): Codec {
  return codecFor(setting, setting !== 'gzip' && zstdAvailable());
}

/** The codec a setting means on a worker that has (or lacks) the zstd program. */
export function codecFor(setting: CompressionSetting, zstdPresent: boolean): Codec {
  if (setting === 'gzip') return 'gzip';
  if (zstdPresent) return 'zstd';
  if (setting === 'auto') return 'gzip';
  throw new PermanentError(
    'settings.compression is "zstd" but this worker cannot run the zstd program: install it ' +
      '(Debian/Ubuntu: apt-get install zstd) or set settings.compression to "auto" or "gzip"',
    FailureType.CompressionUnavailable,
  );
}

/** A stream that compresses what is written to it with `codec`. */
export function createCompressor(codec: Codec): Duplex {
  // Level 1 for both: most of the size reduction at a fraction of the CPU; the stage recompresses nothing.
  if (codec === 'gzip')
    return createGzip({ level: 1, chunkSize: 256 * 1024, strategy: zlibConstants.Z_DEFAULT_STRATEGY });
  return new ProcessCompressor(ZSTD_PROGRAM, ['-1', '-q', '-c', '-']);
}

/** Most of a failed compressor's stderr kept for its error message. */
const STDERR_LIMIT = 4096;

/**
 * A compressing program as a Duplex: writes go to its stdin, its stdout is read back. The output
 * ends only when the program has exited 0, so a crashed compressor (or one killed from outside)
 * fails the stream instead of passing as a truncated file; destroying the stream kills it.
 */
export class ProcessCompressor extends Duplex {
  private readonly child: ChildProcessByStdio<Writable, Readable, Readable>;
  private stderr = '';

  constructor(program: string, args: string[]) {
    super({ readableHighWaterMark: 256 * 1024 });
    // PATH only: the worker's environment holds the pipelines' passwords, which a compressor has no use for.
    this.child = spawn(program, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '' } });
    const { stdin, stdout, stderr } = this.child;
    stdout.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) stdout.pause();
    });
    stderr.on('data', (chunk: Buffer) => {
      if (this.stderr.length < STDERR_LIMIT) this.stderr += chunk.toString('utf8');
    });
    // EPIPE when the program died; its exit status below names the real cause.
    stdin.on('error', () => undefined);
    this.child.on('error', (error) => this.destroy(new Error(`${program} could not run: ${error.message}`)));
    this.child.on('close', (code, signal) => {
      if (code === 0) this.push(null);
      else if (!this.destroyed)
        this.destroy(
          new Error(`${program} failed (${signal ?? `exit ${code}`})${this.stderr ? `: ${this.stderr.trim()}` : ''}`),
        );
    });
  }

  override _read(): void {
    this.child.stdout.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    if (this.child.stdin.write(chunk)) callback();
    else this.child.stdin.once('drain', () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.child.stdin.end(callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    callback(error);
  }
}

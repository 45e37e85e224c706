/**
 * `settings.compression`: the codec of staged files. Which codecs a destination loads is its own
 * capability (connectors/destination.ts); the streams are in connectors/compression.ts.
 */
export const CODECS = ['zstd', 'gzip'] as const;
export type Codec = (typeof CODECS)[number];
/** A codec, or `auto` (zstd when this worker has the program, else gzip). */
export type CompressionSetting = 'auto' | Codec;
export const COMPRESSION_SETTINGS: readonly CompressionSetting[] = ['auto', ...CODECS];

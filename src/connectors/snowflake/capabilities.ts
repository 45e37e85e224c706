/**
 * What Snowflake holds and loads, declared without the SDK (a worker loads snowflake-sdk only when a
 * pipeline opens a Snowflake session).
 */
import type { DestinationCapabilities } from '../destination';
import { runObjectNames, snowflakeType } from './dialect';
import { MAX_BINARY_BYTES, MAX_NUMBER_PRECISION, MAX_NUMBER_SCALE, MAX_VARCHAR_BYTES } from './limits';
import { describeChange, diffSchema } from './schema-evolution';

export const snowflakeCapabilities: DestinationCapabilities = {
  type: 'snowflake',
  displayName: 'Snowflake',
  columnType: snowflakeType,
  limits: {
    decimal: { maxPrecision: MAX_NUMBER_PRECISION, maxScale: MAX_NUMBER_SCALE },
    maxTextBytes: MAX_VARCHAR_BYTES,
    maxBinaryBytes: MAX_BINARY_BYTES,
    dateRange: 'years-1-9999',
    time2400: false,
  },
  keepSessionsBetweenActivities: true,
  codecs: ['zstd', 'gzip'],
  // Conduit quotes every name, and quoted names are exact (QUOTED_IDENTIFIERS_IGNORE_CASE is pinned off).
  identifierKey: (name) => name,
  runObjectNames,
  diffSchema,
  describeChange,
};

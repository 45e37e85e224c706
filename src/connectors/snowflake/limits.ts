/**
 * Snowflake's documented limits that the type mapping and the extract guards respect (checked 2026-12):
 * - NUMBER: precision 1–38, scale 0–37 and at most the precision
 *   (https://docs.snowflake.com/en/sql-reference/data-types-numeric).
 * - VARCHAR: at most 134,217,728 bytes; a VARCHAR without a length is VARCHAR(16777216)
 *   (https://docs.snowflake.com/en/sql-reference/data-types-text).
 * - BINARY: at most 67,108,864 bytes (same page).
 * - VARIANT: at most 128 MB of uncompressed data, usually less in practice because of internal overhead
 *   (https://docs.snowflake.com/en/sql-reference/data-types-semistructured).
 */
export const MAX_NUMBER_PRECISION = 38;
export const MAX_NUMBER_SCALE = 37;
export const MAX_VARCHAR_BYTES = 134_217_728;
export const DEFAULT_VARCHAR_LENGTH = 16_777_216;
export const MAX_BINARY_BYTES = 67_108_864;
export const MAX_VARIANT_BYTES = 128 * 1024 * 1024;

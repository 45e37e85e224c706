/**
 * The destination database and schema are names of Snowflake objects, read as Snowflake reads an
 * identifier (docs/security.md, "Destination names"): in double quotes, exactly as written; a valid
 * unquoted identifier folds to upper case (`raw` is RAW); anything else (spaces, non-ASCII, other
 * characters) can only be meant exactly and is used as written.
 */

/** Snowflake's identifier length limit. */
const MAX_IDENTIFIER = 255;
const UNQUOTED = /^[A-Za-z_][A-Za-z0-9_$]*$/;

/** The exact Snowflake name `raw` stands for, or a problem naming the field and the fix. */
export function snowflakeObjectName(raw: string, field: string): { name: string } | { problem: string } {
  const trimmed = raw.trim();
  let name = trimmed;
  if (trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"')) {
    const inner = trimmed.slice(1, -1);
    if (inner.replace(/""/g, '').includes('"'))
      return { problem: `\`${field}\`: a double quote inside a quoted name is written twice ("a""b")` };
    name = inner.replace(/""/g, '"');
  } else if (UNQUOTED.test(trimmed)) {
    name = trimmed.toUpperCase();
  }
  if (name.length === 0) return { problem: `\`${field}\`: required` };
  if (name.length > MAX_IDENTIFIER)
    return { problem: `\`${field}\`: Snowflake names hold at most ${MAX_IDENTIFIER} characters, got ${name.length}` };
  return { name };
}

/** PostgreSQL identifier quoting: always quoted, so names keep their case and may hold any character. */
export function quoteIdent(name: string): string {
  if (name.includes('\0')) throw new Error(`identifier contains a NUL byte: ${JSON.stringify(name)}`);
  return `"${name.replace(/"/g, '""')}"`;
}

export function quoteTable(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

export function quoteLiteral(value: string): string {
  if (value.includes('\0')) throw new Error(`literal contains a NUL byte: ${JSON.stringify(value)}`);
  return `'${value.replace(/'/g, "''")}'`;
}

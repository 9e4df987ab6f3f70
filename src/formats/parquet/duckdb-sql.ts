/**
 * Spelling names and text into DuckDB SQL, for the few places where a value cannot be a bound parameter: file
 * paths in `read_parquet(…)` / `COPY … TO …`, and table and column names. Values in WHERE clauses are bound
 * (`?`), never spelled with these.
 */

/** A DuckDB string literal: `'…'` with each `'` doubled (DuckDB, like standard SQL, has no backslash escapes). */
export function duckdbStringLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** A DuckDB quoted identifier: `"…"` with each `"` doubled, so any name (spaces, quotes, keywords) is one identifier. */
export function duckdbIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

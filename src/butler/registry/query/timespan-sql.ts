import { type RawBuilder, sql } from 'kysely';

/** Two SQL expressions bounding a half-open timespan; NULL on either side means unbounded. */
export interface TimespanSql {
  readonly begin: RawBuilder<unknown>;
  readonly end: RawBuilder<unknown>;
}

/** The columns `alias.timespan_begin` / `alias.timespan_end`. */
export function timespanColumns(alias: string): TimespanSql {
  return { begin: sql.ref(`${alias}.timespan_begin`), end: sql.ref(`${alias}.timespan_end`) };
}

/** Half-open [b1, e1) and [b2, e2) overlap iff b1 < e2 and b2 < e1, NULL bounds being unbounded. */
export function timespansOverlap(a: TimespanSql, b: TimespanSql): RawBuilder<boolean> {
  return sql<boolean>`((${a.begin} IS NULL OR ${b.end} IS NULL OR ${a.begin} < ${b.end}) AND (${b.begin} IS NULL OR ${a.end} IS NULL OR ${b.begin} < ${a.end}))`;
}

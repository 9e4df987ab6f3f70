/**
 * VOTable FIELD metadata for the columns of a query result. The datatype follows the values the engine returns; a
 * column that names a catalog column (or a TAP_SCHEMA column) also gets its published arraysize, xtype, unit, UCD
 * and description, so result metadata agrees with TAP_SCHEMA (TAP 1.1 §2.9; taplint's MDQ stage compares them).
 */

import {
  type CellValue,
  parseAdql,
  type Query,
  type ResultColumn,
  type ResultDatatype,
  type TapSchemaRows,
  tableReferences,
  VOTABLE_DATATYPES,
} from '../../catalog/index.js';
import type { VOTableField } from '../../formats/index.js';

type PublishedColumn = TapSchemaRows['columns'][number];

/** A published column name without the quotes of a delimited name (`"size"` → `size`), lower case. */
function bareName(name: string): string {
  return (name.startsWith('"') && name.endsWith('"') ? name.slice(1, -1) : name).toLowerCase();
}

/** The published columns, by table and by name, to describe result columns. */
export class PublishedColumns {
  private readonly byTable = new Map<string, Map<string, PublishedColumn>>();
  private readonly tableNames: readonly string[];

  constructor(rows: TapSchemaRows) {
    for (const column of rows.columns) {
      const table = column.table_name.toLowerCase();
      let columns = this.byTable.get(table);
      if (!columns) this.byTable.set(table, (columns = new Map()));
      columns.set(bareName(column.column_name), column);
    }
    this.tableNames = [...this.byTable.keys()];
  }

  /**
   * The published tables an ADQL query reads, lower case: its table references matched on their qualified name, or
   * on the table name alone. An unparseable query (it fails later anyway) reads none.
   */
  tablesOf(adql: string | Query): string[] {
    let refs: ReturnType<typeof tableReferences>;
    try {
      refs = tableReferences(typeof adql === 'string' ? parseAdql(adql) : adql);
    } catch {
      return [];
    }
    return refs.flatMap((ref) => {
      const parts = ref.name.map((p) => p.name.toLowerCase());
      const qualified = parts.slice(-2).join('.');
      if (parts.length > 1 && this.byTable.has(qualified)) return [qualified];
      return this.tableNames.filter((t) => t.endsWith(`.${parts[parts.length - 1]}`));
    });
  }

  /** The column a result column names: in the tables the query reads first, else in any published table. */
  find(name: string, tables: readonly string[]): PublishedColumn | undefined {
    const key = name.toLowerCase();
    for (const table of [...tables, ...this.tableNames]) {
      const found = this.byTable.get(table)?.get(key);
      if (found) return found;
    }
    return undefined;
  }
}

/**
 * A timestamp as DALI 1.1 §3.3.3 writes it, `YYYY-MM-DDThh:mm:ss[.fff]` in UTC without a zone (engines give
 * `2000-01-01T00:00:00.000Z` or `2000-01-01 00:00:00`).
 */
function daliTimestamp(value: string): string {
  return value.replace(' ', 'T').replace(/(Z|[+-]00(:?00)?)$/i, '');
}

/** Integer result types an engine may use to store a boolean column (PostgreSQL workers store them as smallint). */
const integerTypes: ReadonlySet<ResultDatatype> = new Set(['short', 'int', 'long']);

export interface ResultShape {
  readonly fields: VOTableField[];
  /** Rewrites a batch in place so its cells match `fields`; null when the engine's values already do. */
  readonly normalize: ((batch: readonly CellValue[][]) => void) | null;
}

/**
 * FIELDs for the result columns, and the cell rewriting they need. A column published as boolean but returned as
 * an integer (the engine's storage type) is declared boolean and its 0/1 values become false/true, so every engine
 * gives the same result, as TAP_SCHEMA declares it.
 */
export function resultShape(
  columns: readonly ResultColumn[],
  published: PublishedColumns,
  tables: readonly string[],
): ResultShape {
  const booleans: number[] = [];
  const timestamps = columns.flatMap((c, i) => (c.datatype === 'timestamp' ? [i] : []));
  const fields = columns.map((column, index): VOTableField => {
    const known = published.find(column.name, tables);
    const storedBoolean = known?.datatype === 'boolean' && integerTypes.has(column.datatype);
    if (storedBoolean) booleans.push(index);
    const datatype = storedBoolean ? 'boolean' : VOTABLE_DATATYPES[column.datatype];
    // The published arraysize and xtype only hold when the value type agrees (a string column stays a string).
    const sameType = known !== undefined && known.datatype === datatype;
    return {
      name: column.name,
      datatype,
      arraysize: datatype === 'char' ? (sameType && known.arraysize ? known.arraysize : '*') : undefined,
      xtype: column.datatype === 'timestamp' ? 'timestamp' : sameType ? known.xtype : null,
      unit: known?.unit,
      ucd: known?.ucd,
      description: known?.description,
    };
  });
  const normalize =
    booleans.length === 0 && timestamps.length === 0
      ? null
      : (batch: readonly CellValue[][]) => {
          for (const row of batch) {
            for (const i of booleans) {
              const v = row[i];
              if (v !== null && typeof v !== 'boolean') row[i] = v !== 0 && v !== 0n && v !== '0';
            }
            for (const i of timestamps) {
              const v = row[i];
              if (typeof v === 'string') row[i] = daliTimestamp(v);
            }
          }
        };
  return { fields, normalize };
}

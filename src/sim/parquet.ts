/**
 * Writing the simulator's column tables to Parquet through an in-process DuckDB: rows go in with an appender, out
 * with `COPY ... TO ... (FORMAT parquet)`. Row order is fixed by an ORDER BY so files are reproducible.
 */

import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { meridianError } from '../errors.js';

export type ParquetColumn =
  | {
      readonly name: string;
      readonly type: 'BIGINT' | 'INTEGER' | 'SMALLINT' | 'DOUBLE' | 'BOOLEAN';
      readonly values: ArrayLike<number>;
    }
  | { readonly name: string; readonly type: 'VARCHAR'; readonly values: readonly string[] };

export interface ColumnTable {
  readonly columns: readonly ParquetColumn[];
}

/** Version of the simulator's Parquet layouts (columns and units in docs/simulator.md). */
export const PARQUET_FORMAT_VERSION = 1;

function sqlString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A scratch in-memory database holding tables to export; close it when done. */
export class ParquetExporter {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {}

  static async open(): Promise<ParquetExporter> {
    // One thread: the export is small, and other work (rendering) owns the cores.
    const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
    return new ParquetExporter(instance, await instance.connect());
  }

  /** Load a column table into a new table `name`. */
  async load(name: string, table: ColumnTable): Promise<void> {
    const { columns } = table;
    const rows = columns[0]?.values.length ?? 0;
    for (const column of columns) {
      if (column.values.length !== rows) {
        throw meridianError(
          'INTERNAL',
          `column ${column.name} has ${column.values.length} rows, expected ${rows}`,
        );
      }
    }
    const definition = columns.map((c) => `${quoteIdentifier(c.name)} ${c.type}`).join(', ');
    await this.connection.run(`CREATE TABLE ${quoteIdentifier(name)} (${definition})`);
    const appender = await this.connection.createAppender(name);
    try {
      for (let row = 0; row < rows; row++) {
        for (const column of columns) {
          if (column.type === 'VARCHAR') {
            appender.appendVarchar(column.values[row]);
            continue;
          }
          const value = column.values[row];
          switch (column.type) {
            case 'BIGINT':
              appender.appendBigInt(BigInt(value));
              break;
            case 'INTEGER':
              appender.appendInteger(value);
              break;
            case 'SMALLINT':
              appender.appendSmallInt(value);
              break;
            case 'BOOLEAN':
              appender.appendBoolean(value !== 0);
              break;
            case 'DOUBLE':
              appender.appendDouble(value);
              break;
          }
        }
        appender.endRow();
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
  }

  /** Write the result of `SELECT columns FROM table [WHERE where] ORDER BY orderBy` to a Parquet file. */
  async export(path: string, table: string, options: { orderBy: string; where?: string; columns?: string }) {
    const where = options.where ? ` WHERE ${options.where}` : '';
    const select = `SELECT ${options.columns ?? '*'} FROM ${quoteIdentifier(table)}${where} ORDER BY ${options.orderBy}`;
    // The file-format version travels in the Parquet key-value metadata, as in the manifest.
    await this.connection.run(
      `COPY (${select}) TO ${sqlString(path)} (FORMAT parquet, COMPRESSION zstd, ` +
        `KV_METADATA {meridian_sim_format: '${PARQUET_FORMAT_VERSION}'})`,
    );
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

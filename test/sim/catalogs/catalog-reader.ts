import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { TABLE_NAMES } from '../../../src/sim/catalogs/index.js';

function exactNumber(value: bigint): number | string {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(value)
    : value.toString();
}

/** A DuckDB connection with one view per simulated table over its Parquet files (for the tests' own queries). */
export class CatalogReader {
  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {}

  static async open(dir: string): Promise<CatalogReader> {
    const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
    const connection = await instance.connect();
    for (const table of TABLE_NAMES) {
      await connection.run(`CREATE VIEW ${table} AS SELECT * FROM read_parquet('${dir}/${table}/*.parquet')`);
    }
    return new CatalogReader(instance, connection);
  }

  /** Rows as plain objects; BIGINTs become numbers when exact, else strings (object ids exceed 2^53). */
  async rows(sql: string): Promise<Record<string, unknown>[]> {
    const reader = await this.connection.runAndReadAll(sql);
    return reader
      .getRowObjects()
      .map((row) =>
        Object.fromEntries(
          Object.entries(row).map(([k, v]) => [k, typeof v === 'bigint' ? exactNumber(v) : v]),
        ),
      );
  }

  async one(sql: string): Promise<Record<string, unknown>> {
    return (await this.rows(sql))[0];
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

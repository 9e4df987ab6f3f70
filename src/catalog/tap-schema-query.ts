/**
 * TAP_SCHEMA as queryable tables (TAP 1.1 §4): the rows `tapSchemaRows` generates, plus TAP_SCHEMA's description of
 * itself, held in a small in-memory DuckDB database with a `tap_schema` schema. Queries whose tables are all in
 * `tap_schema` run there, compiled by the same ADQL → DuckDB compiler as every other query.
 *
 * Why a side database and not tables in the engines: TAP_SCHEMA is a pure function of the schema file, a few
 * thousand rows, never written by ingest. Kept apart it needs no migration, no write at open (a read-only open stays
 * possible), and is identical on every engine (PostgreSQL workers would otherwise each need a copy). The price is
 * that a query cannot join `tap_schema` tables with the catalog's own tables; docs/tap.md says so.
 */

import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { isMeridianError, meridianError } from '../errors.js';
import { duckdbIdentifier as q } from '../formats/index.js';
import { duckdbDialect, type Query, tableReferences, toSql } from './adql/index.js';
import type { RowStream } from './engine.js';
import { streamDuckdb } from './engines/duckdb/engine.js';
import type { CatalogSchema } from './schema.js';
import { type TapSchemaRows, tapSchemaRows } from './tap-schema.js';

/** The lower-case schema name TAP clients expect (TAP 1.1 §4; pyvo and TOPCAT query `tap_schema.*`). */
export const TAP_SCHEMA_NAME = 'tap_schema';

interface TapSchemaColumnDefinition {
  readonly name: string;
  readonly sqlType: 'VARCHAR' | 'INTEGER';
  readonly description: string;
  /** Mandatory columns of TAP 1.1 are principal. */
  readonly principal: 0 | 1;
}

type TapSchemaTableName = keyof TapSchemaRows;

const text = (name: string, description: string, principal: 0 | 1 = 1): TapSchemaColumnDefinition => ({
  name,
  sqlType: 'VARCHAR',
  description,
  principal,
});
const integer = (name: string, description: string, principal: 0 | 1 = 1): TapSchemaColumnDefinition => ({
  name,
  sqlType: 'INTEGER',
  description,
  principal,
});

/** TAP_SCHEMA's own tables in TAP 1.1 column order; the rows objects carry the same keys. */
const TAP_SCHEMA_TABLES: Readonly<
  Record<TapSchemaTableName, { description: string; columns: readonly TapSchemaColumnDefinition[] }>
> = {
  schemas: {
    description: 'Schemas published by this service',
    columns: [
      text('schema_name', 'schema name, for reference'),
      text('utype', 'lists the utypes of schemas in the tableset', 0),
      text('description', 'describes schemas in the tableset'),
      integer('schema_index', 'recommended sort order when listing schemas', 0),
    ],
  },
  tables: {
    description: 'Tables published by this service',
    columns: [
      text('schema_name', 'the schema name from TAP_SCHEMA.schemas'),
      text('table_name', 'the fully qualified table name'),
      text('table_type', 'one of: table, view'),
      text('utype', 'lists the utype of tables in the tableset', 0),
      text('description', 'describes tables in the tableset'),
      integer('table_index', 'recommended sort order when listing tables', 0),
    ],
  },
  columns: {
    description: 'Columns of the published tables',
    columns: [
      text('table_name', 'the table this column belongs to'),
      text('column_name', 'the column name'),
      text('utype', 'lists the utypes of columns in the tableset', 0),
      text('ucd', 'lists the UCDs of columns in the tableset'),
      text('unit', 'lists the unit used for column values in the tableset'),
      text('description', 'describes the columns in the tableset'),
      text('datatype', 'lists the ADQL datatype of columns in the tableset'),
      text('arraysize', 'lists the size of variable-length columns in the tableset', 0),
      text('xtype', 'a DALI or custom extended type annotation', 0),
      integer('size', 'deprecated: use arraysize', 0),
      integer('principal', 'a principal column; 1 means 1, 0 means 0'),
      integer('indexed', 'an indexed column; 1 means 1, 0 means 0'),
      integer('std', 'a standard column; 1 means 1, 0 means 0'),
      integer('column_index', 'recommended sort order when listing columns', 0),
    ],
  },
  keys: {
    description: 'Foreign keys between the published tables',
    columns: [
      text('key_id', 'unique key identifier'),
      text('from_table', 'fully qualified table name'),
      text('target_table', 'fully qualified table name'),
      text('utype', 'lists the utype of keys in the tableset', 0),
      text('description', 'describes keys in the tableset'),
    ],
  },
  key_columns: {
    description: 'The columns of each foreign key',
    columns: [
      text('key_id', 'key identifier from TAP_SCHEMA.keys'),
      text('from_column', 'key column name in the from_table'),
      text('target_column', 'key column name in the target_table'),
    ],
  },
};

const TABLE_ORDER: readonly TapSchemaTableName[] = ['schemas', 'tables', 'columns', 'keys', 'key_columns'];

/** The TAP_SCHEMA rows a TAP service publishes: the catalog's tables followed by TAP_SCHEMA's own. */
export function publishedTapSchemaRows(schema: CatalogSchema): TapSchemaRows {
  const own = tapSchemaRows(schema);
  const qualified = (table: string) => `${TAP_SCHEMA_NAME}.${table}`;
  return {
    schemas: [
      ...own.schemas,
      {
        schema_name: TAP_SCHEMA_NAME,
        utype: null,
        description: 'TAP 1.1 metadata: the schemas, tables, columns and foreign keys of this service',
        schema_index: own.schemas.length,
      },
    ],
    tables: [
      ...own.tables,
      ...TABLE_ORDER.map((name, i) => ({
        schema_name: TAP_SCHEMA_NAME,
        table_name: qualified(name),
        table_type: 'table' as const,
        utype: null,
        description: TAP_SCHEMA_TABLES[name].description,
        table_index: own.tables.length + i + 1,
      })),
    ],
    columns: [
      ...own.columns,
      ...TABLE_ORDER.flatMap((name) =>
        TAP_SCHEMA_TABLES[name].columns.map((c, i) => ({
          table_name: qualified(name),
          // `size` is an ADQL reserved word: TAP 1.1 §4.3 publishes it delimited, as clients must write it.
          column_name: c.name === 'size' ? '"size"' : c.name,
          utype: null,
          ucd: null,
          unit: null,
          description: c.description,
          datatype: c.sqlType === 'VARCHAR' ? 'char' : 'int',
          arraysize: c.sqlType === 'VARCHAR' ? '*' : null,
          xtype: null,
          size: null,
          principal: c.principal,
          indexed: 0 as const,
          std: 1 as const,
          column_index: i + 1,
        })),
      ),
    ],
    keys: [
      ...own.keys,
      {
        key_id: 'tap_schema_tables_schema',
        from_table: qualified('tables'),
        target_table: qualified('schemas'),
        utype: null,
        description: 'the schema of each table',
      },
      {
        key_id: 'tap_schema_columns_table',
        from_table: qualified('columns'),
        target_table: qualified('tables'),
        utype: null,
        description: 'the table of each column',
      },
      {
        key_id: 'tap_schema_keys_from_table',
        from_table: qualified('keys'),
        target_table: qualified('tables'),
        utype: null,
        description: 'the table a key leads from',
      },
      {
        key_id: 'tap_schema_keys_target_table',
        from_table: qualified('keys'),
        target_table: qualified('tables'),
        utype: null,
        description: 'the table a key leads to',
      },
      {
        key_id: 'tap_schema_key_columns_key',
        from_table: qualified('key_columns'),
        target_table: qualified('keys'),
        utype: null,
        description: 'the key of each key column',
      },
    ],
    key_columns: [
      ...own.key_columns,
      { key_id: 'tap_schema_tables_schema', from_column: 'schema_name', target_column: 'schema_name' },
      { key_id: 'tap_schema_columns_table', from_column: 'table_name', target_column: 'table_name' },
      { key_id: 'tap_schema_keys_from_table', from_column: 'from_table', target_column: 'table_name' },
      { key_id: 'tap_schema_keys_target_table', from_column: 'target_table', target_column: 'table_name' },
      { key_id: 'tap_schema_key_columns_key', from_column: 'key_id', target_column: 'key_id' },
    ],
  };
}

/** Where a query's tables live: all in `tap_schema`, none of them, or both (which is refused). */
export function tapSchemaUse(tree: Query): 'none' | 'only' | 'mixed' {
  const refs = tableReferences(tree);
  const inTapSchema = refs.filter(
    (ref) => ref.name.length > 1 && ref.name[ref.name.length - 2].name.toLowerCase() === TAP_SCHEMA_NAME,
  );
  if (inTapSchema.length === 0) return 'none';
  // Unqualified names besides tap_schema ones are WITH tables or catalog tables: only the former may mix.
  const withNames = new Set(tree.with.map((w) => w.name.name.toLowerCase()));
  const others = refs.filter(
    (ref) =>
      !inTapSchema.includes(ref) && !(ref.name.length === 1 && withNames.has(ref.name[0].name.toLowerCase())),
  );
  return others.length === 0 ? 'only' : 'mixed';
}

/** The in-memory TAP_SCHEMA database of one catalog; created on first use, closed with the catalog. */
export class TapSchemaDatabase {
  private constructor(
    private readonly instance: DuckDBInstance,
    readonly rows: TapSchemaRows,
  ) {}

  static async create(schema: CatalogSchema): Promise<TapSchemaDatabase> {
    const rows = publishedTapSchemaRows(schema);
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    try {
      await connection.run(`CREATE SCHEMA ${q(TAP_SCHEMA_NAME)}`);
      for (const name of TABLE_ORDER) {
        const { columns } = TAP_SCHEMA_TABLES[name];
        const table = `${q(TAP_SCHEMA_NAME)}.${q(name)}`;
        await connection.run(
          `CREATE TABLE ${table} (${columns.map((c) => `${q(c.name)} ${c.sqlType}`).join(', ')})`,
        );
        const tableRows = rows[name] as readonly Record<string, unknown>[];
        if (tableRows.length === 0) continue;
        const placeholders = `(${columns.map(() => '?').join(', ')})`;
        // One multi-row INSERT per table: a few thousand rows, bound, in one statement.
        for (let start = 0; start < tableRows.length; start += 500) {
          const batch = tableRows.slice(start, start + 500);
          await connection.run(
            `INSERT INTO ${table} VALUES ${batch.map(() => placeholders).join(', ')}`,
            batch.flatMap((row) => columns.map((c) => row[c.name] ?? null)) as never,
          );
        }
      }
    } finally {
      connection.closeSync();
    }
    return new TapSchemaDatabase(instance, rows);
  }

  /** Runs a query whose tables are all in `tap_schema`; DuckDB's binder errors are the user's (ADQL_SEMANTIC). */
  async stream(tree: Query, signal: AbortSignal): Promise<RowStream> {
    const { sql, params } = toSql(tree, duckdbDialect);
    const connection: DuckDBConnection = await this.instance.connect();
    try {
      // Streamed, not read whole: the tables are small but a cross join of them need not be.
      return await streamDuckdb(connection, sql, params, signal, true);
    } catch (err) {
      if (isMeridianError(err)) throw err;
      const message = err instanceof Error ? err.message.split('\n')[0] : String(err);
      throw meridianError('ADQL_SEMANTIC', `in a TAP_SCHEMA query: ${message}`, {}, err);
    }
  }

  close(): void {
    this.instance.closeSync();
  }
}

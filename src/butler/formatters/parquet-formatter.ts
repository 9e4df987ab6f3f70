/**
 * `meridian.ParquetFormatter`: the butler's table and catalog datasets as Parquet files. Reading and writing is
 * `formats/`'s Parquet module (DuckDB in process); this file maps butler read parameters (`columns`, `filters`)
 * and components (`columns`, `rowcount`, `schema`, all from the footer) onto it.
 */

import { meridianError } from '../../errors.js';
import {
  readParquetRowCount,
  readParquetSchema,
  readParquetTable,
  type TableFilter,
  writeParquetTable,
} from '../../formats/index.js';
import type { Formatter, ReadOptions } from '../storage/formatter.js';
import type { StorageClass } from '../storage/storage-class.js';
import { isTable } from './table.js';

const TABLE_COMPONENTS = ['columns', 'rowcount', 'schema'];

/** `meridian.ParquetFormatter`: Table objects as `.parquet` files. */
export class ParquetFormatter implements Formatter {
  readonly name = 'meridian.ParquetFormatter';
  readonly extension = '.parquet';
  readonly readableComponents = TABLE_COMPONENTS;

  async write(obj: unknown, path: string, storageClass: StorageClass): Promise<void> {
    if (!isTable(obj)) {
      throw meridianError(
        'INVALID_ARGUMENT',
        `a ${storageClass.name} dataset must be a table ({ kind: 'table', length, columns }), got ${typeof obj}`,
      );
    }
    await writeParquetTable(path, obj);
  }

  async read(path: string, options: ReadOptions): Promise<unknown> {
    const params = options.parameters ?? {};
    for (const key of Object.keys(params)) {
      if (!['columns', 'filters'].includes(key)) {
        throw meridianError(
          'INVALID_ARGUMENT',
          `unknown read parameter '${key}' for a Parquet table (columns, filters)`,
        );
      }
    }
    switch (options.component ?? null) {
      case null:
        return readParquetTable(path, {
          columns: params.columns as string[] | undefined,
          filters: params.filters as TableFilter[] | undefined,
        });
      case 'columns':
        return (await readParquetSchema(path)).map((c) => c.name);
      case 'schema':
        return readParquetSchema(path);
      case 'rowcount':
        return readParquetRowCount(path);
      default:
        throw meridianError('COMPONENT_UNKNOWN', `a Parquet table has no component '${options.component}'`, {
          component: options.component,
          validComponents: TABLE_COMPONENTS,
        });
    }
  }
}

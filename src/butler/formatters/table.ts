/**
 * The column table the Parquet formatter writes and reads for the table and catalog storage classes. The model
 * lives with the Parquet code in `formats/`; the butler re-exports it under the names it has always had.
 */
export {
  isTable,
  makeTable,
  type Table,
  type TableColumnSchema,
  type TableColumnValues,
} from '../../formats/index.js';

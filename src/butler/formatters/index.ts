/**
 * Meridian's file formatters for images and tables. Every Butler knows them from the start (`standard.ts`); this
 * index exports them and the table helpers for callers that read or write such files directly.
 */

export {
  ExposureFormatter,
  FitsImageFormatter,
  RawFormatter,
  visitInfoFromRawHeader,
} from './exposure-formatter.js';
export { ParquetFormatter } from './parquet-formatter.js';
export {
  type FormatterPlugin,
  meridianFormatterPlugin,
  standardFormatters,
  TABLE_STORAGE_CLASSES,
} from './standard.js';
export { isTable, makeTable, type Table, type TableColumnSchema, type TableColumnValues } from './table.js';

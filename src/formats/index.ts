/**
 * File formats: FITS (images, binary tables, checksums), TAN-SIP WCS, the Exposure object model and its FITS
 * layout, Parquet (through DuckDB, with the DuckDB SQL quoting) and VOTable output. May use `sphere/` for
 * projections; nothing else in Meridian.
 */
export * from './exposure/index.js';
export * from './fits/index.js';
export * from './parquet/index.js';
export {
  DEFAULT_VOTABLE_READ_BYTES,
  type ReadVOTableOptions,
  readVOTable,
  type VOTableTable,
} from './votable/read.js';
export {
  VOTABLE_DATATYPES,
  type VOTableReadCell,
  type VOTableReadDatatype,
  type VOTableReadField,
  type VOTableScalar,
} from './votable/read-cells.js';
export {
  escapeXml,
  tabledataRow,
  VOTABLE_VERSION,
  type VOTableCell,
  type VOTableDatatype,
  type VOTableField,
  type VOTableResults,
  type VOTableSerialization,
  votableEnd,
  votableStart,
  writeVOTable,
  writeVOTableError,
} from './votable.js';
export { Binary2Encoder } from './votable-binary2.js';
export * from './wcs/index.js';

/**
 * File formats: FITS (images, binary tables, checksums), TAN-SIP WCS, the Exposure object model and its FITS
 * layout, Parquet (through DuckDB, with the DuckDB SQL quoting) and VOTable output. May use `sphere/` for
 * projections; nothing else in Meridian.
 */
export * from './exposure/index.js';
export * from './fits/index.js';
export * from './parquet/index.js';
export {
  escapeXml,
  VOTABLE_VERSION,
  type VOTableCell,
  type VOTableDatatype,
  type VOTableField,
  type VOTableResults,
  writeVOTable,
  writeVOTableError,
} from './votable.js';
export * from './wcs/index.js';

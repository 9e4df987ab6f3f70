/**
 * The Source-table tasks (writeSourceTable, transformSourceTable, consolidateSourceTable) and the declarative DP0.2
 * Source column mapping. See docs/tasks.md, "Source tables".
 */
export {
  type ColumnFunctor,
  type ColumnTransform,
  type ColumnType,
  LOCAL_PHOTO_CALIB,
  LOCAL_PHOTO_CALIB_ERR,
  SOURCE_TABLE_FUNCTORS,
  transformSourceTable,
} from './functors.js';
export {
  ConsolidateSourceTableTask,
  concatenateTables,
  type SourceTableIds,
  TransformSourceTableTask,
  WriteSourceTableTask,
  writeSourceTable,
} from './tasks.js';

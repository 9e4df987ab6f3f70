/** ADQL 2.1: parser, frozen syntax tree, visitor, canonical printer and SQL generation. See docs/adql.md. */

export type * from './ast.js';
export { deepFreeze, isCondition } from './ast.js';
export { type Arity, type KnownUdf, knownUdfs, lookupUdf, reservedWords } from './functions.js';
export { parseAdql } from './parse-query.js';
export { printAdql } from './print.js';
export { type CompiledSql, type ToSqlOptions, toSql } from './sql/compile.js';
export {
  defaultDialect,
  defineDialect,
  type SqlDialect,
  type SqlPoint,
  type SqlVertex,
} from './sql/dialect.js';
export { duckdbDialect, postgresDialect } from './sql/dialects.js';
export { type AdqlVisitor, childrenOf, type NodeOfKind, tableReferences, visit, walk } from './visitor.js';

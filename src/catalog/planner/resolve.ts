/**
 * Name resolution pass: every table reference must name a table of the catalog schema (optionally qualified with
 * the schema name) or a WITH table, and every column of the top-level SELECT must exist in a table in its FROM.
 * Unknown names are `ADQL_SEMANTIC` errors that name them and their position.
 */

import { meridianError } from '../../errors.js';
import type { ColumnRef, Expression, FromItem, Query, SelectCore, TableRef } from '../adql/index.js';
import { walk } from '../adql/index.js';
import { type CatalogSchema, type CatalogTable, findColumn, findTable } from '../schema.js';
import { UPLOAD_SCHEMA, type UploadedTable } from '../upload.js';

export interface ResolvedRef {
  readonly ref: TableRef;
  readonly table: CatalogTable;
  /** The name columns use to qualify it, lower case: the alias, else the table name. */
  readonly alias: string;
  /** True for references in the FROM clause of the outermost SELECT (not in subqueries or WITH tables). */
  readonly topLevel: boolean;
  /** The uploaded table a `TAP_UPLOAD.name` reference names (read whole, from a temporary table), else absent. */
  readonly upload?: UploadedTable;
}

export interface Resolution {
  readonly refs: readonly ResolvedRef[];
  /** The top-level SELECT, or null when the query body is a set operation or nested query. */
  readonly select: SelectCore | null;
}

function semantic(message: string, node: { pos: { line: number; column: number } }, details = {}): Error {
  return meridianError('ADQL_SEMANTIC', `${message} at line ${node.pos.line}, column ${node.pos.column}`, {
    line: node.pos.line,
    column: node.pos.column,
    ...details,
  });
}

function fromTables(items: readonly FromItem[]): { tables: TableRef[]; opaque: boolean } {
  const tables: TableRef[] = [];
  let opaque = false;
  const visitItem = (item: FromItem) => {
    if (item.kind === 'table') tables.push(item);
    else if (item.kind === 'derivedTable') opaque = true;
    else {
      if (item.natural || item.using) opaque = true;
      visitItem(item.left);
      visitItem(item.right);
    }
  };
  for (const item of items) visitItem(item);
  return { tables, opaque };
}

export function aliasOf(ref: TableRef): string {
  return (ref.alias ?? ref.name[ref.name.length - 1]).name.toLowerCase();
}

export function resolveTables(
  tree: Query,
  schema: CatalogSchema,
  uploads: readonly UploadedTable[] = [],
): Resolution {
  const withNames = new Set<string>();
  walk(tree, (node) => {
    if (node.kind === 'commonTable') withNames.add(node.name.name.toLowerCase());
    return true;
  });
  const select = tree.body.kind === 'select' ? tree.body : null;
  const topLevelRefs = new Set(select ? fromTables(select.from).tables : []);
  const refs: ResolvedRef[] = [];
  walk(tree, (node) => {
    if (node.kind !== 'table') return true;
    const parts = node.name;
    const name = parts[parts.length - 1];
    if (parts.length === 1 && withNames.has(name.name.toLowerCase())) return false;
    if (parts.length > 1) {
      const schemaName = parts[parts.length - 2].name;
      if (schemaName.toLowerCase() === UPLOAD_SCHEMA.toLowerCase()) {
        const upload = uploads.find((u) => u.name.toLowerCase() === name.name.toLowerCase());
        if (!upload) {
          throw semantic(
            `unknown table ${parts.map((p) => p.name).join('.')}: ${uploads.length === 0 ? 'the query has no uploads' : `the uploads are ${uploads.map((u) => u.name).join(', ')}`}`,
            node,
            { table: name.name },
          );
        }
        refs.push({
          ref: node,
          table: upload.table,
          alias: aliasOf(node),
          topLevel: topLevelRefs.has(node),
          upload,
        });
        return false;
      }
      if (schemaName.toLowerCase() !== schema.name.toLowerCase()) {
        throw semantic(`unknown schema ${schemaName} (this catalog is ${schema.name})`, node, {
          schema: schemaName,
        });
      }
    }
    const table = findTable(schema, name.name);
    if (!table) {
      throw semantic(`unknown table ${parts.map((p) => p.name).join('.')}`, node, { table: name.name });
    }
    refs.push({ ref: node, table, alias: aliasOf(node), topLevel: topLevelRefs.has(node) });
    return false;
  });
  // Columns of a WITH table are not in the schema: the engine checks those.
  const namesWithTable = [...topLevelRefs].some(
    (r) => r.name.length === 1 && withNames.has(r.name[0].name.toLowerCase()),
  );
  if (select && !namesWithTable)
    checkColumns(
      tree,
      select,
      refs.filter((r) => r.topLevel),
    );
  return { refs, select };
}

/** Columns of the outermost SELECT, outside subqueries; skipped when a derived table or USING hides the names. */
function checkColumns(tree: Query, select: SelectCore, refs: readonly ResolvedRef[]): void {
  if (fromTables(select.from).opaque) return;
  const outputAliases = new Set(
    select.items.flatMap((i) => (i.kind === 'selectColumn' && i.alias ? [i.alias.name.toLowerCase()] : [])),
  );
  const check = (ref: ColumnRef, allowAlias: boolean) => {
    const name = ref.name.name;
    if (ref.qualifier.length > 0) {
      const qualifier = ref.qualifier[ref.qualifier.length - 1].name.toLowerCase();
      const owner = refs.find((r) => r.alias === qualifier);
      if (!owner)
        throw semantic(`unknown table or alias ${qualifier} in ${qualifier}.${name}`, ref, {
          table: qualifier,
        });
      if (!findColumn(owner.table, name)) {
        throw semantic(`unknown column ${name} in table ${owner.table.name}`, ref, {
          column: name,
          table: owner.table.name,
        });
      }
      return;
    }
    if (refs.some((r) => findColumn(r.table, name))) return;
    if (allowAlias && outputAliases.has(name.toLowerCase())) return;
    throw semantic(`unknown column ${name}`, ref, { column: name });
  };
  const visitExpression = (expression: Expression | null, allowAlias: boolean) => {
    if (!expression) return;
    walk(expression, (node) => {
      if (node.kind === 'query') return false;
      if (node.kind === 'column') check(node, allowAlias);
      return true;
    });
  };
  for (const item of select.items) if (item.kind === 'selectColumn') visitExpression(item.expression, false);
  visitExpression(select.where, false);
  for (const g of select.groupBy) visitExpression(g, true);
  visitExpression(select.having, true);
  for (const o of tree.orderBy) visitExpression(o.expression, true);
  const joins = (item: FromItem) => {
    if (item.kind !== 'join') return;
    visitExpression(item.on, false);
    joins(item.left);
    joins(item.right);
  };
  for (const item of select.from) joins(item);
}

/** The top-level reference a column belongs to: by qualifier, or the only top-level table that has the column. */
export function ownerOf(columnRef: ColumnRef, refs: readonly ResolvedRef[]): ResolvedRef | null {
  const top = refs.filter((r) => r.topLevel);
  if (columnRef.qualifier.length > 0) {
    const qualifier = columnRef.qualifier[columnRef.qualifier.length - 1].name.toLowerCase();
    return top.find((r) => r.alias === qualifier) ?? null;
  }
  const owners = top.filter((r) => findColumn(r.table, columnRef.name.name));
  return owners.length === 1 ? owners[0] : null;
}

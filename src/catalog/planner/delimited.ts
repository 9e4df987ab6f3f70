/**
 * Delimited-identifier pass (after `resolve.ts`): a delimited column name (`"objectId"`, as TOPCAT writes mixed-case
 * names) names the column as the schema (and so TAP_SCHEMA) spells it, on every engine. Each delimited column name
 * that matches a column of a resolved table, exactly or else ignoring case, becomes a regular identifier in the
 * schema's spelling, so each dialect writes the column's actual name (PostgreSQL stores it in lower case, where
 * `"objectId"` would name no column). A delimited qualifier that matches a table's alias ignoring case becomes regular
 * too, as the alias itself is. Other delimited names (output aliases, WITH columns) are left to the engine.
 *
 * The rewrite shares every unchanged node with the input, so table references keep their identity (the planner keys
 * its maps on them).
 */

import { type AdqlNode, type ColumnRef, deepFreeze, type Identifier, type Query } from '../adql/index.js';
import type { CatalogTable } from '../schema.js';
import { identifier } from './nodes.js';
import type { ResolvedRef } from './resolve.js';

/** The schema spelling of a delimited name among `tables`' columns: exact match first, then ignoring case. */
function schemaSpelling(name: string, tables: readonly CatalogTable[]): string | null {
  for (const table of tables) if (table.columns.some((c) => c.name === name)) return name;
  const lower = name.toLowerCase();
  for (const table of tables) {
    const found = table.columns.find((c) => c.name.toLowerCase() === lower);
    if (found) return found.name;
  }
  return null;
}

function rewriteColumn(node: ColumnRef, refs: readonly ResolvedRef[]): ColumnRef {
  const qualifier = node.qualifier.at(-1);
  const owners = qualifier ? refs.filter((r) => r.alias === qualifier.name.toLowerCase()) : refs;
  const tables = owners.map((r) => r.table);
  const name = node.name.delimited ? schemaSpelling(node.name.name, tables) : null;
  const regularQualifier = qualifier?.delimited && owners.length > 0;
  if (name === null && !regularQualifier) return node;
  const qualifiers: Identifier[] = regularQualifier
    ? [...node.qualifier.slice(0, -1), identifier((qualifier as Identifier).name)]
    : [...node.qualifier];
  return deepFreeze({ ...node, qualifier: qualifiers, name: name === null ? node.name : identifier(name) });
}

/** Rebuilds plain frozen data bottom-up, returning the very same object wherever nothing below it changed. */
function mapNodes(value: unknown, replace: (node: ColumnRef) => ColumnRef): unknown {
  if (Array.isArray(value)) {
    const mapped = value.map((v) => mapNodes(v, replace));
    return mapped.every((v, i) => v === value[i]) ? value : Object.freeze(mapped);
  }
  if (value === null || typeof value !== 'object') return value;
  const node = value as Partial<AdqlNode>;
  if (node.kind === 'column') return replace(node as ColumnRef);
  let changed = false;
  const entries = Object.entries(value).map(([key, v]) => {
    const mapped = key === 'pos' ? v : mapNodes(v, replace);
    if (mapped !== v) changed = true;
    return [key, mapped] as const;
  });
  return changed ? Object.freeze(Object.fromEntries(entries)) : value;
}

export function resolveDelimitedColumns(tree: Query, refs: readonly ResolvedRef[]): Query {
  return mapNodes(tree, (node) => rewriteColumn(node, refs)) as Query;
}

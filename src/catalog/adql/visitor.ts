/**
 * Visiting the ADQL tree by `kind`. `AdqlVisitor<R>` is a mapped type with one handler per node kind, so adding a
 * node kind to `ast.ts` makes every visitor that lacks a handler fail to compile. `childrenOf` and `walk` give generic
 * traversal; `childrenOf` ends in an exhaustive switch for the same reason.
 */

import type { AdqlNode, AdqlNodeKind } from './ast.js';

export type NodeOfKind<K extends AdqlNodeKind> = Extract<AdqlNode, { kind: K }>;

export type AdqlVisitor<R> = { readonly [K in AdqlNodeKind]: (node: NodeOfKind<K>) => R };

export function visit<R>(node: AdqlNode, visitor: AdqlVisitor<R>): R {
  const handler = visitor[node.kind] as (node: AdqlNode) => R;
  return handler(node);
}

function present<T>(value: T | null): T[] {
  return value === null ? [] : [value];
}

/** The direct child nodes of a node, in source order. */
export function childrenOf(node: AdqlNode): readonly AdqlNode[] {
  switch (node.kind) {
    case 'query':
      return [...node.with, node.body, ...node.orderBy];
    case 'commonTable':
      return [node.name, ...(node.columns ?? []), node.query];
    case 'select':
      return [...node.items, ...node.from, ...present(node.where), ...node.groupBy, ...present(node.having)];
    case 'setOperation':
      return [node.left, node.right];
    case 'allColumns':
      return node.qualifier ?? [];
    case 'selectColumn':
      return [node.expression, ...present(node.alias)];
    case 'orderItem':
      return [node.expression];
    case 'table':
      return [...node.name, ...present(node.alias)];
    case 'derivedTable':
      return [node.query, node.alias];
    case 'join':
      return [node.left, node.right, ...present(node.on), ...(node.using ?? [])];
    case 'identifier':
    case 'number':
    case 'string':
    case 'null':
      return [];
    case 'when':
      return [node.when, node.then];
    case 'column':
      return [...node.qualifier, node.name];
    case 'unary':
    case 'not':
      return [node.operand];
    case 'binary':
    case 'comparison':
    case 'logical':
      return [node.left, node.right];
    case 'function':
    case 'udf':
      return node.args;
    case 'geometry':
      return [...present(node.coordSys), ...node.args];
    case 'aggregate':
      return present(node.arg);
    case 'cast':
      return [node.operand];
    case 'case':
      return [...present(node.operand), ...node.whens, ...present(node.else)];
    case 'scalarSubquery':
    case 'exists':
      return [node.query];
    case 'between':
      return [node.operand, node.low, node.high];
    case 'like':
      return [node.operand, node.pattern];
    case 'isNull':
      return [node.operand];
    case 'inList':
      return [node.operand, ...node.values];
    case 'inSubquery':
      return [node.operand, node.query];
    default: {
      const unhandled: never = node;
      throw new Error(`unhandled ADQL node ${JSON.stringify(unhandled)}`);
    }
  }
}

/** Calls `visitNode` on every node, parents before children; returning false skips the node's children. */
export function walk(node: AdqlNode, visitNode: (node: AdqlNode) => boolean | undefined): void {
  if (visitNode(node) === false) return;
  for (const child of childrenOf(node)) walk(child, visitNode);
}

/** Every table reference in a query, including those in subqueries and common tables (for the catalog planner). */
export function tableReferences(node: AdqlNode): NodeOfKind<'table'>[] {
  const tables: NodeOfKind<'table'>[] = [];
  walk(node, (n) => {
    if (n.kind === 'table') tables.push(n);
    return true;
  });
  return tables;
}

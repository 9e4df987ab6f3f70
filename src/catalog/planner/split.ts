/**
 * Aggregate-splitting pass (qserv_tap.md §1.5): turns one SELECT into a worker query, run once per fragment, and a
 * merge query over the union of the fragments' rows (a DuckDB table `fragments` with columns c0, c1, …).
 *
 * - COUNT → SUM of counts, SUM → SUM, MIN/MAX → MIN/MAX, AVG(x) → SUM(sum x) / SUM(count x).
 * - DISTINCT aggregates: their arguments become extra worker group keys; the merge applies the DISTINCT aggregate.
 * - GROUP BY is kept on both sides; HAVING, ORDER BY, TOP and OFFSET apply in the merge.
 * - Without aggregates: DISTINCT on both sides; with TOP, each worker sorts and keeps the first TOP + OFFSET rows.
 * Used only when a query has more than one fragment.
 */

import {
  type Aggregate,
  deepFreeze,
  type Expression,
  type OrderItem,
  printAdql,
  type Query,
  type SelectColumn,
  type SelectCore,
  walk,
} from '../adql/index.js';
import { column, identifier, numberLiteral, structuralKey, syntheticPos } from './nodes.js';

export const MERGE_TABLE = 'fragments';

export interface SplitQuery {
  readonly kind: 'splitQuery';
  readonly worker: Query;
  /** Runs over table `fragments` whose columns are c0…c(n-1), the worker's output columns in order. */
  readonly merge: Query;
}

export interface Unsplittable {
  readonly kind: 'unsplittable';
  readonly reason: string;
}

const cName = (i: number) => `c${i}`;
const cRef = (i: number) => column(null, cName(i));

function selectColumn(expression: Expression, alias: string, delimited: boolean): SelectColumn {
  return deepFreeze({
    kind: 'selectColumn',
    pos: syntheticPos,
    expression,
    alias: identifier(alias, delimited),
  });
}

function aggregate(name: Aggregate['name'], arg: Expression | null, distinct = false): Aggregate {
  return deepFreeze({
    kind: 'aggregate',
    pos: syntheticPos,
    name,
    quantifier: distinct ? 'DISTINCT' : null,
    arg,
  });
}

function cast(operand: Expression, name: string): Expression {
  return deepFreeze({ kind: 'cast', pos: syntheticPos, operand, type: { name, length: null } });
}

function call(name: string, args: Expression[]): Expression {
  return deepFreeze({ kind: 'function', pos: syntheticPos, name, args });
}

/** Output names: the alias, the column name, or the canonical ADQL text of the expression. */
export function outputName(item: SelectColumn): string {
  if (item.alias) return item.alias.name;
  if (item.expression.kind === 'column') return item.expression.name.name;
  return printAdql(item.expression);
}

function containsSubquery(expression: Expression | null): boolean {
  let found = false;
  if (expression) {
    walk(expression, (n) => {
      if (n.kind === 'query') found = true;
      return !found;
    });
  }
  return found;
}

function aggregatesIn(expression: Expression | null, into: Aggregate[]): void {
  if (!expression) return;
  walk(expression, (n) => {
    if (n.kind === 'aggregate') {
      into.push(n);
      return false;
    }
    return n.kind !== 'query';
  });
}

/** Rebuilds an expression bottom-up, letting `replace` substitute any node first. */
function mapExpression(expression: Expression, replace: (e: Expression) => Expression | null): Expression {
  const replaced = replace(expression);
  if (replaced) return replaced;
  const m = (e: Expression) => mapExpression(e, replace);
  const e = expression;
  switch (e.kind) {
    case 'unary':
    case 'not':
    case 'cast':
    case 'isNull':
      return deepFreeze({ ...e, operand: m(e.operand) } as Expression);
    case 'binary':
    case 'comparison':
    case 'logical':
      return deepFreeze({ ...e, left: m(e.left), right: m(e.right) } as Expression);
    case 'function':
    case 'udf':
    case 'geometry':
      return deepFreeze({ ...e, args: e.args.map(m) } as Expression);
    case 'between':
      return deepFreeze({ ...e, operand: m(e.operand), low: m(e.low), high: m(e.high) });
    case 'like':
      return deepFreeze({ ...e, operand: m(e.operand), pattern: m(e.pattern) });
    case 'inList':
      return deepFreeze({ ...e, operand: m(e.operand), values: e.values.map(m) });
    case 'case':
      return deepFreeze({
        ...e,
        operand: e.operand ? m(e.operand) : null,
        // biome-ignore lint/suspicious/noThenProperty: `then` is the ADQL CASE node's field, not a thenable.
        whens: e.whens.map((w) => ({ ...w, when: m(w.when), then: m(w.then) })),
        else: e.else ? m(e.else) : null,
      });
    default:
      return e;
  }
}

export function splitQuery(query: Query): SplitQuery | Unsplittable {
  const select = query.body;
  if (select.kind !== 'select') return { kind: 'unsplittable', reason: 'set operations and nested queries' };
  if (query.with.length > 0) return { kind: 'unsplittable', reason: 'WITH clauses' };
  if (select.items.some((i) => i.kind === 'allColumns')) {
    return { kind: 'unsplittable', reason: 'SELECT * over a join that hides column names' };
  }
  const items = select.items as readonly SelectColumn[];
  const expressions = [
    ...items.map((i) => i.expression),
    select.where,
    select.having,
    ...select.groupBy,
    ...query.orderBy.map((o) => o.expression),
  ];
  if (expressions.some(containsSubquery)) {
    return { kind: 'unsplittable', reason: 'subqueries over partitioned tables' };
  }
  const names = items.map(outputName);
  const aggregates: Aggregate[] = [];
  for (const item of items) aggregatesIn(item.expression, aggregates);
  aggregatesIn(select.having, aggregates);
  for (const o of query.orderBy) aggregatesIn(o.expression, aggregates);
  const aggregating = aggregates.length > 0 || select.groupBy.length > 0;
  return aggregating
    ? splitAggregating(query, select, items, names, aggregates)
    : splitPlain(query, select, items, names);
}

/** An ORDER BY item's target: an output ordinal, an output alias, or an expression. */
function orderTarget(order: OrderItem, names: readonly string[]): number | Expression {
  const e = order.expression;
  if (e.kind === 'number' && e.form === 'integer') return Number(e.text) - 1;
  if (e.kind === 'column' && e.qualifier.length === 0) {
    const index = names.findIndex((n) => n.toLowerCase() === e.name.name.toLowerCase());
    if (index >= 0) return index;
  }
  return e;
}

function buildQuery(select: SelectCore, orderBy: readonly OrderItem[], offset: number | null): Query {
  return deepFreeze({ kind: 'query', pos: syntheticPos, with: [], body: select, orderBy, offset });
}

function mergeSelect(
  items: SelectColumn[],
  base: { quantifier: SelectCore['quantifier']; top: number | null },
  groupBy: Expression[],
  having: Expression | null,
): SelectCore {
  return deepFreeze({
    kind: 'select',
    pos: syntheticPos,
    quantifier: base.quantifier,
    top: base.top,
    items,
    from: [{ kind: 'table', pos: syntheticPos, name: [identifier(MERGE_TABLE)], alias: null }],
    where: null,
    groupBy,
    having,
  });
}

function splitPlain(
  query: Query,
  select: SelectCore,
  items: readonly SelectColumn[],
  names: readonly string[],
): SplitQuery {
  const workerItems = items.map((item, i) => selectColumn(item.expression, cName(i), false));
  const mergeOrder: OrderItem[] = [];
  const workerOrder: OrderItem[] = [];
  for (const order of query.orderBy) {
    const target = orderTarget(order, names);
    let index: number;
    if (typeof target === 'number') index = target;
    else {
      index = workerItems.length;
      workerItems.push(selectColumn(target, cName(index), false));
    }
    mergeOrder.push({ ...order, expression: cRef(index) });
    workerOrder.push({ ...order, expression: cRef(index) });
  }
  const keep = select.top === null ? null : select.top + (query.offset ?? 0);
  const worker = buildQuery(
    { ...select, top: keep, items: workerItems },
    keep === null ? [] : workerOrder,
    null,
  );
  const mergeItems = names.map((name, i) => selectColumn(cRef(i), name, true));
  const merge = buildQuery(
    mergeSelect(mergeItems, { quantifier: select.quantifier, top: select.top }, [], null),
    mergeOrder,
    query.offset,
  );
  return { kind: 'splitQuery', worker, merge };
}

function splitAggregating(
  query: Query,
  select: SelectCore,
  items: readonly SelectColumn[],
  names: readonly string[],
  aggregates: readonly Aggregate[],
): SplitQuery | Unsplittable {
  // GROUP BY may name an output alias or ordinal; the worker needs the expression itself.
  const keys = select.groupBy.map((g) => {
    const target = orderTarget({ kind: 'orderItem', pos: g.pos, expression: g, descending: false }, names);
    return typeof target === 'number' ? items[target].expression : target;
  });
  const workerItems: SelectColumn[] = [];
  const keyColumn = new Map<string, number>();
  const addWorkerColumn = (expression: Expression): number => {
    workerItems.push(selectColumn(expression, cName(workerItems.length), false));
    return workerItems.length - 1;
  };
  for (const key of keys) {
    const k = structuralKey(key);
    if (!keyColumn.has(k)) keyColumn.set(k, addWorkerColumn(key));
  }
  const workerGroupBy = [...keys];
  const distinctColumn = new Map<string, number>();
  const partials = new Map<string, Expression>();
  for (const agg of aggregates) {
    const k = structuralKey(agg);
    if (partials.has(k)) continue;
    const arg = agg.arg;
    if (agg.quantifier === 'DISTINCT' && arg) {
      const ak = structuralKey(arg);
      let index = distinctColumn.get(ak) ?? keyColumn.get(ak);
      if (index === undefined) {
        index = addWorkerColumn(arg);
        distinctColumn.set(ak, index);
        workerGroupBy.push(arg);
      }
      partials.set(k, aggregate(agg.name, cRef(index), agg.name !== 'MIN' && agg.name !== 'MAX'));
      continue;
    }
    switch (agg.name) {
      case 'COUNT': {
        const i = addWorkerColumn(aggregate('COUNT', arg));
        partials.set(k, call('COALESCE', [cast(aggregate('SUM', cRef(i)), 'BIGINT'), numberLiteral(0)]));
        break;
      }
      case 'SUM':
      case 'MIN':
      case 'MAX': {
        const i = addWorkerColumn(aggregate(agg.name, arg));
        partials.set(k, aggregate(agg.name, cRef(i)));
        break;
      }
      case 'AVG': {
        const sum = addWorkerColumn(aggregate('SUM', arg));
        const count = addWorkerColumn(aggregate('COUNT', arg));
        partials.set(
          k,
          deepFreeze({
            kind: 'binary',
            pos: syntheticPos,
            operator: '/',
            left: cast(aggregate('SUM', cRef(sum)), 'DOUBLE PRECISION'),
            right: call('NULLIF', [aggregate('SUM', cRef(count)), numberLiteral(0)]),
          }),
        );
        break;
      }
    }
  }
  let ungrouped: string | null = null;
  const toMerge = (expression: Expression): Expression =>
    mapExpression(expression, (e) => {
      const k = structuralKey(e);
      const key = keyColumn.get(k);
      if (key !== undefined) return cRef(key);
      if (e.kind === 'aggregate') return partials.get(k) ?? null;
      if (e.kind === 'column') {
        ungrouped ??= e.name.name;
        return e;
      }
      return null;
    });
  const mergeItems = items.map((item, i) => selectColumn(toMerge(item.expression), names[i], true));
  const mergeOrder = query.orderBy.map((order) => {
    const target = orderTarget(order, names);
    const expression = typeof target === 'number' ? mergeItems[target].expression : toMerge(target);
    return { ...order, expression };
  });
  const having = select.having ? toMerge(select.having) : null;
  if (ungrouped !== null) {
    return { kind: 'unsplittable', reason: `column ${ungrouped} is neither grouped nor aggregated` };
  }
  const worker = buildQuery(
    { ...select, quantifier: null, top: null, items: workerItems, groupBy: workerGroupBy, having: null },
    [],
    null,
  );
  const mergeGroupBy = [...new Set(keyColumn.values())].map(cRef);
  const merge = buildQuery(
    mergeSelect(mergeItems, { quantifier: select.quantifier, top: select.top }, mergeGroupBy, having),
    mergeOrder,
    query.offset,
  );
  return { kind: 'splitQuery', worker, merge };
}

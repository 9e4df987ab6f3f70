/**
 * Queries that need every chunk in one place — set operations, WITH tables, subqueries over partitioned tables —
 * on a catalog whose chunks are spread over several workers. Qserv refuses them; here the czar composes them from
 * parts that do run on the workers (docs/catalog.md "Composed queries"):
 * - an uncorrelated subquery in an expression (`IN (SELECT …)`, a scalar subquery, `EXISTS`) runs first, as its own
 *   distributed query, and its values replace it as literals, so the outer query still runs chunk by chunk;
 * - a WITH table, a derived table in FROM and each branch of UNION/INTERSECT/EXCEPT runs as its own distributed
 *   query into a table of the czar's DuckDB, and the outer query runs there over those tables (regular tables it
 *   names are copied whole; partitioned ones cannot meet a materialized part and are refused by name).
 * Parts are composed recursively, so nesting works; each part is bounded by `MAX_PART_ROWS`.
 */

import type { DuckDBConnection } from '@duckdb/node-api';
import { meridianError } from '../errors.js';
import {
  deepFreeze,
  duckdbDialect,
  type Expression,
  type FromItem,
  type Query,
  type QueryBody,
  type SelectCore,
  type TableRef,
  toSql,
  walk,
} from './adql/index.js';
import type { CellValue, ResultColumn, RowStream } from './engine.js';
import { engineError } from './engines/classify.js';
import { streamDuckdb } from './engines/duckdb/engine.js';
import { appendCell, mergeTypes } from './execute.js';
import { identifier, syntheticPos } from './planner/nodes.js';
import type { QueryPlan } from './planner/plan.js';
import { type CatalogSchema, findTable } from './schema.js';

/** Rows one materialized part may have: it is held by the czar's in-memory DuckDB. */
export const MAX_PART_ROWS = 5_000_000;
/** Values an `IN (SELECT …)` may turn into. */
export const MAX_IN_VALUES = 100_000;

export interface ComposeContext {
  readonly schema: CatalogSchema;
  readonly plan: (tree: Query) => Promise<QueryPlan>;
  /** Runs a plan that needs no composition on the workers. */
  readonly run: (plan: QueryPlan, signal: AbortSignal) => Promise<RowStream>;
  /**
   * Opens a connection to the czar's in-memory DuckDB: one creates and fills the parts, and each czar-side result
   * gets its own, since DDL or appends on a connection end its open result stream.
   */
  readonly connect: () => Promise<DuckDBConnection>;
  readonly signal: AbortSignal;
}

type Node = { readonly kind: string };

/** A composed part: SQL for the czar's DuckDB over earlier parts, or rows streaming from the workers. */
type Part =
  | { readonly kind: 'czar'; readonly sql: string; readonly params: readonly unknown[] }
  | { readonly kind: 'stream'; readonly stream: RowStream };

/** Rebuilds a frozen tree with some nodes replaced (by identity); untouched subtrees are shared. */
function replaceNodes<T>(node: T, replacements: ReadonlyMap<object, unknown>): T {
  if (node === null || typeof node !== 'object') return node;
  if (replacements.has(node)) return replacements.get(node) as T;
  if (Array.isArray(node)) {
    const mapped = node.map((child) => replaceNodes(child, replacements));
    return (mapped.every((child, i) => child === node[i]) ? node : mapped) as T;
  }
  let changed = false;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    copy[key] = replaceNodes(value, replacements);
    if (copy[key] !== value) changed = true;
  }
  return (changed ? deepFreeze(copy) : node) as T;
}

function asQuery(body: QueryBody): Query {
  return body.kind === 'query'
    ? body
    : deepFreeze({ kind: 'query', pos: body.pos, with: [], body, orderBy: [], offset: null });
}

function tableRef(name: string, alias: string | null): TableRef {
  return deepFreeze({
    kind: 'table',
    pos: syntheticPos,
    name: [identifier(name)],
    alias: alias === null ? null : identifier(alias),
  });
}

function selectAllFrom(table: string): SelectCore {
  return deepFreeze({
    kind: 'select',
    pos: syntheticPos,
    quantifier: null,
    top: null,
    items: [{ kind: 'allColumns', pos: syntheticPos, qualifier: null }],
    from: [tableRef(table, null)],
    where: null,
    groupBy: [],
    having: null,
  });
}

const always = (truth: boolean): Expression =>
  deepFreeze({
    kind: 'comparison',
    pos: syntheticPos,
    operator: truth ? '=' : '<>',
    left: { kind: 'number', pos: syntheticPos, text: '1', form: 'integer' },
    right: { kind: 'number', pos: syntheticPos, text: '1', form: 'integer' },
  });

/** A result cell as an ADQL literal (exact for 64-bit integers). */
function literal(value: CellValue): Expression {
  if (value === null) return deepFreeze({ kind: 'null', pos: syntheticPos });
  if (typeof value === 'string') return deepFreeze({ kind: 'string', pos: syntheticPos, value });
  if (typeof value === 'boolean') return literal(value ? 1 : 0);
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw meridianError(
      'ADQL_UNSUPPORTED',
      `a subquery returned ${value}, which cannot be passed on as a literal`,
    );
  }
  const negative = typeof value === 'bigint' ? value < 0n : value < 0 || Object.is(value, -0);
  const magnitude = typeof value === 'bigint' ? (negative ? -value : value) : Math.abs(value);
  const text = String(magnitude);
  const form = /^\d+$/.test(text) ? 'integer' : /e/i.test(text) ? 'real' : 'decimal';
  const number: Expression = deepFreeze({ kind: 'number', pos: syntheticPos, text, form });
  return negative ? deepFreeze({ kind: 'unary', pos: syntheticPos, operator: '-', operand: number }) : number;
}

/** Names a query's tables and derived tables define for its own columns to qualify. */
function ownNames(query: Query): Set<string> {
  const names = new Set<string>();
  walk(query, (node) => {
    if (node.kind === 'table') {
      names.add((node.alias ?? node.name[node.name.length - 1]).name.toLowerCase());
    } else if (node.kind === 'derivedTable') names.add(node.alias.name.toLowerCase());
    else if (node.kind === 'commonTable') names.add(node.name.name.toLowerCase());
    return true;
  });
  return names;
}

/** A column qualified by a name the subquery does not define: it refers to the outer query. */
function correlatedColumn(query: Query): string | null {
  const own = ownNames(query);
  let found: string | null = null;
  walk(query, (node) => {
    if (found === null && node.kind === 'column' && node.qualifier.length > 0) {
      const qualifier = node.qualifier[node.qualifier.length - 1].name.toLowerCase();
      if (!own.has(qualifier)) found = `${qualifier}.${node.name.name}`;
    }
    return found === null;
  });
  return found;
}

/** The outermost expression subqueries of a SELECT (not those inside its derived tables). */
function expressionSubqueries(select: SelectCore): Node[] {
  const found: Node[] = [];
  walk(select, (node) => {
    if (node.kind === 'inSubquery' || node.kind === 'scalarSubquery' || node.kind === 'exists') {
      found.push(node);
      return false;
    }
    return node.kind !== 'derivedTable';
  });
  return found;
}

function derivedTables(items: readonly FromItem[]): FromItem[] {
  return items.flatMap((item) => {
    if (item.kind === 'derivedTable') return [item];
    if (item.kind === 'join') return derivedTables([item.left, item.right]);
    return [];
  });
}

function tableRefs(items: readonly FromItem[]): TableRef[] {
  return items.flatMap((item) => {
    if (item.kind === 'table') return [item];
    if (item.kind === 'join') return tableRefs([item.left, item.right]);
    return [];
  });
}

/** Lower-case WITH names visible to a part → the czar table holding their rows. */
type Scope = ReadonlyMap<string, string>;

export class QueryComposer {
  private counter = 0;
  private readonly tables: string[] = [];
  /** The connection that creates and fills the parts; open while `run` and its result last. */
  private connection: DuckDBConnection | null = null;

  constructor(private readonly ctx: ComposeContext) {}

  /** Composes and runs the query; the czar tables it made are dropped when the result has been read. */
  async run(tree: Query): Promise<RowStream> {
    this.connection = await this.ctx.connect();
    try {
      const stream = await this.open(await this.compose(tree, new Map()));
      const finish = () => this.finish();
      async function* rows(): AsyncGenerator<readonly CellValue[][]> {
        try {
          yield* stream.rows;
        } finally {
          await finish();
        }
      }
      return { columns: stream.columns, rows: rows() };
    } catch (err) {
      await this.finish();
      throw err;
    }
  }

  /** Drops the parts and closes their connection. */
  private async finish(): Promise<void> {
    const connection = this.partsConnection();
    try {
      for (const table of this.tables.splice(0)) {
        await connection.run(`DROP TABLE IF EXISTS ${duckdbDialect.quoteIdentifier(table)}`);
      }
    } finally {
      connection.closeSync();
      this.connection = null;
    }
  }

  private partsConnection(): DuckDBConnection {
    if (!this.connection)
      throw meridianError('INTERNAL', 'a composed query used its connection after it ended');
    return this.connection;
  }

  /** A part's rows; czar-side SQL runs on a connection of its own, closed when the rows have been read. */
  private async open(part: Part): Promise<RowStream> {
    if (part.kind === 'stream') return part.stream;
    const connection = await this.ctx.connect();
    try {
      return await streamDuckdb(connection, part.sql, part.params, this.ctx.signal, true);
    } catch (err) {
      // streamDuckdb has classified an engine failure already; anything else is classified here.
      throw engineError(err, { what: 'the composed query' });
    }
  }

  private async compose(query: Query, outer: Scope): Promise<Part> {
    const scope = new Map(outer);
    for (const cte of query.with) {
      const names = cte.columns?.map((c) => c.name) ?? null;
      scope.set(cte.name.name.toLowerCase(), await this.materialize(cte.query, scope, names));
    }
    const rest: Query = deepFreeze({ ...query, with: [] });
    if (rest.body.kind !== 'select') return this.composeSetOperation(rest, scope);
    let select = await this.substituteSubqueries(rest.body, scope);
    const derived = new Map<object, unknown>();
    for (const item of derivedTables(select.from)) {
      if (item.kind !== 'derivedTable') continue;
      const table = await this.materialize(item.query, scope, null);
      derived.set(item, tableRef(table, item.alias.name));
    }
    select = replaceNodes(select, derived);
    const tree: Query = deepFreeze({ ...rest, body: select });
    const parts = new Set([
      ...scope.values(),
      ...[...derived.values()].map((t) => (t as TableRef).name[0].name),
    ]);
    const refs = tableRefs(select.from);
    const named = (ref: TableRef) => ref.name[ref.name.length - 1].name.toLowerCase();
    const local = refs.some((ref) => scope.has(named(ref)) || parts.has(ref.name[0].name));
    if (!local) {
      const plan = await this.ctx.plan(tree);
      if (plan.needsAllChunks !== null) {
        throw meridianError(
          'ADQL_UNSUPPORTED',
          `${plan.needsAllChunks} need every chunk on one worker; this catalog spreads chunks over several workers`,
          { reason: plan.needsAllChunks },
        );
      }
      return { kind: 'stream', stream: await this.ctx.run(plan, this.ctx.signal) };
    }
    // The outer query runs at the czar: copy the regular tables it names, refuse partitioned ones.
    const mapping = new Map<TableRef, string>();
    for (const ref of refs) {
      const name = named(ref);
      if (scope.has(name)) mapping.set(ref, scope.get(name) as string);
      else if (parts.has(ref.name[0].name)) mapping.set(ref, ref.name[0].name);
      else {
        const table = findTable(this.ctx.schema, ref.name[ref.name.length - 1].name);
        if (table && table.partitioning.role !== 'regular') {
          throw meridianError(
            'ADQL_UNSUPPORTED',
            `${table.name} is partitioned and cannot be joined with the result of a subquery, WITH table or set operation on a catalog spread over several workers; restrict ${table.name} in a subquery of its own, or run the query on an embedded catalog`,
            { table: table.name },
          );
        }
        const copy = await this.materialize(
          asQuery(selectAllFrom(ref.name[ref.name.length - 1].name)),
          scope,
          null,
        );
        mapping.set(ref, copy);
      }
    }
    return this.atCzar(tree, mapping);
  }

  private async composeSetOperation(query: Query, scope: Scope): Promise<Part> {
    const replacements = new Map<object, unknown>();
    const leaves = async (body: QueryBody): Promise<void> => {
      if (body.kind === 'setOperation') {
        await leaves(body.left);
        await leaves(body.right);
        return;
      }
      replacements.set(body, selectAllFrom(await this.materialize(asQuery(body), scope, null)));
    };
    await leaves(query.body);
    return this.atCzar(replaceNodes(query, replacements), new Map());
  }

  /** Replaces uncorrelated expression subqueries by their values, each computed as a distributed query. */
  private async substituteSubqueries(select: SelectCore, scope: Scope): Promise<SelectCore> {
    const replacements = new Map<object, unknown>();
    for (const node of expressionSubqueries(select)) {
      if (node.kind !== 'inSubquery' && node.kind !== 'scalarSubquery' && node.kind !== 'exists') continue;
      const sub = node as Extract<Expression, { kind: 'inSubquery' | 'scalarSubquery' | 'exists' }>;
      const correlated = correlatedColumn(sub.query);
      if (correlated) {
        throw meridianError(
          'ADQL_UNSUPPORTED',
          `the subquery at line ${sub.pos.line}, column ${sub.pos.column} refers to the outer query (${correlated}); correlated subqueries over partitioned tables need every chunk on one worker`,
          { line: sub.pos.line, column: sub.pos.column },
        );
      }
      // EXISTS needs one row and a scalar subquery two (to tell that it has too many); IN needs them all.
      const { columns, rows } =
        sub.kind === 'inSubquery'
          ? await this.collect(sub.query, scope, MAX_IN_VALUES, 'fail')
          : await this.collect(sub.query, scope, sub.kind === 'exists' ? 1 : 2, 'stop');
      if (sub.kind === 'exists') {
        replacements.set(sub, always(rows.length > 0));
        continue;
      }
      if (columns.length !== 1) {
        throw meridianError(
          'ADQL_SEMANTIC',
          `the subquery at line ${sub.pos.line}, column ${sub.pos.column} must return one column, not ${columns.length}`,
          { line: sub.pos.line, column: sub.pos.column },
        );
      }
      if (sub.kind === 'scalarSubquery') {
        if (rows.length > 1) {
          throw meridianError(
            'ADQL_SEMANTIC',
            `the scalar subquery at line ${sub.pos.line}, column ${sub.pos.column} returned more than one row`,
            { line: sub.pos.line, column: sub.pos.column },
          );
        }
        replacements.set(sub, literal(rows.length === 0 ? null : rows[0][0]));
        continue;
      }
      const values = rows.map((r) => literal(r[0]));
      replacements.set(
        sub,
        values.length === 0
          ? always(sub.negated)
          : deepFreeze({
              kind: 'inList',
              pos: sub.pos,
              negated: sub.negated,
              operand: sub.operand,
              values,
            }),
      );
    }
    return replaceNodes(select, replacements);
  }

  /** The rows of a part: at most `limit`, after which it stops reading or fails. */
  private async collect(
    query: Query,
    scope: Scope,
    limit: number,
    past: 'stop' | 'fail',
  ): Promise<{ columns: readonly ResultColumn[]; rows: CellValue[][] }> {
    const stream = await this.open(await this.compose(query, scope));
    const rows: CellValue[][] = [];
    for await (const batch of stream.rows) {
      for (const row of batch) {
        if (rows.length >= limit) {
          if (past === 'stop') return { columns: stream.columns, rows };
          throw meridianError(
            'QUERY_LIMIT',
            `a subquery at line ${query.pos.line} returned more than ${limit} rows, the most it may pass to the outer query across workers`,
            { limit },
          );
        }
        rows.push(row);
      }
    }
    return { columns: stream.columns, rows };
  }

  /** Runs a part and keeps its rows in a czar table; returns the table's name. */
  private async materialize(query: Query, scope: Scope, names: readonly string[] | null): Promise<string> {
    const part = await this.compose(query, scope);
    const table = `_part_${++this.counter}`;
    const q = (name: string) => duckdbDialect.quoteIdentifier(name);
    const c = this.partsConnection();
    if (part.kind === 'czar') {
      const renamed = names ? ` AS renamed(${names.map(q).join(', ')})` : ' AS composed';
      await c.run(`CREATE TABLE ${q(table)} AS SELECT * FROM (${part.sql})${renamed}`, part.params as never);
      this.tables.push(table);
      return table;
    }
    const stream = part.stream;
    const columns = stream.columns.map((col, i) => ({ ...col, name: names?.[i] ?? col.name }));
    await c.run(
      `CREATE TABLE ${q(table)} (${columns.map((col) => `${q(col.name)} ${mergeTypes[col.datatype]}`).join(', ')})`,
    );
    this.tables.push(table);
    const appender = await c.createAppender(table);
    let count = 0;
    try {
      for await (const batch of stream.rows) {
        for (const row of batch) {
          if (++count > MAX_PART_ROWS) {
            throw meridianError(
              'QUERY_LIMIT',
              `a part of this query (line ${query.pos.line}) has more than ${MAX_PART_ROWS} rows, the most the czar holds to compose a query across workers; restrict it`,
              { limit: MAX_PART_ROWS },
            );
          }
          for (let i = 0; i < row.length; i++) appendCell(appender, row[i], columns[i].datatype);
          appender.endRow();
        }
      }
    } finally {
      appender.closeSync();
    }
    return table;
  }

  private atCzar(tree: Query, mapping: ReadonlyMap<TableRef, string>): Part {
    const { sql, params } = toSql(tree, duckdbDialect, {
      tableName: (ref) =>
        duckdbDialect.quoteIdentifier(mapping.get(ref) ?? ref.name[ref.name.length - 1].name),
    });
    return { kind: 'czar', sql, params };
  }
}

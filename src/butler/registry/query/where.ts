import { type RawBuilder, sql } from 'kysely';
import { meridianError } from '../../../errors.js';
import type { DimensionGroup, DimensionUniverse } from '../../dimensions/universe.js';
import type { Expr, Pos, RangeItem } from '../../expression/index.js';
import { formatExpression } from '../../expression/index.js';
import { parseTimeLiteral } from '../../time/index.js';
import { type LiteralRegion, regionFromFunction } from './regions.js';
import { timespansOverlap } from './timespan-sql.js';

/** What the where compiler needs from the query being built. */
export interface WhereContext {
  readonly universe: DimensionUniverse;
  readonly group: DimensionGroup;
  readonly bind: Readonly<Record<string, unknown>>;
  dimension(dim: string): RawBuilder<unknown>;
  elementColumn(element: string, column: string): RawBuilder<unknown>;
  datasetField(datasetType: string | null, field: string): RawBuilder<unknown>;
  regionConstraint(element: string, region: LiteralRegion): RawBuilder<unknown>;
}

type ScalarType = 'int' | 'float' | 'string' | 'bool' | 'time' | 'uuid' | 'null' | 'unknown';

type Operand =
  | { kind: 'scalar'; sql: RawBuilder<unknown>; type: ScalarType; literal?: unknown }
  | { kind: 'timespan'; begin: RawBuilder<unknown>; end: RawBuilder<unknown> }
  | { kind: 'region'; element: string }
  | { kind: 'regionLiteral'; region: LiteralRegion }
  | { kind: 'list'; items: Operand[] };

function invalid(message: string, pos: Pos, details: Record<string, unknown> = {}): Error {
  return meridianError('QUERY_INVALID', `${message} (at line ${pos.line}, column ${pos.column})`, {
    line: pos.line,
    column: pos.column,
    ...details,
  });
}

/** Compile a parsed `where` expression to a SQL boolean with bind parameters. */
export function compileWhere(expr: Expr, ctx: WhereContext): RawBuilder<unknown> {
  const compiler = new WhereCompiler(ctx);
  const op = compiler.compile(expr, true);
  if (op.kind !== 'scalar' || (op.type !== 'bool' && op.type !== 'unknown')) {
    throw invalid(`the where expression must be a condition, not '${formatExpression(expr)}'`, expr.pos);
  }
  return op.sql;
}

class WhereCompiler {
  constructor(private readonly ctx: WhereContext) {}

  /** `positive` is true while only AND lies between this node and the root (region constraints need it). */
  compile(e: Expr, positive: boolean): Operand {
    switch (e.kind) {
      case 'identifier':
        return this.identifier(e.name, e.pos);
      case 'string':
        return { kind: 'scalar', sql: sql`${e.value}`, type: 'string', literal: e.value };
      case 'number': {
        const value = e.isInteger ? Number(e.text) : e.value;
        return { kind: 'scalar', sql: sql`${value}`, type: e.isInteger ? 'int' : 'float', literal: value };
      }
      case 'time': {
        const ns = BigInt(e.nsTai);
        return { kind: 'scalar', sql: sql`CAST(${ns} AS BIGINT)`, type: 'time', literal: ns };
      }
      case 'uuid':
        return {
          kind: 'scalar',
          sql: sql`${e.value.toLowerCase()}`,
          type: 'uuid',
          literal: e.value.toLowerCase(),
        };
      case 'boolean':
        return { kind: 'scalar', sql: e.value ? sql`(1 = 1)` : sql`(1 = 0)`, type: 'bool', literal: e.value };
      case 'null':
        return { kind: 'scalar', sql: sql`NULL`, type: 'null', literal: null };
      case 'bind':
        return this.bindValue(e.name, e.pos);
      case 'unary': {
        const inner = this.compile(e.operand, e.op === 'NOT' ? false : positive);
        const s = this.scalar(inner, e.pos);
        if (e.op === 'NOT') return { kind: 'scalar', sql: sql`(NOT ${s.sql})`, type: 'bool' };
        if (e.op === '-') {
          const lit = typeof s.literal === 'number' ? -s.literal : undefined;
          return { kind: 'scalar', sql: sql`(- ${s.sql})`, type: s.type, literal: lit };
        }
        return s;
      }
      case 'binary':
        return this.binary(e, positive);
      case 'in':
        return this.inExpr(e);
      case 'function':
        return this.func(e);
      case 'tuple':
        return { kind: 'list', items: e.items.map((i) => this.compile(i, false)) };
    }
  }

  private scalar(op: Operand, pos: Pos): Extract<Operand, { kind: 'scalar' }> {
    if (op.kind !== 'scalar') throw invalid(`a ${op.kind} cannot be used here`, pos);
    return op;
  }

  private identifier(name: string, pos: Pos): Operand {
    const { universe, group } = this.ctx;
    const parts = name.split('.');
    const head = parts[0]!;
    if (parts.length === 1) {
      if (universe.has(head) && universe.element(head).isDimension && group.has(head)) {
        return {
          kind: 'scalar',
          sql: this.ctx.dimension(head),
          type: universe.element(head).primaryKey.type,
        };
      }
      if (head === 'ingest_date')
        return { kind: 'scalar', sql: this.ctx.datasetField(null, 'ingest_date'), type: 'time' };
      if (head === 'dataset_id')
        return { kind: 'scalar', sql: this.ctx.datasetField(null, 'dataset_id'), type: 'uuid' };
      throw invalid(`unknown identifier '${name}'`, pos, { identifier: name });
    }
    if (universe.has(head)) {
      const el = universe.element(head);
      const field = parts[1]!;
      const sub = parts[2];
      if (parts.length > 3 || (sub !== undefined && field !== 'timespan')) {
        throw invalid(`unknown identifier '${name}'`, pos);
      }
      if (el.isDimension && field === el.primaryKey.name) {
        return { kind: 'scalar', sql: this.ctx.dimension(head), type: el.primaryKey.type };
      }
      const key = el.keys.find((k) => k.name === field) ?? el.metadata.find((m) => m.name === field);
      if (key !== undefined)
        return { kind: 'scalar', sql: this.ctx.elementColumn(head, field), type: key.type };
      if (el.requires.includes(field) || el.implies.includes(field)) {
        return {
          kind: 'scalar',
          sql: this.ctx.dimension(field),
          type: universe.element(field).primaryKey.type,
        };
      }
      if (field === 'region' && el.spatial !== undefined && !el.isSkypix)
        return { kind: 'region', element: head };
      if (field === 'timespan' && el.temporal) {
        const begin = this.ctx.elementColumn(head, 'timespan_begin');
        const end = this.ctx.elementColumn(head, 'timespan_end');
        if (sub === undefined) return { kind: 'timespan', begin, end };
        if (sub === 'begin') return { kind: 'scalar', sql: begin, type: 'time' };
        if (sub === 'end') return { kind: 'scalar', sql: end, type: 'time' };
      }
      const fields = [
        ...el.keys.map((k) => k.name),
        ...el.requires,
        ...el.implies,
        ...el.metadata.map((m) => m.name),
        ...(el.spatial ? ['region'] : []),
        ...(el.temporal ? ['timespan', 'timespan.begin', 'timespan.end'] : []),
      ];
      throw invalid(
        `'${head}' has no field '${parts.slice(1).join('.')}'; fields are: ${fields.join(', ')}`,
        pos,
      );
    }
    const field = parts.slice(1).join('.');
    const types: Record<string, ScalarType> = {
      dataset_id: 'uuid',
      run: 'string',
      collection: 'string',
      ingest_date: 'time',
    };
    if (types[field] !== undefined) {
      return { kind: 'scalar', sql: this.ctx.datasetField(head, field), type: types[field]! };
    }
    throw invalid(`unknown identifier '${name}'`, pos, { identifier: name });
  }

  private bindValue(name: string, pos: Pos): Operand {
    if (!Object.hasOwn(this.ctx.bind, name)) {
      throw invalid(`no value was given for bind parameter ':${name}'`, pos, { bind: name });
    }
    const v = this.ctx.bind[name];
    if (Array.isArray(v)) {
      return { kind: 'list', items: v.map((x) => literalOperand(x, name, pos)) };
    }
    return literalOperand(v, name, pos);
  }

  private binary(e: Extract<Expr, { kind: 'binary' }>, positive: boolean): Operand {
    if (e.op === 'AND' || e.op === 'OR') {
      const childPositive = positive && e.op === 'AND';
      const l = this.scalar(this.compile(e.left, childPositive), e.left.pos);
      const r = this.scalar(this.compile(e.right, childPositive), e.right.pos);
      return { kind: 'scalar', sql: sql`(${l.sql} ${sql.raw(e.op)} ${r.sql})`, type: 'bool' };
    }
    if (e.op === 'OVERLAPS') return this.overlaps(e, positive);
    const l = this.compile(e.left, false);
    const r = this.compile(e.right, false);
    if (l.kind === 'list' || r.kind === 'list') {
      throw invalid(`a list can only be used with IN; write x IN (...) instead of '${e.op}'`, e.pos);
    }
    const ls = this.scalar(l, e.left.pos);
    const rs = this.scalar(r, e.right.pos);
    if (['+', '-', '*', '/', '%'].includes(e.op)) {
      return {
        kind: 'scalar',
        sql: sql`(${ls.sql} ${sql.raw(e.op)} ${rs.sql})`,
        type: numericType(ls.type, rs.type),
      };
    }
    const [a, b] = coercePair(ls, rs, e.pos);
    if (b.type === 'null' || a.type === 'null') {
      const other = b.type === 'null' ? a : b;
      if (e.op === '=') return { kind: 'scalar', sql: sql`(${other.sql} IS NULL)`, type: 'bool' };
      if (e.op === '!=') return { kind: 'scalar', sql: sql`(${other.sql} IS NOT NULL)`, type: 'bool' };
      throw invalid(`NULL can only be compared with = or !=`, e.pos);
    }
    const op = e.op === '!=' ? '<>' : e.op;
    return { kind: 'scalar', sql: sql`(${a.sql} ${sql.raw(op)} ${b.sql})`, type: 'bool' };
  }

  private overlaps(e: Extract<Expr, { kind: 'binary' }>, positive: boolean): Operand {
    let l = this.compile(e.left, false);
    let r = this.compile(e.right, false);
    if (r.kind === 'region' && l.kind !== 'region') [l, r] = [r, l];
    if (r.kind === 'timespan' && l.kind !== 'timespan') [l, r] = [r, l];
    if (l.kind === 'region') {
      if (r.kind !== 'regionLiteral') {
        throw invalid(
          'a region can only be compared with POINT, CIRCLE, BOX, POLYGON or REGION literals',
          e.pos,
        );
      }
      if (!positive) {
        throw invalid('region OVERLAPS cannot be used under OR or NOT; combine it with AND only', e.pos);
      }
      return { kind: 'scalar', sql: this.ctx.regionConstraint(l.element, r.region), type: 'bool' };
    }
    if (l.kind === 'timespan') {
      const other = this.asTimespan(r, e.right.pos);
      return { kind: 'scalar', sql: timespansOverlap(l, other), type: 'bool' };
    }
    throw invalid(
      'OVERLAPS needs a timespan (element.timespan) or a region (element.region) on one side',
      e.pos,
    );
  }

  private asTimespan(op: Operand, pos: Pos): { begin: RawBuilder<unknown>; end: RawBuilder<unknown> } {
    if (op.kind === 'timespan') return op;
    if (op.kind === 'scalar' && op.type === 'time') {
      // A single instant t is the timespan [t, t + 1 ns).
      return { begin: op.sql, end: sql`(${op.sql} + 1)` };
    }
    if (op.kind === 'list' && op.items.length === 2) {
      const [b, en] = op.items.map((i) => this.scalar(i, pos)) as [
        Extract<Operand, { kind: 'scalar' }>,
        Extract<Operand, { kind: 'scalar' }>,
      ];
      for (const x of [b, en]) {
        if (x.type !== 'time' && x.type !== 'null')
          throw invalid('timespan bounds must be time literals or NULL', pos);
      }
      return { begin: b.sql, end: en.sql };
    }
    throw invalid("expected a timespan: (T'begin', T'end'), a time literal, or element.timespan", pos);
  }

  private inExpr(e: Extract<Expr, { kind: 'in' }>): Operand {
    const target = this.compile(e.operand, false);
    if (target.kind === 'timespan') {
      // `element.timespan IN (t1, t2)` is not upstream syntax; time containment is `t IN element.timespan`.
      throw invalid('use OVERLAPS to compare timespans', e.pos);
    }
    const x = this.scalar(target, e.operand.pos);
    const values: RawBuilder<unknown>[] = [];
    const ranges: RawBuilder<unknown>[] = [];
    for (const item of e.items) {
      if (item.kind === 'range') {
        ranges.push(rangeSql(x.sql, item));
        continue;
      }
      const op = this.compile(item, false);
      const list = op.kind === 'list' ? op.items : [op];
      for (const o of list) values.push(coercePair(x, this.scalar(o, item.pos), item.pos)[1].sql);
    }
    const parts: RawBuilder<unknown>[] = [];
    if (values.length > 0) parts.push(sql`${x.sql} IN (${sql.join(values)})`);
    parts.push(...ranges);
    const body = parts.length === 0 ? sql`(1 = 0)` : sql`(${sql.join(parts, sql` OR `)})`;
    return { kind: 'scalar', sql: e.negated ? sql`(NOT ${body})` : body, type: 'bool' };
  }

  private func(e: Extract<Expr, { kind: 'function' }>): Operand {
    if (e.name === 'GLOB') {
      if (e.args.length !== 2) throw invalid('GLOB takes two arguments: GLOB(field, pattern)', e.pos);
      const field = this.scalar(this.compile(e.args[0]!, false), e.args[0]!.pos);
      const pattern = this.scalar(this.compile(e.args[1]!, false), e.args[1]!.pos);
      if (typeof pattern.literal !== 'string')
        throw invalid('the GLOB pattern must be a string', e.args[1]!.pos);
      return {
        kind: 'scalar',
        sql: sql`(${field.sql} LIKE ${globToLike(pattern.literal)} ESCAPE '\\')`,
        type: 'bool',
      };
    }
    const args = e.args.map((a) => {
      const op = this.scalar(this.compile(a, false), a.pos);
      if (typeof op.literal !== 'number' && typeof op.literal !== 'string') {
        throw invalid(`${e.name} arguments must be literals or bind parameters`, a.pos);
      }
      return op.literal;
    });
    try {
      return { kind: 'regionLiteral', region: regionFromFunction(e.name, args) };
    } catch (err) {
      throw invalid((err as Error).message, e.pos);
    }
  }
}

function literalOperand(v: unknown, name: string, pos: Pos): Extract<Operand, { kind: 'scalar' }> {
  if (typeof v === 'number') {
    return { kind: 'scalar', sql: sql`${v}`, type: Number.isInteger(v) ? 'int' : 'float', literal: v };
  }
  if (typeof v === 'string') return { kind: 'scalar', sql: sql`${v}`, type: 'string', literal: v };
  if (typeof v === 'bigint')
    return { kind: 'scalar', sql: sql`CAST(${v} AS BIGINT)`, type: 'time', literal: v };
  if (typeof v === 'boolean')
    return { kind: 'scalar', sql: v ? sql`(1 = 1)` : sql`(1 = 0)`, type: 'bool', literal: v };
  if (v instanceof Date) {
    const ns = parseTimeLiteral(`isot/${v.toISOString().replace('Z', '')}/utc`);
    return { kind: 'scalar', sql: sql`CAST(${ns} AS BIGINT)`, type: 'time', literal: ns };
  }
  throw invalid(`bind parameter ':${name}' has an unsupported value type (${typeof v})`, pos);
}

function numericType(a: ScalarType, b: ScalarType): ScalarType {
  if (a === 'time' || b === 'time') return 'time';
  if (a === 'float' || b === 'float') return 'float';
  return a === 'int' && b === 'int' ? 'int' : 'unknown';
}

/** Make a literal match the type of the column it is compared with (CLI users type `detector = '5'`). */
function coercePair(
  a: Extract<Operand, { kind: 'scalar' }>,
  b: Extract<Operand, { kind: 'scalar' }>,
  pos: Pos,
): [Extract<Operand, { kind: 'scalar' }>, Extract<Operand, { kind: 'scalar' }>] {
  const fix = (
    col: Extract<Operand, { kind: 'scalar' }>,
    lit: Extract<Operand, { kind: 'scalar' }>,
  ): Extract<Operand, { kind: 'scalar' }> => {
    if (lit.literal === undefined || lit.literal === null) return lit;
    if (col.type === 'int' && typeof lit.literal === 'string') {
      if (!/^-?\d+$/.test(lit.literal)) {
        throw invalid(`'${lit.literal}' is not an integer, but it is compared with an integer field`, pos);
      }
      return { ...lit, sql: sql`${Number(lit.literal)}`, type: 'int', literal: Number(lit.literal) };
    }
    if (col.type === 'string' && typeof lit.literal === 'number') {
      return { ...lit, sql: sql`${String(lit.literal)}`, type: 'string', literal: String(lit.literal) };
    }
    if (col.type === 'time' && lit.type !== 'time' && lit.type !== 'null') {
      throw invalid(`a time field must be compared with a time literal T'...'`, pos);
    }
    if ((col.type === 'int' || col.type === 'float') && lit.type === 'time') {
      throw invalid('a time literal cannot be compared with a number', pos);
    }
    return lit;
  };
  if (a.literal === undefined && b.literal !== undefined) return [a, fix(a, b)];
  if (b.literal === undefined && a.literal !== undefined) return [fix(b, a), b];
  return [a, b];
}

function rangeSql(x: RawBuilder<unknown>, r: RangeItem): RawBuilder<unknown> {
  if (r.step === 1) return sql`(${x} BETWEEN ${r.start} AND ${r.stop})`;
  return sql`(${x} BETWEEN ${r.start} AND ${r.stop} AND (${x} - ${r.start}) % ${r.step} = 0)`;
}

/** Shell glob → SQL LIKE pattern with backslash escapes. */
export function globToLike(glob: string): string {
  let out = '';
  for (const c of glob) {
    if (c === '*') out += '%';
    else if (c === '?') out += '_';
    else if (c === '%' || c === '_' || c === '\\') out += `\\${c}`;
    else out += c;
  }
  return out;
}

/**
 * The syntax tree of a butler `where` expression: plain, frozen, JSON-safe data with a `kind` field. Positions point
 * at the token that starts a leaf, and at the operator token (or function name, or opening parenthesis of a tuple)
 * for composite nodes.
 */

/** A position in the expression text: 1-based line and column, 0-based character offset. */
export interface Pos {
  readonly line: number;
  readonly column: number;
  readonly offset: number;
}

export type BinaryOp =
  | 'AND'
  | 'OR'
  | '='
  | '!='
  | '<'
  | '<='
  | '>'
  | '>='
  | '+'
  | '-'
  | '*'
  | '/'
  | '%'
  | 'OVERLAPS';
export type UnaryOp = 'NOT' | '-' | '+';

/** Functions the language knows, with their upper-case names. `UUID(...)` is parsed into a `uuid` literal instead. */
export type FunctionName = 'GLOB' | 'POINT' | 'CIRCLE' | 'BOX' | 'POLYGON' | 'REGION';

export type Expr =
  | { readonly kind: 'identifier'; readonly name: string; readonly pos: Pos }
  | { readonly kind: 'string'; readonly value: string; readonly pos: Pos }
  | {
      readonly kind: 'number';
      readonly value: number;
      /** The literal as written (a folded unary minus included), exact even beyond double precision. */
      readonly text: string;
      readonly isInteger: boolean;
      readonly pos: Pos;
    }
  | {
      readonly kind: 'time';
      /** TAI nanoseconds since 1970-01-01T00:00:00 TAI, as a decimal string (bigint is not JSON-safe). */
      readonly nsTai: string;
      /** The contents of `T'...'` as written. */
      readonly text: string;
      readonly pos: Pos;
    }
  | { readonly kind: 'uuid'; readonly value: string; readonly pos: Pos }
  | { readonly kind: 'boolean'; readonly value: boolean; readonly pos: Pos }
  | { readonly kind: 'null'; readonly pos: Pos }
  | { readonly kind: 'bind'; readonly name: string; readonly pos: Pos }
  | { readonly kind: 'unary'; readonly op: UnaryOp; readonly operand: Expr; readonly pos: Pos }
  | {
      readonly kind: 'binary';
      readonly op: BinaryOp;
      readonly left: Expr;
      readonly right: Expr;
      readonly pos: Pos;
    }
  | {
      readonly kind: 'in';
      readonly negated: boolean;
      readonly operand: Expr;
      readonly items: readonly (Expr | RangeItem)[];
      readonly pos: Pos;
    }
  | {
      readonly kind: 'function';
      readonly name: FunctionName;
      readonly args: readonly Expr[];
      readonly pos: Pos;
    }
  | { readonly kind: 'tuple'; readonly items: readonly Expr[]; readonly pos: Pos };

/** `start..stop[:step]` inside `IN (...)`: integers from start to stop inclusive, as upstream. */
export interface RangeItem {
  readonly kind: 'range';
  readonly start: number;
  readonly stop: number;
  readonly step: number;
  readonly pos: Pos;
}

export type ExprKind = Expr['kind'];
export type ExprOfKind<K extends ExprKind> = Extract<Expr, { kind: K }>;
export type ExprVisitor<R> = { readonly [K in ExprKind]: (node: ExprOfKind<K>) => R };

/** Dispatch on `kind`; the visitor type makes a missing case a compile error. */
export function visitExpr<R>(e: Expr, visitor: ExprVisitor<R>): R {
  return (visitor[e.kind] as (node: Expr) => R)(e);
}

/** The direct sub-expressions of a node, in source order (range items excluded: they hold only numbers). */
export function childrenOf(e: Expr): readonly Expr[] {
  switch (e.kind) {
    case 'unary':
      return [e.operand];
    case 'binary':
      return [e.left, e.right];
    case 'in':
      return [e.operand, ...e.items.filter((item): item is Expr => item.kind !== 'range')];
    case 'function':
      return e.args;
    case 'tuple':
      return e.items;
    default:
      return [];
  }
}

/** The deepest node below `e` (depth 1 = `e` itself), found without recursion so that any tree is safe. */
export function deepestNode(e: Expr): { readonly node: Expr; readonly depth: number } {
  let deepest = { node: e, depth: 1 };
  const stack: { node: Expr; depth: number }[] = [deepest];
  while (stack.length > 0) {
    const entry = stack.pop()!;
    if (entry.depth > deepest.depth) deepest = entry;
    for (const child of childrenOf(entry.node)) stack.push({ node: child, depth: entry.depth + 1 });
  }
  return deepest;
}

function collectNames(e: Expr, kind: 'identifier' | 'bind'): string[] {
  const seen = new Set<string>();
  const walk = (node: Expr): void => {
    if (node.kind === kind) seen.add(node.name);
    for (const child of childrenOf(node)) walk(child);
  };
  walk(e);
  return [...seen];
}

/** Distinct identifier names (`visit`, `visit.day_obs`, …) in order of first appearance. */
export function collectIdentifiers(e: Expr): string[] {
  return collectNames(e, 'identifier');
}

/** Distinct bind parameter names (without the colon) in order of first appearance. */
export function collectBinds(e: Expr): string[] {
  return collectNames(e, 'bind');
}

/** Freeze a tree and everything in it (the parser's results are immutable). */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/**
 * The ADQL syntax tree: plain, frozen, JSON-serialisable data. Every node has a `kind` and a `pos` (where its text
 * starts and how long it is), so a rewrite pass or an error message can point back into the query.
 *
 * Design choices (see docs/adql.md):
 * - Boolean conditions and value expressions share one `Expression` union; the parser checks which is allowed where
 *   (a WHERE clause needs a condition, a select item needs a value).
 * - Numeric literals keep their source text: 19-digit object IDs do not fit a JavaScript number.
 * - Regular identifiers keep their original spelling with `delimited: false` (ADQL compares them case-insensitively);
 *   delimited ones (`"Name"`) keep their exact text with `delimited: true`.
 * - Parentheses are not kept; the printer re-inserts them from operator precedence.
 */

export interface SourcePos {
  /** 1-based line. */
  readonly line: number;
  /** 1-based column, counted in UTF-16 code units. */
  readonly column: number;
  /** 0-based offset into the query text. */
  readonly offset: number;
  readonly length: number;
}

export interface Identifier {
  readonly kind: 'identifier';
  readonly pos: SourcePos;
  readonly name: string;
  readonly delimited: boolean;
}

// ---- queries ---------------------------------------------------------------------------------------------------

/** A complete query: optional WITH, a body, and the ORDER BY / OFFSET that apply to the whole body. */
export interface Query {
  readonly kind: 'query';
  readonly pos: SourcePos;
  readonly with: readonly CommonTableExpression[];
  readonly body: QueryBody;
  readonly orderBy: readonly OrderItem[];
  readonly offset: number | null;
}

export type QueryBody = SelectCore | SetOperation | Query;

export interface CommonTableExpression {
  readonly kind: 'commonTable';
  readonly pos: SourcePos;
  readonly name: Identifier;
  readonly columns: readonly Identifier[] | null;
  readonly query: Query;
}

export interface SelectCore {
  readonly kind: 'select';
  readonly pos: SourcePos;
  readonly quantifier: 'ALL' | 'DISTINCT' | null;
  readonly top: number | null;
  readonly items: readonly SelectItem[];
  readonly from: readonly FromItem[];
  readonly where: Expression | null;
  readonly groupBy: readonly Expression[];
  readonly having: Expression | null;
}

export interface SetOperation {
  readonly kind: 'setOperation';
  readonly pos: SourcePos;
  readonly operator: 'UNION' | 'INTERSECT' | 'EXCEPT';
  readonly all: boolean;
  readonly left: QueryBody;
  readonly right: QueryBody;
}

export type SelectItem = AllColumns | SelectColumn;

/** `*` (qualifier null) or `t.*` / `schema.t.*`. */
export interface AllColumns {
  readonly kind: 'allColumns';
  readonly pos: SourcePos;
  readonly qualifier: readonly Identifier[] | null;
}

export interface SelectColumn {
  readonly kind: 'selectColumn';
  readonly pos: SourcePos;
  readonly expression: Expression;
  readonly alias: Identifier | null;
}

export interface OrderItem {
  readonly kind: 'orderItem';
  readonly pos: SourcePos;
  /** An expression, an output alias (a column reference) or an ordinal (an integer literal). */
  readonly expression: Expression;
  readonly descending: boolean;
}

// ---- FROM --------------------------------------------------------------------------------------------------------

export type FromItem = TableRef | DerivedTable | Join;

/** A named table: `[[catalog.]schema.]table [AS alias]`. The catalog planner rewrites these to chunk tables. */
export interface TableRef {
  readonly kind: 'table';
  readonly pos: SourcePos;
  /** The qualified name, outermost first; the last part is the table name. */
  readonly name: readonly Identifier[];
  readonly alias: Identifier | null;
}

export interface DerivedTable {
  readonly kind: 'derivedTable';
  readonly pos: SourcePos;
  readonly query: Query;
  readonly alias: Identifier;
}

export interface Join {
  readonly kind: 'join';
  readonly pos: SourcePos;
  readonly joinType: 'INNER' | 'LEFT' | 'RIGHT' | 'FULL';
  /** True when OUTER was written (it changes nothing for LEFT/RIGHT/FULL; kept for faithful printing). */
  readonly outer: boolean;
  readonly natural: boolean;
  readonly left: FromItem;
  readonly right: FromItem;
  readonly on: Expression | null;
  readonly using: readonly Identifier[] | null;
}

// ---- expressions -------------------------------------------------------------------------------------------------

export type Expression =
  | ColumnRef
  | NumberLiteral
  | StringLiteral
  | NullLiteral
  | Unary
  | Binary
  | FunctionCall
  | Aggregate
  | GeometryCall
  | UdfCall
  | Cast
  | Case
  | ScalarSubquery
  | Comparison
  | Logical
  | Not
  | Between
  | Like
  | IsNull
  | InList
  | InSubquery
  | Exists;

export interface ColumnRef {
  readonly kind: 'column';
  readonly pos: SourcePos;
  /** Table (or schema.table) qualifier, empty when the column is unqualified. */
  readonly qualifier: readonly Identifier[];
  readonly name: Identifier;
}

export interface NumberLiteral {
  readonly kind: 'number';
  readonly pos: SourcePos;
  /** The literal exactly as written (unsigned; a minus sign is a `unary` node). */
  readonly text: string;
  readonly form: 'integer' | 'decimal' | 'real' | 'hex';
}

export interface StringLiteral {
  readonly kind: 'string';
  readonly pos: SourcePos;
  /** The value, with doubled quotes already undone. */
  readonly value: string;
}

export interface NullLiteral {
  readonly kind: 'null';
  readonly pos: SourcePos;
}

export interface Unary {
  readonly kind: 'unary';
  readonly pos: SourcePos;
  readonly operator: '-' | '+';
  readonly operand: Expression;
}

export type ArithmeticOperator = '+' | '-' | '*' | '/' | '||';

export interface Binary {
  readonly kind: 'binary';
  readonly pos: SourcePos;
  readonly operator: ArithmeticOperator;
  readonly left: Expression;
  readonly right: Expression;
}

/** A built-in scalar function (math, string, conditional, bitwise, unit): `name` is the canonical upper-case name. */
export interface FunctionCall {
  readonly kind: 'function';
  readonly pos: SourcePos;
  readonly name: string;
  readonly args: readonly Expression[];
}

export interface Aggregate {
  readonly kind: 'aggregate';
  readonly pos: SourcePos;
  readonly name: 'COUNT' | 'SUM' | 'AVG' | 'MIN' | 'MAX';
  readonly quantifier: 'ALL' | 'DISTINCT' | null;
  /** Null only for COUNT(*). */
  readonly arg: Expression | null;
}

export type GeometryFunctionName =
  | 'POINT'
  | 'CIRCLE'
  | 'BOX'
  | 'POLYGON'
  | 'CENTROID'
  | 'AREA'
  | 'COORD1'
  | 'COORD2'
  | 'COORDSYS'
  | 'CONTAINS'
  | 'INTERSECTS'
  | 'DISTANCE';

/** An ADQL geometry function. The optional leading coordinate-system literal is split off into `coordSys`. */
export interface GeometryCall {
  readonly kind: 'geometry';
  readonly pos: SourcePos;
  readonly name: GeometryFunctionName;
  readonly coordSys: StringLiteral | null;
  readonly args: readonly Expression[];
}

/** Any other `name(args)`: a user-defined function such as `scisql_nanojanskyToAbMag`. The name keeps its spelling. */
export interface UdfCall {
  readonly kind: 'udf';
  readonly pos: SourcePos;
  readonly name: string;
  readonly args: readonly Expression[];
}

export interface CastType {
  /** Canonical upper-case type name, e.g. `DOUBLE PRECISION`, `VARCHAR`. */
  readonly name: string;
  readonly length: number | null;
}

export interface Cast {
  readonly kind: 'cast';
  readonly pos: SourcePos;
  readonly operand: Expression;
  readonly type: CastType;
}

export interface CaseWhen {
  readonly kind: 'when';
  readonly pos: SourcePos;
  /** A condition (searched CASE) or a value compared with the operand (simple CASE). */
  readonly when: Expression;
  readonly then: Expression;
}

export interface Case {
  readonly kind: 'case';
  readonly pos: SourcePos;
  /** The operand of a simple CASE; null for a searched CASE. */
  readonly operand: Expression | null;
  readonly whens: readonly CaseWhen[];
  readonly else: Expression | null;
}

export interface ScalarSubquery {
  readonly kind: 'scalarSubquery';
  readonly pos: SourcePos;
  readonly query: Query;
}

// ---- conditions -------------------------------------------------------------------------------------------------

export type ComparisonOperator = '=' | '<>' | '<' | '<=' | '>' | '>=';

export interface Comparison {
  readonly kind: 'comparison';
  readonly pos: SourcePos;
  /** `!=` is read as `<>`. */
  readonly operator: ComparisonOperator;
  readonly left: Expression;
  readonly right: Expression;
}

export interface Logical {
  readonly kind: 'logical';
  readonly pos: SourcePos;
  readonly operator: 'AND' | 'OR';
  readonly left: Expression;
  readonly right: Expression;
}

export interface Not {
  readonly kind: 'not';
  readonly pos: SourcePos;
  readonly operand: Expression;
}

export interface Between {
  readonly kind: 'between';
  readonly pos: SourcePos;
  readonly negated: boolean;
  readonly operand: Expression;
  readonly low: Expression;
  readonly high: Expression;
}

export interface Like {
  readonly kind: 'like';
  readonly pos: SourcePos;
  readonly negated: boolean;
  /** ILIKE (ADQL 2.1 features-adql-string). */
  readonly caseInsensitive: boolean;
  readonly operand: Expression;
  readonly pattern: Expression;
}

export interface IsNull {
  readonly kind: 'isNull';
  readonly pos: SourcePos;
  readonly negated: boolean;
  readonly operand: Expression;
}

export interface InList {
  readonly kind: 'inList';
  readonly pos: SourcePos;
  readonly negated: boolean;
  readonly operand: Expression;
  readonly values: readonly Expression[];
}

export interface InSubquery {
  readonly kind: 'inSubquery';
  readonly pos: SourcePos;
  readonly negated: boolean;
  readonly operand: Expression;
  readonly query: Query;
}

export interface Exists {
  readonly kind: 'exists';
  readonly pos: SourcePos;
  readonly query: Query;
}

// ---- the whole family ----------------------------------------------------------------------------------------------

export type AdqlNode =
  | Query
  | CommonTableExpression
  | SelectCore
  | SetOperation
  | AllColumns
  | SelectColumn
  | OrderItem
  | TableRef
  | DerivedTable
  | Join
  | Identifier
  | CaseWhen
  | Expression;

export type AdqlNodeKind = AdqlNode['kind'];

const conditionKinds: ReadonlySet<AdqlNodeKind> = new Set([
  'comparison',
  'logical',
  'not',
  'between',
  'like',
  'isNull',
  'inList',
  'inSubquery',
  'exists',
]);

/** True for nodes that are boolean conditions (valid in WHERE/ON/HAVING/CASE WHEN, not as values). */
export function isCondition(node: Expression): boolean {
  return conditionKinds.has(node.kind);
}

/** Deep-freezes a freshly built tree so no pass can mutate a tree another pass holds. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** The terms of a chain of one logical operator, in source order; any other node is a single term. Iterative, as a
 * chain may be thousands of terms long. */
export function logicalTerms(expression: Expression, operator: 'AND' | 'OR'): Expression[] {
  const terms: Expression[] = [];
  const stack: Expression[] = [expression];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node.kind === 'logical' && node.operator === operator) stack.push(node.right, node.left);
    else terms.push(node);
  }
  return terms;
}

/**
 * Building and comparing ADQL nodes inside planner passes. Synthesised nodes carry a zero position; comparisons
 * ignore positions, column qualifiers and the case of regular identifiers (ADQL matches those case-insensitively).
 */

import {
  type AdqlNode,
  type ColumnRef,
  deepFreeze,
  type Expression,
  type Identifier,
  type NumberLiteral,
  type SourcePos,
} from '../adql/index.js';

export const syntheticPos: SourcePos = Object.freeze({ line: 0, column: 0, offset: 0, length: 0 });

export function identifier(name: string, delimited = false): Identifier {
  return deepFreeze({ kind: 'identifier', pos: syntheticPos, name, delimited });
}

export function column(qualifier: string | null, name: string, delimited = false): ColumnRef {
  return deepFreeze({
    kind: 'column',
    pos: syntheticPos,
    qualifier: qualifier === null ? [] : [identifier(qualifier, delimited)],
    name: identifier(name, delimited),
  });
}

export function numberLiteral(value: number): NumberLiteral {
  return deepFreeze({ kind: 'number', pos: syntheticPos, text: String(value), form: 'integer' });
}

export function and(left: Expression | null, right: Expression): Expression {
  if (left === null) return right;
  return deepFreeze({ kind: 'logical', pos: syntheticPos, operator: 'AND', left, right });
}

export function equals(left: Expression, right: Expression): Expression {
  return deepFreeze({ kind: 'comparison', pos: syntheticPos, operator: '=', left, right });
}

/** The AND-ed terms of a condition (a single term when it is not an AND). */
export function conjuncts(expression: Expression | null): Expression[] {
  if (expression === null) return [];
  if (expression.kind === 'logical' && expression.operator === 'AND') {
    return [...conjuncts(expression.left), ...conjuncts(expression.right)];
  }
  return [expression];
}

/** A key for structural comparison: no positions, no column qualifiers, regular identifiers in lower case. */
export function structuralKey(node: AdqlNode): string {
  return JSON.stringify(node, (key, value) => {
    if (key === 'pos') return undefined;
    if (value && typeof value === 'object' && value.kind === 'column') {
      return { kind: 'column', name: value.name };
    }
    if (value && typeof value === 'object' && value.kind === 'identifier' && !value.delimited) {
      return { kind: 'identifier', name: String(value.name).toLowerCase() };
    }
    return value;
  });
}

/** The value of a numeric constant (a number literal, possibly negated), else null. */
export function constantNumber(expression: Expression): number | null {
  if (expression.kind === 'number') {
    const value = expression.form === 'hex' ? Number(BigInt(expression.text)) : Number(expression.text);
    return Number.isFinite(value) ? value : null;
  }
  if (expression.kind === 'unary') {
    const inner = constantNumber(expression.operand);
    return inner === null ? null : expression.operator === '-' ? -inner : inner;
  }
  return null;
}

export { formatExpression } from './format.js';
export { parseExpression } from './parser.js';
export { caretExcerpt } from './syntaxError.js';
export {
  type BinaryOp,
  childrenOf,
  collectBinds,
  collectIdentifiers,
  type Expr,
  type ExprKind,
  type ExprOfKind,
  type ExprVisitor,
  type FunctionName,
  type Pos,
  type RangeItem,
  type UnaryOp,
  visitExpr,
} from './tree.js';

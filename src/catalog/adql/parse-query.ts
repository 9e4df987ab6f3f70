/**
 * Recursive-descent parser for ADQL 2.1 queries: WITH, set operations, SELECT ... FROM ... WHERE ... GROUP BY ...
 * HAVING ... ORDER BY ... OFFSET, joins and derived tables. Entry point: `parseAdql(text)`.
 */

import { meridianError } from '../../errors.js';
import type {
  CommonTableExpression,
  FromItem,
  Identifier,
  OrderItem,
  Query,
  QueryBody,
  SelectCore,
  SelectItem,
  TableRef,
} from './ast.js';
import { type AdqlNode, deepFreeze } from './ast.js';
import { syntaxError } from './cursor.js';
import { reservedWords } from './functions.js';
import { type Token, tokenize } from './lexer.js';
import { ExpressionParser } from './parse-expression.js';
import { childrenOf } from './visitor.js';

/** Keywords that may follow a table reference; a word in this list is never read as an implicit alias. */
const afterTableKeywords = ['WHERE', 'GROUP', 'HAVING', 'ORDER', 'OFFSET', 'UNION', 'INTERSECT', 'EXCEPT'];

class QueryParser extends ExpressionParser {
  parseStatement(): Query {
    const query = this.parseQuery();
    this.acceptSymbol(';');
    if (this.current.type !== 'end') {
      const expected =
        query.orderBy.length === 0 ? ['ORDER BY', 'OFFSET', 'end of query'] : ['OFFSET', 'end of query'];
      throw syntaxError(expected, this.current);
    }
    return query;
  }

  protected parseParenthesizedQuery(): Query {
    this.expectSymbol('(');
    const query = this.nested(() => this.parseQuery());
    this.expectSymbol(')');
    return query;
  }

  private parseQuery(): Query {
    const start = this.current;
    const withItems: CommonTableExpression[] = [];
    if (this.acceptWord('WITH')) {
      do withItems.push(this.parseCommonTable());
      while (this.acceptSymbol(','));
    }
    const body = this.parseSetExpression();
    const orderBy: OrderItem[] = [];
    if (this.acceptWord('ORDER')) {
      this.expectWord('BY');
      do orderBy.push(this.parseOrderItem());
      while (this.acceptSymbol(','));
    }
    const offset = this.acceptWord('OFFSET') ? this.parseUnsignedInteger('OFFSET row count') : null;
    return { kind: 'query', pos: this.span(start), with: withItems, body, orderBy, offset };
  }

  private parseCommonTable(): CommonTableExpression {
    const start = this.current;
    const name = this.parseIdentifier('common table name');
    let columns: Identifier[] | null = null;
    if (this.acceptSymbol('(')) {
      columns = [this.parseIdentifier('column name')];
      while (this.acceptSymbol(',')) columns.push(this.parseIdentifier('column name'));
      this.expectSymbol(')');
    }
    this.expectWord('AS');
    const query = this.parseParenthesizedQuery();
    return { kind: 'commonTable', pos: this.span(start), name, columns, query };
  }

  private parseSetExpression(): QueryBody {
    const start = this.current;
    let left = this.parseSetTerm();
    while (this.isWord('UNION') || this.isWord('EXCEPT')) {
      const operator = this.advance().value as 'UNION' | 'EXCEPT';
      const all = this.acceptWord('ALL') !== null;
      const right = this.parseSetTerm();
      left = { kind: 'setOperation', pos: this.span(start), operator, all, left, right };
    }
    return left;
  }

  private parseSetTerm(): QueryBody {
    const start = this.current;
    let left = this.parseSetPrimary();
    while (this.acceptWord('INTERSECT')) {
      const all = this.acceptWord('ALL') !== null;
      const right = this.parseSetPrimary();
      left = { kind: 'setOperation', pos: this.span(start), operator: 'INTERSECT', all, left, right };
    }
    return left;
  }

  private parseSetPrimary(): QueryBody {
    if (this.isSymbol('(')) {
      const query = this.parseParenthesizedQuery();
      // A parenthesised query that adds nothing is the same as its body; dropping the wrapper keeps trees canonical.
      const plain = query.with.length === 0 && query.orderBy.length === 0 && query.offset === null;
      return plain ? query.body : query;
    }
    return this.parseSelectCore();
  }

  private parseSelectCore(): SelectCore {
    const start = this.expectWord('SELECT');
    let quantifier: SelectCore['quantifier'] = null;
    let top: number | null = null;
    // ADQL puts the quantifier before TOP; TOP first is accepted because clients write it that way too.
    for (let i = 0; i < 2; i++) {
      if (quantifier === null && (this.isWord('DISTINCT') || this.isWord('ALL'))) {
        quantifier = this.advance().value as 'ALL' | 'DISTINCT';
      } else if (top === null && this.acceptWord('TOP')) {
        top = this.parseUnsignedInteger('TOP row count');
      }
    }
    const items: SelectItem[] = [];
    do items.push(this.parseSelectItem());
    while (this.acceptSymbol(','));

    this.expectWord('FROM');
    const from: FromItem[] = [];
    do from.push(this.parseJoinedTable());
    while (this.acceptSymbol(','));

    const where = this.acceptWord('WHERE') ? this.parseCondition() : null;
    const groupBy = [];
    if (this.acceptWord('GROUP')) {
      this.expectWord('BY');
      do groupBy.push(this.parseValue());
      while (this.acceptSymbol(','));
    }
    const having = this.acceptWord('HAVING') ? this.parseCondition() : null;
    return { kind: 'select', pos: this.span(start), quantifier, top, items, from, where, groupBy, having };
  }

  /** True if the tokens from here are `ident(.ident)*.*`, the qualified asterisk of a select list. */
  private atQualifiedAsterisk(): boolean {
    let ahead = 0;
    for (;;) {
      if (!this.isIdentifierStart(this.peek(ahead))) return false;
      if (!this.isSymbol('.', this.peek(ahead + 1))) return false;
      if (this.isSymbol('*', this.peek(ahead + 2))) return true;
      ahead += 2;
    }
  }

  private parseSelectItem(): SelectItem {
    const start = this.current;
    if (this.acceptSymbol('*')) return { kind: 'allColumns', pos: start.pos, qualifier: null };
    if (this.atQualifiedAsterisk()) {
      const qualifier: Identifier[] = [];
      while (!this.isSymbol('*')) {
        qualifier.push(this.parseIdentifier());
        this.expectSymbol('.');
      }
      this.advance();
      return { kind: 'allColumns', pos: this.span(start), qualifier };
    }
    const expression = this.parseValue();
    const alias = this.parseAlias(['FROM']);
    return { kind: 'selectColumn', pos: this.span(start), expression, alias };
  }

  /**
   * `[AS] alias`. Without AS, a word is an alias only if the token after it could follow an alias; otherwise the word
   * is most likely a misspelt keyword (`SELECT a FORM t`), and the error names the keyword that was expected.
   */
  private parseAlias(expectedKeywords: readonly string[]): Identifier | null {
    if (this.acceptWord('AS')) return this.parseIdentifier('alias');
    if (!this.isIdentifierStart()) return null;
    const candidate = this.current;
    const next = this.peek();
    const nextCanStartMore =
      next.type === 'number' ||
      next.type === 'string' ||
      next.type === 'delimitedIdentifier' ||
      (next.type === 'word' && !reservedWords.has(next.value)) ||
      (next.type === 'symbol' && (next.value === '(' || next.value === '.'));
    if (nextCanStartMore) throw syntaxError(expectedKeywords, candidate);
    return this.parseIdentifier('alias');
  }

  private parseOrderItem(): OrderItem {
    const start = this.current;
    const expression = this.parseValue();
    let descending = false;
    if (this.acceptWord('DESC')) descending = true;
    else this.acceptWord('ASC');
    return { kind: 'orderItem', pos: this.span(start), expression, descending };
  }

  private parseJoinedTable(): FromItem {
    const start = this.current;
    let left = this.parseTablePrimary();
    for (;;) {
      const natural = this.acceptWord('NATURAL') !== null;
      let joinType: 'INNER' | 'LEFT' | 'RIGHT' | 'FULL' = 'INNER';
      let outer = false;
      let explicitType = false;
      if (this.acceptWord('INNER')) explicitType = true;
      else if (this.isWord('LEFT') || this.isWord('RIGHT') || this.isWord('FULL')) {
        joinType = this.advance().value as 'LEFT' | 'RIGHT' | 'FULL';
        outer = this.acceptWord('OUTER') !== null;
        explicitType = true;
      }
      if (!this.isWord('JOIN')) {
        if (natural || explicitType) throw syntaxError(['JOIN'], this.current);
        if (this.isWord('CROSS')) throw syntaxError([], this.current, 'CROSS JOIN is not ADQL; use a comma');
        return left;
      }
      this.advance();
      const right = this.parseTablePrimary();
      let on = null;
      let using: Identifier[] | null = null;
      if (!natural) {
        if (this.acceptWord('ON')) on = this.parseCondition();
        else if (this.acceptWord('USING')) {
          this.expectSymbol('(');
          using = [this.parseIdentifier('column name')];
          while (this.acceptSymbol(',')) using.push(this.parseIdentifier('column name'));
          this.expectSymbol(')');
        } else throw syntaxError(['ON', 'USING'], this.current);
      }
      left = { kind: 'join', pos: this.span(start), joinType, outer, natural, left, right, on, using };
    }
  }

  private parseTablePrimary(): FromItem {
    const start = this.current;
    if (this.isSymbol('(')) {
      if (this.startsQuery(this.peek())) {
        const query = this.parseParenthesizedQuery();
        this.acceptWord('AS');
        const alias = this.parseIdentifier('alias of the derived table');
        return { kind: 'derivedTable', pos: this.span(start), query, alias };
      }
      this.advance();
      const inner = this.nested(() => this.parseJoinedTable());
      this.expectSymbol(')');
      return inner;
    }
    return this.parseTableRef(start);
  }

  private parseTableRef(start: Token): TableRef {
    const name = [this.parseIdentifier('table name')];
    while (this.acceptSymbol('.')) name.push(this.parseIdentifier('table name'));
    if (name.length > 3) throw syntaxError([], start, 'a table name has at most catalog.schema.table');
    const alias = this.parseAlias([...afterTableKeywords, 'JOIN', 'ON']);
    return { kind: 'table', pos: this.span(start), name, alias };
  }
}

/**
 * Parses an ADQL 2.1 query into a deep-frozen syntax tree.
 * @throws MeridianError `ADQL_SYNTAX` (with line, column, expected, found) or `ADQL_UNSUPPORTED`.
 */
export function parseAdql(text: string): Query {
  const parser = new QueryParser(tokenize(text));
  const query = parser.parseStatement();
  checkTreeDepth(query);
  return deepFreeze(query);
}

/**
 * Long chains of arithmetic (`a + b + c + ...`) build deep trees without deep recursion in the parser, but every
 * later pass walks the tree recursively and the engines bound expression depth (DuckDB at 1,000); this bound keeps
 * both safe. AND/OR chains are balanced by the parser and never come near it.
 */
export const MAX_TREE_DEPTH = 500;

function checkTreeDepth(root: AdqlNode): void {
  const stack: { node: AdqlNode; depth: number }[] = [{ node: root, depth: 1 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (depth > MAX_TREE_DEPTH) {
      const { line, column } = node.pos;
      throw meridianError(
        'ADQL_SYNTAX',
        `ADQL syntax error at line ${line}, column ${column}: the query is nested more than ${MAX_TREE_DEPTH} levels deep (a chain of thousands of operators?)`,
        { line, column, expected: [`at most ${MAX_TREE_DEPTH} levels`], found: 'deeper nesting' },
      );
    }
    for (const child of childrenOf(node)) stack.push({ node: child, depth: depth + 1 });
  }
}

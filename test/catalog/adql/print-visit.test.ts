import { describe, expect, it } from 'vitest';
import {
  type AdqlVisitor,
  childrenOf,
  parseAdql,
  printAdql,
  tableReferences,
  visit,
  walk,
} from '../../../src/catalog/adql/index.js';
import { roundTrip } from './helpers.js';

describe('printAdql', () => {
  it.each([
    [
      'select top 5 a as x from t where a!=1 order by a asc',
      'SELECT TOP 5 a AS x FROM t WHERE a <> 1 ORDER BY a',
    ],
    ['SELECT a b FROM t u', 'SELECT a AS b FROM t AS u'],
    ['SELECT ((a + b)) * c FROM t', 'SELECT (a + b) * c FROM t'],
    [
      'SELECT a FROM t WHERE (a = 1 OR b = 2) AND NOT (c = 3)',
      'SELECT a FROM t WHERE (a = 1 OR b = 2) AND NOT c = 3',
    ],
    ['SELECT \'it\'\'s\', "we""ird" FROM t', 'SELECT \'it\'\'s\', "we""ird" FROM t'],
    ['SELECT count(distinct a) FROM t', 'SELECT COUNT(DISTINCT a) FROM t'],
    ['SELECT cast(a as double precision) FROM t', 'SELECT CAST(a AS DOUBLE PRECISION) FROM t'],
    ['SELECT * FROM a left outer join b using (id)', 'SELECT * FROM a LEFT OUTER JOIN b USING (id)'],
    ['SELECT - - a FROM t', 'SELECT -(-a) FROM t'],
    [
      "SELECT * FROM t WHERE contains(point('ICRS', ra, dec), circle('ICRS', 1, 2, 3)) = 1",
      "SELECT * FROM t WHERE CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', 1, 2, 3)) = 1",
    ],
    [
      'WITH c AS (SELECT a FROM t) SELECT a FROM c UNION (SELECT a FROM u EXCEPT SELECT a FROM v)',
      'WITH c AS (SELECT a FROM t) SELECT a FROM c UNION (SELECT a FROM u EXCEPT SELECT a FROM v)',
    ],
  ])('prints %s canonically', (input, canonical) => {
    expect(printAdql(roundTrip(input))).toBe(canonical);
  });

  it('prints fragments such as a single expression', () => {
    const q = parseAdql('SELECT a FROM t WHERE x BETWEEN 1 AND 2');
    expect(q.body.kind === 'select' && q.body.where && printAdql(q.body.where)).toBe('x BETWEEN 1 AND 2');
  });
});

describe('visitor', () => {
  it('dispatches on kind to a handler for every node kind', () => {
    const countKinds: AdqlVisitor<number> = new Proxy({} as AdqlVisitor<number>, {
      get: () => (node: { kind: string }) => childrenOf(node as never).length,
    });
    const q = parseAdql('SELECT a, b FROM t');
    expect(visit(q, countKinds)).toBe(1);
    expect(visit(q.body, countKinds)).toBe(3);
  });

  it('walks parents before children and can prune subtrees', () => {
    const q = parseAdql('SELECT a FROM t WHERE a IN (SELECT b FROM u)');
    const all: string[] = [];
    walk(q, (n) => {
      all.push(n.kind);
      return undefined;
    });
    expect(all.slice(0, 3)).toEqual(['query', 'select', 'selectColumn']);
    expect(all.filter((k) => k === 'select')).toHaveLength(2);
    const pruned: string[] = [];
    walk(q, (n) => {
      pruned.push(n.kind);
      return n.kind !== 'inSubquery';
    });
    expect(pruned.filter((k) => k === 'select')).toHaveLength(1);
  });

  it('lists table references in subqueries, joins and common tables', () => {
    const q = parseAdql(
      'WITH c AS (SELECT * FROM w) SELECT * FROM a JOIN b ON a.x = b.x, (SELECT * FROM d) AS e WHERE EXISTS (SELECT * FROM f)',
    );
    expect(tableReferences(q).map((t) => t.name[0].name)).toEqual(['w', 'a', 'b', 'd', 'f']);
  });
});

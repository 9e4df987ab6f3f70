import { describe, expect, it } from 'vitest';
import { parseAdql, type Query, type SelectCore } from '../../../src/catalog/adql/index.js';
import { roundTrip, stripPos } from './helpers.js';

function select(query: Query): SelectCore {
  if (query.body.kind !== 'select') throw new Error(`expected a select body, got ${query.body.kind}`);
  return query.body;
}

describe('SELECT list', () => {
  it('parses SELECT * with TOP', () => {
    const s = select(roundTrip('SELECT TOP 10 * FROM t'));
    expect(s.top).toBe(10);
    expect(s.items).toEqual([
      { kind: 'allColumns', pos: { line: 1, column: 15, offset: 14, length: 1 }, qualifier: null },
    ]);
  });

  it('parses DISTINCT and ALL quantifiers, before or after TOP', () => {
    expect(select(roundTrip('SELECT DISTINCT TOP 3 a FROM t'))).toMatchObject({
      quantifier: 'DISTINCT',
      top: 3,
    });
    expect(select(roundTrip('SELECT TOP 3 DISTINCT a FROM t'))).toMatchObject({
      quantifier: 'DISTINCT',
      top: 3,
    });
    expect(select(roundTrip('SELECT ALL a FROM t'))).toMatchObject({ quantifier: 'ALL', top: null });
  });

  it('parses qualified asterisks t.* and schema.t.*', () => {
    const s = select(roundTrip('SELECT o.*, dp02.Object.* FROM dp02.Object AS o'));
    expect(s.items.map((i) => (i.kind === 'allColumns' ? i.qualifier?.map((q) => q.name) : null))).toEqual([
      ['o'],
      ['dp02', 'Object'],
    ]);
  });

  it('parses aliases with and without AS, keeping the spelling', () => {
    const s = select(roundTrip('SELECT coord_RA AS Ra, coord_dec dec1, "Mixed Case" FROM t'));
    expect(s.items).toMatchObject([
      { expression: { kind: 'column', name: { name: 'coord_RA', delimited: false } }, alias: { name: 'Ra' } },
      { alias: { name: 'dec1' } },
      { expression: { name: { name: 'Mixed Case', delimited: true } }, alias: null },
    ]);
  });

  it('parses fully qualified column names', () => {
    const s = select(roundTrip('SELECT cat.dp02.Object.coord_ra FROM cat.dp02.Object'));
    const item = s.items[0];
    expect(item.kind === 'selectColumn' && item.expression).toMatchObject({
      kind: 'column',
      qualifier: [{ name: 'cat' }, { name: 'dp02' }, { name: 'Object' }],
      name: { name: 'coord_ra' },
    });
  });
});

describe('FROM', () => {
  it('parses comma joins with aliases', () => {
    const s = select(roundTrip('SELECT * FROM dp02_dc2_catalogs.Object o1, dp02_dc2_catalogs.Object AS o2'));
    expect(s.from).toMatchObject([
      { kind: 'table', name: [{ name: 'dp02_dc2_catalogs' }, { name: 'Object' }], alias: { name: 'o1' } },
      { kind: 'table', alias: { name: 'o2' } },
    ]);
  });

  it.each([
    ['JOIN', 'INNER', false, false],
    ['INNER JOIN', 'INNER', false, false],
    ['LEFT JOIN', 'LEFT', false, false],
    ['LEFT OUTER JOIN', 'LEFT', true, false],
    ['RIGHT OUTER JOIN', 'RIGHT', true, false],
    ['FULL JOIN', 'FULL', false, false],
    ['FULL OUTER JOIN', 'FULL', true, false],
  ])('parses %s ... ON', (words, joinType, outer, natural) => {
    const s = select(roundTrip(`SELECT * FROM a ${words} b ON a.id = b.id`));
    expect(s.from[0]).toMatchObject({ kind: 'join', joinType, outer, natural, on: { kind: 'comparison' } });
  });

  it('parses NATURAL JOIN and JOIN ... USING', () => {
    expect(select(roundTrip('SELECT * FROM a NATURAL LEFT JOIN b')).from[0]).toMatchObject({
      natural: true,
      joinType: 'LEFT',
      on: null,
      using: null,
    });
    expect(select(roundTrip('SELECT * FROM a JOIN b USING (id, "Band")')).from[0]).toMatchObject({
      using: [{ name: 'id' }, { name: 'Band', delimited: true }],
    });
  });

  it('nests chained joins to the left and keeps parenthesised joins on the right', () => {
    const chained = select(roundTrip('SELECT * FROM a JOIN b ON a.x = b.x JOIN c ON b.y = c.y')).from[0];
    expect(chained).toMatchObject({ kind: 'join', left: { kind: 'join' }, right: { kind: 'table' } });
    const nested = select(roundTrip('SELECT * FROM a JOIN (b JOIN c ON b.y = c.y) ON a.x = b.x')).from[0];
    expect(nested).toMatchObject({ kind: 'join', left: { kind: 'table' }, right: { kind: 'join' } });
  });

  it('parses derived tables, with or without AS', () => {
    const s = select(roundTrip('SELECT d.n FROM (SELECT COUNT(*) AS n FROM t) AS d'));
    expect(s.from[0]).toMatchObject({ kind: 'derivedTable', alias: { name: 'd' }, query: { kind: 'query' } });
    expect(select(parseAdql('SELECT d.n FROM (SELECT 1 AS n FROM t) d')).from[0]).toMatchObject({
      alias: { name: 'd' },
    });
  });

  it('parses TAP_UPLOAD tables like any other qualified table', () => {
    const s = select(roundTrip('SELECT * FROM TAP_UPLOAD.ut1 AS ut1'));
    expect(s.from[0]).toMatchObject({ name: [{ name: 'TAP_UPLOAD' }, { name: 'ut1' }] });
  });
});

describe('clauses', () => {
  it('parses WHERE, GROUP BY, HAVING, ORDER BY and OFFSET', () => {
    const q = roundTrip(
      'SELECT band, COUNT(*) AS n FROM Source WHERE psfFlux > 0 GROUP BY band HAVING COUNT(*) > 10 ORDER BY n DESC, band ASC OFFSET 5',
    );
    const s = select(q);
    expect(s.where).toMatchObject({ kind: 'comparison', operator: '>' });
    expect(s.groupBy).toMatchObject([{ kind: 'column', name: { name: 'band' } }]);
    expect(s.having).toMatchObject({
      kind: 'comparison',
      left: { kind: 'aggregate', name: 'COUNT', arg: null },
    });
    expect(q.orderBy).toMatchObject([{ descending: true }, { descending: false }]);
    expect(q.offset).toBe(5);
  });

  it('parses ORDER BY ordinals and expressions', () => {
    const q = roundTrip('SELECT a, b FROM t ORDER BY 2, a * b DESC');
    expect(q.orderBy).toMatchObject([
      { expression: { kind: 'number', text: '2', form: 'integer' } },
      { expression: { kind: 'binary', operator: '*' }, descending: true },
    ]);
  });

  it('accepts one trailing semicolon', () => {
    expect(stripPos(parseAdql('SELECT a FROM t;'))).toEqual(stripPos(parseAdql('SELECT a FROM t')));
  });

  it('ignores -- comments and spreads over lines', () => {
    const q = parseAdql('SELECT a -- the column\nFROM t -- the table\nWHERE a = 1');
    expect(select(q).where).toMatchObject({ pos: { line: 3, column: 7 } });
  });
});

describe('set operations and WITH', () => {
  it('parses UNION, UNION ALL, EXCEPT and INTERSECT with INTERSECT binding tighter', () => {
    const q = roundTrip(
      'SELECT a FROM t UNION ALL SELECT a FROM u INTERSECT SELECT a FROM v EXCEPT SELECT a FROM w',
    );
    expect(q.body).toMatchObject({
      kind: 'setOperation',
      operator: 'EXCEPT',
      left: {
        operator: 'UNION',
        all: true,
        left: { kind: 'select' },
        right: { kind: 'setOperation', operator: 'INTERSECT', all: false },
      },
    });
  });

  it('keeps parentheses that change the grouping of set operations', () => {
    const q = roundTrip('SELECT a FROM t EXCEPT (SELECT a FROM u UNION SELECT a FROM v)');
    expect(q.body).toMatchObject({ operator: 'EXCEPT', right: { kind: 'setOperation', operator: 'UNION' } });
  });

  it('applies a trailing ORDER BY to the whole set operation', () => {
    const q = roundTrip('SELECT a FROM t UNION SELECT b FROM u ORDER BY 1 OFFSET 2');
    expect(q.body.kind).toBe('setOperation');
    expect(q.orderBy).toHaveLength(1);
  });

  it('parses WITH common tables, with column lists', () => {
    const q = roundTrip(
      'WITH bright(id, flux) AS (SELECT objectId, r_psfFlux FROM Object WHERE r_psfFlux > 1000), ' +
        'near AS (SELECT * FROM bright) SELECT * FROM near',
    );
    expect(q.with).toMatchObject([
      { kind: 'commonTable', name: { name: 'bright' }, columns: [{ name: 'id' }, { name: 'flux' }] },
      { kind: 'commonTable', name: { name: 'near' }, columns: null },
    ]);
  });
});

describe('subqueries', () => {
  it('parses IN (subquery) and NOT IN (subquery)', () => {
    const s = select(roundTrip('SELECT * FROM t WHERE id NOT IN (SELECT id FROM u WHERE x > 1)'));
    expect(s.where).toMatchObject({ kind: 'inSubquery', negated: true, query: { kind: 'query' } });
  });

  it('parses EXISTS and NOT EXISTS', () => {
    const s = select(roundTrip('SELECT * FROM t WHERE NOT EXISTS (SELECT * FROM u WHERE u.id = t.id)'));
    expect(s.where).toMatchObject({ kind: 'not', operand: { kind: 'exists' } });
  });

  it('parses scalar subqueries in comparisons and in the select list', () => {
    const s = select(roundTrip('SELECT (SELECT MAX(x) FROM u) AS m FROM t WHERE x > (SELECT AVG(x) FROM t)'));
    expect(s.where).toMatchObject({ kind: 'comparison', right: { kind: 'scalarSubquery' } });
    expect(s.items[0]).toMatchObject({ expression: { kind: 'scalarSubquery' } });
  });
});

describe('tree properties', () => {
  it('is deeply frozen', () => {
    const q = parseAdql('SELECT a FROM t WHERE a = 1');
    expect(Object.isFrozen(q)).toBe(true);
    expect(Object.isFrozen(select(q).where)).toBe(true);
    expect(Object.isFrozen(select(q).items)).toBe(true);
  });

  it('survives JSON serialisation unchanged', () => {
    const q = parseAdql("SELECT TOP 5 a, 'x' AS s FROM t WHERE b IN (1, 2) ORDER BY a");
    expect(JSON.parse(JSON.stringify(q))).toEqual(q);
  });

  it('gives every node a source span', () => {
    const text = 'SELECT coord_ra\n  FROM Object\n  WHERE coord_dec < -30';
    const s = select(parseAdql(text));
    const where = s.where!;
    expect(where.pos).toEqual({ line: 3, column: 9, offset: 38, length: 15 });
    expect(text.slice(where.pos.offset, where.pos.offset + where.pos.length)).toBe('coord_dec < -30');
  });
});

/** Random ADQL built from the grammar must survive print → parse unchanged, and printing must be a fixpoint. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAdql, printAdql } from '../../../src/catalog/adql/index.js';
import { stripPos } from './helpers.js';

const leaf = fc.constantFrom('a', 't.b', '"Q x"', '1', '2.5', '1e3', '0x1F', "'s''x'", 'NULL', 'coord_ra');

const { value, condition } = fc.letrec<{ value: string; condition: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc
      .tuple(tie('value'), fc.constantFrom('+', '-', '*', '/', '||'), tie('value'))
      .map(([l, op, r]) => `(${l} ${op} ${r})`),
    tie('value').map((v) => `(- ${v})`),
    fc
      .tuple(fc.constantFrom('ABS', 'SQRT', 'LOWER', 'scisql_nanojanskyToAbMag'), tie('value'))
      .map(([f, v]) => `${f}(${v})`),
    fc
      .tuple(tie('condition'), tie('value'), tie('value'))
      .map(([c, a, b]) => `CASE WHEN ${c} THEN ${a} ELSE ${b} END`),
    tie('value').map((v) => `CAST(${v} AS DOUBLE PRECISION)`),
    fc.tuple(tie('value'), tie('value')).map(([a, b]) => `DISTANCE(POINT(${a} * 1, ${b} * 1), POINT(1, 2))`),
  ),
  condition: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc
      .tuple(tie('value'), fc.constantFrom('=', '<>', '<', '>=', '!='), tie('value'))
      .map(([l, op, r]) => `${l} ${op} ${r}`),
    fc
      .tuple(tie('condition'), fc.constantFrom('AND', 'OR'), tie('condition'))
      .map(([l, op, r]) => `(${l} ${op} ${r})`),
    tie('condition').map((c) => `NOT (${c})`),
    fc
      .tuple(tie('value'), tie('value'), tie('value'))
      .map(([v, lo, hi]) => `${v} NOT BETWEEN ${lo} AND ${hi}`),
    fc.tuple(tie('value'), tie('value')).map(([v, w]) => `${v} IN (${w}, 3)`),
    tie('value').map((v) => `${v} IS NOT NULL`),
    tie('value').map((v) => `${v} ILIKE 'a%'`),
    fc.constant('CONTAINS(POINT(ra, dec), CIRCLE(1, 2, 3)) = 1'),
  ),
}));

describe('print/parse round trip on generated queries', () => {
  it('preserves the tree and reaches a printing fixpoint', () => {
    fc.assert(
      fc.property(value, condition, (v, c) => {
        const tree = parseAdql(`SELECT ${v} AS x FROM t WHERE ${c} ORDER BY 1`);
        const printed = printAdql(tree);
        const again = parseAdql(printed);
        expect(stripPos(again)).toEqual(stripPos(tree));
        expect(printAdql(again)).toBe(printed);
      }),
      { numRuns: 300, seed: 20261125 },
    );
  });
});

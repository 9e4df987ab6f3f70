/**
 * Seeded generators of hostile parser input: well-formed ADQL and `where` texts from a small grammar, then mutated
 * (tokens dropped, repeated, swapped, characters flipped, random bytes, deep nesting, huge literals). The same
 * seed gives the same inputs, so a failure is reproduced by its seed and index.
 */

export type Random = () => number;

/** mulberry32: a small, fast, seeded generator (32-bit state). */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(rand: Random, items: readonly T[]): T => items[Math.floor(rand() * items.length)];
const int = (rand: Random, max: number): number => Math.floor(rand() * max);

// Huge inputs (hundreds of parentheses, thousands of ORs) are a small share of the mutations, so a run covers many
// inputs and still meets every bound.

const ADQL_COLUMNS = [
  'coord_ra',
  'coord_dec',
  'objectId',
  'g_psfFlux',
  'r_cModelFlux',
  'detect_isPrimary',
  'band',
];
const ADQL_TABLES = ['Object', 'dp02_dc2_catalogs.Object', 'ForcedSource', 'CcdVisit', 'tap_schema.columns'];
const NUMBERS = ['0', '1', '-1', '62.0', '-37.5', '1e-3', '0x1F', '9223372036854775808', '1e400', '.5', '-0'];
const FUNCTIONS = ['LOG10', 'SQRT', 'ABS', 'POWER', 'MOD', 'ROUND', 'ATAN2', 'COALESCE', 'CAST'];

function adqlValue(rand: Random, depth: number): string {
  const r = rand();
  if (depth > 3 || r < 0.35) return rand() < 0.5 ? pick(rand, ADQL_COLUMNS) : pick(rand, NUMBERS);
  if (r < 0.55)
    return `${adqlValue(rand, depth + 1)} ${pick(rand, ['+', '-', '*', '/', '||'])} ${adqlValue(rand, depth + 1)}`;
  if (r < 0.75) {
    const fn = pick(rand, FUNCTIONS);
    if (fn === 'CAST')
      return `CAST(${adqlValue(rand, depth + 1)} AS ${pick(rand, ['INTEGER', 'DOUBLE', 'VARCHAR(4)'])})`;
    const args = Array.from({ length: 1 + int(rand, 3) }, () => adqlValue(rand, depth + 1));
    return `${fn}(${args.join(', ')})`;
  }
  if (r < 0.85) return `(${adqlValue(rand, depth + 1)})`;
  if (r < 0.92) return `'${pick(rand, ['r', "it''s", '', '%x%'])}'`;
  return `CASE WHEN ${adqlCondition(rand, depth + 1)} THEN ${adqlValue(rand, depth + 1)} ELSE NULL END`;
}

function adqlRegion(rand: Random): string {
  const n = () => pick(rand, NUMBERS);
  switch (int(rand, 3)) {
    case 0:
      return `CIRCLE('ICRS', ${n()}, ${n()}, ${n()})`;
    case 1:
      return `BOX(${n()}, ${n()}, ${n()}, ${n()})`;
    default:
      return `POLYGON(${Array.from({ length: 6 + 2 * int(rand, 3) }, n).join(', ')})`;
  }
}

function adqlCondition(rand: Random, depth: number): string {
  const r = rand();
  if (depth > 3 || r < 0.3)
    return `${adqlValue(rand, depth + 1)} ${pick(rand, ['=', '<', '>=', '<>', '!='])} ${adqlValue(rand, depth + 1)}`;
  if (r < 0.45)
    return `${adqlCondition(rand, depth + 1)} ${pick(rand, ['AND', 'OR'])} ${adqlCondition(rand, depth + 1)}`;
  if (r < 0.55) return `NOT ${adqlCondition(rand, depth + 1)}`;
  if (r < 0.65) return `CONTAINS(POINT('ICRS', coord_ra, coord_dec), ${adqlRegion(rand)}) = 1`;
  if (r < 0.72)
    return `${pick(rand, ADQL_COLUMNS)} IN (${Array.from({ length: 1 + int(rand, 5) }, () => pick(rand, NUMBERS)).join(', ')})`;
  if (r < 0.8) return `${pick(rand, ADQL_COLUMNS)} BETWEEN ${pick(rand, NUMBERS)} AND ${pick(rand, NUMBERS)}`;
  if (r < 0.86) return `${pick(rand, ADQL_COLUMNS)} IS ${rand() < 0.5 ? 'NOT ' : ''}NULL`;
  if (r < 0.92) return `${pick(rand, ADQL_COLUMNS)} LIKE 'a%'`;
  return `objectId IN (SELECT objectId FROM ${pick(rand, ADQL_TABLES)} WHERE ${adqlCondition(rand, depth + 2)})`;
}

/** A well-formed (though not always meaningful) ADQL query. */
export function adqlQuery(rand: Random): string {
  const top = rand() < 0.3 ? `TOP ${pick(rand, ['0', '5', '100000000000'])} ` : '';
  const items = Array.from({ length: 1 + int(rand, 4) }, () => {
    const v =
      rand() < 0.15
        ? `${pick(rand, ['COUNT', 'AVG', 'MAX'])}(${pick(rand, ADQL_COLUMNS)})`
        : adqlValue(rand, 0);
    return rand() < 0.3 ? `${v} AS x${int(rand, 9)}` : v;
  });
  let text = `SELECT ${top}${items.join(', ')} FROM ${pick(rand, ADQL_TABLES)}`;
  if (rand() < 0.2) text += ` AS o JOIN ${pick(rand, ADQL_TABLES)} AS f ON o.objectId = f.objectId`;
  if (rand() < 0.8) text += ` WHERE ${adqlCondition(rand, 0)}`;
  if (rand() < 0.15) text += ` GROUP BY ${pick(rand, ADQL_COLUMNS)}`;
  if (rand() < 0.2) text += ` ORDER BY ${pick(rand, ADQL_COLUMNS)} ${pick(rand, ['ASC', 'DESC', ''])}`;
  if (rand() < 0.05) text += ` OFFSET ${pick(rand, NUMBERS)}`;
  return text;
}

const WHERE_DIMENSIONS = [
  'instrument',
  'visit',
  'detector',
  'band',
  'physical_filter',
  'exposure.day_obs',
  'visit.region',
  'tract',
  'patch',
  'exposure.timespan',
];
const WHERE_LITERALS = [
  "'MeridianCam'",
  "'r'",
  '1',
  '-5',
  '1..5',
  '3..10:2',
  "T'2026-01-01T00:00:00'",
  "T'2026-13-45'",
  'NULL',
  ':bound',
  '9999999999999999999999',
  'POINT(62, -37)',
  'CIRCLE(62, -37, 0.5)',
  "REGION('CIRCLE 62 -37 1')",
];

function whereExpression(rand: Random, depth: number): string {
  const r = rand();
  if (depth > 3 || r < 0.4)
    return `${pick(rand, WHERE_DIMENSIONS)} ${pick(rand, ['=', '!=', '<', '>=', 'OVERLAPS', 'IN'])} ${pick(rand, WHERE_LITERALS)}`;
  if (r < 0.6)
    return `${whereExpression(rand, depth + 1)} ${pick(rand, ['AND', 'OR'])} ${whereExpression(rand, depth + 1)}`;
  if (r < 0.7) return `NOT ${whereExpression(rand, depth + 1)}`;
  if (r < 0.8) return `(${whereExpression(rand, depth + 1)})`;
  if (r < 0.9)
    return `${pick(rand, WHERE_DIMENSIONS)} IN (${Array.from({ length: 1 + int(rand, 4) }, () => pick(rand, WHERE_LITERALS)).join(', ')})`;
  return `${pick(rand, WHERE_DIMENSIONS)} GLOB '${pick(rand, ['u/*', '[a-', '*'])}'`;
}

/** A well-formed (though not always meaningful) butler `where` expression. */
export function whereText(rand: Random): string {
  return whereExpression(rand, 0);
}

const HOSTILE = [
  '(',
  ')',
  "'",
  '"',
  ',',
  ';',
  '--',
  '/*',
  '\u0000',
  '\u00e9',
  '\ud800',
  '..',
  'NOT',
  'SELECT',
  '*',
  '9'.repeat(40),
  'e',
  '.',
  '\n',
  '\t',
  '\\',
];

/** A mutation of `text`: what a careless edit, a bad copy-paste or an attacker would make of it. */
export function mutate(rand: Random, text: string): string {
  const tokens = text.split(/(\s+|[(),])/).filter((t) => t !== '');
  const times = 1 + int(rand, 4);
  let out = tokens;
  for (let k = 0; k < times; k++) {
    const i = int(rand, Math.max(out.length, 1));
    switch (int(rand, 9)) {
      case 0:
        out = [...out.slice(0, i), ...out.slice(i + 1)];
        break;
      case 1:
        out = [...out.slice(0, i), out[i] ?? '', ...out.slice(i)];
        break;
      case 2: {
        const j = int(rand, Math.max(out.length, 1));
        out = [...out];
        [out[i], out[j]] = [out[j] ?? '', out[i] ?? ''];
        break;
      }
      case 3:
        out = [...out.slice(0, i), pick(rand, HOSTILE), ...out.slice(i)];
        break;
      case 4: {
        const s = out.join('');
        const at = int(rand, s.length + 1);
        out = [s.slice(0, at), String.fromCharCode(int(rand, 0x3000)), s.slice(at + 1)];
        break;
      }
      case 5: {
        const depth = 1 + int(rand, rand() < 0.1 ? 400 : 20);
        out = [
          ...out.slice(0, i),
          '('.repeat(depth),
          ...out.slice(i, i + 1),
          ')'.repeat(depth),
          ...out.slice(i + 1),
        ];
        break;
      }
      case 6:
        out = [...out.slice(0, i), 'NOT '.repeat(1 + int(rand, rand() < 0.1 ? 300 : 10)), ...out.slice(i)];
        break;
      case 7:
        out = [
          ...out.slice(0, i),
          `${pick(rand, NUMBERS)} ${'OR x = 1 '.repeat(int(rand, rand() < 0.05 ? 2000 : 20))}`,
          ...out.slice(i),
        ];
        break;
      default:
        out = out.slice(0, i);
        break;
    }
  }
  return out.join('');
}

/** The i-th input of a run: a fresh grammar text, or a mutation of one (two thirds of the time). */
export function fuzzInput(rand: Random, generate: (rand: Random) => string): string {
  const text = generate(rand);
  return rand() < 1 / 3 ? text : mutate(rand, text);
}

/**
 * The sky region a query asked for, read back from its ADQL so the sky plot can draw it: the CIRCLE and POLYGON
 * literals in the WHERE clause (`CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', 62, -37, 0.5)) = 1`). Only
 * regions written with number literals are returned; one built from columns or functions is not a fixed region,
 * and a shape in a comment, a string or the SELECT list is not a constraint, so none of those is drawn.
 *
 * A small tokenizer rather than regular expressions over the text: comments, quoted strings and nested
 * parentheses are what make a regular expression find shapes that are not there.
 */

export type QueryRegion =
  | { readonly kind: 'circle'; readonly ra: number; readonly dec: number; readonly radius: number }
  | { readonly kind: 'polygon'; readonly vertices: readonly (readonly [number, number])[] };

interface Token {
  readonly type: 'word' | 'number' | 'string' | 'punct';
  readonly text: string;
}

function tokenize(adql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < adql.length) {
    const rest = adql.slice(i);
    const space = /^(\s+|--[^\n]*|\/\*[\s\S]*?(\*\/|$))/.exec(rest);
    if (space !== null) {
      i += space[0].length;
      continue;
    }
    const number = /^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(rest);
    if (number !== null) {
      tokens.push({ type: 'number', text: number[0] });
      i += number[0].length;
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
    if (word !== null) {
      tokens.push({ type: 'word', text: word[0].toUpperCase() });
      i += word[0].length;
      continue;
    }
    if (adql[i] === "'" || adql[i] === '"') {
      // A doubled quote stands for itself; an unterminated one runs to the end (the server reports that).
      const quote = adql[i];
      let j = i + 1;
      let value = '';
      while (j < adql.length) {
        if (adql[j] === quote && adql[j + 1] === quote) {
          value += quote;
          j += 2;
        } else if (adql[j] === quote) break;
        else value += adql[j++];
      }
      tokens.push({ type: quote === "'" ? 'string' : 'word', text: value });
      i = j + 1;
      continue;
    }
    tokens.push({ type: 'punct', text: adql[i] });
    i++;
  }
  return tokens;
}

/** Keywords that end a WHERE clause at its own nesting level. */
const AFTER_WHERE = new Set(['GROUP', 'ORDER', 'HAVING', 'OFFSET', 'UNION', 'INTERSECT', 'EXCEPT']);

/** The tokens of each WHERE clause (one per SELECT, subqueries included), up to what ends it. */
function whereClauses(tokens: readonly Token[]): Token[][] {
  const clauses: Token[][] = [];
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i].type !== 'word' || tokens[i].text !== 'WHERE') continue;
    let depth = 0;
    let j = i + 1;
    for (; j < tokens.length; j++) {
      const t = tokens[j];
      if (t.type === 'punct' && t.text === '(') depth++;
      else if (t.type === 'punct' && t.text === ')') {
        if (--depth < 0) break; // the end of a subquery's parentheses
      } else if (depth === 0 && t.type === 'word' && AFTER_WHERE.has(t.text)) break;
    }
    clauses.push(tokens.slice(i + 1, j));
  }
  return clauses;
}

/** Reads `( args )` starting at `tokens[at]`: each argument a signed number, a string, or POINT(number, number). */
function readArguments(tokens: readonly Token[], at: number): (number | string | [number, number])[] | null {
  if (tokens[at]?.text !== '(') return null;
  const args: (number | string | [number, number])[] = [];
  let i = at + 1;
  const signedNumber = (): number | null => {
    let sign = 1;
    while (tokens[i]?.type === 'punct' && (tokens[i].text === '-' || tokens[i].text === '+')) {
      if (tokens[i].text === '-') sign = -sign;
      i++;
    }
    if (tokens[i]?.type !== 'number') return null;
    return sign * Number(tokens[i++].text);
  };
  for (;;) {
    const token = tokens[i];
    if (token === undefined) return null;
    if (token.type === 'string') {
      args.push(token.text);
      i++;
    } else if (token.type === 'word' && token.text === 'POINT') {
      i++;
      const inner = readArguments(tokens, i);
      if (inner === null) return null;
      const numbers = inner.filter((a): a is number => typeof a === 'number');
      if (numbers.length !== 2 || inner.length - numbers.length > 1) return null;
      args.push([numbers[0], numbers[1]]);
      // Skip past POINT's closing parenthesis.
      let depth = 0;
      do {
        if (tokens[i].text === '(') depth++;
        else if (tokens[i].text === ')') depth--;
        i++;
      } while (depth > 0);
    } else {
      const value = signedNumber();
      if (value === null) return null;
      args.push(value);
    }
    const separator = tokens[i++];
    if (separator?.text === ')') return args;
    if (separator?.text !== ',') return null;
  }
}

function isValidPosition(ra: number, dec: number): boolean {
  return Number.isFinite(ra) && Number.isFinite(dec) && Math.abs(dec) <= 90;
}

/** A CIRCLE or POLYGON from its arguments (an optional coordinate-system string first), or null if malformed. */
function shapeOf(kind: string, raw: readonly (number | string | [number, number])[]): QueryRegion | null {
  const args = typeof raw[0] === 'string' ? raw.slice(1) : raw;
  // POINT(ra, dec) arguments (ADQL 2.1) and bare number pairs are the same thing here.
  const numbers: number[] = [];
  for (const a of args) {
    if (typeof a === 'string') return null;
    if (typeof a === 'number') numbers.push(a);
    else numbers.push(...a);
  }
  if (kind === 'CIRCLE') {
    if (numbers.length !== 3) return null;
    const [ra, dec, radius] = numbers;
    if (!isValidPosition(ra, dec) || !(radius > 0) || radius > 180) return null;
    return Object.freeze({ kind: 'circle', ra, dec, radius });
  }
  if (numbers.length < 6 || numbers.length % 2 !== 0) return null;
  const vertices: (readonly [number, number])[] = [];
  for (let v = 0; v < numbers.length; v += 2) {
    if (!isValidPosition(numbers[v], numbers[v + 1])) return null;
    vertices.push(Object.freeze([numbers[v], numbers[v + 1]] as const));
  }
  return Object.freeze({ kind: 'polygon', vertices: Object.freeze(vertices) });
}

/** The CIRCLE and POLYGON regions with literal coordinates in the query's WHERE clauses, in order of appearance. */
export function queryRegions(adql: string): readonly QueryRegion[] {
  const regions: QueryRegion[] = [];
  for (const clause of whereClauses(tokenize(adql))) {
    for (let i = 0; i < clause.length; i++) {
      const token = clause[i];
      if (token.type !== 'word' || (token.text !== 'CIRCLE' && token.text !== 'POLYGON')) continue;
      const args = readArguments(clause, i + 1);
      const shape = args === null ? null : shapeOf(token.text, args);
      if (shape !== null) regions.push(shape);
    }
  }
  return Object.freeze(regions);
}

const DEGREES = Math.PI / 180;

/**
 * The outline of a region as (ra, dec) points in degrees, for drawing: a circle as `steps` points on the sphere
 * (a true small circle, which is not a circle in RA/Dec away from the equator), a polygon as its vertices with
 * each edge cut into `steps / vertices` pieces along the great circle, as ADQL defines the edges. RA values are
 * kept continuous (no jump at 0/360) around `centreRa`.
 */
export function regionOutline(region: QueryRegion, centreRa: number, steps = 128): [number, number][] {
  const near = (ra: number) => centreRa + ((((ra - centreRa + 180) % 360) + 360) % 360) - 180;
  if (region.kind === 'circle') {
    const [ra0, dec0, r] = [region.ra * DEGREES, region.dec * DEGREES, region.radius * DEGREES];
    const points: [number, number][] = [];
    for (let s = 0; s <= steps; s++) {
      const bearing = (2 * Math.PI * s) / steps;
      const dec = Math.asin(Math.sin(dec0) * Math.cos(r) + Math.cos(dec0) * Math.sin(r) * Math.cos(bearing));
      const ra =
        ra0 +
        Math.atan2(
          Math.sin(bearing) * Math.sin(r) * Math.cos(dec0),
          Math.cos(r) - Math.sin(dec0) * Math.sin(dec),
        );
      points.push([near(ra / DEGREES), dec / DEGREES]);
    }
    return points;
  }
  const unit = ([ra, dec]: readonly [number, number]) => [
    Math.cos(dec * DEGREES) * Math.cos(ra * DEGREES),
    Math.cos(dec * DEGREES) * Math.sin(ra * DEGREES),
    Math.sin(dec * DEGREES),
  ];
  const { vertices } = region;
  const perEdge = Math.max(1, Math.ceil(steps / vertices.length));
  const points: [number, number][] = [];
  for (let v = 0; v < vertices.length; v++) {
    const [a, b] = [unit(vertices[v]), unit(vertices[(v + 1) % vertices.length])];
    for (let s = 0; s < perEdge; s++) {
      // Linear interpolation of the unit vectors, normalised: a point on the great-circle arc.
      const t = s / perEdge;
      const [x, y, z] = [0, 1, 2].map((k) => a[k] * (1 - t) + b[k] * t);
      points.push([near(Math.atan2(y, x) / DEGREES), Math.atan2(z, Math.hypot(x, y)) / DEGREES]);
    }
  }
  points.push(points[0]);
  return points;
}

/** The RA and Dec extent of a region's outline, for fitting the sky plot around it. */
export function regionExtent(
  region: QueryRegion,
  centreRa: number,
): { ra: [number, number]; dec: [number, number] } {
  const points = regionOutline(region, centreRa, 64);
  const ras = points.map((p) => p[0]);
  const decs = points.map((p) => p[1]);
  return { ra: [Math.min(...ras), Math.max(...ras)], dec: [Math.min(...decs), Math.max(...decs)] };
}

/**
 * Positional matching on the sphere without O(n^2): the second catalogue is sorted by declination once, and each
 * position of the first scans only the declination band of the search radius (a sort-by-dec sweep), with a cheap
 * RA cut before the exact (haversine) separation. Matches are one-to-one: every candidate pair within the radius
 * is ranked by separation and accepted greedily when neither member is taken yet, so each source gets the nearest
 * truth object that no closer source claimed.
 */

const RAD = Math.PI / 180;
const MAS_PER_DEG = 3_600_000;

/** Positions in degrees, as parallel arrays. */
export interface SkyPositions {
  readonly ra: ArrayLike<number>;
  readonly dec: ArrayLike<number>;
}

/** Exact angular separation of two positions (haversine), degrees. */
export function separationDeg(ra1: number, dec1: number, ra2: number, dec2: number): number {
  const sinDDec = Math.sin(((dec2 - dec1) * RAD) / 2);
  const sinDRa = Math.sin(((ra2 - ra1) * RAD) / 2);
  const h = sinDDec * sinDDec + Math.cos(dec1 * RAD) * Math.cos(dec2 * RAD) * sinDRa * sinDRa;
  return (2 * Math.asin(Math.min(1, Math.sqrt(h)))) / RAD;
}

/** A declination-sorted view of a catalogue that answers "which rows lie within r of this position". */
export class DeclinationSweep {
  private readonly order: Int32Array;
  private readonly sortedDec: Float64Array;

  constructor(private readonly positions: SkyPositions) {
    const n = positions.dec.length;
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    order.sort((a, b) => positions.dec[a]! - positions.dec[b]!);
    this.order = order;
    this.sortedDec = Float64Array.from(order, (i) => positions.dec[i]!);
  }

  /** Rows within `minDeg`..`maxDeg` (inclusive) of (ra, dec), each with its separation in degrees. */
  within(
    ra: number,
    dec: number,
    maxDeg: number,
    visit: (row: number, sepDeg: number) => void,
    minDeg = 0,
  ): void {
    let lo = 0;
    let hi = this.sortedDec.length;
    const start = dec - maxDeg;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.sortedDec[mid]! < start) lo = mid + 1;
      else hi = mid;
    }
    // Near a pole the RA cut is useless (cos dec -> 0): skip it and rely on the exact separation.
    const cosDec = Math.cos(Math.min(89.9, Math.abs(dec) + maxDeg) * RAD);
    const raLimit = maxDeg / cosDec;
    for (let k = lo; k < this.sortedDec.length && this.sortedDec[k]! <= dec + maxDeg; k++) {
      const row = this.order[k]!;
      const dRa = Math.abs(((this.positions.ra[row]! - ra + 540) % 360) - 180);
      if (dRa > raLimit) continue;
      const sep = separationDeg(ra, dec, this.positions.ra[row]!, this.positions.dec[row]!);
      if (sep <= maxDeg && sep >= minDeg) visit(row, sep);
    }
  }
}

/** One-to-one matches: `first[i]` is matched to `second[secondIndex[i]]` at `separationMas[i]`. */
export interface MatchPairs {
  readonly firstIndex: Int32Array;
  readonly secondIndex: Int32Array;
  readonly separationMas: Float64Array;
}

/**
 * Match `first` (e.g. detected sources) to `second` (e.g. truth) within `radiusArcsec`, nearest first and
 * one-to-one. Pass `sweep` (built over `second`) to reuse one sort across many calls.
 */
export function matchOneToOne(
  first: SkyPositions,
  second: SkyPositions,
  radiusArcsec: number,
  sweep: DeclinationSweep = new DeclinationSweep(second),
): MatchPairs {
  const radiusDeg = radiusArcsec / 3600;
  const candidates: { a: number; b: number; sep: number }[] = [];
  for (let i = 0; i < first.ra.length; i++) {
    const ra = first.ra[i]!;
    const dec = first.dec[i]!;
    if (!Number.isFinite(ra) || !Number.isFinite(dec)) continue;
    sweep.within(ra, dec, radiusDeg, (row, sep) => {
      candidates.push({ a: i, b: row, sep });
    });
  }
  candidates.sort((x, y) => x.sep - y.sep || x.a - y.a || x.b - y.b);
  const takenFirst = new Uint8Array(first.ra.length);
  const takenSecond = new Uint8Array(second.ra.length);
  const a: number[] = [];
  const b: number[] = [];
  const sep: number[] = [];
  for (const c of candidates) {
    if (takenFirst[c.a] || takenSecond[c.b]) continue;
    takenFirst[c.a] = 1;
    takenSecond[c.b] = 1;
    a.push(c.a);
    b.push(c.b);
    sep.push(c.sep * MAS_PER_DEG);
  }
  return {
    firstIndex: Int32Array.from(a),
    secondIndex: Int32Array.from(b),
    separationMas: Float64Array.from(sep),
  };
}

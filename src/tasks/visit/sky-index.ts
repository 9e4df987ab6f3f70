/**
 * A neighbour index for points on the sky: the points sorted by declination, a query scans only the declination
 * band of the search radius and tests each candidate by the dot product of unit vectors (an exact angular test, so
 * RA wrap-around and high declinations need no special case). For a tract-sized field the band of a few
 * arcseconds holds a handful of points, so n queries cost O(n log n), not the O(n²) of comparing every pair.
 */

export class SkyIndex {
  /** Point indices ordered by declination. */
  private readonly order: Int32Array;
  private readonly sortedDec: Float64Array;
  private readonly x: Float64Array;
  private readonly y: Float64Array;
  private readonly z: Float64Array;

  constructor(raDeg: ArrayLike<number>, decDeg: ArrayLike<number>) {
    const n = raDeg.length;
    this.x = new Float64Array(n);
    this.y = new Float64Array(n);
    this.z = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const ra = (raDeg[i]! * Math.PI) / 180;
      const dec = (decDeg[i]! * Math.PI) / 180;
      this.x[i] = Math.cos(dec) * Math.cos(ra);
      this.y[i] = Math.cos(dec) * Math.sin(ra);
      this.z[i] = Math.sin(dec);
    }
    this.order = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => decDeg[a]! - decDeg[b]!);
    this.sortedDec = Float64Array.from(this.order, (i) => decDeg[i]!);
  }

  get size(): number {
    return this.order.length;
  }

  /** Indices of the points within `radiusArcsec` of (ra, dec), in declination order. */
  within(raDeg: number, decDeg: number, radiusArcsec: number): number[] {
    const radiusDeg = radiusArcsec / 3600;
    const cosRadius = Math.cos((radiusDeg * Math.PI) / 180);
    const ra = (raDeg * Math.PI) / 180;
    const dec = (decDeg * Math.PI) / 180;
    const px = Math.cos(dec) * Math.cos(ra);
    const py = Math.cos(dec) * Math.sin(ra);
    const pz = Math.sin(dec);
    const out: number[] = [];
    for (let k = this.lowerBound(decDeg - radiusDeg); k < this.order.length; k++) {
      if (this.sortedDec[k]! > decDeg + radiusDeg) break;
      const i = this.order[k]!;
      if (px * this.x[i]! + py * this.y[i]! + pz * this.z[i]! >= cosRadius) out.push(i);
    }
    return out;
  }

  /** The nearest point within `radiusArcsec`, or -1. */
  nearest(raDeg: number, decDeg: number, radiusArcsec: number): number {
    const ra = (raDeg * Math.PI) / 180;
    const dec = (decDeg * Math.PI) / 180;
    const px = Math.cos(dec) * Math.cos(ra);
    const py = Math.cos(dec) * Math.sin(ra);
    const pz = Math.sin(dec);
    let best = -1;
    let bestDot = -2;
    for (const i of this.within(raDeg, decDeg, radiusArcsec)) {
      const d = px * this.x[i]! + py * this.y[i]! + pz * this.z[i]!;
      if (d > bestDot) {
        bestDot = d;
        best = i;
      }
    }
    return best;
  }

  private lowerBound(decDeg: number): number {
    let lo = 0;
    let hi = this.sortedDec.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.sortedDec[mid]! < decDeg) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

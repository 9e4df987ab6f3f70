/**
 * Triangles of bright stars and their similarity invariants, for the pattern matcher (the triangle variant of the
 * optimistic pattern matchers: Groth 1986; Valdes et al. 1995; Tabur 2007).
 *
 * The sides of a triangle, longest first, are a >= b >= c; the ratios (b / a, c / a) are unchanged by a shift, a
 * rotation, a change of scale and a flip, so two views of the same three stars agree on them whatever the WCS. The
 * vertices are labelled by the side they face (A faces a), which makes the correspondence of the vertices of two
 * matching triangles unambiguous, and the orientation (the sign of (B - A) x (C - A)) tells a flip.
 */

export interface TriangleSet {
  readonly count: number;
  /** Vertex indices A, B, C (into the point list) of triangle t at 3 t .. 3 t + 2. */
  readonly vertices: Int32Array;
  /** b / a and c / a. */
  readonly ratio1: Float64Array;
  readonly ratio2: Float64Array;
  /** Longest side a, in the points' units. */
  readonly longest: Float64Array;
  /** +1 or -1. */
  readonly orientation: Int8Array;
}

/**
 * Every triangle of the points whose longest side is at least `minSide` and whose sides differ enough (by more than
 * `tolerance` times the longest) to label the vertices; sorted by `ratio1`, for range searches.
 */
export function buildTriangles(
  xs: ArrayLike<number>,
  ys: ArrayLike<number>,
  minSide: number,
  tolerance: number,
): TriangleSet {
  const n = xs.length;
  const found: { v: [number, number, number]; r1: number; r2: number; a: number; o: number }[] = [];
  const distance = (i: number, j: number) => Math.hypot(xs[i] - xs[j], ys[i] - ys[j]);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      for (let k = j + 1; k < n; k++) {
        // Each side with the vertex it faces.
        const sides: [number, number][] = [
          [distance(j, k), i],
          [distance(i, k), j],
          [distance(i, j), k],
        ];
        sides.sort((p, q) => q[0] - p[0]);
        const [[a, vA], [b, vB], [c, vC]] = sides;
        if (a < minSide || a - b < tolerance * a || b - c < tolerance * a) continue;
        const cross = (xs[vB] - xs[vA]) * (ys[vC] - ys[vA]) - (ys[vB] - ys[vA]) * (xs[vC] - xs[vA]);
        found.push({ v: [vA, vB, vC], r1: b / a, r2: c / a, a, o: cross >= 0 ? 1 : -1 });
      }
    }
  }
  found.sort((p, q) => p.r1 - q.r1);
  const count = found.length;
  const set: TriangleSet = {
    count,
    vertices: new Int32Array(3 * count),
    ratio1: new Float64Array(count),
    ratio2: new Float64Array(count),
    longest: new Float64Array(count),
    orientation: new Int8Array(count),
  };
  found.forEach((t, index) => {
    set.vertices.set(t.v, 3 * index);
    set.ratio1[index] = t.r1;
    set.ratio2[index] = t.r2;
    set.longest[index] = t.a;
    set.orientation[index] = t.o;
  });
  return set;
}

/** First index whose ratio1 is >= value (binary search over the sorted set). */
export function lowerBound(sorted: Float64Array, value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

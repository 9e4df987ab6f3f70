/**
 * Planar neighbour searches for the matchers: a uniform grid of point indices (cells of the search radius, so a
 * query looks at 3 x 3 cells), and one-to-one nearest-neighbour matching of two point sets within a radius, where
 * conflicts go to the closest pair (candidate pairs are taken in order of distance; a point already taken is skipped).
 */

export interface PlanarMatch {
  readonly first: number;
  readonly second: number;
  readonly distance: number;
}

export class PointGrid {
  private readonly cells = new Map<string, number[]>();

  constructor(
    private readonly xs: ArrayLike<number>,
    private readonly ys: ArrayLike<number>,
    private readonly cellSize: number,
  ) {
    for (let j = 0; j < xs.length; j++) {
      if (!Number.isFinite(xs[j]) || !Number.isFinite(ys[j])) continue;
      const k = this.key(Math.floor(xs[j] / cellSize), Math.floor(ys[j] / cellSize));
      const list = this.cells.get(k);
      if (list) list.push(j);
      else this.cells.set(k, [j]);
    }
  }

  private key(cx: number, cy: number): string {
    return `${cx},${cy}`;
  }

  /** Calls `visit(index, distance)` for every point closer than `radius` (at most the cell size) to (x, y). */
  forEachWithin(
    x: number,
    y: number,
    radius: number,
    visit: (index: number, distance: number) => void,
  ): void {
    if (!Number.isFinite(x) || !Number.isFinite(y)) return;
    const cx = Math.floor(x / this.cellSize);
    const cy = Math.floor(y / this.cellSize);
    for (let ox = -1; ox <= 1; ox++) {
      for (let oy = -1; oy <= 1; oy++) {
        for (const j of this.cells.get(this.key(cx + ox, cy + oy)) ?? []) {
          const d = Math.hypot(this.xs[j] - x, this.ys[j] - y);
          if (d < radius) visit(j, d);
        }
      }
    }
  }

  /** Distance to the nearest point closer than `radius`, or Infinity. */
  nearestDistance(x: number, y: number, radius: number): number {
    let best = Number.POSITIVE_INFINITY;
    this.forEachWithin(x, y, radius, (_, d) => {
      if (d < best) best = d;
    });
    return best;
  }
}

/** Pairs (index into first, index into second) closer than `radius`, each point used at most once. */
export function matchNearest(
  firstX: ArrayLike<number>,
  firstY: ArrayLike<number>,
  secondX: ArrayLike<number>,
  secondY: ArrayLike<number>,
  radius: number,
): PlanarMatch[] {
  const grid = new PointGrid(secondX, secondY, radius);
  const candidates: PlanarMatch[] = [];
  // Every pair within the radius, not just each point's nearest, so that a point that loses its nearest partner to
  // a closer rival can still take its runner-up.
  for (let i = 0; i < firstX.length; i++) {
    grid.forEachWithin(firstX[i], firstY[i], radius, (j, distance) => {
      candidates.push({ first: i, second: j, distance });
    });
  }
  candidates.sort((a, b) => a.distance - b.distance);
  const firstUsed = new Uint8Array(firstX.length);
  const secondUsed = new Uint8Array(secondX.length);
  const out: PlanarMatch[] = [];
  for (const c of candidates) {
    if (firstUsed[c.first] || secondUsed[c.second]) continue;
    firstUsed[c.first] = 1;
    secondUsed[c.second] = 1;
    out.push(c);
  }
  return out;
}

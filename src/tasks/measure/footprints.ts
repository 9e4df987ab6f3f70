/**
 * Footprints: the connected regions of pixels above a detection threshold, as run-length spans, with the peaks
 * inside each. Labelling is the classic two-pass run-length algorithm: find the runs of each row, join a run to
 * the runs of the previous row that touch it (8-connectivity: a run [a, b] touches [c, d] when c ≤ b + 1 and
 * d ≥ a − 1) in a union-find, then gather the runs by root. Work is proportional to the number of runs, not pixels.
 */
import { type Box2I, box2i } from '../../formats/index.js';

/** A local maximum of the smoothed image inside a footprint (parent pixel coordinates). */
export interface Peak {
  readonly x: number;
  readonly y: number;
  /** Smoothed-image value at the peak (image units). */
  readonly value: number;
  /** value / threshold-σ of the smoothed image: the detection significance in σ. */
  readonly significance: number;
}

/**
 * A connected set of pixels: `spans` holds triples (y, xStart, xEnd), inclusive, in parent coordinates, sorted by
 * y then x. Peaks are sorted brightest first; more than one means the source is blended.
 */
export interface Footprint {
  readonly kind: 'footprint';
  readonly id: number;
  readonly spans: Int32Array;
  readonly area: number;
  readonly bbox: Box2I;
  readonly peaks: readonly Peak[];
  /** A deblended parent (deblend.ts): how many children it was split into. */
  readonly childCount?: number;
  /** A deblended child: its parent footprint's id, and how many peaks (children) the parent has. */
  readonly parentId?: number;
  readonly parentPeakCount?: number;
  /** A deblended child's share of each of its (the parent's) pixels, in span order: a "heavy" footprint. */
  readonly heavy?: Float32Array;
}

/** Runs of a row-major binary image, grouped into 8-connected components (local array coordinates). */
export interface Components {
  /** Per component: its spans (y, x0, x1) in local coordinates. */
  readonly spans: Int32Array[];
}

/** Runs (y, x0, x1 inclusive) in raster order, in a growable Int32Array. */
export class RunList {
  data = new Int32Array(3 * 1024);
  length = 0;
  push(y: number, x0: number, x1: number): void {
    if (this.length + 3 > this.data.length) {
      const bigger = new Int32Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = y;
    this.data[this.length++] = x0;
    this.data[this.length++] = x1;
  }
  get count(): number {
    return this.length / 3;
  }
}

function find(parent: Int32Array, i: number): number {
  let root = i;
  while (parent[root] !== root) root = parent[root];
  while (parent[i] !== root) {
    const next = parent[i];
    parent[i] = root;
    i = next;
  }
  return root;
}

/** Runs of the non-zero pixels of a row-major binary image. */
export function runsOfMask(above: Uint8Array, width: number, height: number): RunList {
  const runs = new RunList();
  for (let y = 0; y < height; y++) {
    const row = y * width;
    let x = 0;
    while (x < width) {
      if (above[row + x] === 0) {
        x++;
        continue;
      }
      const x0 = x;
      while (x < width && above[row + x] !== 0) x++;
      runs.push(y, x0, x - 1);
    }
  }
  return runs;
}

/** 8-connected components of the pixels where `above[i]` is non-zero, keeping those of at least `minPixels`. */
export function connectedComponents(
  above: Uint8Array,
  width: number,
  height: number,
  minPixels: number,
): Components {
  return componentsOfRuns(runsOfMask(above, width, height), minPixels);
}

/** Group raster-ordered runs into 8-connected components of at least `minPixels` pixels. */
export function componentsOfRuns(runs: RunList, minPixels: number): Components {
  const runCount = runs.count;
  const data = runs.data;
  const parent = new Int32Array(runCount);
  // Runs of the previous row: index range [previousStart, previousEnd).
  let previousStart = 0;
  let previousEnd = 0;
  let currentStart = 0;
  let p = 0;
  for (let r = 0; r < runCount; r++) {
    const y = data[3 * r];
    if (r === 0 || y !== data[3 * (r - 1)]) {
      // A new row: the previous row's runs are those of row y − 1, if the last row seen was y − 1.
      const lastY = r === 0 ? -2 : data[3 * (r - 1)];
      previousStart = lastY === y - 1 ? currentStart : r;
      previousEnd = r;
      currentStart = r;
      p = previousStart;
    }
    parent[r] = r;
    const x0 = data[3 * r + 1];
    const x1 = data[3 * r + 2];
    // Previous-row runs are sorted by x: skip those entirely left of this run, join those that touch it.
    while (p < previousEnd && data[3 * p + 2] < x0 - 1) p++;
    for (let q = p; q < previousEnd && data[3 * q + 1] <= x1 + 1; q++) {
      const a = find(parent, r);
      const b = find(parent, q);
      if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
    }
  }
  // Per root run: pixel count and run count of its component (indexed by run, so no maps).
  const groupOf = new Int32Array(runCount);
  const areaOf = new Int32Array(runCount);
  const runsOf = new Int32Array(runCount);
  for (let r = 0; r < runCount; r++) {
    const root = find(parent, r);
    groupOf[r] = root;
    areaOf[root] += data[3 * r + 2] - data[3 * r + 1] + 1;
    runsOf[root]++;
  }
  // Components in order of their first run (raster order of their first pixel): deterministic ids.
  const slotOf = new Int32Array(runCount).fill(-1);
  const filled: number[] = [];
  const ordered: Int32Array[] = [];
  for (let r = 0; r < runCount; r++) {
    const root = groupOf[r];
    if (areaOf[root] < minPixels) continue;
    let slot = slotOf[root];
    if (slot < 0) {
      slot = ordered.length;
      slotOf[root] = slot;
      ordered.push(new Int32Array(3 * runsOf[root]));
      filled.push(0);
    }
    const spans = ordered[slot];
    const at = filled[slot];
    spans[at] = data[3 * r];
    spans[at + 1] = data[3 * r + 1];
    spans[at + 2] = data[3 * r + 2];
    filled[slot] = at + 3;
  }
  return { spans: ordered };
}

/** Bounding box and pixel count of local spans, shifted to parent coordinates. */
export function spansBox(spans: Int32Array, x0: number, y0: number): { bbox: Box2I; area: number } {
  let minX = Number.POSITIVE_INFINITY;
  let maxX = Number.NEGATIVE_INFINITY;
  let area = 0;
  for (let i = 0; i < spans.length; i += 3) {
    if (spans[i + 1] < minX) minX = spans[i + 1];
    if (spans[i + 2] > maxX) maxX = spans[i + 2];
    area += spans[i + 2] - spans[i + 1] + 1;
  }
  const minY = spans[0];
  const maxY = spans[spans.length - 3];
  return { bbox: box2i(minX + x0, minY + y0, maxX - minX + 1, maxY - minY + 1), area };
}

export interface PeakOptions {
  /** Peaks closer than this to a brighter peak (pixels) are not separate. */
  readonly minSeparation: number;
  /** A fainter peak must rise this far above the lowest point on the line to a brighter one (image units). */
  readonly minProminence: number;
  readonly maxPeaks: number;
}

/**
 * Peaks of `smoothed` inside local spans: 3×3 local maxima (ties broken by raster order), brightest first, each kept
 * only when it is at least `minSeparation` from every brighter kept peak and the smoothed image dips by
 * `minProminence` between them (a noise bump on a star's wing does not dip). Coordinates are local.
 */
export function findPeaks(
  smoothed: Float32Array,
  width: number,
  height: number,
  spans: Int32Array,
  options: PeakOptions,
): { x: number; y: number; value: number }[] {
  const candidates: { x: number; y: number; value: number }[] = [];
  for (let s = 0; s < spans.length; s += 3) {
    const y = spans[s];
    for (let x = spans[s + 1]; x <= spans[s + 2]; x++) {
      const v = smoothed[y * width + x];
      if (isLocalMaximum(smoothed, width, height, x, y, v)) candidates.push({ x, y, value: v });
    }
  }
  candidates.sort((a, b) => b.value - a.value);
  const kept: { x: number; y: number; value: number }[] = [];
  const minSep2 = options.minSeparation * options.minSeparation;
  for (const c of candidates) {
    if (kept.length >= options.maxPeaks) break;
    let separate = true;
    for (const k of kept) {
      const dx = c.x - k.x;
      const dy = c.y - k.y;
      if (
        dx * dx + dy * dy < minSep2 ||
        c.value - lowestOnLine(smoothed, width, c, k) < options.minProminence
      ) {
        separate = false;
        break;
      }
    }
    if (separate) kept.push(c);
  }
  return kept;
}

function isLocalMaximum(
  image: Float32Array,
  width: number,
  height: number,
  x: number,
  y: number,
  v: number,
): boolean {
  for (let dy = -1; dy <= 1; dy++) {
    const yy = y + dy;
    if (yy < 0 || yy >= height) continue;
    for (let dx = -1; dx <= 1; dx++) {
      const xx = x + dx;
      if ((dx === 0 && dy === 0) || xx < 0 || xx >= width) continue;
      const n = image[yy * width + xx];
      // Strictly greater than earlier neighbours, at least equal to later ones: one peak per flat plateau.
      if (dy < 0 || (dy === 0 && dx < 0) ? n >= v : n > v) return false;
    }
  }
  return true;
}

/** Minimum of the image sampled (nearest pixel) every half pixel along the segment between two points. */
function lowestOnLine(
  image: Float32Array,
  width: number,
  a: { x: number; y: number },
  b: { x: number; y: number },
): number {
  const steps = Math.max(1, Math.ceil(2 * Math.hypot(b.x - a.x, b.y - a.y)));
  let lowest = Number.POSITIVE_INFINITY;
  for (let i = 0; i <= steps; i++) {
    const t = i / steps;
    const x = Math.round(a.x + t * (b.x - a.x));
    const y = Math.round(a.y + t * (b.y - a.y));
    const v = image[y * width + x];
    if (v < lowest) lowest = v;
  }
  return lowest;
}

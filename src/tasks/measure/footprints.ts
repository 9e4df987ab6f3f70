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
}

/** Runs of a row-major binary image, grouped into 8-connected components (local array coordinates). */
export interface Components {
  /** Per component: its spans (y, x0, x1) in local coordinates. */
  readonly spans: Int32Array[];
}

class GrowableInt32 {
  data = new Int32Array(1024);
  length = 0;
  push3(a: number, b: number, c: number): void {
    if (this.length + 3 > this.data.length) {
      const bigger = new Int32Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = a;
    this.data[this.length++] = b;
    this.data[this.length++] = c;
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

/** 8-connected components of the pixels where `above[i]` is non-zero, keeping those of at least `minPixels`. */
export function connectedComponents(
  above: Uint8Array,
  width: number,
  height: number,
  minPixels: number,
): Components {
  const runs = new GrowableInt32();
  // Runs of the previous row: index range into `runs` (in units of runs).
  let previousStart = 0;
  let previousEnd = 0;
  let parent = new Int32Array(1024);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    const currentStart = runs.length / 3;
    let p = previousStart;
    let x = 0;
    while (x < width) {
      if (above[row + x] === 0) {
        x++;
        continue;
      }
      const x0 = x;
      while (x < width && above[row + x] !== 0) x++;
      const x1 = x - 1;
      const id = runs.length / 3;
      runs.push3(y, x0, x1);
      if (id >= parent.length) {
        const bigger = new Int32Array(parent.length * 2);
        bigger.set(parent);
        parent = bigger;
      }
      parent[id] = id;
      // Previous-row runs are sorted by x: skip those entirely left of this run, join those that touch it.
      while (p < previousEnd && runs.data[3 * p + 2] < x0 - 1) p++;
      for (let q = p; q < previousEnd && runs.data[3 * q + 1] <= x1 + 1; q++) {
        const a = find(parent, id);
        const b = find(parent, q);
        if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
      }
    }
    previousStart = currentStart;
    previousEnd = runs.length / 3;
  }
  const runCount = runs.length / 3;
  const groupOf = new Int32Array(runCount);
  const areaOfRoot = new Map<number, { area: number; runs: number }>();
  for (let r = 0; r < runCount; r++) {
    const root = find(parent, r);
    groupOf[r] = root;
    const len = runs.data[3 * r + 2] - runs.data[3 * r + 1] + 1;
    const entry = areaOfRoot.get(root);
    if (entry === undefined) areaOfRoot.set(root, { area: len, runs: 1 });
    else {
      entry.area += len;
      entry.runs++;
    }
  }
  // Components in order of their first run (raster order of their first pixel): deterministic ids.
  const slot = new Map<number, { spans: Int32Array; filled: number }>();
  const ordered: Int32Array[] = [];
  for (let r = 0; r < runCount; r++) {
    const root = groupOf[r];
    const info = areaOfRoot.get(root)!;
    if (info.area < minPixels) continue;
    let target = slot.get(root);
    if (target === undefined) {
      target = { spans: new Int32Array(3 * info.runs), filled: 0 };
      slot.set(root, target);
      ordered.push(target.spans);
    }
    target.spans.set(runs.data.subarray(3 * r, 3 * r + 3), target.filled);
    target.filled += 3;
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

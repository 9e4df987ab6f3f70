/**
 * Sky background: a mesh of robust statistics, median-filtered across neighbouring cells, interpolated to every
 * pixel (SExtractor's scheme, Bertin & Arnouts 1996 §3.1, with LSST's habit of masking detected pixels).
 *
 * 1. Cells of `meshSize` pixels (the last row/column of cells absorbs the remainder). In each cell the pixels whose
 *    mask has any of `ignoredPlanes` (DETECTED, BAD, SAT, CR, NO_DATA, ... : sources and defects) are left out and
 *    statistics.ts `clippedBackgroundStatistics` gives the level and σ. A cell with fewer than `minGoodFraction`
 *    usable pixels is filled from its neighbours.
 * 2. A median filter of `filterSize` cells removes cells spoiled by a bright star or a galaxy. Near the border the
 *    window shrinks symmetrically (a one-sided window would bias a sky gradient).
 * 3. Bilinear interpolation between cell centres (done row by row when subtracting: no full background image), extrapolated linearly beyond the outermost centres. Bilinear, not
 *    SExtractor's bicubic spline: it is exact for a plane (the usual sky gradient), never overshoots next to a
 *    cell pulled up by a bright source, and costs two multiply-adds per pixel; the cells are large compared with
 *    any sky structure we model, so the spline's smoothness buys nothing measurable.
 */
import { z } from 'zod';
import { meridianError } from '../../errors.js';
import { type Box2I, ImageF, type Mask } from '../../formats/index.js';
import { regionBackgroundStatistics } from './statistics.js';

export const BackgroundConfig = z
  .object({
    /** Cell size in pixels. */
    meshSize: z.number().int().min(8).default(128),
    /** Median filter width in cells (odd). */
    filterSize: z.number().int().min(1).default(3),
    /** Clipping threshold in σ. */
    clipSigma: z.number().positive().default(3),
    /** Mask planes whose pixels are not sky. */
    ignoredPlanes: z
      .array(z.string())
      .default(['DETECTED', 'BAD', 'SAT', 'CR', 'NO_DATA', 'SUSPECT', 'EDGE']),
    /** A cell needs this fraction of usable pixels, else it is filled from neighbours. */
    minGoodFraction: z.number().min(0).max(1).default(0.1),
  })
  .strict();
export type BackgroundConfig = z.infer<typeof BackgroundConfig>;

/** The per-cell grid and its interpolation to every pixel. */
export interface BackgroundModel {
  readonly kind: 'backgroundModel';
  readonly bbox: Box2I;
  readonly cellsX: number;
  readonly cellsY: number;
  /** Filtered cell levels and σ, row-major (cellsY × cellsX), in image units (e.g. electrons per pixel). */
  readonly cellLevel: Float32Array;
  readonly cellSigma: Float32Array;
  /** Cell centres in pixels relative to the image origin. */
  readonly centreX: Float64Array;
  readonly centreY: Float64Array;
  /** Median of the cell levels and σ: the image's sky level and sky noise. */
  readonly medianLevel: number;
  readonly medianSigma: number;
}

export function parseBackgroundConfig(input: unknown = {}): BackgroundConfig {
  const parsed = BackgroundConfig.safeParse(input);
  if (!parsed.success) {
    throw meridianError('INVALID_ARGUMENT', `invalid background config: ${parsed.error.issues[0]?.message}`);
  }
  return parsed.data;
}

/** Estimate the background of `image` (ignoring masked pixels) as a mesh interpolated to every pixel. */
export function estimateBackground(
  image: ImageF,
  mask: Mask | null = null,
  config: Partial<BackgroundConfig> = {},
): BackgroundModel {
  const cfg = parseBackgroundConfig(config);
  if (cfg.filterSize % 2 === 0) throw meridianError('INVALID_ARGUMENT', 'background filterSize must be odd');
  const { width, height } = image;
  if (width === 0 || height === 0)
    throw meridianError('INVALID_ARGUMENT', 'cannot model the background of an empty image');
  const cellsX = Math.max(1, Math.floor(width / cfg.meshSize));
  const cellsY = Math.max(1, Math.floor(height / cfg.meshSize));
  const edgesX = cellEdges(width, cellsX);
  const edgesY = cellEdges(height, cellsY);
  const ignored = mask === null ? 0 : ignoredBits(mask, cfg.ignoredPlanes);
  const maskArray = mask?.array ?? null;
  const pixels = image.array;
  const level = new Float32Array(cellsX * cellsY).fill(Number.NaN);
  const sigma = new Float32Array(cellsX * cellsY).fill(Number.NaN);
  for (let cy = 0; cy < cellsY; cy++) {
    for (let cx = 0; cx < cellsX; cx++) {
      const region = {
        pixels,
        mask: maskArray,
        ignoredBits: ignored,
        width,
        x0: edgesX[cx],
        x1: edgesX[cx + 1],
        y0: edgesY[cy],
        y1: edgesY[cy + 1],
      };
      const stats = regionBackgroundStatistics(region, cfg.clipSigma);
      const area = (region.x1 - region.x0) * (region.y1 - region.y0);
      if (stats.usable < Math.max(3, cfg.minGoodFraction * area)) continue;
      level[cy * cellsX + cx] = stats.level;
      sigma[cy * cellsX + cx] = stats.sigma;
    }
  }
  if (!fillMissingCells(level, sigma, cellsX, cellsY)) {
    throw meridianError(
      'INVALID_ARGUMENT',
      'no background cell has enough unmasked pixels: the image is all masked or NaN',
    );
  }
  const cellLevel = medianFilterCells(level, cellsX, cellsY, cfg.filterSize);
  const cellSigma = medianFilterCells(sigma, cellsX, cellsY, cfg.filterSize);
  const centreX = Float64Array.from({ length: cellsX }, (_, i) => (edgesX[i] + edgesX[i + 1] - 1) / 2);
  const centreY = Float64Array.from({ length: cellsY }, (_, i) => (edgesY[i] + edgesY[i + 1] - 1) / 2);
  return Object.freeze({
    kind: 'backgroundModel',
    bbox: image.bbox,
    cellsX,
    cellsY,
    cellLevel,
    cellSigma,
    centreX,
    centreY,
    medianLevel: medianOf(cellLevel),
    medianSigma: medianOf(cellSigma),
  });
}

/** The background level at every pixel (a new image): the sum of the models, e.g. a first and a residual one. */
export function backgroundImage(...models: readonly BackgroundModel[]): ImageF {
  if (models.length === 0)
    throw meridianError('INVALID_ARGUMENT', 'backgroundImage needs at least one model');
  const out = ImageF.zeros(models[0].bbox);
  for (const model of models) addBackground(out, model);
  return out;
}

/** The sky noise σ at every pixel (a new image). */
export function backgroundRmsImage(model: BackgroundModel): ImageF {
  const out = ImageF.zeros(model.bbox);
  addInterpolatedCells(out.array, out.array, model, model.cellSigma, 1);
  return out;
}

/**
 * A new image: `image` minus the background. One pass that reads the input and writes the output, where a copy
 * followed by `subtractBackground` takes two.
 */
export function backgroundSubtracted(image: ImageF, model: BackgroundModel): ImageF {
  checkSameSize(image, model);
  const out = new Float32Array(image.array.length);
  addInterpolatedCells(image.array, out, model, model.cellLevel, -1);
  return new ImageF(out, image.bbox);
}

/**
 * Subtract the background from `image` in place, interpolating row by row (no full background image is made; pass
 * `image.subset(image.bbox)` first to keep the original).
 */
export function subtractBackground(image: ImageF, model: BackgroundModel): void {
  checkSameSize(image, model);
  addInterpolatedCells(image.array, image.array, model, model.cellLevel, -1);
}

/** Add the background into `target` in place (to accumulate successive background estimates). */
export function addBackground(target: ImageF, model: BackgroundModel): void {
  checkSameSize(target, model);
  addInterpolatedCells(target.array, target.array, model, model.cellLevel, 1);
}

function checkSameSize(image: ImageF, model: BackgroundModel): void {
  if (image.width !== model.bbox.width || image.height !== model.bbox.height) {
    throw meridianError('INVALID_ARGUMENT', 'background model and image have different sizes');
  }
}

export function ignoredBits(mask: Mask, planes: readonly string[]): number {
  let bits = 0;
  for (const plane of planes) if (plane in mask.planes) bits |= mask.bitMask(plane);
  return bits;
}

function cellEdges(size: number, cells: number): Int32Array {
  const step = Math.floor(size / cells);
  const edges = new Int32Array(cells + 1);
  for (let i = 0; i < cells; i++) edges[i] = i * step;
  edges[cells] = size;
  return edges;
}

/** Fill NaN cells with the mean of their valid neighbours, growing outwards; false when no cell is valid. */
function fillMissingCells(level: Float32Array, sigma: Float32Array, nx: number, ny: number): boolean {
  let missing = 0;
  for (const v of level) if (Number.isNaN(v)) missing++;
  if (missing === level.length) return false;
  while (missing > 0) {
    const snapshot = level.slice();
    const sigmaSnapshot = sigma.slice();
    for (let cy = 0; cy < ny; cy++) {
      for (let cx = 0; cx < nx; cx++) {
        const i = cy * nx + cx;
        if (!Number.isNaN(snapshot[i])) continue;
        let sum = 0;
        let sumSigma = 0;
        let count = 0;
        for (let dy = -1; dy <= 1; dy++) {
          for (let dx = -1; dx <= 1; dx++) {
            const x = cx + dx;
            const y = cy + dy;
            if (x < 0 || y < 0 || x >= nx || y >= ny) continue;
            const v = snapshot[y * nx + x];
            if (!Number.isNaN(v)) {
              sum += v;
              sumSigma += sigmaSnapshot[y * nx + x];
              count++;
            }
          }
        }
        if (count > 0) {
          level[i] = sum / count;
          sigma[i] = sumSigma / count;
          missing--;
        }
      }
    }
  }
  return true;
}

/** Median over a window of `size` cells, shrunk symmetrically near the border so that a gradient stays unbiased. */
function medianFilterCells(values: Float32Array, nx: number, ny: number, size: number): Float32Array {
  const half = (size - 1) >> 1;
  const out = new Float32Array(values.length);
  const window = new Float32Array(size * size);
  for (let cy = 0; cy < ny; cy++) {
    const hy = Math.min(half, cy, ny - 1 - cy);
    for (let cx = 0; cx < nx; cx++) {
      const hx = Math.min(half, cx, nx - 1 - cx);
      let n = 0;
      for (let y = cy - hy; y <= cy + hy; y++)
        for (let x = cx - hx; x <= cx + hx; x++) window[n++] = values[y * nx + x];
      out[cy * nx + cx] = medianSorted(window, n);
    }
  }
  return out;
}

function medianSorted(values: Float32Array, n: number): number {
  const part = values.subarray(0, n).sort();
  return n % 2 === 1 ? part[n >> 1] : 0.5 * (part[n / 2 - 1] + part[n / 2]);
}

function medianOf(values: Float32Array): number {
  return medianSorted(values.slice(), values.length);
}

/** Index of the left interpolation node and the weight of the right one, per coordinate (linear extrapolation). */
function interpolationNodes(
  centres: Float64Array,
  size: number,
): { index: Int32Array; weight: Float32Array } {
  const index = new Int32Array(size);
  const weight = new Float32Array(size);
  const n = centres.length;
  if (n === 1) return { index, weight };
  let k = 0;
  for (let p = 0; p < size; p++) {
    while (k < n - 2 && p > centres[k + 1]) k++;
    index[p] = k;
    weight[p] = (p - centres[k]) / (centres[k + 1] - centres[k]);
  }
  return { index, weight };
}

/**
 * Bilinear interpolation of a model's cell values (levels or σ), one row at a time: the nodes and the row's
 * segments between cell centres are set up once; each row then costs one add per pixel.
 */
class RowInterpolator {
  private readonly width: number;
  private readonly nx: number;
  private readonly ny: number;
  private readonly centreX: Float64Array;
  private readonly ys: { index: Int32Array; weight: Float32Array };
  private readonly xs: { index: Int32Array; weight: Float32Array };
  /** Pixels [segmentStart[k], segmentStart[k + 1]) interpolate between nodes k and k + 1 (the ends extrapolate). */
  private readonly segmentStart: Int32Array;
  private readonly rowValues: Float64Array;
  private rowOfValues = -1;

  constructor(
    model: BackgroundModel,
    private readonly cells: Float32Array,
  ) {
    const { width, height } = model.bbox;
    this.width = width;
    this.centreX = model.centreX;
    this.nx = model.centreX.length;
    this.ny = model.centreY.length;
    this.ys = interpolationNodes(model.centreY, height);
    this.xs = interpolationNodes(model.centreX, width);
    const nx = this.nx;
    this.segmentStart = new Int32Array(Math.max(nx, 2));
    if (nx > 1) {
      for (let x = width - 1; x >= 0; x--) this.segmentStart[this.xs.index[x]] = x;
      for (let k = 1; k < nx - 1; k++)
        this.segmentStart[k] = Math.max(this.segmentStart[k], this.segmentStart[k - 1]);
    }
    this.segmentStart[Math.max(nx, 2) - 1] = width;
    this.rowValues = new Float64Array(nx);
  }

  /** The cell values interpolated to row y at each node column (cached for the last row asked). */
  private valuesAtRow(y: number): Float64Array {
    if (y === this.rowOfValues) return this.rowValues;
    const { nx, ny, cells } = this;
    const j = this.ys.index[y];
    const wy = this.ys.weight[y];
    for (let i = 0; i < nx; i++) {
      const below = cells[j * nx + i];
      this.rowValues[i] = ny === 1 ? below : below + wy * (cells[(j + 1) * nx + i] - below);
    }
    this.rowOfValues = y;
    return this.rowValues;
  }

  /** target[targetStart + x] = source[sourceStart + x] + sign × value(x, y) for the whole row y. */
  row(
    y: number,
    source: Float32Array,
    sourceStart: number,
    target: Float32Array,
    targetStart: number,
    sign: number,
  ): void {
    const { width, nx, centreX, segmentStart } = this;
    const values = this.valuesAtRow(y);
    const shift = sourceStart - targetStart;
    if (nx === 1) {
      const v = sign * values[0];
      for (let t = targetStart; t < targetStart + width; t++) target[t] = source[t + shift] + v;
      return;
    }
    // Linear along each segment: start value and a constant step, one add per pixel (no per-pixel node lookup).
    for (let k = 0; k < nx - 1; k++) {
      const slope = (sign * (values[k + 1] - values[k])) / (centreX[k + 1] - centreX[k]);
      const from = segmentStart[k];
      const to = k === nx - 2 ? width : segmentStart[k + 1];
      let v = sign * values[k] + (from - centreX[k]) * slope;
      for (let t = targetStart + from; t < targetStart + to; t++) {
        target[t] = source[t + shift] + v;
        v += slope;
      }
    }
  }

  /** The smallest value along row y: the row is piecewise linear, so it is at a node or at an end. */
  rowMinimum(y: number): number {
    const values = this.valuesAtRow(y);
    let lowest = Math.min(this.at(0, y), this.at(this.width - 1, y));
    for (let k = 0; k < this.nx; k++) if (values[k] < lowest) lowest = values[k];
    // 10⁻⁴ lower: the filled rows and `at` round their weights differently (float32), by ~10⁻⁵ relative.
    return lowest * (1 - 1e-4);
  }

  /** The interpolated value at one pixel. */
  at(x: number, y: number): number {
    const values = this.valuesAtRow(y);
    if (this.nx === 1) return values[0];
    const k = this.xs.index[x];
    return values[k] + this.xs.weight[x] * (values[k + 1] - values[k]);
  }
}

/**
 * The sky noise σ of a background model one row at a time, for detection and cosmic-ray finding: what
 * `backgroundRmsImage` holds, without a full image (64 MB for a 4k×4k detector, and a pass to fill it).
 */
export interface NoiseRows {
  readonly kind: 'noiseRows';
  readonly width: number;
  readonly height: number;
  /** Write σ of row y (local pixels) into out[0 .. width). */
  fillRow(y: number, out: Float32Array): void;
  /** σ at one pixel (local coordinates). */
  at(x: number, y: number): number;
  /** The smallest σ along row y: a cut below which no pixel of the row can pass an N σ test. */
  rowMinimum(y: number): number;
}

export function backgroundNoiseRows(model: BackgroundModel): NoiseRows {
  const interpolator = new RowInterpolator(model, model.cellSigma);
  const zeros = new Float32Array(model.bbox.width);
  return Object.freeze({
    kind: 'noiseRows',
    width: model.bbox.width,
    height: model.bbox.height,
    fillRow: (y: number, out: Float32Array) => interpolator.row(y, zeros, 0, out, 0, 1),
    at: (x: number, y: number) => interpolator.at(x, y),
    rowMinimum: (y: number) => interpolator.rowMinimum(y),
  });
}

/** target = source + sign × (bilinear interpolation of the cell values at every pixel); source may be target. */
function addInterpolatedCells(
  source: Float32Array,
  target: Float32Array,
  model: BackgroundModel,
  cells: Float32Array,
  sign: 1 | -1,
): void {
  const { width, height } = model.bbox;
  const interpolator = new RowInterpolator(model, cells);
  for (let y = 0; y < height; y++) interpolator.row(y, source, y * width, target, y * width, sign);
}

/**
 * Cosmic rays: pixels too sharp to be light that came through the optics (the test of LSST's `findCosmicRays`,
 * after Lupton's SDSS photo). A pixel of background-subtracted value I with noise σ is a cosmic-ray seed when it is
 * significant (I > minSigma·σ) and, along at least one of the four lines through it (row, column, two diagonals),
 * the mean m of its two neighbours is far below what any PSF-like source allows:
 *
 *     psfRatio(d) · (I − nSigma·σ) · cond > m + nSigma·σ/√2
 *
 * where psfRatio(d) = PSF(d)/PSF(0) for the neighbour distance d (1 or √2 pixels). A star, however bright, has
 * m ≈ psfRatio·I and fails the test by the factor `cond` < 1; a hit confined to one or two pixels passes it.
 * Seeds are grown into the fainter pixels of a track that pass the same test, above `growSigma`·σ, once the
 * seeds are interpolated away (growMarks), then each marked pixel is replaced by linear interpolation from the nearest unmarked pixels along the row or the
 * column, whichever gap is shorter (both, averaged, when equal), and marked CR and INTRP.
 */
import { z } from 'zod';
import { meridianError } from '../../errors.js';
import type { ImageF, Mask, Psf } from '../../formats/index.js';
import type { NoiseRows } from './background.js';
import { componentsOfRuns, type Footprint, RunList, spansBox } from './footprints.js';
import { psfModelImage } from './psf-flux.js';
import { ScratchBuffer } from './scratch.js';

export const CosmicRayConfig = z
  .object({
    /** A seed pixel must be this many σ above the background. */
    minSigma: z.number().positive().default(6),
    /** Noise margin in the sharpness test, σ. */
    nSigma: z.number().min(0).default(2.5),
    /** Sharpness factor (LSST's cond3_fac2): smaller is stricter. */
    cond: z.number().positive().max(1).default(0.6),
    /** Neighbours of a cosmic ray above this many σ join it. */
    growSigma: z.number().min(0).default(3),
    /** Give up (likely a wrong PSF or noise model) above this many cosmic-ray pixels. */
    maxPixels: z.number().int().positive().default(1_000_000),
  })
  .strict();
export type CosmicRayConfig = z.infer<typeof CosmicRayConfig>;

export interface CosmicRayResult {
  readonly kind: 'cosmicRayResult';
  /** Each cosmic ray as a footprint (parent coordinates, no peaks). */
  readonly cosmicRays: readonly Footprint[];
  readonly pixels: number;
}

export interface CosmicRayInputs {
  /** Background-subtracted image; repaired in place. */
  readonly image: ImageF;
  /** Pixel noise σ (background RMS map, a background model's σ row by row, or a number). */
  readonly noise: ImageF | NoiseRows | number;
  /** CR and INTRP are set here. */
  readonly mask: Mask;
  readonly psf: Psf;
}

/** PSF(d)/PSF(0) for the pixel-integrated PSF at neighbour distances 1 (row/column) and √2 (diagonal). */
export function psfNeighbourRatios(psf: Psf): { side: number; diagonal: number } {
  const image = psfModelImage(psf, 1);
  return { side: image[1 * 3 + 2] / image[4], diagonal: image[2 * 3 + 2] / image[4] };
}

/** Find cosmic rays, repair them by interpolation in place, and mark them CR (and INTRP) in the mask. */
export function findAndRepairCosmicRays(
  inputs: CosmicRayInputs,
  config: Partial<CosmicRayConfig> = {},
): CosmicRayResult {
  const parsed = CosmicRayConfig.safeParse(config);
  if (!parsed.success) {
    throw meridianError('INVALID_ARGUMENT', `invalid cosmic-ray config: ${parsed.error.issues[0]?.message}`);
  }
  const cfg = parsed.data;
  const { image, noise, mask } = inputs;
  const { width, height } = image.bbox;
  const pixels = image.array;
  const noiseMap = typeof noise === 'number' ? null : 'kind' in noise ? null : noise.array;
  const noiseRows = typeof noise === 'object' && 'kind' in noise ? noise : null;
  const sigmaAt = sigmaLookup(noise);
  const { side, diagonal } = psfNeighbourRatios(inputs.psf);
  const marked = marksScratch.get(width * height);
  const saturatedOrBad = maskBits(mask, ['SAT', 'BAD', 'NO_DATA']);
  // Growth interpolates as it goes; the final repair below starts again from the original marked neighbours.
  const test: SharpnessTest = {
    pixels,
    width,
    sigmaAt,
    side,
    diagonal,
    cfg,
    excluded: saturatedOrBad,
    mask: mask.array,
  };
  const markedList: number[] = [];
  try {
    return findMarkRepair(test, marked, markedList, noiseMap, noiseRows, noise, mask, image, cfg);
  } finally {
    // The marks buffer is reused by the next call: clear what this one set (also when it threw).
    for (const i of markedList) marked[i] = 0;
  }
}

function findMarkRepair(
  test: SharpnessTest,
  marked: Uint8Array,
  markedList: number[],
  noiseMap: Float32Array | null,
  noiseRows: NoiseRows | null,
  noise: ImageF | NoiseRows | number,
  mask: Mask,
  image: ImageF,
  cfg: CosmicRayConfig,
): CosmicRayResult {
  const { width, height, x0, y0 } = image.bbox;
  const pixels = image.array;
  // The significance cut first, in a tight loop: it rejects all but a few pixels in a thousand.
  // With a noise map, each pixel against its own σ; otherwise against the row's smallest σ (one number, or the
  // model's minimum along the row), and isSharp applies each survivor's own σ.
  let rowCut = typeof noise === 'number' ? cfg.minSigma * noise : 0;
  for (let y = 1; y < height - 1; y++) {
    const row = y * width;
    if (noiseRows !== null) rowCut = cfg.minSigma * noiseRows.rowMinimum(y);
    for (let i = row + 1; i < row + width - 1; i++) {
      const v = pixels[i];
      if (noiseMap !== null ? !(v > cfg.minSigma * noiseMap[i]) : !(v > rowCut)) continue;
      if (isSharp(test, i, cfg.minSigma)) {
        marked[i] = 1;
        markedList.push(i);
      }
    }
  }
  const seeds = markedList.length;
  if (seeds > cfg.maxPixels) {
    throw meridianError(
      'INVALID_ARGUMENT',
      `${seeds} cosmic-ray pixels exceed maxPixels=${cfg.maxPixels}: the PSF or the noise model is probably wrong`,
    );
  }
  growMarks(test, marked, markedList, height);
  // The components from the marked pixels themselves (a few thousand), not a scan of the whole image.
  const components = componentsOfRuns(runsOfIndices(markedList, width), 1);
  interpolateMarked(pixels, marked, markedList, width, height);
  const crBit = mask.bitMask('CR');
  const intrpBit = 'INTRP' in mask.planes ? mask.bitMask('INTRP') : 0;
  for (const i of markedList) mask.array[i] |= crBit | intrpBit;
  const count = markedList.length;
  const cosmicRays = components.spans.map((local, k): Footprint => {
    const spans = local.slice();
    for (let j = 0; j < spans.length; j += 3) {
      spans[j] += y0;
      spans[j + 1] += x0;
      spans[j + 2] += x0;
    }
    const { bbox, area } = spansBox(local, x0, y0);
    return Object.freeze({ kind: 'footprint', id: k + 1, spans, area, bbox, peaks: Object.freeze([]) });
  });
  return Object.freeze({ kind: 'cosmicRayResult', cosmicRays: Object.freeze(cosmicRays), pixels: count });
}

/** The marks, all zero between calls (each call clears what it set), reused by the next call of the same size. */
const marksScratch = new ScratchBuffer((n) => new Uint8Array(n));

/** Raster-ordered runs of the pixels at these indices (row-major, `width` per row). */
function runsOfIndices(indices: readonly number[], width: number): RunList {
  const sorted = Int32Array.from(indices).sort();
  const runs = new RunList();
  let start = -1;
  let last = -2;
  for (let k = 0; k <= sorted.length; k++) {
    const i = k < sorted.length ? sorted[k] : -1;
    // A run continues while the indices are consecutive within one row.
    if (i === last + 1 && i % width !== 0) {
      last = i;
      continue;
    }
    if (start >= 0) {
      const y = Math.floor(start / width);
      runs.push(y, start - y * width, last - y * width);
    }
    start = i;
    last = i;
  }
  return runs;
}

/** σ at pixel i. A separate function so that the hot loop's `noiseMap` is not captured by a closure. */
function sigmaLookup(noise: ImageF | NoiseRows | number): (i: number) => number {
  if (typeof noise === 'number') return () => noise;
  if ('kind' in noise) {
    const { width } = noise;
    return (i) => noise.at(i % width, Math.floor(i / width));
  }
  const map = noise.array;
  return (i) => map[i];
}

function maskBits(mask: Mask, planes: readonly string[]): number {
  let bits = 0;
  for (const p of planes) if (p in mask.planes) bits |= mask.bitMask(p);
  return bits;
}

interface SharpnessTest {
  readonly pixels: Float32Array;
  readonly width: number;
  readonly sigmaAt: (i: number) => number;
  readonly side: number;
  readonly diagonal: number;
  readonly cfg: CosmicRayConfig;
  readonly excluded: number;
  readonly mask: Int32Array;
}

/** The test of the module comment at pixel i (not on the image border) with a significance floor of minSigma. */
function isSharp(t: SharpnessTest, i: number, minSigma: number): boolean {
  const { pixels, width } = t;
  const v = pixels[i];
  const s = t.sigmaAt(i);
  if (!(v > minSigma * s) || (t.mask[i] & t.excluded) !== 0) return false;
  const margin = t.cfg.nSigma * s;
  const lhsSide = t.side * (v - margin) * t.cfg.cond;
  const lhsDiagonal = t.diagonal * (v - margin) * t.cfg.cond;
  const rhs = margin * Math.SQRT1_2;
  return (
    lhsSide > 0.5 * (pixels[i - 1] + pixels[i + 1]) + rhs ||
    lhsSide > 0.5 * (pixels[i - width] + pixels[i + width]) + rhs ||
    lhsDiagonal > 0.5 * (pixels[i - width - 1] + pixels[i + width + 1]) + rhs ||
    lhsDiagonal > 0.5 * (pixels[i - width + 1] + pixels[i + width - 1]) + rhs
  );
}

/**
 * Grow the marks into the fainter pixels of a track (LSST's second pass): interpolate over the marked pixels, then
 * test their 8-neighbours again with the lower `growSigma` floor. A star pixel next to a hit on the star is not
 * sharp once the hit is interpolated away, so the growth stops at the star (a plain threshold would flood it).
 */
function growMarks(t: SharpnessTest, marked: Uint8Array, markedList: number[], height: number): void {
  const { width } = t;
  for (let round = 0; round < 3; round++) {
    interpolateMarked(t.pixels, marked, markedList, width, height);
    const added: number[] = [];
    for (const i of markedList) {
      const x = i % width;
      const y = (i - x) / width;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          const yy = y + dy;
          if (xx < 1 || yy < 1 || xx >= width - 1 || yy >= height - 1) continue;
          const j = yy * width + xx;
          if (marked[j] === 0 && isSharp(t, j, t.cfg.growSigma)) {
            marked[j] = 2;
            added.push(j);
          }
        }
      }
    }
    if (added.length === 0) return;
    for (const j of added) {
      marked[j] = 1;
      markedList.push(j);
    }
  }
}

/** Replace marked pixels by linear interpolation across the shorter of the row and column gaps. */
function interpolateMarked(
  pixels: Float32Array,
  marked: Uint8Array,
  markedList: readonly number[],
  width: number,
  height: number,
): void {
  const repaired = new Map<number, number>();
  for (const i of markedList) {
    const x = i % width;
    const y = (i - x) / width;
    const horizontal = gapValue(pixels, marked, i, x, width, 1);
    const vertical = gapValue(pixels, marked, i, y, height, width);
    let value: number;
    if (horizontal === null && vertical === null) value = 0;
    else if (horizontal === null) value = vertical!.value;
    else if (vertical === null) value = horizontal.value;
    else if (horizontal.gap < vertical.gap) value = horizontal.value;
    else if (vertical.gap < horizontal.gap) value = vertical.value;
    else value = 0.5 * (horizontal.value + vertical.value);
    repaired.set(i, value);
  }
  for (const [i, v] of repaired) pixels[i] = v;
}

/**
 * Linear interpolation at index i between the nearest unmarked pixels on both sides along one axis (`position` of
 * i on that axis of length `n`, neighbours `stride` apart); one side only: that side's value; null when none.
 */
function gapValue(
  pixels: Float32Array,
  marked: Uint8Array,
  i: number,
  position: number,
  n: number,
  stride: number,
): { value: number; gap: number } | null {
  let before = -1;
  for (let k = 1; k <= position; k++) {
    if (marked[i - k * stride] === 0) {
      before = k;
      break;
    }
  }
  let after = -1;
  for (let k = 1; k < n - position; k++) {
    if (marked[i + k * stride] === 0) {
      after = k;
      break;
    }
  }
  if (before < 0 && after < 0) return null;
  if (before < 0) return { value: pixels[i + after * stride], gap: 2 * after };
  if (after < 0) return { value: pixels[i - before * stride], gap: 2 * before };
  const a = pixels[i - before * stride];
  const b = pixels[i + after * stride];
  return { value: a + ((b - a) * before) / (before + after), gap: before + after };
}

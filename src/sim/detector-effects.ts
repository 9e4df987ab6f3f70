/**
 * What the camera does to the light: the flat-field pattern (vignetting, a colour-dependent gradient and pixel
 * response non-uniformity), the fixed 2-D bias structure, charge bleeding from saturated pixels along columns, and
 * cosmic-ray tracks. The same functions make the calibration frames and the raws, so they agree exactly.
 */

import type { Band, DefectBox, DetectorDescription } from '../obs/index.js';
import { BANDS } from '../obs/index.js';
import { Random, STREAM } from './random.js';

/** Where a detector sits relative to the optical axis, for patterns that depend on focal-plane radius. */
export interface DetectorGeometry {
  readonly detector: DetectorDescription;
  /** 0-based pixel position of the optical axis in this detector's coordinates. */
  readonly opticalAxis: { readonly x: number; readonly y: number };
  /** Radius of the focal plane, pixels: vignetting reaches its full depth there. */
  readonly focalPlaneRadius: number;
}

const VIGNETTING_DEPTH = 0.15;
/** Pixel response non-uniformity, standard deviation. */
const PRNU_SIGMA = 0.01;
/** Peak-to-peak amplitude of the colour-dependent gradient across a detector, per band step away from r. */
const COLOUR_GRADIENT_PER_BAND = 0.01;

/**
 * Relative response of each pixel (1 = a perfect pixel on the optical axis): vignetting 1 - 0.15 (r / R)^2, a
 * band-dependent linear gradient along x, and Gaussian PRNU, which is fixed for a detector (the same in every band).
 */
export function flatFieldPattern(geometry: DetectorGeometry, band: Band, seed: number): Float32Array {
  const { detector, opticalAxis, focalPlaneRadius } = geometry;
  const { width, height } = detector;
  const rng = new Random([seed, STREAM.pixelResponse, detector.id]);
  const gradient = COLOUR_GRADIENT_PER_BAND * (BANDS.indexOf(band) - BANDS.indexOf('r'));
  const out = new Float32Array(width * height);
  const invRadius2 = 1 / (focalPlaneRadius * focalPlaneRadius);
  for (let y = 0; y < height; y++) {
    const dy = y - opticalAxis.y;
    for (let x = 0; x < width; x++) {
      const dx = x - opticalAxis.x;
      const vignetting = 1 - VIGNETTING_DEPTH * (dx * dx + dy * dy) * invRadius2;
      const colour = 1 + gradient * (x / width - 0.5);
      const prnu = 1 + PRNU_SIGMA * rng.normal();
      out[y * width + x] = vignetting * colour * prnu;
    }
  }
  return out;
}

/**
 * The bias left after overscan subtraction, ADU: a fixed column pattern (sigma 0.5 ADU) plus a ramp of 3 ADU from
 * the first to the last row (the "bias structure" a master bias removes).
 */
export function biasStructure(detector: DetectorDescription, seed: number): Float32Array {
  const { width, height } = detector;
  const rng = new Random([seed, STREAM.biasStructure, detector.id]);
  const columns = new Float32Array(width);
  for (let x = 0; x < width; x++) columns[x] = 0.5 * rng.normal();
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const ramp = (3 * y) / Math.max(1, height - 1);
    for (let x = 0; x < width; x++) out[y * width + x] = columns[x] + ramp;
  }
  return out;
}

/**
 * Move charge above the full well along each column, half up and half down, filling neighbours to the full well
 * (the simplest model of blooming in a CCD). Charge that reaches the ends of a column is lost.
 */
export function bleedSaturatedColumns(
  electrons: Float32Array,
  width: number,
  height: number,
  fullWell: number,
) {
  // Find the affected columns in one row-major (cache-friendly) pass, then walk only those columns.
  const saturatedColumn = new Uint8Array(width);
  for (let i = 0; i < electrons.length; i++) if (electrons[i] > fullWell) saturatedColumn[i % width] = 1;
  for (let x = 0; x < width; x++) {
    if (!saturatedColumn[x]) continue;
    for (let y = 0; y < height; y++) {
      const i = y * width + x;
      const excess = electrons[i] - fullWell;
      if (excess <= 0) continue;
      electrons[i] = fullWell;
      let up = excess / 2;
      let down = excess / 2;
      for (let yy = y + 1; yy < height && up > 0; yy++) {
        const j = yy * width + x;
        const room = fullWell - electrons[j];
        if (room <= 0) continue;
        const moved = Math.min(room, up);
        electrons[j] += moved;
        up -= moved;
      }
      for (let yy = y - 1; yy >= 0 && down > 0; yy--) {
        const j = yy * width + x;
        const room = fullWell - electrons[j];
        if (room <= 0) continue;
        const moved = Math.min(room, down);
        electrons[j] += moved;
        down -= moved;
      }
    }
  }
}

/** A column segment of low response: its pixels collect this fraction of the light they should. */
export interface BadColumn extends DefectBox {
  readonly response: number;
}

/** A pixel with a high dark current, electrons per second of dark time. */
export interface HotPixel {
  readonly x: number;
  readonly y: number;
  readonly electronsPerSecond: number;
}

export interface DetectorDefects {
  readonly badColumns: readonly BadColumn[];
  readonly hotPixels: readonly HotPixel[];
}

/**
 * The fixed defects of a detector (the same in every exposure and band): two to four low-response columns, each
 * either the whole column or a segment from a charge trap to the readout edge (y = 0), as in real CCDs, and five to
 * twelve hot pixels of 20-500 e-/s. They are not in the flat: ISR masks them from the `defects` calibration.
 */
export function detectorDefects(detector: DetectorDescription, seed: number): DetectorDefects {
  const { width, height } = detector;
  const rng = new Random([seed, STREAM.defects, detector.id]);
  const badColumns: BadColumn[] = [];
  const columnCount = 2 + Math.floor(3 * rng.uniform());
  for (let n = 0; n < columnCount; n++) {
    const x = Math.floor(rng.uniform() * width);
    const whole = rng.uniform() < 0.5;
    const trap = whole ? height : Math.ceil(height * (0.2 + 0.8 * rng.uniform()));
    badColumns.push({ x0: x, y0: 0, width: 1, height: trap, response: rng.between(0.2, 0.6) });
  }
  const hotPixels: HotPixel[] = [];
  const hotCount = 5 + Math.floor(8 * rng.uniform());
  for (let n = 0; n < hotCount; n++) {
    hotPixels.push({
      x: Math.floor(rng.uniform() * width),
      y: Math.floor(rng.uniform() * height),
      electronsPerSecond: 20 * 25 ** rng.uniform(),
    });
  }
  return { badColumns, hotPixels };
}

/** The defects as the boxes a `defects` calibration lists. */
export function defectBoxes(defects: DetectorDefects): DefectBox[] {
  return [
    ...defects.badColumns.map(({ x0, y0, width, height }) => ({ x0, y0, width, height })),
    ...defects.hotPixels.map(({ x, y }) => ({ x0: x, y0: y, width: 1, height: 1 })),
  ];
}

/**
 * Put the defects into the expected electrons of each pixel before noise: `electrons` holds the scene, `sky` is
 * added to it later and both are multiplied by `flat`, so a bad column scales scene + sky by its response and a
 * hot pixel's dark charge is divided by the flat it will be multiplied by (dark current is not flat-fielded).
 */
export function applyDefects(
  electrons: Float32Array,
  width: number,
  defects: DetectorDefects,
  sky: number,
  flat: Float32Array,
  darkTime: number,
): void {
  for (const column of defects.badColumns) {
    for (let y = column.y0; y < column.y0 + column.height; y++) {
      const i = y * width + column.x0;
      electrons[i] = (electrons[i] + sky) * column.response - sky;
    }
  }
  for (const hot of defects.hotPixels) {
    const i = hot.y * width + hot.x;
    electrons[i] += (hot.electronsPerSecond * darkTime) / flat[i];
  }
}

/** Cosmic rays per cm^2 of silicon per second of dark time (order of magnitude at a high-altitude site). */
const COSMIC_RAY_RATE = 0.05;

/**
 * Add cosmic-ray tracks: straight segments of 1-30 pixels at a random angle, depositing 500-3000 electrons per
 * pixel crossed (sampled every half pixel). Returns the number of tracks.
 */
export function addCosmicRays(
  electrons: Float32Array,
  detector: DetectorDescription,
  pixelSizeMm: number,
  darkTime: number,
  rng: Random,
): number {
  const { width, height } = detector;
  const areaCm2 = (width * pixelSizeMm * height * pixelSizeMm) / 100;
  const count = rng.poisson(COSMIC_RAY_RATE * areaCm2 * darkTime);
  for (let n = 0; n < count; n++) {
    const x0 = rng.uniform() * width;
    const y0 = rng.uniform() * height;
    const length = 1 + 29 * rng.uniform() ** 2;
    const angle = 2 * Math.PI * rng.uniform();
    const perPixel = rng.between(500, 3000);
    const steps = Math.max(1, Math.ceil(length * 2));
    for (let s = 0; s <= steps; s++) {
      const x = Math.floor(x0 + ((s / steps) * length - length / 2) * Math.cos(angle));
      const y = Math.floor(y0 + ((s / steps) * length - length / 2) * Math.sin(angle));
      if (x >= 0 && x < width && y >= 0 && y < height) electrons[y * width + x] += perPixel / 2;
    }
  }
  return count;
}

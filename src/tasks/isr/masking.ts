/**
 * The mask steps of ISR on the assembled detector image: defects (BAD) from the `defects` calibration, bleed
 * trails (SAT grown along columns), and interpolation over masked pixels along rows (INTRP).
 */
import { z } from 'zod';
import { meridianError } from '../../errors.js';
import type { ImageF, Mask } from '../../formats/index.js';

const DefectBoxSchema = z.object({
  x0: z.number().int(),
  y0: z.number().int(),
  width: z.number().int().min(1),
  height: z.number().int().min(1),
});

/** The `defects` calibration as ISR reads it (the obs package writes `{ kind: 'defects', detector, boxes }`). */
export const DefectsSchema = z.object({ boxes: z.array(DefectBoxSchema) });
export type Defects = z.infer<typeof DefectsSchema>;

/** Parse and check a `defects` dataset against the detector size; ISR_CALIBRATION_MISMATCH when it does not fit. */
export function parseDefects(value: unknown, width: number, height: number): Defects {
  const parsed = DefectsSchema.safeParse(value);
  if (!parsed.success) {
    throw meridianError(
      'ISR_CALIBRATION_MISMATCH',
      `the defects calibration is not a list of boxes: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
      { calibration: 'defects' },
    );
  }
  for (const b of parsed.data.boxes) {
    if (b.x0 < 0 || b.y0 < 0 || b.x0 + b.width > width || b.y0 + b.height > height) {
      throw meridianError(
        'ISR_CALIBRATION_MISMATCH',
        `a defect box [x ${b.x0}+${b.width}, y ${b.y0}+${b.height}] lies outside the ${width}x${height} detector`,
        { calibration: 'defects' },
      );
    }
  }
  return parsed.data;
}

/** Set BAD on every defect pixel; returns how many pixels the boxes cover. */
export function maskDefects(mask: Mask, defects: Defects): number {
  const bad = mask.bitMask('BAD');
  const { width } = mask.bbox;
  let n = 0;
  for (const b of defects.boxes) {
    for (let y = b.y0; y < b.y0 + b.height; y++) {
      for (let x = b.x0; x < b.x0 + b.width; x++) {
        mask.array[y * width + x]! |= bad;
        n++;
      }
    }
  }
  return n;
}

/**
 * Grow SAT along each column from every saturated run for as long as the pixels stay above `threshold` (image
 * units, per column: a column belongs to one amplifier), the continuation of a bleed trail past the saturation
 * level; then by `growRadius` pixels in every direction (the wings of a saturated core are not to be trusted
 * either). Returns the number of pixels added.
 */
export function growSaturation(
  image: ImageF,
  mask: Mask,
  threshold: Float64Array,
  growRadius: number,
): number {
  const sat = mask.bitMask('SAT');
  const { width, height } = image.bbox;
  const pixels = image.array;
  const bits = mask.array;
  let added = 0;
  const columns = new Uint8Array(width);
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) if (bits[row + x]! & sat) columns[x] = 1;
  }
  for (let x = 0; x < width; x++) {
    if (!columns[x]) continue;
    const limit = threshold[x]!;
    for (let y = 0; y < height; y++) {
      if (!(bits[y * width + x]! & sat)) continue;
      // Down from this saturated pixel while the trail continues.
      for (let yy = y - 1; yy >= 0; yy--) {
        const j = yy * width + x;
        if (bits[j]! & sat || !(pixels[j]! > limit)) break;
        bits[j]! |= sat;
        added++;
      }
      // Up: skip the rest of this run, then follow the trail above it.
      let yy = y + 1;
      while (yy < height && bits[yy * width + x]! & sat) yy++;
      for (; yy < height; yy++) {
        const j = yy * width + x;
        if (!(pixels[j]! > limit)) break;
        if (!(bits[j]! & sat)) {
          bits[j]! |= sat;
          added++;
        }
      }
      y = yy - 1;
    }
  }
  if (growRadius > 0) added += growPlane(mask, sat, growRadius);
  return added;
}

/**
 * Dilate a mask plane by a square of half-size `radius`. Saturated pixels are few, so each one paints its square
 * (cheaper than two passes over the whole image).
 */
function growPlane(mask: Mask, bit: number, radius: number): number {
  const { width, height } = mask.bbox;
  const bits = mask.array;
  const seeds: number[] = [];
  for (let i = 0; i < bits.length; i++) if (bits[i]! & bit) seeds.push(i);
  let added = 0;
  for (const i of seeds) {
    const x = i % width;
    const y = (i - x) / width;
    const y0 = Math.max(0, y - radius);
    const y1 = Math.min(height - 1, y + radius);
    const x0 = Math.max(0, x - radius);
    const x1 = Math.min(width - 1, x + radius);
    for (let yy = y0; yy <= y1; yy++) {
      const row = yy * width;
      for (let xx = x0; xx <= x1; xx++) {
        if (!(bits[row + xx]! & bit)) {
          bits[row + xx]! |= bit;
          added++;
        }
      }
    }
  }
  return added;
}

/**
 * Replace every pixel with any of `planes` set by a straight line along its row between the nearest good pixels
 * on either side (or the one good neighbour at a row end), in the image and the variance; set INTRP. Along rows
 * because the defects and bleed trails are columns. Returns the number of pixels interpolated.
 */
export function interpolateMasked(
  image: ImageF,
  variance: ImageF | null,
  mask: Mask,
  planes: readonly string[],
): number {
  let bad = 0;
  for (const p of planes) bad |= mask.bitMask(p);
  const intrp = mask.bitMask('INTRP');
  const { width, height } = image.bbox;
  const bits = mask.array;
  let count = 0;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    let x = 0;
    while (x < width) {
      if (!(bits[row + x]! & bad)) {
        x++;
        continue;
      }
      const start = x;
      while (x < width && bits[row + x]! & bad) x++;
      const left = start - 1;
      const right = x;
      for (const plane of variance === null ? [image.array] : [image.array, variance.array]) {
        fillRun(plane, row, left, right, width);
      }
      for (let k = start; k < right; k++) bits[row + k]! |= intrp;
      count += right - start;
    }
  }
  return count;
}

function fillRun(a: Float32Array, row: number, left: number, right: number, width: number): void {
  const hasLeft = left >= 0;
  const hasRight = right < width;
  // A whole masked row has no good neighbour: leave its values (the mask says they are bad).
  if (!hasLeft && !hasRight) return;
  const vl = hasLeft ? a[row + left]! : a[row + right]!;
  const vr = hasRight ? a[row + right]! : vl;
  const span = right - left;
  for (let k = left + 1; k < right; k++) a[row + k] = vl + ((vr - vl) * (k - left)) / span;
}

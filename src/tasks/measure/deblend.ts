/**
 * A simple deblender (the idea of SDSS's and LSST's meas_deblender, without their refinements): a footprint whose
 * peaks were kept by detection as separate (each one rises `peakProminenceSigma` above the saddle towards a
 * brighter one, footprints.ts `findPeaks`) becomes a parent with one child per peak. Each child gets a template,
 * and each pixel of the parent's footprint is shared among the children in proportion to their templates, so the
 * children's pixels sum to the parent's exactly (flux is conserved). A child is a "heavy" footprint: the parent's
 * spans with the child's share of every pixel's value, which measurement swaps into the image while it measures
 * that child.
 *
 * Template of a child at peak c: the symmetric template of SDSS's deblender, T(p) = min(I(p), I(2c − p)) (zero
 * where the mirror pixel leaves the footprint or either value is not positive): light that is not symmetric about a
 * peak belongs to a neighbour. A round Gaussian `templateWidthPsfSigma` PSF σ wide centred on the peak, scaled to
 * the image's value there, caps it (symmetric light far from the peak, e.g. from two other sources placed
 * symmetrically, is not this child's), and a tiny fraction of that Gaussian keeps every pixel's share defined
 * where all templates are zero.
 */
import { z } from 'zod';
import { meridianError } from '../../errors.js';
import type { ImageF } from '../../formats/index.js';
import type { Footprint, Peak } from './footprints.js';

export const DeblendConfig = z
  .object({
    /** Footprints with more peaks are left undeblended (a crowded or extended mess: children would be noise). */
    maxChildren: z.number().int().min(2).default(25),
    /** Template cap: a Gaussian this many times the PSF's σ wide (1 = the PSF's core). */
    templateWidthPsfSigma: z.number().positive().default(3),
  })
  .strict();
export type DeblendConfig = z.infer<typeof DeblendConfig>;

export function parseDeblendConfig(input: unknown = {}): DeblendConfig {
  const parsed = DeblendConfig.safeParse(input);
  if (!parsed.success) {
    throw meridianError('INVALID_ARGUMENT', `invalid deblend config: ${parsed.error.issues[0]?.message}`);
  }
  return parsed.data;
}

/**
 * The footprints for measurement: every input footprint (a blended one is the parent, with `childCount` set), each
 * parent followed by its children (one peak each, `parentId` and `heavy` set, ids after the largest input id). The image is the
 * background-subtracted one that measurement will use; it is not modified.
 */
export function deblendFootprints(
  image: ImageF,
  footprints: readonly Footprint[],
  psfSigma: number,
  config: Partial<DeblendConfig> = {},
): readonly Footprint[] {
  const cfg = parseDeblendConfig(config);
  let nextId = 1;
  for (const fp of footprints) nextId = Math.max(nextId, fp.id + 1);
  const out: Footprint[] = [];
  for (const fp of footprints) {
    if (fp.peaks.length < 2 || fp.peaks.length > cfg.maxChildren) {
      out.push(fp);
      continue;
    }
    out.push(Object.freeze({ ...fp, childCount: fp.peaks.length }));
    const shares = childShares(image, fp, psfSigma * cfg.templateWidthPsfSigma);
    fp.peaks.forEach((peak, k) => {
      out.push(
        Object.freeze({
          kind: 'footprint',
          id: nextId++,
          spans: fp.spans,
          area: fp.area,
          bbox: fp.bbox,
          peaks: Object.freeze([peak]),
          parentId: fp.id,
          parentPeakCount: fp.peaks.length,
          heavy: shares[k],
        }),
      );
    });
  }
  return Object.freeze(out);
}

/** Each child's share of the footprint's pixel values, in span order (see the module comment). */
function childShares(image: ImageF, fp: Footprint, capSigma: number): Float32Array[] {
  const { x0, y0, width, height } = image.bbox;
  const pixels = image.array;
  const peaks = fp.peaks;
  const n = peaks.length;
  const spans = fp.spans;
  // Footprint membership of the bbox, to test whether a mirror pixel is in the footprint.
  const box = fp.bbox;
  const inside = new Uint8Array(box.width * box.height);
  for (let s = 0; s < spans.length; s += 3) {
    const row = (spans[s] - box.y0) * box.width - box.x0;
    for (let x = spans[s + 1]; x <= spans[s + 2]; x++) inside[row + x] = 1;
  }
  const templates = Array.from({ length: n }, () => new Float32Array(fp.area));
  const inv2s2 = 1 / (2 * capSigma * capSigma);
  for (let k = 0; k < n; k++) {
    const peak: Peak = peaks[k];
    // The cap's height is the image's value at the peak (the peak's `value` is the smoothed image's, lower).
    const amplitude = Math.max(pixels[(peak.y - y0) * width + peak.x - x0], 0);
    const template = templates[k];
    let at = 0;
    for (let s = 0; s < spans.length; s += 3) {
      const y = spans[s];
      const my = 2 * peak.y - y;
      const dy = y - peak.y;
      for (let x = spans[s + 1]; x <= spans[s + 2]; x++, at++) {
        const dx = x - peak.x;
        const cap = amplitude * Math.exp(-(dx * dx + dy * dy) * inv2s2);
        const mx = 2 * peak.x - x;
        let symmetric = 0;
        const mirrorInside =
          mx >= box.x0 &&
          mx < box.x0 + box.width &&
          my >= box.y0 &&
          my < box.y0 + box.height &&
          inside[(my - box.y0) * box.width + mx - box.x0] === 1 &&
          mx - x0 >= 0 &&
          mx - x0 < width &&
          my - y0 >= 0 &&
          my - y0 < height;
        if (mirrorInside) {
          const v = pixels[(y - y0) * width + x - x0];
          const mirror = pixels[(my - y0) * width + mx - x0];
          symmetric = Math.max(0, Math.min(v, mirror));
        }
        template[at] = Math.min(symmetric, cap) + 1e-6 * cap;
      }
    }
  }
  // Shares: the pixel's value split in proportion to the templates (equally where every template is 0).
  const shares = Array.from({ length: n }, () => new Float32Array(fp.area));
  let at = 0;
  for (let s = 0; s < spans.length; s += 3) {
    const row = (spans[s] - y0) * width - x0;
    for (let x = spans[s + 1]; x <= spans[s + 2]; x++, at++) {
      const v = pixels[row + x];
      let total = 0;
      for (let k = 0; k < n; k++) total += templates[k][at];
      for (let k = 0; k < n; k++) shares[k][at] = total > 0 ? (v * templates[k][at]) / total : v / n;
    }
  }
  return shares;
}

/**
 * Run `measure` with the child's share of the pixels in the image in place of its parent's, and put the parent's
 * back afterwards whatever happens.
 */
export function withChildPixels<T>(image: ImageF, child: Footprint, measure: () => T): T {
  const heavy = child.heavy;
  if (heavy === undefined) throw meridianError('INVALID_ARGUMENT', `footprint ${child.id} is not a child`);
  const { x0, y0, width } = image.bbox;
  const pixels = image.array;
  const spans = child.spans;
  const saved = new Float32Array(heavy.length);
  let at = 0;
  for (let s = 0; s < spans.length; s += 3) {
    const row = (spans[s] - y0) * width - x0;
    for (let x = spans[s + 1]; x <= spans[s + 2]; x++, at++) {
      saved[at] = pixels[row + x];
      pixels[row + x] = heavy[at];
    }
  }
  try {
    return measure();
  } finally {
    at = 0;
    for (let s = 0; s < spans.length; s += 3) {
      const row = (spans[s] - y0) * width - x0;
      for (let x = spans[s + 1]; x <= spans[s + 2]; x++, at++) pixels[row + x] = saved[at];
    }
  }
}

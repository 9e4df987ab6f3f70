/**
 * Measurement of every detected source, one per footprint: a footprint with several peaks is measured as one
 * source at its brightest peak and flagged `blended`; when deblend.ts has split it, it is the parent
 * (`deblendNChild` > 0) and each child follows, measured with its share of the pixels in the image. Plugins run in LSST's order, each feeding
 * the next: centroid (centroid.ts) → adaptive moments (moments.ts) → PSF flux (psf-flux.ts) → aperture fluxes and
 * Kron flux (aperture.ts) → pixel flags from the mask. The output is columnar (typed arrays per column), ready
 * for a Parquet table; names follow the DP0.2 Source columns where one exists.
 */
import { z } from 'zod';
import { meridianError } from '../../errors.js';
import type { Exposure, Mask } from '../../formats/index.js';
import { apertureFlux, kronFlux } from './aperture.js';
import { measureCentroid, measureMaskedCentroid } from './centroid.js';
import { withChildPixels } from './deblend.js';
import { psfEffectiveSigma } from './detection.js';
import type { Footprint } from './footprints.js';
import { measureAdaptiveMoments } from './moments.js';
import { type PsfStamp, psfFlux } from './psf-flux.js';

export const MeasurementConfig = z
  .object({
    /** Aperture radii in pixels (LSST's base_CircularApertureFlux defaults up to 25 px). */
    apertureRadii: z.array(z.number().positive()).min(1).default([3, 4.5, 6, 9, 12, 17, 25]),
    /** Smallest Kron radius R_K, in units of the PSF σ. */
    minKronRadiusSigma: z.number().positive().default(1),
    /** The first moment is summed inside this many adaptive-moment σ (SExtractor: 6 isophotal radii). */
    kronSearchSigma: z.number().positive().default(6),
    /** Mask planes whose pixels photometry leaves out (the aperture is then flagged truncated). */
    excludedPlanes: z.array(z.string()).default(['NO_DATA', 'BAD']),
  })
  .strict();
export type MeasurementConfig = z.infer<typeof MeasurementConfig>;

export const SOURCE_FLAGS = [
  'edge',
  'saturated',
  'saturatedCenter',
  'interpolated',
  'interpolatedCenter',
  'cr',
  'blended',
  'badCentroid',
  'shapeFailed',
  'psfFluxFailed',
  'apertureTruncated',
  'kronFailed',
] as const;
export type SourceFlag = (typeof SOURCE_FLAGS)[number];

/** Measurements of n sources, column by column; positions in parent pixels, fluxes in image units × pixels. */
export interface SourceMeasurements {
  readonly kind: 'sourceMeasurements';
  readonly count: number;
  readonly footprintId: Int32Array;
  /** Peaks in the footprint (a deblended child: in its parent's). */
  readonly peakCount: Int32Array;
  /** A deblended child's parent footprint id (0: not a child); a parent's number of children (DP0.2 deblend_nChild). */
  readonly parent: Int32Array;
  readonly deblendNChild: Int32Array;
  /** Detection significance of the brightest peak, σ. */
  readonly significance: Float64Array;
  readonly x: Float64Array;
  readonly y: Float64Array;
  readonly xErr: Float64Array;
  readonly yErr: Float64Array;
  /** Adaptive second moments, pixels². */
  readonly ixx: Float64Array;
  readonly iyy: Float64Array;
  readonly ixy: Float64Array;
  readonly psfFlux: Float64Array;
  readonly psfFluxErr: Float64Array;
  readonly apertureRadii: readonly number[];
  /** One column per radius. */
  readonly apFlux: readonly Float64Array[];
  readonly apFluxErr: readonly Float64Array[];
  /** Pixels. */
  readonly kronRadius: Float64Array;
  readonly kronFlux: Float64Array;
  readonly kronFluxErr: Float64Array;
  readonly flags: Readonly<Record<SourceFlag, Uint8Array>>;
}

export interface MeasureInputs {
  /** Background-subtracted exposure (variance and mask planes used when present). */
  readonly exposure: Exposure;
  readonly footprints: readonly Footprint[];
  /** PSF for PSF photometry: a pixel stamp, or by default the exposure's PSF model rendered exactly. */
  readonly psfStamp?: PsfStamp;
}

function bitsOf(mask: Mask, planes: readonly string[]): number {
  let bits = 0;
  for (const p of planes) if (p in mask.planes) bits |= mask.bitMask(p);
  return bits;
}

/** Measure every footprint's source; see the module comment for the order of the measurements. */
export function measureSources(
  inputs: MeasureInputs,
  config: Partial<MeasurementConfig> = {},
): SourceMeasurements {
  const parsed = MeasurementConfig.safeParse(config);
  if (!parsed.success) {
    throw meridianError('INVALID_ARGUMENT', `invalid measurement config: ${parsed.error.issues[0]?.message}`);
  }
  const cfg = parsed.data;
  if (inputs.footprints.some((fp) => fp.heavy !== undefined)) return measureWithChildren(inputs, cfg);
  const { exposure, footprints } = inputs;
  const psf = exposure.psf;
  if (psf === null) {
    throw meridianError('INVALID_ARGUMENT', 'measurement needs an exposure with a PSF model');
  }
  const psfSigma = psfEffectiveSigma(psf);
  const psfModel = inputs.psfStamp ?? psf;
  const { image, mask } = exposure;
  const variance = exposure.variance;
  const excluded = bitsOf(mask, cfg.excludedPlanes);
  const bit = (plane: string) => (plane in mask.planes ? mask.bitMask(plane) : 0);
  const edgeBit = bit('EDGE') | bit('NO_DATA');
  const satBit = bit('SAT');
  const intrpBit = bit('INTRP');
  const crBit = bit('CR');
  const n = footprints.length;
  const column = () => new Float64Array(n).fill(Number.NaN);
  const out = {
    footprintId: new Int32Array(n),
    peakCount: new Int32Array(n),
    parent: new Int32Array(n),
    deblendNChild: new Int32Array(n),
    significance: column(),
    x: column(),
    y: column(),
    xErr: column(),
    yErr: column(),
    ixx: column(),
    iyy: column(),
    ixy: column(),
    psfFlux: column(),
    psfFluxErr: column(),
    apFlux: cfg.apertureRadii.map(column),
    apFluxErr: cfg.apertureRadii.map(column),
    kronRadius: column(),
    kronFlux: column(),
    kronFluxErr: column(),
  };
  const flags = Object.fromEntries(SOURCE_FLAGS.map((f) => [f, new Uint8Array(n)])) as Record<
    SourceFlag,
    Uint8Array
  >;
  const { x0, y0, width, height } = image.bbox;
  for (let s = 0; s < n; s++) {
    const fp = footprints[s];
    out.footprintId[s] = fp.id;
    out.peakCount[s] = fp.parentPeakCount ?? fp.peaks.length;
    out.parent[s] = fp.parentId ?? 0;
    out.deblendNChild[s] = fp.childCount ?? 0;
    if (out.peakCount[s] > 1) flags.blended[s] = 1;
    const pixelBits = footprintMaskBits(mask, fp);
    const touchesBorder =
      fp.bbox.x0 <= x0 ||
      fp.bbox.y0 <= y0 ||
      fp.bbox.x0 + fp.bbox.width >= x0 + width ||
      fp.bbox.y0 + fp.bbox.height >= y0 + height;
    if (touchesBorder || (pixelBits & edgeBit) !== 0) flags.edge[s] = 1;
    if ((pixelBits & satBit) !== 0) flags.saturated[s] = 1;
    if ((pixelBits & intrpBit) !== 0) flags.interpolated[s] = 1;
    if ((pixelBits & crBit) !== 0) flags.cr[s] = 1;
    const peak = fp.peaks[0] ?? {
      x: fp.bbox.x0 + (fp.bbox.width >> 1),
      y: fp.bbox.y0 + (fp.bbox.height >> 1),
      significance: Number.NaN,
    };
    out.significance[s] = peak.significance;

    const centroid = measureCentroid(image, variance, peak.x, peak.y, { weightSigma: psfSigma });
    if (centroid.failed) flags.badCentroid[s] = 1;
    let cx = centroid.x;
    let cy = centroid.y;
    out.x[s] = cx;
    out.y[s] = cy;
    out.xErr[s] = centroid.xErr;
    out.yErr[s] = centroid.yErr;
    let centreBits = centreMaskBits(mask, cx, cy);
    if ((centreBits & satBit) !== 0) {
      // A saturated core, interpolated over, pulls the weighted centroid (by ~2 px on a bleeding r ≈ 13 star):
      // the PSF fitted to the usable wings gives the centre instead (measureMaskedCentroid).
      const wings = measureMaskedCentroid(image, mask, satBit | intrpBit | excluded, psf, cx, cy, {
        maxShift: 4 * psfSigma,
      });
      if (!wings.failed) {
        cx = wings.x;
        cy = wings.y;
        out.x[s] = cx;
        out.y[s] = cy;
        out.xErr[s] = Number.NaN;
        out.yErr[s] = Number.NaN;
        centreBits = centreMaskBits(mask, cx, cy);
      }
    }
    if ((centreBits & satBit) !== 0) flags.saturatedCenter[s] = 1;
    if ((centreBits & intrpBit) !== 0) flags.interpolatedCenter[s] = 1;

    const moments = measureAdaptiveMoments(image, cx, cy, { initialSigma: psfSigma });
    if (moments.failed) flags.shapeFailed[s] = 1;
    else {
      out.ixx[s] = moments.ixx;
      out.iyy[s] = moments.iyy;
      out.ixy[s] = moments.ixy;
    }

    const psfResult = psfFlux(image, variance, mask, psfModel, cx, cy, excluded);
    if (psfResult.failed || psfResult.coverage < 0.99) flags.psfFluxFailed[s] = 1;
    out.psfFlux[s] = psfResult.flux;
    out.psfFluxErr[s] = psfResult.fluxErr;

    let truncated = false;
    for (let r = 0; r < cfg.apertureRadii.length; r++) {
      const ap = apertureFlux(image, variance, mask, cx, cy, cfg.apertureRadii[r], excluded);
      out.apFlux[r][s] = ap.flux;
      out.apFluxErr[r][s] = ap.fluxErr;
      // Only the smallest aperture's truncation is a flag: the large ones run off the image near any edge.
      if (r === 0) truncated = ap.truncated;
    }
    if (truncated) flags.apertureTruncated[s] = 1;

    const sizeSigma = moments.failed ? psfSigma : Math.sqrt(0.5 * (moments.ixx + moments.iyy));
    const kron = kronFlux(
      image,
      variance,
      mask,
      cx,
      cy,
      Math.min(cfg.kronSearchSigma * sizeSigma, 100),
      cfg.minKronRadiusSigma * psfSigma,
      excluded,
    );
    if (kron.radiusFailed || kron.truncated) flags.kronFailed[s] = 1;
    out.kronRadius[s] = kron.kronRadius;
    out.kronFlux[s] = kron.flux;
    out.kronFluxErr[s] = kron.fluxErr;
  }
  return Object.freeze({
    kind: 'sourceMeasurements',
    count: n,
    ...out,
    apertureRadii: Object.freeze([...cfg.apertureRadii]),
    apFlux: Object.freeze(out.apFlux),
    apFluxErr: Object.freeze(out.apFluxErr),
    flags: Object.freeze(flags),
  });
}

/** OR of the mask over a footprint's pixels. */
function footprintMaskBits(mask: Mask, fp: Footprint): number {
  const { x0, y0, width } = mask.bbox;
  const m = mask.array;
  let bits = 0;
  const sp = fp.spans;
  for (let i = 0; i < sp.length; i += 3) {
    const row = (sp[i] - y0) * width - x0;
    for (let x = sp[i + 1]; x <= sp[i + 2]; x++) bits |= m[row + x];
  }
  return bits;
}

/** OR of the mask over the 3×3 pixels around (x, y) (parent pixels). */
function centreMaskBits(mask: Mask, x: number, y: number): number {
  const { x0, y0, width, height } = mask.bbox;
  const ix = Math.round(x) - x0;
  const iy = Math.round(y) - y0;
  let bits = 0;
  for (let yy = Math.max(0, iy - 1); yy <= Math.min(height - 1, iy + 1); yy++) {
    for (let xx = Math.max(0, ix - 1); xx <= Math.min(width - 1, ix + 1); xx++)
      bits |= mask.array[yy * width + xx];
  }
  return bits;
}

/**
 * Footprints that include deblended children: the others measured together, each child alone with its share of
 * the pixels swapped into the image (deblend.ts `withChildPixels`); rows in the order of the footprints.
 */
function measureWithChildren(inputs: MeasureInputs, config: MeasurementConfig): SourceMeasurements {
  const { exposure, footprints } = inputs;
  const plain = footprints.filter((fp) => fp.heavy === undefined);
  const together = measureSources({ ...inputs, footprints: plain }, config);
  let next = 0;
  const rows = footprints.map((fp) => {
    if (fp.heavy === undefined) return { part: together, row: next++ };
    const { heavy: _, ...asMeasured } = fp;
    const part = withChildPixels(exposure.image, fp, () =>
      measureSources({ ...inputs, footprints: [asMeasured] }, config),
    );
    return { part, row: 0 };
  });
  return gatherRows(rows);
}

type Column = Float64Array | Int32Array | Uint8Array;

/** A measurement table whose row i is row `rows[i].row` of `rows[i].part` (every column, whatever its name). */
function gatherRows(rows: readonly { part: SourceMeasurements; row: number }[]): SourceMeasurements {
  const first = rows[0].part as unknown as Record<string, unknown>;
  const gather = (pick: (part: Record<string, unknown>) => Column): Column => {
    const template = pick(first);
    const out = new (template.constructor as new (n: number) => Column)(rows.length);
    rows.forEach((r, i) => {
      out[i] = pick(r.part as unknown as Record<string, unknown>)[r.row];
    });
    return out;
  };
  const table: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(first)) {
    if (ArrayBuffer.isView(value)) table[key] = gather((part) => part[key] as Column);
    else if (Array.isArray(value) && value.length > 0 && ArrayBuffer.isView(value[0])) {
      table[key] = Object.freeze(value.map((_, c) => gather((part) => (part[key] as Column[])[c])));
    } else if (key === 'flags') {
      const flags = Object.fromEntries(
        Object.keys(value as object).map((flag) => [
          flag,
          gather((part) => (part.flags as Record<string, Column>)[flag]),
        ]),
      );
      table[key] = Object.freeze(flags);
    } else table[key] = value;
  }
  table.count = rows.length;
  return Object.freeze(table) as unknown as SourceMeasurements;
}

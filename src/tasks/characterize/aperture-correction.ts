/**
 * Aperture correction of PSF fluxes: the ratio of the `calibFlux` aperture flux (12 pixels radius by default) to
 * the PSF flux of the PSF stars, a constant or a low-order polynomial over the detector (spatial-fit.ts basis),
 * clipped at `clipSigma` robust σ. Multiplying a PSF flux by it puts point sources on the aperture's flux scale, the
 * scale the photometric calibration uses; a PSF model that is slightly too narrow or too wide then costs nothing.
 *
 * Stored in the icExp/calexp primary header (the cards below) and read back with `apertureCorrectionFromMetadata`:
 *
 * | card | meaning |
 * |---|---|
 * | `APCORR` | T when an aperture correction is present |
 * | `APCRAD` | radius (pixels) of the aperture the PSF flux is corrected to |
 * | `APCORD` | total degree of the polynomial |
 * | `APCBX0`, `APCBY0`, `APCBW`, `APCBH` | box the positions are normalised over |
 * | `APCC<k>` | coefficients, k = 0 .. terms − 1 (basis of `polynomialTerms`) |
 * | `APCNSTAR`, `APCRMS` | stars used; rms of their ratio about the fit |
 */
import { z } from 'zod';
import { meridianError } from '../../errors.js';
import {
  type Box2I,
  box2i,
  type HeaderCard,
  headerNumber,
  headerValue,
  polynomialTermCount,
  valueCard,
} from '../../formats/index.js';
import {
  evaluateSpatialPolynomial,
  fitSpatialPolynomials,
  median,
  robustSigma,
  type SpatialPolynomial,
  supportedOrder,
} from './spatial-fit.js';

export const ApertureCorrectionConfig = z
  .object({
    /** Radius (pixels) of the aperture flux the PSF flux is corrected to (must be one of the measured radii). */
    radius: z.number().positive().default(12),
    order: z.number().int().min(0).max(3).default(1),
    clipSigma: z.number().positive().default(3),
    /** Fewest stars: with fewer the correction fails (APERTURE correction would be noise). */
    minStars: z.number().int().min(1).default(5),
  })
  .strict();
export type ApertureCorrectionConfig = z.infer<typeof ApertureCorrectionConfig>;

export interface ApertureCorrection extends SpatialPolynomial {
  readonly kind: 'apertureCorrection';
  readonly apertureRadius: number;
  readonly starCount: number;
  readonly rms: number;
}

export interface ApertureStars {
  readonly x: ArrayLike<number>;
  readonly y: ArrayLike<number>;
  readonly psfFlux: ArrayLike<number>;
  readonly apertureFlux: ArrayLike<number>;
}

/** Fit the aperture correction to the stars (each array indexed alike); fails with PSF_FAILED when too few. */
export function measureApertureCorrection(
  stars: ApertureStars,
  bbox: Box2I,
  apertureRadius: number,
  config: ApertureCorrectionConfig,
): ApertureCorrection {
  const n = stars.x.length;
  const ratio = Array.from({ length: n }, (_, i) => stars.apertureFlux[i] / stars.psfFlux[i]);
  const use = new Uint8Array(n);
  for (let i = 0; i < n; i++) use[i] = Number.isFinite(ratio[i]) && stars.psfFlux[i] > 0 ? 1 : 0;
  let coefficients: number[] = [1];
  let order = 0;
  let rms = Number.NaN;
  for (let iteration = 0; iteration < 10; iteration++) {
    const nUsed = use.reduce((a, u) => a + u, 0);
    if (nUsed < config.minStars) {
      throw meridianError(
        'PSF_FAILED',
        `too few stars for the aperture correction: ${nUsed} of ${n} PSF stars have usable fluxes, need ${config.minStars}`,
        { stars: n, used: nUsed },
      );
    }
    order = supportedOrder(config.order, nUsed, 3);
    [coefficients] = fitSpatialPolynomials(bbox, order, stars.x, stars.y, [ratio], use);
    const fit = { order, bbox, coefficients };
    const residual = ratio.map((r, i) => r - evaluateSpatialPolynomial(fit, stars.x[i], stars.y[i]));
    const used = residual.filter((_, i) => use[i] === 1);
    rms = Math.sqrt(used.reduce((a, r) => a + r * r, 0) / used.length);
    const limit = config.clipSigma * Math.max(robustSigma(used, median(used)), 1e-5);
    let changed = false;
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(ratio[i]) || !(stars.psfFlux[i] > 0)) continue;
      const keep = Math.abs(residual[i]) <= limit ? 1 : 0;
      if (keep !== use[i]) {
        use[i] = keep;
        changed = true;
      }
    }
    if (!changed) break;
  }
  return Object.freeze({
    kind: 'apertureCorrection',
    apertureRadius,
    order,
    bbox,
    coefficients: Object.freeze(coefficients),
    starCount: use.reduce((a, u) => a + u, 0),
    rms,
  });
}

/** The correction factor at parent pixel (x, y): multiply a PSF flux (and its error) by it. */
export function apertureCorrectionAt(correction: ApertureCorrection, x: number, y: number): number {
  return evaluateSpatialPolynomial(correction, x, y);
}

/** The header cards of an aperture correction (table in the module comment). */
export function apertureCorrectionCards(c: ApertureCorrection): HeaderCard[] {
  return [
    valueCard('APCORR', true, 'PSF flux aperture correction present'),
    valueCard('APCRAD', c.apertureRadius, '[pixel] radius the PSF flux is corrected to'),
    valueCard('APCORD', c.order, 'aperture correction polynomial degree'),
    valueCard('APCBX0', c.bbox.x0, 'aperture correction box first parent x'),
    valueCard('APCBY0', c.bbox.y0, 'aperture correction box first parent y'),
    valueCard('APCBW', c.bbox.width, 'aperture correction box width'),
    valueCard('APCBH', c.bbox.height, 'aperture correction box height'),
    ...c.coefficients.map((v, k) =>
      valueCard(`APCC${k}`, v, k === 0 ? 'aperture correction coefficients' : ''),
    ),
    valueCard('APCNSTAR', c.starCount, 'stars in the aperture correction fit'),
    valueCard('APCRMS', Number.isFinite(c.rms) ? c.rms : 0, 'rms of their aperture/PSF flux ratio'),
  ];
}

/**
 * The aperture correction an icExp or calexp header holds, or null when it has none (`APCORR` absent or F). Cards
 * that are present but incomplete are INVALID_ARGUMENT.
 */
export function apertureCorrectionFromMetadata(metadata: readonly HeaderCard[]): ApertureCorrection | null {
  if (headerValue(metadata, 'APCORR') !== true) return null;
  const need = (keyword: string): number => {
    const v = headerNumber(metadata, keyword);
    if (v === undefined || !Number.isFinite(v)) {
      throw meridianError('INVALID_ARGUMENT', `the aperture correction cards lack a numeric ${keyword}`, {
        keyword,
      });
    }
    return v;
  };
  const order = need('APCORD');
  if (!Number.isInteger(order) || order < 0 || order > 6) {
    throw meridianError('INVALID_ARGUMENT', `APCORD ${order} is not an integer 0..6`);
  }
  const coefficients = Array.from({ length: polynomialTermCount(order) }, (_, k) => need(`APCC${k}`));
  return Object.freeze({
    kind: 'apertureCorrection',
    apertureRadius: need('APCRAD'),
    order,
    bbox: box2i(need('APCBX0'), need('APCBY0'), need('APCBW'), need('APCBH')),
    coefficients: Object.freeze(coefficients),
    starCount: need('APCNSTAR'),
    rms: need('APCRMS'),
  });
}

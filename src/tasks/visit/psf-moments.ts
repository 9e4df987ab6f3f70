/**
 * The PSF's shape at a pixel, for the visit summary. The contract's `psfShapeAt(psf, x, y)` (written with the
 * spatially varying PSF model in `formats/exposure`) replaces `psfShapeAtCentre` once it exists: this stand-in
 * knows only the two constant kinds the Exposure format has today, `gaussian` and `doubleGaussian`, for which the
 * position does not matter.
 */
import { meridianError } from '../../errors.js';
import type { Psf } from '../../formats/index.js';

export interface PsfShape {
  /** Second moments, pixel². */
  readonly ixx: number;
  readonly iyy: number;
  readonly ixy: number;
  /** Determinant radius (ixx·iyy − ixy²)^¼, pixels: the sigma of a round Gaussian with the same moments. */
  readonly sigma: number;
  /** Effective noise area (∫P)² / ∫P², pixel²: 4πσ² for a Gaussian. */
  readonly area: number;
}

/**
 * Moments of a constant PSF model. A double Gaussian's components have peak ratio `ratio`, so their flux weights are
 * σ1² and ratio·σ2²; the unweighted second moment is the flux-weighted mean of σ², and ∫P² sums the overlap
 * integrals of the two normalised Gaussians (1 / 2π(σa² + σb²) for each pair).
 */
export function psfShapeAtCentre(psf: Psf): PsfShape {
  if (psf.kind === 'gaussian') {
    const s2 = psf.sigma * psf.sigma;
    return Object.freeze({ ixx: s2, iyy: s2, ixy: 0, sigma: psf.sigma, area: 4 * Math.PI * s2 });
  }
  if (psf.kind === 'doubleGaussian') {
    const a = psf.sigma1 * psf.sigma1;
    const b = psf.sigma2 * psf.sigma2;
    const w1 = a / (a + psf.ratio * b);
    const w2 = 1 - w1;
    const moment = w1 * a + w2 * b;
    const overlap =
      (w1 * w1) / (4 * Math.PI * a) + (w2 * w2) / (4 * Math.PI * b) + (w1 * w2) / (Math.PI * (a + b));
    return Object.freeze({ ixx: moment, iyy: moment, ixy: 0, sigma: Math.sqrt(moment), area: 1 / overlap });
  }
  throw meridianError('NOT_IMPLEMENTED', `no PSF shape for the PSF kind ${(psf as { kind: string }).kind}`);
}

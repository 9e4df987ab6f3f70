/**
 * The PSF's shape for the visit summary: its second moments at a pixel (formats' `psfShapeAt`, for every PSF kind
 * including the spatially varying one) and its effective noise area, from the PSF's Gaussian components.
 */
import { type Psf, psfComponentsAt, psfShapeAt } from '../../formats/index.js';

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
 * Moments and noise area of the PSF at pixel (x, y) (the centre of a spatially varying model's box when no position
 * is given). ∫P² sums the overlap integrals of the normalised Gaussian components, 1 / (2π √det(Ca + Cb)) for each
 * pair, weighted by their fluxes.
 */
export function psfShapeAtCentre(psf: Psf, x?: number, y?: number): PsfShape {
  const shape = psfShapeAt(psf, x, y);
  const components = psfComponentsAt(psf, x, y);
  let overlap = 0;
  for (const a of components) {
    for (const b of components) {
      const det = (a.ixx + b.ixx) * (a.iyy + b.iyy) - (a.ixy + b.ixy) ** 2;
      overlap += (a.flux * b.flux) / (2 * Math.PI * Math.sqrt(det));
    }
  }
  return Object.freeze({
    ixx: shape.ixx,
    iyy: shape.iyy,
    ixy: shape.ixy,
    sigma: shape.sigma,
    area: 1 / overlap,
  });
}

/**
 * Rendering noiseless source light (electrons) into a detector image. Every source is drawn with the PSF at its own
 * position (one round PSF, or a field varying across the focal plane, psf.ts). Stars with a round PSF are integrated
 * exactly over each pixel (a product of erf differences per Gaussian component); with an elliptical PSF, and for
 * galaxies (Gaussian mixtures, see sersic.ts, convolved analytically with the PSF), pixel integration is approximated
 * by adding the variance of a unit box, 1/12 pixel^2, to every component, which keeps the second moments exact.
 * Each Gaussian is drawn only inside the ellipse where it exceeds STAMP_THRESHOLD electrons per pixel, so cost
 * follows brightness and size rather than image size.
 */

import {
  type DoubleGaussianPsf,
  doubleGaussianPsf,
  ellipticalCovariance,
  isUniformRoundPsf,
  type PsfFieldModel,
  psfShapeAt,
} from './psf.js';
import { BULGE_MIXTURE, DISK_MIXTURE, type GaussianMixture1D } from './sersic.js';

/** Electrons per pixel below which a Gaussian's outskirts are not drawn (far below any sky noise). */
const STAMP_THRESHOLD = 0.005;
const PIXEL_BOX_VARIANCE = 1 / 12;

/** Point sources (stars, supernovae): positions in 0-based detector pixels and total electrons. */
export interface PointSources {
  readonly kind: 'points';
  readonly x: Float64Array;
  readonly y: Float64Array;
  readonly electrons: Float64Array;
}

/**
 * Galaxies: positions, electrons in bulge and disk, and each component's half-light ellipse as a covariance-like
 * matrix in pixels^2, stored as [xx, xy, yy] per galaxy: re^2 R diag(1, q^2) R^T for major-axis radius re.
 */
export interface GalaxySources {
  readonly kind: 'galaxies';
  readonly x: Float64Array;
  readonly y: Float64Array;
  readonly bulgeElectrons: Float64Array;
  readonly diskElectrons: Float64Array;
  readonly bulgeShape: Float64Array;
  readonly diskShape: Float64Array;
}

export interface Scene {
  readonly kind: 'scene';
  readonly points: PointSources;
  readonly galaxies: GalaxySources;
}

/** A PSF field placed on one detector: the optical axis in the detector's 0-based pixels. */
export interface DetectorPsfField {
  readonly kind: 'detector-psf-field';
  readonly model: PsfFieldModel;
  readonly opticalAxis: { readonly x: number; readonly y: number };
}

/** The PSF a scene is rendered with: the same round PSF everywhere, or a field evaluated at every source. */
export type RenderPsf = DoubleGaussianPsf | DetectorPsfField;

/** One Gaussian of the PSF at a source: weight and covariance (pixels^2); `round` when cxy = 0 and cxx = cyy. */
interface LocalComponent {
  readonly weight: number;
  readonly sigma: number;
  readonly cxx: number;
  readonly cxy: number;
  readonly cyy: number;
}

interface LocalPsf {
  readonly round: boolean;
  readonly components: readonly LocalComponent[];
}

function roundLocalPsf(psf: DoubleGaussianPsf): LocalPsf {
  return {
    round: true,
    components: psf.components.map(({ weight, sigma }) => ({
      weight,
      sigma,
      cxx: sigma * sigma,
      cxy: 0,
      cyy: sigma * sigma,
    })),
  };
}

/** The PSF at each source position; a uniform round field is evaluated once. */
function localPsfSampler(psf: RenderPsf): (x: number, y: number) => LocalPsf {
  if (psf.kind === 'double-gaussian') {
    const local = roundLocalPsf(psf);
    return () => local;
  }
  const { model, opticalAxis } = psf;
  if (isUniformRoundPsf(model)) {
    const local = roundLocalPsf(doubleGaussianPsf(model.seeingFwhmArcsec / model.pixelScaleArcsec));
    return () => local;
  }
  return (x, y) => {
    const shape = psfShapeAt(model, x - opticalAxis.x, y - opticalAxis.y);
    const round = doubleGaussianPsf(shape.fwhmPixels);
    if (shape.e1 === 0 && shape.e2 === 0) return roundLocalPsf(round);
    return {
      round: false,
      components: round.components.map(({ weight, sigma }) => {
        const [cxx, cxy, cyy] = ellipticalCovariance(sigma, shape.e1, shape.e2);
        return { weight, sigma, cxx, cxy, cyy };
      }),
    };
  };
}

export interface ImagePlane {
  readonly data: Float32Array;
  readonly width: number;
  readonly height: number;
}

/** Standard normal cumulative distribution; erf from Abramowitz & Stegun 7.1.26 (absolute error < 1.5e-7). */
function normalCdf(t: number): number {
  const z = Math.abs(t) / Math.SQRT2;
  const k = 1 / (1 + 0.3275911 * z);
  const poly =
    k * (0.254829592 + k * (-0.284496736 + k * (1.421413741 + k * (-1.453152027 + k * 1.061405429))));
  const erf = 1 - poly * Math.exp(-z * z);
  return t >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/** Half-width (in sigmas) beyond which a Gaussian with this peak value drops under the threshold; 0 if it never exceeds it. */
function cutoffSigmas(peak: number): number {
  return peak > STAMP_THRESHOLD ? Math.sqrt(2 * Math.log(peak / STAMP_THRESHOLD)) : 0;
}

const integralsX = new Float64Array(4096);
const integralsY = new Float64Array(4096);

/** Fraction of a 1-D Gaussian in each pixel lo..hi (inclusive), written to out[0..]. */
function pixelIntegrals(centre: number, sigma: number, lo: number, hi: number, out: Float64Array): void {
  let previous = normalCdf((lo - 0.5 - centre) / sigma);
  for (let i = lo; i <= hi; i++) {
    const next = normalCdf((i + 0.5 - centre) / sigma);
    out[i - lo] = next - previous;
    previous = next;
  }
}

/** Add a circular Gaussian integrated over pixels (separable). */
function addCircularGaussian(image: ImagePlane, x0: number, y0: number, flux: number, sigma: number): void {
  const reach = Math.min(2000, Math.ceil(sigma * cutoffSigmas(flux / (2 * Math.PI * sigma * sigma))));
  if (reach === 0) return;
  const { data, width, height } = image;
  const cx = Math.round(x0);
  const cy = Math.round(y0);
  const xLo = Math.max(0, cx - reach);
  const xHi = Math.min(width - 1, cx + reach);
  const yLo = Math.max(0, cy - reach);
  const yHi = Math.min(height - 1, cy + reach);
  if (xLo > xHi || yLo > yHi) return;
  pixelIntegrals(x0, sigma, xLo, xHi, integralsX);
  pixelIntegrals(y0, sigma, yLo, yHi, integralsY);
  for (let y = yLo; y <= yHi; y++) {
    const rowFlux = flux * integralsY[y - yLo];
    const row = y * width;
    for (let x = xLo; x <= xHi; x++) data[row + x] += rowFlux * integralsX[x - xLo];
  }
}

/** Add an elliptical Gaussian of total `flux` and covariance [[cxx, cxy], [cxy, cyy]] evaluated at pixel centres. */
function addEllipticalGaussian(
  image: ImagePlane,
  x0: number,
  y0: number,
  flux: number,
  cxx: number,
  cxy: number,
  cyy: number,
): void {
  const det = cxx * cyy - cxy * cxy;
  const peak = flux / (2 * Math.PI * Math.sqrt(det));
  const t = cutoffSigmas(peak);
  if (t === 0) return;
  const { data, width, height } = image;
  const reachX = Math.min(2000, Math.ceil(t * Math.sqrt(cxx)));
  const reachY = Math.min(2000, Math.ceil(t * Math.sqrt(cyy)));
  const cx = Math.round(x0);
  const cy = Math.round(y0);
  const xLo = Math.max(0, cx - reachX);
  const xHi = Math.min(width - 1, cx + reachX);
  const yLo = Math.max(0, cy - reachY);
  const yHi = Math.min(height - 1, cy + reachY);
  const ixx = cyy / det;
  const ixy = -cxy / det;
  const iyy = cxx / det;
  const limit = t * t;
  for (let y = yLo; y <= yHi; y++) {
    const dy = y - y0;
    const row = y * width;
    const yy = iyy * dy * dy;
    const xy = 2 * ixy * dy;
    for (let x = xLo; x <= xHi; x++) {
      const dx = x - x0;
      const q = ixx * dx * dx + xy * dx + yy;
      if (q < limit) data[row + x] += peak * Math.exp(-0.5 * q);
    }
  }
}

function addPointSource(image: ImagePlane, psf: LocalPsf, x: number, y: number, electrons: number): void {
  for (const c of psf.components) {
    if (psf.round) addCircularGaussian(image, x, y, electrons * c.weight, c.sigma);
    else {
      addEllipticalGaussian(
        image,
        x,
        y,
        electrons * c.weight,
        c.cxx + PIXEL_BOX_VARIANCE,
        c.cxy,
        c.cyy + PIXEL_BOX_VARIANCE,
      );
    }
  }
}

function addSersicComponent(
  image: ImagePlane,
  psf: LocalPsf,
  mixture: GaussianMixture1D,
  x: number,
  y: number,
  electrons: number,
  sxx: number,
  sxy: number,
  syy: number,
): void {
  if (!(electrons > 0)) return;
  for (let k = 0; k < mixture.weights.length; k++) {
    const v = mixture.variances[k];
    for (const { weight, cxx, cxy, cyy } of psf.components) {
      addEllipticalGaussian(
        image,
        x,
        y,
        electrons * mixture.weights[k] * weight,
        v * sxx + (cxx + PIXEL_BOX_VARIANCE),
        v * sxy + cxy,
        v * syy + (cyy + PIXEL_BOX_VARIANCE),
      );
    }
  }
}

/** Add every source of the scene to the image (electrons), each with the PSF at its position. */
export function renderScene(image: ImagePlane, psf: RenderPsf, scene: Scene): void {
  const { points, galaxies } = scene;
  const psfAt = localPsfSampler(psf);
  for (let i = 0; i < points.x.length; i++) {
    addPointSource(image, psfAt(points.x[i], points.y[i]), points.x[i], points.y[i], points.electrons[i]);
  }
  const g = galaxies;
  for (let i = 0; i < g.x.length; i++) {
    const b = 3 * i;
    const local = psfAt(g.x[i], g.y[i]);
    addSersicComponent(
      image,
      local,
      BULGE_MIXTURE,
      g.x[i],
      g.y[i],
      g.bulgeElectrons[i],
      g.bulgeShape[b],
      g.bulgeShape[b + 1],
      g.bulgeShape[b + 2],
    );
    addSersicComponent(
      image,
      local,
      DISK_MIXTURE,
      g.x[i],
      g.y[i],
      g.diskElectrons[i],
      g.diskShape[b],
      g.diskShape[b + 1],
      g.diskShape[b + 2],
    );
  }
}

/** Half-light ellipse [xx, xy, yy] for major-axis radius `re` pixels, axis ratio q, major axis at `angle` rad from +x. */
export function ellipseShape(re: number, q: number, angle: number): [number, number, number] {
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  const major = re * re;
  const minor = re * re * q * q;
  return [major * c * c + minor * s * s, (major - minor) * c * s, major * s * s + minor * c * c];
}

/**
 * Synthetic stamps with known answers for the measurement tests: a seeded generator, Gaussian noise, and Gaussian
 * stars integrated over each pixel by supersampling (independent of the erf-based PSF code under test).
 */
import { box2i, Exposure, ImageF, Mask, type Psf } from '../../../src/formats/index.js';

/** mulberry32 with Box–Muller normals: small, seeded, good enough for test noise. */
export class TestRandom {
  private state: number;
  private spare: number | null = null;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  uniform(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }
}

export interface Star {
  readonly x: number;
  readonly y: number;
  readonly flux: number;
}

/**
 * Add an elliptical Gaussian of covariance [[cxx, cxy], [cxy, cyy]] (pixels²) and total `flux`, centred at (x, y)
 * (pixel centres at integers), integrated over pixels by `sub`×`sub` supersampling, out to 7σ.
 */
export function addGaussian(
  pixels: Float32Array,
  width: number,
  height: number,
  x: number,
  y: number,
  flux: number,
  cxx: number,
  cyy = cxx,
  cxy = 0,
  sub = 7,
): void {
  const det = cxx * cyy - cxy * cxy;
  const ixx = cyy / det;
  const iyy = cxx / det;
  const ixy = -cxy / det;
  const norm = flux / (2 * Math.PI * Math.sqrt(det) * sub * sub);
  const rx = Math.ceil(7 * Math.sqrt(cxx));
  const ry = Math.ceil(7 * Math.sqrt(cyy));
  for (let py = Math.max(0, Math.floor(y) - ry); py <= Math.min(height - 1, Math.ceil(y) + ry); py++) {
    for (let px = Math.max(0, Math.floor(x) - rx); px <= Math.min(width - 1, Math.ceil(x) + rx); px++) {
      let sum = 0;
      for (let sy = 0; sy < sub; sy++) {
        const dy = py - 0.5 + (sy + 0.5) / sub - y;
        for (let sx = 0; sx < sub; sx++) {
          const dx = px - 0.5 + (sx + 0.5) / sub - x;
          sum += Math.exp(-0.5 * (ixx * dx * dx + 2 * ixy * dx * dy + iyy * dy * dy));
        }
      }
      pixels[py * width + px] += norm * sum;
    }
  }
}

export function addNoise(pixels: Float32Array, sigma: number, rng: TestRandom): void {
  for (let i = 0; i < pixels.length; i++) pixels[i] += sigma * rng.normal();
}

/** An exposure of constant variance `sigma²` with the given pixels and PSF. */
export function testExposure(
  pixels: Float32Array,
  width: number,
  height: number,
  sigma: number,
  psf: Psf,
): Exposure {
  const bbox = box2i(0, 0, width, height);
  return new Exposure({
    image: new ImageF(pixels, bbox),
    mask: Mask.zeros(bbox),
    variance: new ImageF(new Float32Array(width * height).fill(sigma * sigma), bbox),
    psf,
  });
}

/** Matched-filter S/N of a Gaussian star of σ pixels in white noise σn: F / (σn √(4π σ²)). */
export function starSnr(flux: number, psfSigma: number, noiseSigma: number): number {
  return flux / (noiseSigma * Math.sqrt(4 * Math.PI * psfSigma * psfSigma));
}

export function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

export function std(values: readonly number[]): number {
  const m = mean(values);
  return Math.sqrt(values.reduce((a, b) => a + (b - m) ** 2, 0) / (values.length - 1));
}

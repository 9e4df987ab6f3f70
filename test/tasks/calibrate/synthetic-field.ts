/**
 * Seeded synthetic fields for the calibration tests: a true TAN-SIP WCS of a 4k x 4k detector (0.2"/pixel, cubic
 * radial plus a quadratic distortion), stars placed on it, and an initial WCS that is off by a chosen shift,
 * rotation, scale error and flip. Half of the stars are detected and in the reference catalog; the other half are in
 * the catalog only (missed, saturated, off the edge), and as many spurious detections as real ones are added.
 */

import { makeTanSipWcs, pixelToSky, sipPolynomial, type TanSipWcs } from '../../../src/formats/index.js';
import { Random } from '../../../src/sim/random.js';
import type { DetectedSource, ReferenceStar } from '../../../src/tasks/index.js';

export const SIZE = 4096;
export const PIXEL_SCALE_ARCSEC = 0.2;
/** Instrumental zero point of the synthetic detections: mag = ZERO_POINT - 2.5 log10(counts). */
export const ZERO_POINT = 30.2;

export interface FieldOptions {
  readonly seed: number;
  /** Stars over the detector (plus a 5% margin). */
  readonly stars?: number;
  /** Fraction of the stars that are detected (the rest are in the reference catalog only). */
  readonly detectedFraction?: number;
  /** Spurious detections per real one. */
  readonly spuriousPerReal?: number;
  /** Gaussian centroid noise per axis, pixels. */
  readonly noisePixels?: number;
  /** Displacement of a corner by the distortion, pixels. */
  readonly distortionPixels?: number;
}

export interface InitialWcsError {
  readonly offsetArcsec?: readonly [number, number];
  readonly rotationDeg?: number;
  readonly scale?: number;
  readonly flip?: boolean;
}

export interface SyntheticField {
  readonly trueWcs: TanSipWcs;
  readonly sources: DetectedSource[];
  readonly references: ReferenceStar[];
  /** For each source, the index of its reference star, or -1 for a spurious detection. */
  readonly truthReference: number[];
  readonly detected: number;
}

export function syntheticField(options: FieldOptions): SyntheticField {
  const random = new Random([options.seed, 4242]);
  const stars = options.stars ?? 600;
  const detectedFraction = options.detectedFraction ?? 0.5;
  const spuriousPerReal = options.spuriousPerReal ?? 1;
  const noise = options.noisePixels ?? 0;
  const corner = Math.hypot(SIZE / 2, SIZE / 2);
  const cubic = (options.distortionPixels ?? 4) / corner ** 3;
  const rotation = random.between(0, 2 * Math.PI);
  const scale = PIXEL_SCALE_ARCSEC / 3600;
  // Parity of a sky image seen from the ground: east to the left of north, det(CD) < 0.
  const cd = [
    [-scale * Math.cos(rotation), scale * Math.sin(rotation)],
    [scale * Math.sin(rotation), scale * Math.cos(rotation)],
  ] as const;
  const trueWcs = makeTanSipWcs({
    crpix: [SIZE / 2 + 0.5, SIZE / 2 + 0.5],
    crval: [random.between(0, 360), random.between(-70, 70)],
    cd,
    sip: {
      // u (1 + k r^2) plus a small quadratic term: exactly a SIP polynomial of order 3.
      a: sipPolynomial(3, [
        [3, 0, cubic],
        [1, 2, cubic],
        [2, 0, 2e-7],
      ]),
      b: sipPolynomial(3, [
        [2, 1, cubic],
        [0, 3, cubic],
        [1, 1, -1.5e-7],
      ]),
    },
  });
  const sources: DetectedSource[] = [];
  const references: ReferenceStar[] = [];
  const truthReference: number[] = [];
  const magnitude = () => 16 + 7 * Math.sqrt(random.uniform());
  const counts = (mag: number) => 10 ** (-0.4 * (mag - ZERO_POINT));
  for (let i = 0; i < stars; i++) {
    const x = random.between(-0.05, 1.05) * SIZE - 0.5;
    const y = random.between(-0.05, 1.05) * SIZE - 0.5;
    const mag = magnitude();
    const sky = pixelToSky(trueWcs, x, y);
    references.push({ ra: sky.ra, dec: sky.dec, mag });
    const onDetector = x >= 0 && x <= SIZE - 1 && y >= 0 && y <= SIZE - 1;
    if (onDetector && random.uniform() < detectedFraction) {
      // 3% flux scatter, so the brightness order of the two sides differs a little.
      sources.push({
        x: x + noise * random.normal(),
        y: y + noise * random.normal(),
        flux: counts(mag) * (1 + 0.03 * random.normal()),
      });
      truthReference.push(i);
    }
  }
  const detected = sources.length;
  for (let i = 0; i < spuriousPerReal * detected; i++) {
    sources.push({
      x: random.between(0, SIZE - 1),
      y: random.between(0, SIZE - 1),
      flux: counts(magnitude()),
    });
    truthReference.push(-1);
  }
  return { trueWcs, sources, references, truthReference, detected };
}

/**
 * The true WCS without distortion, then shifted on the sky, rotated about the detector centre, scaled and maybe
 * mirrored: what a header WCS from a poor pointing and camera model could look like.
 */
export function perturbedWcs(truth: TanSipWcs, error: InitialWcsError): TanSipWcs {
  const angle = ((error.rotationDeg ?? 0) * Math.PI) / 180;
  const s = error.scale ?? 1;
  const [[a, b], [c, d]] = truth.cd;
  const flip = error.flip ? -1 : 1;
  // CD' = s R(angle) CD diag(1, flip): a rotation on the sky plane, a mirror of the pixel y axis.
  const rotate = (x: number, y: number): [number, number] => [
    s * (Math.cos(angle) * x - Math.sin(angle) * y),
    s * (Math.sin(angle) * x + Math.cos(angle) * y),
  ];
  const [c11, c21] = rotate(a, c);
  const [c12, c22] = rotate(b * flip, d * flip);
  const [dx, dy] = error.offsetArcsec ?? [0, 0];
  const dec = truth.crval[1] + dy / 3600;
  return makeTanSipWcs({
    crpix: truth.crpix,
    crval: [truth.crval[0] + dx / 3600 / Math.cos((dec * Math.PI) / 180), dec],
    cd: [
      [c11, c12],
      [c21, c22],
    ],
  });
}

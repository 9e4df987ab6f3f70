/**
 * An honest field for the source-extractor comparison: one MeridianCam detector rendered by the simulator's raw
 * renderer (flat-field pattern, Poisson and read noise, cosmic rays, bleed trails, bias structure and an overscan in
 * ADU), then turned into a calexp-like image in electrons by a minimal ISR that both tools share: overscan level
 * subtracted, the bias structure removed (the noise-free master bias), times the gain, divided by the flat. The sky
 * stays in: each tool estimates and subtracts its own background with the same 128-pixel mesh.
 */

import { box2i, Exposure, ImageF, Mask, type Psf } from '../src/formats/index.js';
import { meridianCam, nanojanskyFromAbMag } from '../src/obs/index.js';
import { biasStructure, flatFieldPattern } from '../src/sim/detector-effects.js';
import { doubleGaussianPsf } from '../src/sim/psf.js';
import { Random, STREAM } from '../src/sim/random.js';
import { renderRaw } from '../src/sim/raw.js';
import { ellipseShape, type Scene } from '../src/sim/render.js';

export interface FieldOptions {
  /** Detector width and height, pixels (default 4096). */
  readonly size?: number;
  /** Stars and galaxies (default 10,000 on 4096², scaled with the area). */
  readonly sources?: number;
  readonly seed?: number;
  /** PSF FWHM, pixels (default 3.5: 0.7″ at 0.2″/px). */
  readonly fwhm?: number;
  readonly cosmicRays?: boolean;
}

export interface FieldTruth {
  /** 0-based pixel positions and total electrons of every object. */
  readonly x: Float64Array;
  readonly y: Float64Array;
  readonly electrons: Float64Array;
  readonly isStar: Uint8Array;
  /**
   * 1 for objects on the detector, 0 for those just off it (within a margin), which a detection of their wings may
   * match but which are not counted as missed; absent: all are on it.
   */
  readonly inside?: Uint8Array;
}

export interface SimulatedField {
  readonly exposure: Exposure;
  readonly truth: FieldTruth;
  /** Magnitude of one electron: mag = zeroPoint − 2.5 log10(electrons). */
  readonly zeroPoint: number;
  /** The PSF components (weight, sigma in pixels) the field was rendered with, for enclosed-flux corrections. */
  readonly psfComponents: readonly { readonly weight: number; readonly sigma: number }[];
}

const BAND = 'r';
const EXPOSURE_SECONDS = 30;
/** r-band AB magnitude giving 1 e-/s (as the simulator's benchmark scene). */
const R_ZERO_POINT_PER_SECOND = 28.36;
const SKY_ELECTRONS = 900;

function electronsFromMag(mag: number): number {
  return (nanojanskyFromAbMag(mag) / nanojanskyFromAbMag(R_ZERO_POINT_PER_SECOND)) * EXPOSURE_SECONDS;
}

/**
 * 30% stars (r 16–26) and 70% galaxies (r 18–26, bulge + disk, sizes shrinking with magnitude), more faint than
 * bright, uniformly placed 8 px away from the edges.
 */
function fieldScene(size: number, count: number, rng: Random): { scene: Scene; truth: FieldTruth } {
  const stars = Math.round(count * 0.3);
  const galaxies = count - stars;
  // Magnitudes from lo to hi, with the number per magnitude growing towards hi (u^0.4 leans to the faint end).
  const magnitude = (lo: number, hi: number) => lo + (hi - lo) * rng.uniform() ** 0.4;
  const position = () => 8 + rng.uniform() * (size - 16);
  const truth = {
    x: new Float64Array(count),
    y: new Float64Array(count),
    electrons: new Float64Array(count),
    isStar: new Uint8Array(count),
  };
  const points = {
    kind: 'points' as const,
    x: new Float64Array(stars),
    y: new Float64Array(stars),
    electrons: new Float64Array(stars),
  };
  for (let i = 0; i < stars; i++) {
    points.x[i] = truth.x[i] = position();
    points.y[i] = truth.y[i] = position();
    points.electrons[i] = truth.electrons[i] = electronsFromMag(magnitude(16, 26));
    truth.isStar[i] = 1;
  }
  const g = {
    kind: 'galaxies' as const,
    x: new Float64Array(galaxies),
    y: new Float64Array(galaxies),
    bulgeElectrons: new Float64Array(galaxies),
    diskElectrons: new Float64Array(galaxies),
    bulgeShape: new Float64Array(3 * galaxies),
    diskShape: new Float64Array(3 * galaxies),
  };
  for (let i = 0; i < galaxies; i++) {
    const mag = magnitude(18, 26);
    const total = electronsFromMag(mag);
    const bt = rng.uniform() * 0.8;
    g.x[i] = truth.x[stars + i] = position();
    g.y[i] = truth.y[stars + i] = position();
    g.bulgeElectrons[i] = total * bt;
    g.diskElectrons[i] = total * (1 - bt);
    truth.electrons[stars + i] = total;
    const re = Math.min(15, (10 ** (-0.1 * (mag - 20)) / 0.2) * Math.exp(0.3 * rng.normal()));
    const angle = Math.PI * rng.uniform();
    g.bulgeShape.set(ellipseShape(0.35 * re, 0.8, angle), 3 * i);
    g.diskShape.set(ellipseShape(re, 0.3 + 0.7 * rng.uniform(), angle), 3 * i);
  }
  return { scene: { kind: 'scene', points, galaxies: g }, truth };
}

export function simulateField(options: FieldOptions = {}): SimulatedField {
  const size = options.size ?? 4096;
  const count = options.sources ?? Math.round((10_000 * size * size) / 4096 ** 2);
  const seed = options.seed ?? 20261205;
  const instrument = meridianCam({ detectorCount: 1, detectorSize: size });
  const detector = instrument.detectors[0]!;
  const geometry = { detector, opticalAxis: { x: size / 2, y: size / 2 }, focalPlaneRadius: size * 0.75 };
  const psf = doubleGaussianPsf(options.fwhm ?? 3.5);
  const { scene, truth } = fieldScene(size, count, new Random([seed, STREAM.benchmark]));
  const raw = renderRaw({
    kind: 'raw-render-task',
    seed,
    exposureId: 1,
    band: BAND,
    darkTime: EXPOSURE_SECONDS + 0.5,
    geometry,
    pixelSizeMm: instrument.pixelSizeMm,
    skyElectronsPerPixel: SKY_ELECTRONS,
    psf,
    scene,
    cosmicRays: options.cosmicRays ?? true,
  });

  // ISR: the overscan's median level, the master bias (the renderer's noise-free bias structure), gain, flat.
  const { width, height, gain, readNoise, saturation } = detector;
  const overscan: number[] = [];
  for (let y = 0; y < height; y++) {
    for (let x = width; x < raw.rawWidth; x++) overscan.push(raw.pixels[y * raw.rawWidth + x]!);
  }
  overscan.sort((a, b) => a - b);
  const level = overscan[overscan.length >> 1]!;
  const bias = biasStructure(detector, seed);
  const flat = flatFieldPattern(geometry, BAND, seed);
  const bbox = box2i(0, 0, width, height);
  const image = new Float32Array(width * height);
  const variance = new Float32Array(width * height);
  const mask = Mask.zeros(bbox);
  const saturated = mask.bitMask('SAT');
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const adu = raw.pixels[y * raw.rawWidth + x]!;
      if (adu >= saturation) mask.array[i] |= saturated;
      const electrons = ((adu - level - bias[i]!) * gain) / flat[i]!;
      image[i] = electrons;
      variance[i] = Math.max(electrons, 0) / flat[i]! + (readNoise * readNoise) / (flat[i]! * flat[i]!);
    }
  }
  const [core, wing] = psf.components;
  const modelPsf: Psf = {
    kind: 'doubleGaussian',
    sigma1: core.sigma,
    sigma2: wing.sigma,
    // The model's ratio is of peak amplitudes: (w2 / σ2²) / (w1 / σ1²).
    ratio: wing.weight / wing.sigma ** 2 / (core.weight / core.sigma ** 2),
  };
  return {
    exposure: new Exposure({
      image: new ImageF(image, bbox),
      mask,
      variance: new ImageF(variance, bbox),
      psf: modelPsf,
    }),
    truth,
    zeroPoint: R_ZERO_POINT_PER_SECOND + 2.5 * Math.log10(EXPOSURE_SECONDS),
    psfComponents: psf.components,
  };
}

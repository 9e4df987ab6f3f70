/**
 * Benchmark of the raw renderer: one detector of a given size with a given number of sources (30% stars, 70%
 * galaxies with r-band-like brightness and sizes), through the whole pipeline (sources, flat, Poisson and read
 * noise, cosmic rays, bleed, bias and overscan) up to the uint16 pixels. FITS encoding is not included.
 */

import { meridianCam, nanojanskyFromAbMag } from '../obs/index.js';
import { doubleGaussianPsf } from './psf.js';
import { Random, STREAM } from './random.js';
import { renderRaw } from './raw.js';
import { ellipseShape, type Scene } from './render.js';

export interface RenderBenchmarkOptions {
  readonly detectorSize?: number;
  readonly sources?: number;
  readonly seed?: number;
}

export interface RenderBenchmarkResult {
  readonly detectorSize: number;
  readonly sources: number;
  readonly seconds: number;
  readonly megapixelsPerSecond: number;
}

/** Electrons from an r magnitude in a 30 s exposure (r zero point 28.36). */
function electronsFromMag(mag: number): number {
  return (nanojanskyFromAbMag(mag) / nanojanskyFromAbMag(28.36)) * 30;
}

function syntheticScene(size: number, sources: number, rng: Random): Scene {
  const stars = Math.round(sources * 0.3);
  const galaxies = sources - stars;
  const uniformMag = (lo: number, hi: number) => lo + (hi - lo) * rng.uniform() ** 0.3;
  const px = Float64Array.from({ length: stars }, () => rng.uniform() * size);
  const py = Float64Array.from({ length: stars }, () => rng.uniform() * size);
  const pe = Float64Array.from({ length: stars }, () => electronsFromMag(uniformMag(15, 25)));
  const gx = Float64Array.from({ length: galaxies }, () => rng.uniform() * size);
  const gy = Float64Array.from({ length: galaxies }, () => rng.uniform() * size);
  const bulge = new Float64Array(galaxies);
  const disk = new Float64Array(galaxies);
  const bulgeShape = new Float64Array(3 * galaxies);
  const diskShape = new Float64Array(3 * galaxies);
  for (let i = 0; i < galaxies; i++) {
    const mag = uniformMag(18, 25.5);
    const total = electronsFromMag(mag);
    const bt = rng.uniform() * 0.8;
    bulge[i] = total * bt;
    disk[i] = total * (1 - bt);
    const re = (10 ** (-0.1 * (mag - 20)) / 0.2) * Math.exp(0.4 * rng.normal());
    const angle = Math.PI * rng.uniform();
    bulgeShape.set(ellipseShape(0.35 * re, 0.8, angle), 3 * i);
    diskShape.set(ellipseShape(re, 0.2 + 0.8 * rng.uniform(), angle), 3 * i);
  }
  return {
    kind: 'scene',
    points: { kind: 'points', x: px, y: py, electrons: pe },
    galaxies: {
      kind: 'galaxies',
      x: gx,
      y: gy,
      bulgeElectrons: bulge,
      diskElectrons: disk,
      bulgeShape,
      diskShape,
    },
  };
}

/** Render one synthetic detector and report the wall-clock time. */
export function benchmarkDetectorRender(options: RenderBenchmarkOptions = {}): RenderBenchmarkResult {
  const size = options.detectorSize ?? 4096;
  const sources = options.sources ?? 5000;
  const seed = options.seed ?? 1;
  const instrument = meridianCam({ detectorCount: 1, detectorSize: size });
  const detector = instrument.detectors[0];
  const scene = syntheticScene(size, sources, new Random([seed, STREAM.benchmark]));
  const started = performance.now();
  renderRaw({
    kind: 'raw-render-task',
    seed,
    exposureId: 1,
    band: 'r',
    darkTime: 30.5,
    geometry: { detector, opticalAxis: { x: size / 2, y: size / 2 }, focalPlaneRadius: size * 0.75 },
    pixelSizeMm: instrument.pixelSizeMm,
    skyElectronsPerPixel: 900,
    psf: doubleGaussianPsf(3.5),
    scene,
    cosmicRays: true,
  });
  const seconds = (performance.now() - started) / 1000;
  return { detectorSize: size, sources, seconds, megapixelsPerSecond: (size * size) / 1e6 / seconds };
}

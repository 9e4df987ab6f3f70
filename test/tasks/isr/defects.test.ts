/**
 * The simulator's defects: fixed per (seed, detector), rendered into the raw (a bad column collects a fraction of
 * the light, a hot pixel adds dark charge), absent unless asked for; and the ISR of such a raw with the defects
 * list masks exactly those pixels.
 */
import { describe, expect, it } from 'vitest';
import { box2i, Exposure, ImageF, valueCard } from '../../../src/formats/index.js';
import { meridianCam } from '../../../src/obs/index.js';
import { defectBoxes, detectorDefects, fitsSection } from '../../../src/sim/index.js';
import { doubleGaussianPsf } from '../../../src/sim/psf.js';
import { type RawRenderTask, renderRaw } from '../../../src/sim/raw.js';
import { IsrConfigSchema, runIsr } from '../../../src/tasks/index.js';

const camera = meridianCam({ detectorCount: 2, detectorSize: 256 });
const detector = camera.detectors[1]!;
const SKY = 2000;
const DARK_TIME = 30;

function task(defects: boolean): RawRenderTask {
  const none = new Float64Array(0);
  return {
    kind: 'raw-render-task',
    seed: 5,
    exposureId: 1,
    band: 'r',
    darkTime: DARK_TIME,
    // The optical axis far away and a huge field: a flat of 1 up to the PRNU.
    geometry: { detector, opticalAxis: { x: 128, y: 128 }, focalPlaneRadius: 1e9 },
    pixelSizeMm: camera.pixelSizeMm,
    skyElectronsPerPixel: SKY,
    psf: doubleGaussianPsf(4),
    scene: {
      kind: 'scene',
      points: { kind: 'points', x: none, y: none, electrons: none },
      galaxies: {
        kind: 'galaxies',
        x: none,
        y: none,
        bulgeElectrons: none,
        diskElectrons: none,
        bulgeShape: none,
        diskShape: none,
      },
    },
    cosmicRays: false,
    defects,
  };
}

describe('simulated defects', () => {
  const defects = detectorDefects(detector, 5);

  it('are a few bad columns and a handful of hot pixels, fixed by seed and detector', () => {
    expect(defects.badColumns.length).toBeGreaterThanOrEqual(2);
    expect(defects.badColumns.length).toBeLessThanOrEqual(4);
    expect(defects.hotPixels.length).toBeGreaterThanOrEqual(5);
    expect(defects.hotPixels.length).toBeLessThanOrEqual(12);
    expect(detectorDefects(detector, 5)).toEqual(defects);
    expect(detectorDefects(detector, 6)).not.toEqual(defects);
    expect(defectBoxes(defects)).toHaveLength(defects.badColumns.length + defects.hotPixels.length);
  });

  it('are rendered into the raw only when asked for, and ISR masks and repairs them', () => {
    const clean = renderRaw(task(false));
    const dirty = renderRaw(task(true));
    const { width, height, gain } = detector;
    const rawWidth = clean.rawWidth;
    const level = (r: typeof clean, x: number, y: number) =>
      (r.pixels[y * rawWidth + x]! - r.biasLevel) * gain;
    for (const column of defects.badColumns) {
      let sum = 0;
      for (let y = column.y0; y < column.y0 + column.height; y++) sum += level(dirty, column.x0, y);
      // Sky x response, to the noise of the column mean (and the bias structure, < 3 ADU).
      expect(sum / column.height / SKY).toBeCloseTo(column.response, 1);
    }
    for (const hot of defects.hotPixels) {
      const excess = level(dirty, hot.x, hot.y) - level(clean, hot.x, hot.y);
      expect(excess).toBeGreaterThan(0.5 * hot.electronsPerSecond * DARK_TIME);
    }

    // The amplifier cards of a MeridianCam raw header.
    const cards = [
      valueCard('DATASEC', fitsSection(1, width, 1, height)),
      valueCard('BIASSEC', fitsSection(width + 1, rawWidth, 1, height)),
      valueCard('GAIN', gain),
      valueCard('RDNOISE', detector.readNoise),
      valueCard('SATURATE', detector.saturation),
    ];
    const raw = new Exposure({
      image: new ImageF(Float32Array.from(dirty.pixels), box2i(0, 0, rawWidth, height)),
      metadata: cards,
    });
    const { exposure: post, summary } = runIsr(
      raw,
      { defects: { boxes: defectBoxes(defects) } },
      IsrConfigSchema.parse({ doBias: false, doFlat: false }),
    );
    const covered = new Set(
      defectBoxes(defects).flatMap((b) =>
        Array.from({ length: b.height }, (_, k) => (b.y0 + k) * width + b.x0),
      ),
    );
    expect(summary.badPixels).toBe(covered.size);
    // Repaired: the defect pixels now read the sky (the flat and bias are left in: a few per cent).
    for (const hot of defects.hotPixels) expect(post.image.get(hot.x, hot.y) / SKY).toBeCloseTo(1, 1);
  });
});

import { describe, expect, it } from 'vitest';
import { meridianCam } from '../../src/obs/index.js';
import { biasStructure } from '../../src/sim/detector-effects.js';
import { doubleGaussianPsf } from '../../src/sim/psf.js';
import { type RawRenderTask, renderRaw } from '../../src/sim/raw.js';

const camera = meridianCam({ detectorCount: 1, detectorSize: 256 });
const detector = camera.detectors[0];

function task(electrons: number, cosmicRays = false): RawRenderTask {
  return {
    kind: 'raw-render-task',
    seed: 9,
    exposureId: 1,
    band: 'r',
    darkTime: 30.5,
    geometry: { detector, opticalAxis: { x: 127.5, y: 127.5 }, focalPlaneRadius: 1e9 },
    pixelSizeMm: camera.pixelSizeMm,
    skyElectronsPerPixel: 500,
    psf: doubleGaussianPsf(4),
    scene: {
      kind: 'scene',
      points: {
        kind: 'points',
        x: Float64Array.of(128.3),
        y: Float64Array.of(120.6),
        electrons: Float64Array.of(electrons),
      },
      galaxies: {
        kind: 'galaxies',
        x: new Float64Array(0),
        y: new Float64Array(0),
        bulgeElectrons: new Float64Array(0),
        diskElectrons: new Float64Array(0),
        bulgeShape: new Float64Array(0),
        diskShape: new Float64Array(0),
      },
    },
    cosmicRays,
  };
}

describe('saturation and bleed', () => {
  const result = renderRaw(task(1e7));
  const width = result.rawWidth;
  const value = (x: number, y: number) => result.pixels[y * width + x];
  const saturated = (x: number, y: number) => value(x, y) >= detector.saturation;

  it('saturates the core at the SATURATE level and bleeds along the column, not the row', () => {
    expect(saturated(128, 121)).toBe(true);
    let alongColumn = 0;
    let alongRow = 0;
    for (let y = 0; y < 256; y++) if (saturated(128, y)) alongColumn++;
    for (let x = 0; x < 256; x++) if (saturated(x, 121)) alongRow++;
    // 1e7 e- over an 85,000 e- full well fill at most 118 pixels (less the light in the unsaturated wings), shared
    // by the few columns the core covers.
    expect(alongColumn).toBeGreaterThan(2 * alongRow);
    expect(alongColumn).toBeGreaterThan(15);
    expect(result.saturatedPixels).toBeGreaterThan(80);
    expect(result.saturatedPixels).toBeLessThan(125);
  });

  it('conserves charge: bleeding moves electrons, it does not create or destroy them', () => {
    const structure = biasStructure(detector, 9);
    let electrons = 0;
    for (let y = 0; y < 256; y++) {
      for (let x = 0; x < 256; x++) {
        electrons += (value(x, y) - result.biasLevel - structure[y * 256 + x]) * detector.gain;
      }
    }
    const expected = 1e7 + 500 * 256 * 256;
    expect(Math.abs(electrons - expected) / expected).toBeLessThan(0.002);
  });

  it('adds cosmic rays only when asked, as compact groups of hot pixels', () => {
    const clean = renderRaw(task(0));
    const hit = renderRaw({ ...task(0, true), darkTime: 2000 });
    expect(clean.cosmicRays).toBe(0);
    expect(hit.cosmicRays).toBeGreaterThan(0);
    const hot = (r: typeof clean) =>
      r.pixels.filter((v, i) => i % width < 256 && v > detector.biasLevel + 800).length;
    expect(hot(clean)).toBe(0);
    expect(hot(hit)).toBeGreaterThan(0);
  });
});

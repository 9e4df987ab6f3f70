import { describe, expect, it } from 'vitest';
import { psfShapeAt } from '../../../src/formats/index.js';
import { determinePsf } from '../../../src/tasks/characterize/psf-determination.js';
import { detectAndMeasure } from '../../../src/tasks/measure/index.js';
import { quadraticField, renderStarField } from './fields.js';

describe('determinePsf on a synthetic field with a known spatially varying PSF', () => {
  const width = 1024;
  const height = 1024;
  const field = quadraticField(width, height);
  const { exposure } = renderStarField({
    width,
    height,
    field,
    stars: 400,
    galaxies: 80,
    guessPsf: { kind: 'gaussian', sigma: 1.6 },
  });
  const first = detectAndMeasure(exposure);
  const t0 = performance.now();
  const result = determinePsf(first.exposure, first.sources, 1.6);
  const seconds = (performance.now() - t0) / 1000;

  it('recovers the wing and the core polynomial', () => {
    console.log(
      seconds,
      result.order,
      result.wingScale,
      result.wingFraction,
      result.selection.counts,
      result.usedResidual,
      result.reservedResidual,
      result.stars.length,
    );
    expect(result.wingScale).toBeCloseTo(2, 0);
    expect(Math.abs(result.wingFraction - 0.1)).toBeLessThan(0.02);
    for (const [x, y] of [
      [100, 100],
      [512, 512],
      [900, 200],
      [200, 900],
      [950, 950],
    ] as const) {
      const c = field.core(x, y);
      const w = field.wingFraction;
      const total = 1 - w + w * field.wingScale ** 2;
      const truthSigma = Math.sqrt(Math.sqrt(total * total * (c.xx * c.yy - c.xy * c.xy)));
      const model = psfShapeAt(result.psf, x, y);
      console.log(
        x,
        y,
        model.sigma / truthSigma - 1,
        model.ixx / (total * c.xx) - 1,
        model.iyy / (total * c.yy) - 1,
        model.ixy - total * c.xy,
      );
      expect(Math.abs(model.sigma / truthSigma - 1)).toBeLessThan(0.01);
    }
  });
});

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
  const result = determinePsf(first.exposure, first.sources, 1.6, { fitWing: true });

  it('recovers the wing and the core polynomial', () => {
    expect(result.order).toBe(2);
    expect(result.selection.candidates.length).toBeGreaterThan(150);
    expect(result.stars.filter((s) => s.reserved).length).toBe(
      Math.round(0.2 * result.selection.candidates.length),
    );
    expect(Math.abs(result.reservedResidual.median)).toBeLessThan(0.005);
    expect(result.reservedResidual.rms).toBeLessThan(0.015);
    // The core polynomials themselves (basis 1, u, v, u², uv, v²; quadraticField's coefficients).
    const truth = {
      coreIxx: [2.2, 0.25, 0.1, 0.2, 0, 0],
      coreIyy: [2.0, -0.1, 0.2, 0, 0, 0.15],
      coreIxy: [0.1, 0, 0, 0, 0.15, 0],
    };
    for (const key of ['coreIxx', 'coreIyy', 'coreIxy'] as const) {
      result.psf[key].forEach((c, k) => {
        expect(Math.abs(c - truth[key][k]!), `${key}[${k}] = ${c}`).toBeLessThan(0.03);
      });
    }
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
      expect(Math.abs(model.sigma / truthSigma - 1)).toBeLessThan(0.005);
      // The moments themselves (the polynomial's coefficients) to 2%.
      expect(Math.abs(model.ixx / (total * c.xx) - 1)).toBeLessThan(0.02);
      expect(Math.abs(model.iyy / (total * c.yy) - 1)).toBeLessThan(0.02);
      expect(Math.abs(model.ixy - total * c.xy)).toBeLessThan(0.03);
    }
  });
});

describe('determinePsf refusals', () => {
  it('fails with PSF_FAILED and the counts on a field without stars', () => {
    const { exposure } = renderStarField({
      width: 256,
      height: 256,
      field: quadraticField(256, 256),
      stars: 3,
      guessPsf: { kind: 'gaussian', sigma: 1.6 },
    });
    const first = detectAndMeasure(exposure);
    expect(() => determinePsf(first.exposure, first.sources, 1.6)).toThrow(
      expect.objectContaining({ code: 'PSF_FAILED', message: expect.stringMatching(/found \d+, need 10/) }),
    );
  });

  it('refuses a bad config', () => {
    const { exposure } = renderStarField({
      width: 64,
      height: 64,
      field: quadraticField(64, 64),
      stars: 0,
      guessPsf: { kind: 'gaussian', sigma: 1.6 },
    });
    const first = detectAndMeasure(exposure);
    expect(() => determinePsf(first.exposure, first.sources, 1.6, { spatialOrder: 9 })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});

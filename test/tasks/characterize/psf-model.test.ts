/** The polynomialDoubleGaussian PSF kind: evaluation, FITS round trip (old kinds still read), local PSF photometry. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  box2i,
  Exposure,
  ImageF,
  openExposureFits,
  type Psf,
  polynomialDoubleGaussianPsf,
  psfShapeAt,
  readExposure,
  readHeaderComponent,
  writeExposure,
} from '../../../src/formats/index.js';
import {
  apertureCorrectionCards,
  apertureCorrectionFromMetadata,
  measureApertureCorrection,
} from '../../../src/tasks/index.js';
import { psfFlux, psfModelImage, psfStampFromModel } from '../../../src/tasks/measure/index.js';

const dir = mkdtempSync(join(tmpdir(), 'meridian-charimg-psf-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const bbox = box2i(0, 0, 200, 100);
// ixx grows along x from 2 to 4, iyy along y from 2 to 3, ixy 0.5 u v; wing twice as wide with 10% of the flux.
const psf = polynomialDoubleGaussianPsf({
  order: 2,
  bbox,
  coreIxx: [3, 1, 0, 0, 0, 0],
  coreIyy: [2.5, 0, 0.5, 0, 0, 0],
  coreIxy: [0, 0, 0, 0, 0.5, 0],
  wingScale: 2,
  ratio: 0.1 / 0.9 / 4,
});

describe('polynomialDoubleGaussian PSF', () => {
  it('evaluates second moments as the flux-weighted sum of core and wing', () => {
    const total = 0.9 + 0.1 * 4;
    const centre = psfShapeAt(psf, 99.5, 49.5);
    expect(centre.ixx).toBeCloseTo(3 * total, 10);
    expect(centre.iyy).toBeCloseTo(2.5 * total, 10);
    expect(centre.ixy).toBeCloseTo(0, 10);
    expect(centre.sigma).toBeCloseTo(Math.sqrt(Math.sqrt(3 * 2.5)) * Math.sqrt(total), 10);
    const corner = psfShapeAt(psf, 199, 99);
    expect(corner.ixx).toBeCloseTo(4 * total, 10);
    expect(corner.ixy).toBeCloseTo(0.5 * total, 10);
    // Without a position (code that wants one PSF per image, e.g. the cosmic-ray test): the centre of the box.
    expect(psfShapeAt(psf)).toEqual(centre);
    expect(psfModelImage(psf, 3)).toEqual(psfModelImage(psf, 3, 0, 0, { x: 99.5, y: 49.5 }));
    // Outside the box the edge value is used.
    expect(psfShapeAt(psf, 1000, 1000)).toEqual(corner);
    // The round summary is the circularised core at the centre.
    expect(psf.sigma1).toBeCloseTo(Math.sqrt(Math.sqrt(3 * 2.5)), 10);
    expect(psf.sigma2 / psf.sigma1).toBeCloseTo(2, 12);
  });

  it('gives the round kinds their moments', () => {
    expect(psfShapeAt({ kind: 'gaussian', sigma: 1.5 })).toEqual({
      ixx: 2.25,
      iyy: 2.25,
      ixy: 0,
      sigma: 1.5,
    });
    const dg = psfShapeAt({ kind: 'doubleGaussian', sigma1: 1, sigma2: 2, ratio: 0.25 });
    // Flux weights 1 : 0.25·4 = 1 : 1, so the variance is (1 + 4) / 2.
    expect(dg.ixx).toBeCloseTo(2.5, 12);
    expect(dg.sigma).toBeCloseTo(Math.sqrt(2.5), 12);
  });

  it('refuses malformed models', () => {
    expect(() => polynomialDoubleGaussianPsf({ ...psf, wingScale: 2, coreIxx: [1, 2] })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => polynomialDoubleGaussianPsf({ ...psf, wingScale: 2, coreIxx: [-1, 0, 0, 0, 0, 0] })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });

  it('survives a FITS round trip, and the old kinds still read', async () => {
    const kinds: Psf[] = [
      psf,
      { kind: 'gaussian', sigma: 1.7 },
      { kind: 'doubleGaussian', sigma1: 1.2, sigma2: 2.5, ratio: 0.1 },
    ];
    for (const [i, model] of kinds.entries()) {
      const path = join(dir, `psf-${i}.fits`);
      await writeExposure(path, new Exposure({ image: ImageF.zeros(bbox), psf: model }));
      expect((await readExposure(path)).psf).toEqual(model);
      expect(readHeaderComponent(await openExposureFits(path), 'psf')).toEqual(model);
    }
  });

  it('renders the local PSF at each source for PSF photometry', () => {
    // A star drawn with the corner PSF is measured exactly by the model evaluated there, not by the centre PSF.
    const half = 15;
    const n = 2 * half + 1;
    const image = ImageF.zeros(bbox);
    const star = psfModelImage(psf, half, 0.3, -0.2, { x: 180, y: 85 });
    for (let y = 0; y < n; y++) {
      for (let x = 0; x < n; x++)
        image.array[(85 - half + y) * 200 + (180 - half + x)] = 1000 * star[y * n + x];
    }
    const local = psfFlux(image, null, null, psf, 180.3, 84.8);
    expect(local.flux).toBeCloseTo(1000, 1);
    const centreStamp = psfStampFromModel(psf, half, { x: 99.5, y: 49.5 });
    expect(Math.abs(psfFlux(image, null, null, centreStamp, 180.3, 84.8).flux - 1000)).toBeGreaterThan(5);
    const cornerStamp = psfStampFromModel(psf, half, { x: 180, y: 85 });
    // The stamp path shifts by Lanczos interpolation: 0.1% (docs/tasks.md, PSF flux).
    expect(Math.abs(psfFlux(image, null, null, cornerStamp, 180.3, 84.8).flux / 1000 - 1)).toBeLessThan(
      0.002,
    );
  });
});

describe('aperture correction', () => {
  it('fits the aperture/PSF ratio over the detector and reads it back from the header cards', () => {
    const x: number[] = [];
    const y: number[] = [];
    const psfFluxes: number[] = [];
    const apertureFluxes: number[] = [];
    for (let i = 0; i < 60; i++) {
      x.push((i * 37) % 200);
      y.push((i * 53) % 100);
      psfFluxes.push(1000 + 10 * i);
      const truth = 1.02 + 0.01 * ((x[i] - 99.5) / 99.5);
      apertureFluxes.push(psfFluxes[i] * truth * (i === 7 ? 1.5 : 1));
    }
    const corr = measureApertureCorrection(
      { x, y, psfFlux: psfFluxes, apertureFlux: apertureFluxes },
      bbox,
      12,
      {
        radius: 12,
        order: 1,
        clipSigma: 3,
        minStars: 5,
      },
    );
    expect(corr.coefficients[0]).toBeCloseTo(1.02, 8);
    expect(corr.coefficients[1]).toBeCloseTo(0.01, 8);
    expect(corr.starCount).toBe(59);
    const back = apertureCorrectionFromMetadata(apertureCorrectionCards(corr));
    expect(back).toEqual(corr);
    expect(apertureCorrectionFromMetadata([])).toBeNull();
  });
});

/**
 * The characterizeImage outputs as they are stored: icExp as Meridian exposure FITS (PSF model and aperture
 * correction cards survive), icSrc as Parquet (BIGINT ids, boolean flags, the contract's columns), icExpBackground
 * as JSON (the background models come back); and the task as pipetask's registry sees it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  headerNumber,
  psfShapeAt,
  readExposure,
  readParquetTable,
  writeExposure,
  writeParquetTable,
} from '../../../src/formats/index.js';
import { TaskRegistry } from '../../../src/pipe/index.js';
import {
  apertureCorrectionFromMetadata,
  backgroundImage,
  backgroundListFromJson,
  backgroundListToJson,
  ccdVisitIdOf,
  characterizeImage,
  registerTasks,
  sourceCatalogTable,
  sourceIdMaker,
} from '../../../src/tasks/index.js';
import { quadraticField, renderStarField } from './fields.js';

const dir = mkdtempSync(join(tmpdir(), 'meridian-charimg-out-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const { exposure } = renderStarField({
  width: 600,
  height: 600,
  field: quadraticField(600, 600),
  stars: 200,
  galaxies: 30,
  guessPsf: { kind: 'gaussian', sigma: 1.6 },
});
// The renderer sets a Gaussian guess; characterizeImage ignores any input PSF and starts from its own guess.
const result = characterizeImage(exposure, { initialFwhmPixels: 3.5 });

describe('characterizeImage outputs', () => {
  it('writes icExp with the PSF model and the aperture correction, and reads them back', async () => {
    const path = join(dir, 'icExp.fits');
    await writeExposure(path, result.exposure);
    const back = await readExposure(path);
    expect(back.psf).toEqual(result.exposure.psf);
    expect(back.psf?.kind).toBe('polynomialDoubleGaussian');
    expect(apertureCorrectionFromMetadata(back.metadata)).toEqual(result.apertureCorrection);
    expect(headerNumber(back.metadata, 'PSFSIGMA')).toBeCloseTo(
      psfShapeAt(back.psf!, 299.5, 299.5).sigma,
      10,
    );
    expect(headerNumber(back.metadata, 'NPSFSTAR')).toBeGreaterThan(50);
  });

  it('writes icSrc with 64-bit source ids, the contract columns and boolean flags', async () => {
    const nextId = sourceIdMaker(ccdVisitIdOf(200_000, 42));
    const path = join(dir, 'icSrc.parquet');
    const table = sourceCatalogTable({
      sources: result.sources,
      apCorr: result.apCorr,
      wcs: null,
      ids: BigInt64Array.from({ length: result.sources.count }, (_, i) => nextId(i)),
      psfCandidate: result.psfCandidate,
      psfUsed: result.psfUsed,
      psfReserved: result.psfReserved,
    });
    await writeParquetTable(path, table);
    const back = await readParquetTable(path);
    expect(back.length).toBe(result.sources.count);
    for (const name of [
      'id',
      'parent',
      'coord_ra',
      'coord_dec',
      'slot_Centroid_x',
      'slot_Centroid_y',
      'base_SdssShape_xx',
      'base_PsfFlux_instFlux',
      'base_PsfFlux_instFluxErr',
      'base_CircularApertureFlux_3_0_instFlux',
      'base_CircularApertureFlux_4_5_instFlux',
      'base_CircularApertureFlux_12_0_instFluxErr',
      'base_KronFlux_instFlux',
      'base_ClassificationExtendedness_value',
      'base_PixelFlags_flag_edge',
      'base_PixelFlags_flag_cr',
      'deblend_nChild',
      'base_SdssCentroid_flag',
      'calib_psf_candidate',
      'calib_psf_used',
      'calib_psf_reserved',
      'calib_astrometry_used',
      'calib_photometry_used',
    ]) {
      expect(Object.keys(back.columns)).toContain(name);
    }
    const ids = back.columns.id as ArrayLike<bigint>;
    expect(BigInt(ids[3]!)).toBe(((200_000n * 1000n + 42n) << 32n) + 3n);
    const used = back.columns.calib_psf_used as readonly boolean[];
    expect(used.filter(Boolean).length).toBe(result.psfUsed.reduce((a, v) => a + v, 0));
    // PSF stars are point sources.
    const ext = back.columns.base_ClassificationExtendedness_value as ArrayLike<number>;
    const usedExt = [...used.keys()].filter((i) => used[i]).map((i) => ext[i]);
    expect(usedExt.filter((e) => e === 0).length).toBeGreaterThan(0.9 * usedExt.length);
  });

  it('stores the background models as JSON and gets the same background back', () => {
    const json = JSON.parse(JSON.stringify(backgroundListToJson(result.backgrounds)));
    const models = backgroundListFromJson(json);
    const original = backgroundImage(...result.backgrounds).array;
    const restored = backgroundImage(...models).array;
    for (let i = 0; i < original.length; i += 997) expect(restored[i]).toBeCloseTo(original[i]!, 3);
    expect(original[300 * 600 + 300]).toBeGreaterThan(390);
  });

  it('registers CharacterizeImageTask with the contract dataset types', () => {
    const registry = new TaskRegistry();
    registerTasks(registry);
    const task = registry.get('meridian.tasks.characterize.CharacterizeImageTask');
    expect(task.dimensions).toEqual(['instrument', 'visit', 'detector']);
    const connections = task.connections as Record<string, { name: string; storageClass: string }>;
    const byName = Object.fromEntries(Object.values(connections).map((c) => [c.name, c.storageClass]));
    expect(byName).toEqual({
      postISRCCD: 'ExposureF',
      icExp: 'ExposureF',
      icExpBackground: 'StructuredDataDict',
      icSrc: 'SourceCatalog',
    });
  });
});

describe('characterizeImage first guess', () => {
  it('re-detects with the stellar locus size when the seeing guess is far off', () => {
    // The field's core σ is about 1.45 px (FWHM ≈ 3.4 px); guess twice that.
    const far = characterizeImage(exposure, { initialFwhmPixels: 7 });
    expect(far.guessSigma).toBeGreaterThan(1.2);
    expect(far.guessSigma).toBeLessThan(1.9);
    const a = psfShapeAt(far.exposure.psf!, 300, 300).sigma;
    const b = psfShapeAt(result.exposure.psf!, 300, 300).sigma;
    expect(Math.abs(a / b - 1)).toBeLessThan(0.005);
  });
});

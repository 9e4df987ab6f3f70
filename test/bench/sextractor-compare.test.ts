/**
 * Smoke test of the source-extractor comparison (bench/sextractor-compare.ts) on a 512×512 simulated field: both
 * catalogs must match the truth sensibly. Needs Debian's `source-extractor`: skipped without it, except under
 * MERIDIAN_TEST_TOOLS=1 (CI), where a missing program fails the test.
 */

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareOnCalexps } from '../../bench/sextractor-calexps.js';
import {
  compareWithSourceExtractor,
  formatComparison,
  matchOneToOne,
  robustStatistics,
} from '../../bench/sextractor-compare.js';
import { simulateField } from '../../bench/sextractor-field.js';
import { Butler } from '../../src/butler/index.js';
import {
  Exposure,
  makeTable,
  makeTanSipWcs,
  pixelToSky,
  writeParquetTable,
} from '../../src/formats/index.js';

const installed = spawnSync('source-extractor', ['--version'], { stdio: 'ignore' }).status === 0;
const toolsRequired = process.env.MERIDIAN_TEST_TOOLS === '1';

describe('matching and statistics', () => {
  it('matches one to one, closest pairs first, within the radius', () => {
    const truth = { x: [10, 12, 50], y: [10, 10, 50] };
    const found = { x: [11.6, 10.2, 80], y: [10, 10, 80] };
    const { truthToFound, foundToTruth } = matchOneToOne(truth, found, 2);
    expect([...truthToFound]).toEqual([1, 0, -1]);
    expect([...foundToTruth]).toEqual([1, 0, -1]);
  });

  it('gives the median and 1.4826 × MAD, ignoring non-finite values', () => {
    const stats = robustStatistics([1, 2, 3, 4, 100, Number.NaN]);
    expect(stats.n).toBe(5);
    expect(stats.median).toBe(3);
    expect(stats.robustScatter).toBeCloseTo(1.4826, 6);
  });
});

describe.skipIf(!installed && !toolsRequired)('Meridian against source-extractor on a 512×512 field', () => {
  it('both catalogs match the truth: complete when bright, pure, fluxes unbiased', async () => {
    expect(installed, 'source-extractor is not installed').toBe(true);
    const report = await compareWithSourceExtractor({ size: 512, sources: 150, warmUp: false, seed: 7 });
    const text = formatComparison(report);
    expect(report.tools.map((t) => t.name)).toEqual(['Meridian', 'source-extractor']);
    for (const tool of report.tools) {
      expect(tool.detections, `${tool.name}\n${text}`).toBeGreaterThan(20);
      expect(tool.purity, `${tool.name}\n${text}`).toBeGreaterThan(0.7);
      expect(tool.completenessTo24, `${tool.name}\n${text}`).toBeGreaterThan(0.6);
      expect(tool.cpuMs).toBeGreaterThan(0);
    }
    // Bright objects (true r < 22) are all but always found by both.
    const bright = report.magnitudeBins.filter((b) => b.hi <= 22 && b.trueObjects > 0);
    const found = (tool: number) =>
      bright.reduce((n, b) => n + b.completeness[tool]! * b.trueObjects, 0) /
      bright.reduce((n, b) => n + b.trueObjects, 0);
    expect(found(0), text).toBeGreaterThan(0.9);
    expect(found(1), text).toBeGreaterThan(0.9);
    // Bright stars' 6-px aperture fluxes agree with the truth's enclosed flux within a few per cent for both tools.
    const stars = report.fluxBins.filter((b) => b.hi <= 21 && b.aperture[0]!.n >= 3);
    expect(stars.length, text).toBeGreaterThan(0);
    for (const b of stars) {
      expect(Math.abs(b.aperture[0]!.median), text).toBeLessThan(0.05);
      expect(Math.abs(b.aperture[1]!.median), text).toBeLessThan(0.05);
      expect(Math.abs(b.psfLike[0]!.median), text).toBeLessThan(0.05);
    }
  });
});

describe.skipIf(!installed && !toolsRequired)("the comparison on a repository's calexps", () => {
  it('places the survey truth with each calexp WCS and PhotoCalib and matches both catalogs to it', async () => {
    expect(installed, 'source-extractor is not installed').toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'meridian-sextractor-calexps-test-'));
    try {
      // Two detectors of one visit side by side on the sky; each a simulated field with its own truth.
      const butler = await Butler.create(join(dir, 'repo'));
      await butler.registry.insertDimensionData('instrument', [
        { name: 'Cam', visit_max: 100, exposure_max: 100, detector_max: 4 },
      ]);
      await butler.registry.insertDimensionData('physical_filter', [
        { instrument: 'Cam', name: 'Cam-r', band: 'r' },
      ]);
      await butler.registry.insertDimensionData(
        'detector',
        [1, 2].map((id) => ({ instrument: 'Cam', id, full_name: `D${id}` })),
      );
      await butler.registry.insertDimensionData('day_obs', [{ instrument: 'Cam', id: 20261205 }]);
      await butler.registry.insertDimensionData('visit', [
        { instrument: 'Cam', id: 1, name: 'v1', physical_filter: 'Cam-r', day_obs: 20261205 },
      ]);
      await butler.registerDatasetType('calexp', ['instrument', 'visit', 'detector'], 'ExposureF');
      const truth = { ra: [] as number[], dec: [] as number[], flux: [] as number[], star: [] as boolean[] };
      for (const detector of [1, 2]) {
        const field = simulateField({ size: 384, sources: 90, seed: 40 + detector, cosmicRays: false });
        const wcs = makeTanSipWcs({
          crpix: [192.5, 192.5],
          crval: [55 + (detector - 1.5) * 0.03, -30],
          cd: [
            [-0.2 / 3600, 0],
            [0, 0.2 / 3600],
          ],
        });
        // nJy per electron differs per detector, as transparency does between visits.
        const calibrationMean = detector === 1 ? 0.2 : 0.25;
        for (let i = 0; i < field.truth.x.length; i++) {
          const sky = pixelToSky(wcs, field.truth.x[i]!, field.truth.y[i]!);
          truth.ra.push(sky.ra);
          truth.dec.push(sky.dec);
          truth.flux.push(field.truth.electrons[i]! * calibrationMean);
          truth.star.push(field.truth.isStar[i] === 1);
        }
        const calexp = new Exposure({
          ...field.exposure,
          wcs,
          photoCalib: { kind: 'photoCalib', calibrationMean, calibrationErr: 0 },
        });
        await butler.put(calexp, 'calexp', { instrument: 'Cam', visit: 1, detector }, { run: 'drp' });
      }
      await butler.close();
      mkdirSync(join(dir, 'sim', 'truth'), { recursive: true });
      await writeParquetTable(
        join(dir, 'sim', 'truth', 'truth_summary.parquet'),
        makeTable({
          ra: Float64Array.from(truth.ra),
          dec: Float64Array.from(truth.dec),
          is_pointsource: truth.star,
          flux_r: Float64Array.from(truth.flux),
        }),
      );
      const report = await compareOnCalexps({
        repo: join(dir, 'repo'),
        collections: ['drp'],
        truthDir: join(dir, 'sim'),
      });
      const text = formatComparison(report);
      expect(report.objects, text).toBe(180);
      for (const tool of report.tools) {
        expect(tool.purity, `${tool.name}\n${text}`).toBeGreaterThan(0.8);
        expect(tool.completenessTo24, `${tool.name}\n${text}`).toBeGreaterThan(0.6);
      }
      // Fluxes were scaled by each detector's calibration: bright stars still come out unbiased.
      const stars = report.fluxBins.filter((b) => b.hi <= 21 && b.psfLike[0]!.n >= 3);
      expect(stars.length, text).toBeGreaterThan(0);
      for (const b of stars) expect(Math.abs(b.psfLike[0]!.median), text).toBeLessThan(0.05);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

/**
 * Smoke test of the source-extractor comparison (bench/sextractor-compare.ts) on a 512×512 simulated field: both
 * catalogs must match the truth sensibly. Needs Debian's `source-extractor`: skipped without it, except under
 * MERIDIAN_TEST_TOOLS=1 (CI), where a missing program fails the test.
 */

import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  compareWithSourceExtractor,
  formatComparison,
  matchOneToOne,
  robustStatistics,
} from '../../bench/sextractor-compare.js';

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

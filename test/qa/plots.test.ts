import { mkdtempSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { computeQaReport, renderVegaLite, reportPlotSpecs } from '../../src/qa/index.js';
import { writeReportPlots } from '../../src/qa/plots.js';
import { syntheticField } from './synthetic.js';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

const field = syntheticField();
const report = computeQaReport({
  sources: field.sources,
  truth: field.truth,
  ccds: field.ccds,
  visitSummary: field.visitSummary,
  globalPhotoCalib: field.globalPhotoCalib,
  association: null,
});

describe('report figures', () => {
  it('renders each figure to an SVG with its axis titles and a PNG', async () => {
    const specs = reportPlotSpecs(report);
    expect(specs.map((s) => s.name)).toEqual([
      'completeness',
      'purity',
      'astrometry',
      'star-galaxy',
      'zero-point',
      'psf-size',
      'repeatability',
    ]);
    const completeness = await renderVegaLite(specs[0]!.spec);
    expect(completeness.svg).toContain('true magnitude (AB mag)');
    expect(completeness.svg).toContain('completeness (matched / true)');
    // The legend names the truth classes.
    expect(completeness.svg).toContain('galaxy');
    expect([...completeness.png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
    expect(completeness.png.length).toBeGreaterThan(5000);
  });

  it('writes plots/NAME.png and .svg for the report', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'meridian-qa-plots-'));
    await mkdir(join(outDir, 'plots'));
    const plots = await writeReportPlots(outDir, report);
    expect(plots).toHaveLength(7);
    for (const p of plots) {
      const png = readFileSync(join(outDir, p.png));
      expect([...png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
      expect(readFileSync(join(outDir, p.svg), 'utf8')).toMatch(/^<svg/);
    }
    expect(readFileSync(join(outDir, 'plots', 'zero-point.svg'), 'utf8')).toContain(
      'zero-point residual (mmag)',
    );
    expect(readFileSync(join(outDir, 'plots', 'psf-size.svg'), 'utf8')).toContain('PSF sigma residual (%)');
  });
});

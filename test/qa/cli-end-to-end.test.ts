/**
 * `meridian qa` end to end on a tiny simulated survey. The science tasks are written in parallel, so the butler
 * outputs (`sourceTable_visit`, `visitSummary`) are fabricated here from the truth with known noise: 10 mas per axis
 * on positions, 10 mmag on magnitudes, zero points 10 mmag high, PSF sigma 0.2% large. The report must say so.
 */

import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Butler } from '../../src/butler/index.js';
import { makeTable, skyToPixel } from '../../src/formats/index.js';
import { defineVisits, ingestRaws, registerInstrument } from '../../src/obs/index.js';
import { type QaReport, readTruth } from '../../src/qa/index.js';
import { seededRandom } from '../../src/qa/statistics.js';
import { simulateSurvey } from '../../src/sim/index.js';
import { meridian } from '../cli/helpers.js';

const POSITION_SIGMA_MAS = 10;
const MAG_SIGMA = 0.01;
const ZP_OFFSET = 0.01;
const PSF_SCALE = 1.002;
const RUN = 'u/qa/fabricated';

let root: string;
let simDir: string;
let repo: string;

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'meridian-qa-e2e-'));
  simDir = join(root, 'sim');
  repo = join(root, 'repo');
  await simulateSurvey({
    outDir: simDir,
    seed: 11,
    visits: 4,
    nights: 1,
    bands: ['r'],
    detectors: 2,
    detectorSize: 512,
    radiusDeg: 0.005,
    starsPerDeg2: 200_000,
    workers: 1,
  });
  const butler = await Butler.create(repo);
  try {
    const { manifest, objects, ccds } = await readTruth(simDir, null);
    await registerInstrument(butler, manifest.instrument);
    await ingestRaws(butler, [join(simDir, 'raw')], { transfer: 'symlink' });
    await defineVisits(butler);
    await butler.registerDatasetType('sourceTable_visit', ['instrument', 'visit'], 'DataFrame');
    await butler.registerDatasetType('visitSummary', ['instrument', 'visit'], 'DataFrame');
    const random = seededRandom(5);
    const cosDec = Math.cos((manifest.truth.cap.dec * Math.PI) / 180);
    for (const visit of [...new Set(ccds.map((c) => c.visit))]) {
      const rows: Record<string, number[]> = {};
      const ids: bigint[] = [];
      const add = (name: string, value: number) => {
        rows[name] ??= [];
        rows[name]!.push(value);
      };
      const summary: Record<string, number[]> = {};
      const addSummary = (name: string, value: number) => {
        summary[name] ??= [];
        summary[name]!.push(value);
      };
      for (const ccd of ccds.filter((c) => c.visit === visit)) {
        const ccdVisitId = visit * 1000 + ccd.detector;
        let i = 0;
        for (let t = 0; t < objects.length; t++) {
          const flux = objects.flux.r![t]!;
          const mag = 31.4 - 2.5 * Math.log10(flux);
          if (!(mag < 23) || objects.truthType[t] === 3) continue;
          const p = skyToPixel(ccd.wcs, objects.ra[t]!, objects.dec[t]!);
          if (p.x < -0.5 || p.y < -0.5 || p.x >= ccd.width - 0.5 || p.y >= ccd.height - 0.5) continue;
          ids.push(BigInt(ccdVisitId) * 2n ** 32n + BigInt(i++));
          add('coord_ra', objects.ra[t]! + (gaussian(random) * POSITION_SIGMA_MAS) / 3.6e6 / cosDec);
          add('coord_dec', objects.dec[t]! + (gaussian(random) * POSITION_SIGMA_MAS) / 3.6e6);
          add('ccdVisitId', ccdVisitId);
          add('visit', visit);
          add('detector', ccd.detector);
          const measured = flux * 10 ** (-0.4 * MAG_SIGMA * gaussian(random));
          add('psfFlux', measured);
          add('psfFluxErr', measured / (5 * 10 ** (0.4 * (24 - mag))));
          add('extendedness', objects.truthType[t] === 1 ? 1 : 0);
        }
        addSummary('visit', visit);
        addSummary('detector', ccd.detector);
        addSummary('zeroPoint', ccd.zeroPointMag + ZP_OFFSET);
        addSummary('psfSigma', ccd.psfSigmaPixels * PSF_SCALE);
        addSummary('maglim', 24);
      }
      const n = ids.length;
      await butler.put(
        makeTable({
          sourceId: BigInt64Array.from(ids),
          ...Object.fromEntries(Object.entries(rows).map(([k, v]) => [k, Float64Array.from(v)])),
          band: new Array(n).fill('r'),
          detect_isPrimary: new Array(n).fill(true),
          pixelFlags_saturated: new Array(n).fill(false),
        }),
        'sourceTable_visit',
        { instrument: 'MeridianCam', visit },
        { run: RUN },
      );
      await butler.put(
        makeTable({
          ...Object.fromEntries(Object.entries(summary).map(([k, v]) => [k, Float64Array.from(v)])),
          band: new Array(summary.visit!.length).fill('r'),
        }),
        'visitSummary',
        { instrument: 'MeridianCam', visit },
        { run: RUN },
      );
    }
  } finally {
    await butler.close();
  }
}, 120_000);

describe('meridian qa', () => {
  it('writes the report and its numbers match the injected noise', async () => {
    const outDir = join(root, 'qa');
    const result = await meridian([
      'qa',
      repo,
      '--collections',
      RUN,
      '--truth',
      simDir,
      '--out',
      outDir,
      '--json',
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as QaReport;
    for (const file of ['qa.json', 'qa.md', 'qa.html', 'plots/completeness.png', 'plots/completeness.svg']) {
      expect(existsSync(join(outDir, file)), file).toBe(true);
    }
    expect(JSON.parse(readFileSync(join(outDir, 'qa.json'), 'utf8'))).toEqual(report);
    expect(readFileSync(join(outDir, 'qa.html'), 'utf8')).toContain('data:image/png;base64,');
    expect(readFileSync(join(outDir, 'qa.md'), 'utf8')).toContain('![Completeness vs true magnitude');
    expect(report.inputs.datasets).toEqual({ sourceTable_visit: 4, visitSummary: 4 });
    expect(report.inputs.visits).toBe(4);
    expect(report.inputs.ccdVisits).toBe(8);
    // Every fabricated source is a truth object: purity 1, completeness 1 brighter than 23.
    expect(report.inputs.matchedSources).toBe(report.inputs.sources);
    for (const b of report.completeness.filter((x) => x.band === 'all' && x.mag < 22.5 && x.nTrue > 0)) {
      expect(b.completeness).toBe(1);
    }
    // Rayleigh median of 10 mas per axis: 11.8 mas.
    expect(report.astrometry.medianMas!).toBeGreaterThan(1.1774 * POSITION_SIGMA_MAS * 0.85);
    expect(report.astrometry.medianMas!).toBeLessThan(1.1774 * POSITION_SIGMA_MAS * 1.15);
    const pa1 = report.pa1.perBand.find((b) => b.band === 'r')!;
    expect(pa1.nStars).toBeGreaterThan(15);
    expect(pa1.pa1Mmag!).toBeGreaterThan(MAG_SIGMA * 1000 * 0.7);
    expect(pa1.pa1Mmag!).toBeLessThan(MAG_SIGMA * 1000 * 1.3);
    expect(report.calibration!.zeroPointMedianMmag).toBeCloseTo(ZP_OFFSET * 1000, 6);
    expect(report.calibration!.psfSigmaMedianPct).toBeCloseTo((PSF_SCALE - 1) * 100, 6);
    const byName = Object.fromEntries(report.targets.map((t) => [t.name, t]));
    expect(byName.PA1!.pass).toBe(false);
    expect(byName.astrometry!.pass).toBe(false);
    expect(byName['PSF size']!.pass).toBe(true);
    // A 100" field has no 5' pairs: AM1 is not measured and the report says why.
    expect(byName.AM1!.pass).toBeNull();
    expect(report.notes.join(' ')).toMatch(/AM1 not measured/);
  }, 120_000);

  it('a where expression restricts the visits', async () => {
    const outDir = join(root, 'qa-where');
    const butler = await Butler.open(repo);
    const visits = (await butler.queryDataIds(['visit'])).map((d) => Number(d.get('visit'))).sort();
    await butler.close();
    const result = await meridian([
      'qa',
      repo,
      '--collections',
      RUN,
      '--truth',
      simDir,
      '--out',
      outDir,
      '--where',
      `visit = ${visits[0]}`,
      '--json',
    ]);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as QaReport;
    expect(report.inputs.visits).toBe(1);
    expect(report.inputs.datasets).toEqual({ sourceTable_visit: 1, visitSummary: 1 });
  }, 60_000);

  it('says which dataset type is missing, and when the truth directory is not a survey', async () => {
    const empty = await meridian([
      'qa',
      repo,
      '--collections',
      'MeridianCam/raw/all',
      '--truth',
      simDir,
      '--out',
      join(root, 'x'),
    ]);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain('QA_INPUT_MISSING');
    expect(empty.stderr).toContain('sourceTable_visit');
    const notSurvey = await meridian([
      'qa',
      repo,
      '--collections',
      RUN,
      '--truth',
      root,
      '--out',
      join(root, 'y'),
    ]);
    expect(notSurvey.code).toBe(1);
    expect(notSurvey.stderr).toContain('is not a simulated survey');
  }, 60_000);
});

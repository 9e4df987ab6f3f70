/**
 * step2 through the real graph builder and executor on a small simulated survey: the calexps, backgrounds and
 * sourceTable_visit tables step1 would make are stand-ins written here (known WCS from the raws, Gaussian PSFs,
 * a synthetic star field with a cloud offset per visit), everything else is real: obs ingest, define-visits,
 * the DC2 skymap over a field that straddles two tracts, buildQuantumGraph, worker processes, the merge.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Butler, type DatasetRef } from '../../../src/butler/index.js';
import {
  box2i,
  Exposure,
  FWHM_PER_SIGMA,
  ImageF,
  makeTable,
  skyToPixel,
  type Table,
  type TanSipWcs,
  type VisitInfo,
  valueCard,
} from '../../../src/formats/index.js';
import { defineVisits, ingestRaws, registerInstrument, registerSkymap } from '../../../src/obs/index.js';
import {
  aggregateGraph,
  buildQuantumGraph,
  executeGraph,
  memoryGraphSource,
  resolvePipeline,
  TaskRegistry,
} from '../../../src/pipe/index.js';
import { simulateSurvey } from '../../../src/sim/index.js';
import {
  Circle,
  DC2_SKYMAP_CONFIG,
  DC2_SKYMAP_NAME,
  DISJOINT,
  type Region,
  RingsSkyMap,
} from '../../../src/sphere/index.js';
import { registerTasks } from '../../../src/tasks/index.js';
import { offsetArcsec, seededRandom } from './synthetic.js';

const TASKS_MODULE = new URL('../../../src/tasks/index.ts', import.meta.url).href;
const SIZE = 256;
/** Straddles the boundary of DC2 tracts 3830 and 3831 (RA 61.22 at this declination). */
const FIELD = { ra: 61.22, dec: -35.79, radiusDeg: 0.02 };
const ZP = 28;

describe('step2 pipeline on a simulated survey', () => {
  let dir: string;
  let butler: Butler;
  const cloud = new Map<number, number>();
  const psfSigma = (visit: number) => 1.4 + 0.05 * (visit % 5);
  let visits: number[] = [];
  let starCount = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'meridian-step2-'));
    const sim = await simulateSurvey({
      outDir: join(dir, 'sim'),
      seed: 21,
      visits: 4,
      nights: 1,
      bands: ['r'],
      detectors: 2,
      detectorSize: SIZE,
      ...FIELD,
      workers: 1,
    });
    butler = await Butler.create(join(dir, 'repo'));
    await registerInstrument(butler, sim.manifest.instrument);
    await ingestRaws(butler, [join(dir, 'sim', 'raw')], { transfer: 'copy' });
    await defineVisits(butler);
    await registerSkymap(butler, DC2_SKYMAP_NAME, DC2_SKYMAP_CONFIG, {
      region: Circle.fromDegrees(FIELD.ra, FIELD.dec, FIELD.radiusDeg + 0.05),
    });

    // Stand-ins for step1's outputs, in run `step1`.
    await butler.registerDatasetType('calexp', ['instrument', 'visit', 'detector'], 'ExposureF');
    await butler.registerDatasetType(
      'calexpBackground',
      ['instrument', 'visit', 'detector'],
      'StructuredDataDict',
    );
    await butler.registerDatasetType('sourceTable_visit', ['instrument', 'visit'], 'DataFrame');
    const raws = await butler.registry.queryDatasets('raw', { collections: ['*'] });
    const rng = seededRandom(3);
    // Stars every 9″ over the field, r = 17..21.
    const stars: { ra: number; dec: number; mag: number }[] = [];
    for (let i = -12; i <= 12; i++)
      for (let j = -12; j <= 12; j++)
        stars.push({
          ...offsetArcsec(FIELD.ra, FIELD.dec, 9 * i + 2 * rng.uniform(), 9 * j + 2 * rng.uniform()),
          mag: 17 + 4 * rng.uniform(),
        });
    const byVisit = new Map<number, DatasetRef[]>();
    for (const ref of raws) {
      const visit = Number(ref.dataId.values.exposure);
      byVisit.set(visit, [...(byVisit.get(visit) ?? []), ref]);
    }
    visits = [...byVisit.keys()].sort((a, b) => a - b);
    visits.forEach((v, k) => {
      cloud.set(v, [0.02, 0.25, 0.1, 0.17][k]!);
    });
    const seen = new Set<number>();
    for (const [visit, refs] of byVisit) {
      const rows: Record<string, unknown[]> = Object.fromEntries(
        [
          'sourceId',
          'ra',
          'decl',
          'visit',
          'detector',
          'band',
          'x',
          'y',
          'psfFlux',
          'psfFluxErr',
          'extendedness',
        ].map((c) => [c, []]),
      );
      for (const ref of refs) {
        const detector = Number(ref.dataId.values.detector);
        const raw = (await butler.get(ref)) as Exposure;
        const wcs = raw.wcs as TanSipWcs;
        const info = raw.visitInfo as VisitInfo;
        const dataId = { instrument: 'MeridianCam', visit, detector };
        const metadata = [valueCard('NPSFSTAR', 20), valueCard('ASTRMS', 8)];
        // Detector 1 carries the sky cards; detector 2's sky comes from its background model.
        if (detector === 1) metadata.push(valueCard('SKYBG', 500), valueCard('SKYNOISE', 23));
        const calexp = new Exposure({
          image: ImageF.zeros(box2i(0, 0, SIZE, SIZE)),
          wcs,
          psf: { kind: 'gaussian', sigma: psfSigma(visit) },
          photoCalib: {
            kind: 'photoCalib',
            calibrationMean: 10 ** ((31.4 - ZP) / 2.5),
            calibrationErr: 1e-4,
          },
          visitInfo: info,
          metadata,
        });
        await butler.put(calexp, 'calexp', dataId, { run: 'step1' });
        await butler.put({ medianLevel: 480, medianSigma: 22 }, 'calexpBackground', dataId, { run: 'step1' });
        stars.forEach((s, k) => {
          const p = skyToPixel(wcs, s.ra, s.dec);
          if (!(p.x >= 0 && p.x < SIZE && p.y >= 0 && p.y < SIZE)) return;
          seen.add(k);
          // Calibrated with the nominal zero point, so the cloud shows as stars too faint by `cloud` mag.
          const flux = 10 ** ((31.4 - s.mag - cloud.get(visit)!) / 2.5);
          const err = flux * (0.002 + 0.01 * 10 ** (0.4 * (s.mag - 21)));
          rows.sourceId!.push((BigInt(visit * 1000 + detector) << 32n) + BigInt(k));
          rows.ra!.push(s.ra);
          rows.decl!.push(s.dec);
          rows.visit!.push(visit);
          rows.detector!.push(detector);
          rows.band!.push('r');
          rows.x!.push(p.x);
          rows.y!.push(p.y);
          rows.psfFlux!.push(flux + err * rng.normal());
          rows.psfFluxErr!.push(err);
          rows.extendedness!.push(0);
        });
      }
      const table = makeTable({
        sourceId: BigInt64Array.from(rows.sourceId as bigint[]),
        ra: Float64Array.from(rows.ra as number[]),
        decl: Float64Array.from(rows.decl as number[]),
        visit: BigInt64Array.from(rows.visit as number[], BigInt),
        detector: Int32Array.from(rows.detector as number[]),
        band: rows.band as string[],
        x: Float64Array.from(rows.x as number[]),
        y: Float64Array.from(rows.y as number[]),
        psfFlux: Float64Array.from(rows.psfFlux as number[]),
        psfFluxErr: Float64Array.from(rows.psfFluxErr as number[]),
        extendedness: Float64Array.from(rows.extendedness as number[]),
      });
      await butler.put(table, 'sourceTable_visit', { instrument: 'MeridianCam', visit }, { run: 'step1' });
    }
    starCount = seen.size;
  }, 120_000);

  afterAll(async () => {
    await butler?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const entries = [
    { label: 'consolidateVisitSummary', taskName: 'meridian.tasks.visit.ConsolidateVisitSummaryTask' },
    { label: 'makeCcdVisitTable', taskName: 'meridian.tasks.visit.MakeCcdVisitTableTask' },
    { label: 'makeVisitTable', taskName: 'meridian.tasks.visit.MakeVisitTableTask' },
    {
      label: 'isolatedStarAssociation',
      taskName: 'meridian.tasks.visit.IsolatedStarAssociationTask',
      config: { doReferenceMatch: false },
    },
    { label: 'globalPhotoCalib', taskName: 'meridian.tasks.visit.GlobalPhotoCalibTask' },
  ];

  it('builds one isolatedStarAssociation quantum per tract, with the visits that overlap it, and runs step2', async () => {
    const tasks = new TaskRegistry();
    registerTasks(tasks);
    const pipeline = resolvePipeline(entries, tasks, { universe: butler.universe });
    const graph = await buildQuantumGraph(butler, pipeline, {
      tasks,
      inputCollections: ['step1', 'skymaps'],
      outputRun: 'step2/run',
    });
    expect(graph.header.taskQuanta).toMatchObject({
      consolidateVisitSummary: visits.length,
      makeCcdVisitTable: 1,
      makeVisitTable: 1,
      globalPhotoCalib: 1,
    });

    // The visits each tract should get: those whose region is not disjoint from the tract's.
    const tractRecords = await butler.registry.queryDimensionRecords('tract');
    const visitRecords = await butler.registry.queryDimensionRecords('visit');
    const expected = new Map<number, number[]>();
    for (const t of tractRecords) {
      const overlapping = visitRecords
        .filter((v) => ((v.region as Region).relate(t.region as Region) & DISJOINT) === 0)
        .map((v) => Number(v.id))
        .sort((a, b) => a - b);
      if (overlapping.length > 0) expected.set(Number(t.id), overlapping);
    }
    expect([...expected.keys()].sort()).toEqual([3830, 3831]);
    const association = graph.quanta.filter((q) => q.label === 'isolatedStarAssociation');
    expect(association.map((q) => Number(q.dataId.values.tract)).sort()).toEqual([...expected.keys()].sort());
    for (const q of association) {
      const got = q.inputs.sourceTables!.map((r) => Number(r.dataId.values.visit)).sort((a, b) => a - b);
      expect(got).toEqual(expected.get(Number(q.dataId.values.tract)));
      expect(q.inputs.skyMap!.map((r) => r.dataId.values.skymap)).toEqual([DC2_SKYMAP_NAME]);
    }
    const ubercal = graph.quanta.find((q) => q.label === 'globalPhotoCalib')!;
    expect(ubercal.inputs.isolatedStarSources).toHaveLength(association.length);
    expect(ubercal.inputs.visitSummaries).toHaveLength(visits.length);

    const source = memoryGraphSource(graph);
    const summary = await executeGraph(source, {
      repo: join(dir, 'repo'),
      taskModules: [TASKS_MODULE],
      processes: 2,
    });
    expect(summary).toMatchObject({ failed: 0, blocked: 0, succeeded: summary.total });
    await aggregateGraph(butler, source);

    const get = async (type: string, dataId: Record<string, unknown>) =>
      (await butler.get(
        type,
        { instrument: 'MeridianCam', ...dataId },
        { collections: ['step2/run'] },
      )) as Table;

    // visitSummary: seeing from the PSF and the WCS's pixel scale; the sky of detector 2 from its background.
    for (const visit of visits) {
      const t = await get('visitSummary', { visit });
      expect(t.length).toBe(2);
      const seeing = t.columns.seeing as Float64Array;
      const scale = t.columns.pixelScale as Float64Array;
      expect(seeing[0]).toBeCloseTo(psfSigma(visit) * FWHM_PER_SIGMA * scale[0]!, 9);
      expect(scale[0]).toBeGreaterThan(0.15);
      expect(scale[0]).toBeLessThan(0.25);
      const detectors = [...(t.columns.detector as Int32Array)];
      expect([...(t.columns.skyBg as Float64Array)]).toEqual(detectors.map((d) => (d === 1 ? 500 : 480)));
      expect((t.columns.zeroPoint as Float64Array)[0]).toBeCloseTo(ZP, 9);
      expect(Number.isFinite((t.columns.obsStartMJD as Float64Array)[0])).toBe(true);
    }
    expect((await get('ccdVisitTable', {})).length).toBe(2 * visits.length);
    expect((await get('visitTable', {})).length).toBe(visits.length);

    // Isolated stars: every star seen lands in exactly one tract (the inner regions partition the sky).
    let stars = 0;
    const skyMap = new RingsSkyMap(DC2_SKYMAP_NAME, DC2_SKYMAP_CONFIG);
    for (const q of association) {
      const tract = Number(q.dataId.values.tract);
      const cat = await get('isolated_star_cat', { skymap: DC2_SKYMAP_NAME, tract });
      stars += cat.length;
      const ra = cat.columns.ra as Float64Array;
      const dec = cat.columns.decl as Float64Array;
      for (let i = 0; i < cat.length; i++) expect(skyMap.findTract(ra[i]!, dec[i]!).id).toBe(tract);
    }
    expect(stars).toBe(starCount);

    // The ubercal takes the clouds out, relative to the median visit (no reference catalogue here).
    const calib = await get('globalPhotoCalib', {});
    expect(calib.length).toBe(2 * visits.length);
    const clouds = visits.map((v) => cloud.get(v)!).sort((a, b) => a - b);
    const medianCloud = (clouds[1]! + clouds[2]!) / 2;
    const zp = calib.columns.zeroPoint as Float64Array;
    const calibVisits = calib.columns.visit as BigInt64Array;
    for (let i = 0; i < calib.length; i++) {
      const visit = Number(calibVisits[i]);
      expect(Math.abs(zp[i]! - (ZP - (cloud.get(visit)! - medianCloud)))).toBeLessThan(0.003);
    }
    const photoSummary = (await butler.get(
      'globalPhotoCalibSummary',
      { instrument: 'MeridianCam' },
      { collections: ['step2/run'] },
    )) as {
      bands: Record<string, { rmsBefore: number; rmsAfter: number }>;
    };
    expect(photoSummary.bands.r!.rmsAfter).toBeLessThan(photoSummary.bands.r!.rmsBefore / 4);
  }, 180_000);
});

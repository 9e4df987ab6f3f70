/**
 * The calibrate task and the Source-table tasks end to end through the pipe API (graph builder, worker process,
 * merge into the registry) on a tiny honest simulated survey: the raw WCS is ~1" off and knows no distortion, the
 * PSF varies, the visits have cloud. Judged against the simulator's truth.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Exposure, pixelToSky, separationMas, type Table } from '../../../src/formats/index.js';
import {
  aggregateGraph,
  buildQuantumGraph,
  executeGraph,
  loadTaskRegistry,
  memoryGraphSource,
  type ProvenanceRecord,
  resolvePipeline,
  type TaskEntry,
} from '../../../src/pipe/index.js';
import { trueDetectorWcs } from '../../../src/sim/index.js';
import {
  CALEXP_SUMMARY_KEYWORDS,
  calibrateExposure,
  decodeSourceId,
  SOURCE_TABLE_FUNCTORS,
  zeroPointOf,
} from '../../../src/tasks/index.js';
import { ingestRefcatWithHole } from './refcat-hole.js';
import { type CalibrateSurvey, calibrateSurvey, IC_RUN, INSTRUMENT } from './task-fixture.js';

const TASKS = new URL('../../../src/tasks/index.ts', import.meta.url).href;
const REFCAT_RUN = 'refcats/the_monster_refcat';

const STEP1: TaskEntry[] = [
  { label: 'calibrate', taskName: 'meridian.tasks.calibrate.CalibrateTask' },
  { label: 'writeSourceTable', taskName: 'meridian.tasks.sourcetable.WriteSourceTableTask' },
  { label: 'transformSourceTable', taskName: 'meridian.tasks.sourcetable.TransformSourceTableTask' },
  { label: 'consolidateSourceTable', taskName: 'meridian.tasks.sourcetable.ConsolidateSourceTableTask' },
];

let survey: CalibrateSurvey;

beforeAll(async () => {
  survey = await calibrateSurvey();
}, 600_000);

afterAll(async () => {
  await survey?.cleanup();
});

async function runStep1(
  entries: readonly TaskEntry[],
  output: string,
  inputs: readonly string[],
  where?: string,
) {
  const tasks = await loadTaskRegistry([TASKS]);
  const pipeline = resolvePipeline(entries, tasks, { universe: survey.butler.universe });
  const graph = await buildQuantumGraph(survey.butler, pipeline, {
    tasks,
    inputCollections: [IC_RUN, ...inputs],
    output,
    outputRun: `${output}/run`,
    where: where ?? null,
  });
  const source = memoryGraphSource(graph);
  const execution = await executeGraph(source, { repo: survey.repo, taskModules: [TASKS], processes: 1 });
  await aggregateGraph(survey.butler, source);
  return execution;
}

/** Largest separation between two WCSs over an 11 x 11 grid of the detector, mas. */
function worstSeparationMas(a: Exposure['wcs'], b: NonNullable<Exposure['wcs']>, size: number): number {
  let worst = 0;
  for (let i = 0; i <= 10; i++) {
    for (let j = 0; j <= 10; j++) {
      const x = ((size - 1) * i) / 10;
      const y = ((size - 1) * j) / 10;
      worst = Math.max(worst, separationMas(pixelToSky(a!, x, y), pixelToSky(b, x, y)));
    }
  }
  return worst;
}

describe('calibrate + Source tables through the pipeline', () => {
  it('fits the true WCS to 10 mas and the true zero point, and writes src, sourceTable and sourceTable_visit', async () => {
    const { butler, manifest } = survey;
    const output = 'u/test/step1';
    const execution = await runStep1(STEP1, output, [REFCAT_RUN]);
    const nRaws = manifest.exposures.length * manifest.instrument.detectors.length;
    expect(execution).toMatchObject({
      failed: 0,
      blocked: 0,
      succeeded: 3 * nRaws + manifest.exposures.length,
    });
    const collections = [output];
    const size = manifest.options.detectorSize;
    const timings: string[] = [];
    for (const exposure of manifest.exposures) {
      let visitRows = 0;
      for (const raw of exposure.raws) {
        const dataId = { instrument: INSTRUMENT, visit: exposure.id, detector: raw.detector };
        const calexp = (await butler.get('calexp', dataId, { collections })) as Exposure;
        const truth = trueDetectorWcs(manifest.instrument, exposure.truth, raw.detector).wcs;
        const icExp = (await butler.get('icExp', dataId, { collections: [IC_RUN] })) as Exposure;
        // The raw WCS is off by the pointing error; the fitted one is within 10 mas of the truth everywhere.
        expect(worstSeparationMas(icExp.wcs, truth, size)).toBeGreaterThan(100);
        const wcsError = worstSeparationMas(calexp.wcs, truth, size);
        expect(wcsError).toBeLessThan(10);
        // The zero point (airmass and cloud included) within a few sigma of the truth.
        const card = (k: string) => calexp.metadata.find((c) => c.kind === 'value' && c.keyword === k);
        for (const k of CALEXP_SUMMARY_KEYWORDS) expect(card(k), k).toBeDefined();
        const zp = zeroPointOf(calexp.photoCalib!);
        const zpErr = (card('ZPERR') as { value: number }).value;
        expect(Math.abs(zp - (card('ZPMAG') as { value: number }).value)).toBeLessThan(1e-9);
        expect(Math.abs(zp - exposure.truth.zeroPointMag)).toBeLessThan(4 * Math.max(zpErr, 0.003));
        expect(zpErr).toBeLessThan(0.02);
        expect(calexp.metadata.some((c) => c.kind === 'value' && c.keyword === 'CRVAL1')).toBe(false);

        // src: contract columns, ids, sky positions from the fitted WCS, calibration flags.
        const src = (await butler.get('src', dataId, { collections })) as Table;
        expect(src.length).toBeGreaterThan(50);
        const ids = src.columns.id as BigInt64Array;
        const ccdVisitId = exposure.id * 1000 + raw.detector;
        expect(decodeSourceId(ids[7]!)).toEqual({ ccdVisitId, index: 7 });
        expect(new Set(ids).size).toBe(src.length);
        const x = src.columns.slot_Centroid_x as Float64Array;
        const y = src.columns.slot_Centroid_y as Float64Array;
        const ra = src.columns.coord_ra as Float64Array;
        const dec = src.columns.coord_dec as Float64Array;
        const sky = pixelToSky(calexp.wcs!, x[3]!, y[3]!);
        expect(separationMas(sky, { ra: ra[3]!, dec: dec[3]! })).toBeLessThan(0.01);
        const astromUsed = (src.columns.calib_astrometry_used as boolean[]).filter(Boolean).length;
        expect(astromUsed).toBe((card('ASTNMAT') as { value: number }).value);
        const photUsed = (src.columns.calib_photometry_used as boolean[]).filter(Boolean).length;
        expect(photUsed).toBe((card('ZPNSTAR') as { value: number }).value);
        expect((src.columns.calib_psf_used as boolean[]).some(Boolean)).toBe(true);

        // sourceTable: every DP0.2 column, fluxes in nJy exactly instFlux × calibrationMean.
        const table = (await butler.get('sourceTable', dataId, { collections })) as Table;
        expect(table.length).toBe(src.length);
        for (const f of SOURCE_TABLE_FUNCTORS) expect(table.columns[f.name], f.name).toBeDefined();
        expect(Array.from(table.columns.sourceId as BigInt64Array)).toEqual(Array.from(ids));
        const instFlux = src.columns.base_PsfFlux_instFlux as Float64Array;
        const psfFlux = table.columns.psfFlux as Float64Array;
        for (let i = 0; i < src.length; i++) {
          if (Number.isFinite(instFlux[i]!))
            expect(psfFlux[i]).toBe(instFlux[i]! * calexp.photoCalib!.calibrationMean);
        }
        expect(new Set(table.columns.band as string[])).toEqual(new Set([exposure.band]));
        expect(new Set(table.columns.physical_filter as string[])).toEqual(
          new Set([exposure.physicalFilter]),
        );
        expect(Number((table.columns.ccdVisitId as BigInt64Array)[0])).toBe(ccdVisitId);
        // Point sources: the calibrated PSF magnitudes of the astrometric stars against the refcat are checked by
        // the zero point; here the primary flag must keep the sources away from the edge.
        const primary = table.columns.detect_isPrimary as boolean[];
        const edge = table.columns.pixelFlags_edge as boolean[];
        // Primary: neither on the edge nor a deblended parent (its children stand for it).
        const children = table.columns.deblend_nChild as ArrayLike<number>;
        expect(primary.every((p, i) => p === (!edge[i] && Number(children[i]) === 0))).toBe(true);
        visitRows += table.length;

        const md = (await butler.get('calibrate_metadata', dataId, { collections })) as ProvenanceRecord;
        const t = (md.metadata as { timings: Record<string, number> }).timings;
        timings.push(
          `visit ${exposure.id} detector ${raw.detector} (${size}x${size}): ${Object.entries(t)
            .map(([k, v]) => `${k} ${(v / 1000).toFixed(2)} s`)
            .join(
              ', ',
            )}; WCS error ${wcsError.toFixed(1)} mas; ZP ${(zp - exposure.truth.zeroPointMag).toFixed(4)} ± ${zpErr.toFixed(4)}`,
        );
      }
      const visitTable = (await butler.get(
        'sourceTable_visit',
        { instrument: INSTRUMENT, visit: exposure.id },
        { collections },
      )) as Table;
      expect(visitTable.length).toBe(visitRows);
      const detectors = visitTable.columns.detector as Int32Array;
      expect(detectors[0]).toBeLessThanOrEqual(detectors[visitTable.length - 1]!);
    }
    console.log(`calibrate per detector:\n  ${timings.join('\n  ')}`);
    console.log(`icExp stand-in per detector: ${survey.icExpSeconds.map((s) => s.toFixed(2)).join(', ')} s`);
  }, 600_000);

  it('fails the quantum of a detector without reference stars with ASTROMETRY_FAILED, and runs the others', async () => {
    const { butler, manifest, simDir } = survey;
    const exposure = manifest.exposures[0]!;
    const hole = 1;
    // A refcat without the stars on detector 1 of the first visit (and a 300-pixel margin around it).
    await ingestRefcatWithHole(butler, simDir, manifest, 'hole_refcat', exposure, hole);
    const execution = await runStep1(
      [
        {
          label: 'calibrate',
          taskName: 'meridian.tasks.calibrate.CalibrateTask',
          config: { connections: { refcatName: 'hole_refcat' } },
        },
      ],
      'u/test/hole',
      ['refcats/hole_refcat'],
      `visit = ${exposure.id}`,
    );
    expect(execution).toMatchObject({ succeeded: 1, failed: 1 });
    const failed = execution.quanta.find((q) => q.status === 'failed')!;
    expect(failed.dataId.detector).toBe(hole);
    expect(failed.code).toBe('ASTROMETRY_FAILED');
    expect(failed.message).toMatch(/no reference stars on the field/);
  }, 300_000);

  it('refuses a detector without reference stars as a plain function too', async () => {
    const { butler, manifest } = survey;
    const exposure = manifest.exposures[0]!;
    const dataId = { instrument: INSTRUMENT, visit: exposure.id, detector: 0 };
    const icExp = (await butler.get('icExp', dataId, { collections: [IC_RUN] })) as Exposure;
    expect(() =>
      calibrateExposure({
        icExp,
        icExpBackground: null,
        icSrc: null,
        refcatShards: [],
        band: 'r',
        visit: exposure.id,
        detector: 0,
        ccdVisitId: exposure.id * 1000,
      }),
    ).toThrow(
      expect.objectContaining({
        code: 'ASTROMETRY_FAILED',
        message: expect.stringMatching(/no reference stars/),
      }),
    );
  }, 120_000);
});

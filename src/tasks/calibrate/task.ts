/**
 * The `calibrate` PipelineTask (DRP step1, after characterizeImage): icExp + icExpBackground + icSrc and the
 * reference-catalog shards over the detector → calexp (fitted TAN-SIP WCS and PhotoCalib), calexpBackground and
 * src. The work is `calibrateExposure` (calibrate-exposure.ts); this file loads and stores.
 */

import type { DataCoordinate } from '../../butler/index.js';
import { meridianError } from '../../errors.js';
import { type Exposure, headerValue, type Table } from '../../formats/index.js';
import {
  type DeferredDatasetHandle,
  defineTask,
  Input,
  Output,
  PrerequisiteInput,
} from '../../pipe/index.js';
import { CalibrateConfig, calibrateExposure } from './calibrate-exposure.js';
import { refcatColumnsFor } from './refcat-loader.js';
import { ccdVisitIdOf } from './source-ids.js';

const VISIT_DETECTOR = ['instrument', 'visit', 'detector'];

/** The band of a quantum: from its data ID (implied by visit), else the exposure's FILTBAND card. */
export function bandOfQuantum(dataId: DataCoordinate, exposure: Exposure | null): string {
  const fromId = dataId.values.band;
  if (typeof fromId === 'string' && fromId !== '') return fromId;
  const fromHeader = exposure === null ? undefined : headerValue(exposure.metadata, 'FILTBAND');
  if (typeof fromHeader === 'string' && fromHeader !== '') return fromHeader;
  throw meridianError(
    'INVALID_ARGUMENT',
    `the quantum ${dataId} has no band (neither in its data ID nor as FILTBAND in the exposure metadata)`,
  );
}

/** visit and detector of a {instrument, visit, detector} quantum as numbers. */
export function visitDetectorOf(dataId: DataCoordinate): { visit: number; detector: number } {
  const visit = Number(dataId.values.visit);
  const detector = Number(dataId.values.detector);
  if (!Number.isSafeInteger(visit) || !Number.isSafeInteger(detector)) {
    throw meridianError('INVALID_ARGUMENT', `the quantum ${dataId} has no integer visit and detector`);
  }
  return { visit, detector };
}

export const CalibrateTask = defineTask({
  name: 'meridian.tasks.calibrate.CalibrateTask',
  doc: 'Astrometric and photometric calibration and measurement of every source: icExp → calexp, src.',
  config: CalibrateConfig,
  templates: { refcatName: 'the_monster_refcat' },
  dimensions: VISIT_DETECTOR,
  connections: {
    icExp: Input({ name: 'icExp', storageClass: 'ExposureF', dimensions: VISIT_DETECTOR }),
    icExpBackground: Input({
      name: 'icExpBackground',
      storageClass: 'StructuredDataDict',
      dimensions: VISIT_DETECTOR,
    }),
    icSrc: Input({ name: 'icSrc', storageClass: 'SourceCatalog', dimensions: VISIT_DETECTOR }),
    // minimum 0: a field without shards still runs and fails with a clear ASTROMETRY_FAILED, rather than being
    // refused at graph-build time, so the rest of the run goes on.
    refcat: PrerequisiteInput({
      name: '{refcatName}',
      storageClass: 'ArrowTable',
      dimensions: ['htm7'],
      multiple: true,
      deferLoad: true,
      minimum: 0,
      lookup: { kind: 'region' },
      doc: 'Reference-catalog shards (htm7) overlapping the detector.',
    }),
    calexp: Output({ name: 'calexp', storageClass: 'ExposureF', dimensions: VISIT_DETECTOR }),
    calexpBackground: Output({
      name: 'calexpBackground',
      storageClass: 'StructuredDataDict',
      dimensions: VISIT_DETECTOR,
    }),
    src: Output({ name: 'src', storageClass: 'SourceCatalog', dimensions: VISIT_DETECTOR }),
  },
  async runQuantum(ctx) {
    const inputs = await ctx.getInputs();
    const icExp = inputs.icExp as Exposure;
    const { visit, detector } = visitDetectorOf(ctx.dataId);
    const band = bandOfQuantum(ctx.dataId, icExp);
    const columns = refcatColumnsFor(band, ctx.config.refcat);
    const handles = (inputs.refcat ?? []) as DeferredDatasetHandle<Table>[];
    const shards: Table[] = [];
    for (const handle of handles) shards.push(await handle.get({ parameters: { columns } }));
    const started = performance.now();
    const result = calibrateExposure(
      {
        icExp,
        icExpBackground: inputs.icExpBackground,
        icSrc: (inputs.icSrc as Table | undefined) ?? null,
        refcatShards: shards,
        band,
        visit,
        detector,
        ccdVisitId: ccdVisitIdOf(visit, detector),
      },
      ctx.config,
    );
    const s = result.summary;
    ctx.log.info(
      `visit ${visit} detector ${detector}: ${s.sources} sources, ${s.astrometryMatches} astrometric matches (rms ${s.astrometryRmsMas.toFixed(1)} mas, SIP order ${s.sipOrder}), zero point ${s.zeroPoint.toFixed(4)} ± ${s.zeroPointErr.toFixed(4)} from ${s.photometryStars} stars, in ${((performance.now() - started) / 1000).toFixed(2)} s`,
    );
    for (const [key, value] of Object.entries(s)) ctx.addMetadata(key, value);
    await ctx.putOutputs({
      calexp: result.calexp,
      calexpBackground: result.calexpBackground,
      src: result.src,
    });
  },
});

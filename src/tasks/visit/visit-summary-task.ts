/**
 * ConsolidateVisitSummaryTask (label consolidateVisitSummary): the visitSummary table of a visit, one row per
 * calexp. The calexps are deferred inputs and only their header components are read (`calexp.wcs`, `.psf`,
 * `.photoCalib`, `.visitInfo`, `.metadata`, `.bbox`): a 4k × 4k calexp's pixels are never loaded. The pipe core has
 * no component connections, so the component reads go through the deferred handles. The background model is read
 * only for a detector whose calexp metadata lacks the SKYBG/SKYNOISE cards.
 */
import { z } from 'zod';
import type { DataCoordinate } from '../../butler/index.js';
import {
  type Box2I,
  type FitsHeader,
  makeTable,
  type PhotoCalib,
  type Psf,
  type TanSipWcs,
  type VisitInfo,
} from '../../formats/index.js';
import { type DeferredDatasetHandle, defineTask, Input, noWorkFound, Output } from '../../pipe/index.js';
import { tableFromRows } from './table-columns.js';
import { summarizeDetector, VISIT_SUMMARY_COLUMNS, type VisitSummaryRow } from './visit-summary.js';

/** Sky level and noise from a background model dataset (BackgroundModel's medianLevel/medianSigma, or level/noise). */
export function skyFromBackground(model: unknown): { level: number; noise: number } | null {
  if (typeof model !== 'object' || model === null) return null;
  const m = model as Record<string, unknown>;
  const pick = (...keys: string[]) => {
    for (const k of keys) if (typeof m[k] === 'number' && Number.isFinite(m[k])) return m[k] as number;
    return Number.NaN;
  };
  const level = pick('medianLevel', 'level', 'skyBg');
  const noise = pick('medianSigma', 'noise', 'skyNoise');
  return Number.isNaN(level) && Number.isNaN(noise) ? null : { level, noise };
}

function dataIdString(dataId: DataCoordinate, key: string): string | null {
  const v = dataId.values[key];
  if (typeof v === 'string') return v;
  const fromRecord = dataId.records?.visit?.[key];
  return typeof fromRecord === 'string' ? fromRecord : null;
}

/** Read the header components of one calexp and summarise it. */
export async function summarizeCalexp(
  calexp: DeferredDatasetHandle,
  background: DeferredDatasetHandle | null,
): Promise<VisitSummaryRow> {
  const dataId = calexp.ref.dataId;
  const part = <T>(component: string) => calexp.get({ component }) as Promise<T>;
  const [bbox, wcs, psf, photoCalib, visitInfo, metadata] = await Promise.all([
    part<Box2I>('bbox'),
    part<TanSipWcs | null>('wcs'),
    part<Psf | null>('psf'),
    part<PhotoCalib | null>('photoCalib'),
    part<VisitInfo | null>('visitInfo'),
    part<FitsHeader>('metadata'),
  ]);
  const hasSkyCards =
    metadata.some((c) => c.keyword === 'SKYBG') && metadata.some((c) => c.keyword === 'SKYNOISE');
  const sky = !hasSkyCards && background !== null ? skyFromBackground(await background.get()) : null;
  return summarizeDetector({
    visit: Number(dataId.values.visit),
    detector: Number(dataId.values.detector),
    band: dataIdString(dataId, 'band'),
    physicalFilter: dataIdString(dataId, 'physical_filter'),
    bbox,
    wcs,
    psf,
    photoCalib,
    visitInfo,
    metadata,
    background: sky,
  });
}

export const ConsolidateVisitSummaryTask = defineTask({
  name: 'meridian.tasks.visit.ConsolidateVisitSummaryTask',
  doc: 'One row per detector of a visit: WCS corners, PSF size and seeing, zero point, sky, depth, observing conditions.',
  config: z.object({
    /** Read the background models for detectors whose calexp metadata lacks SKYBG/SKYNOISE. */
    doReadBackground: z.boolean().default(true),
  }),
  templates: { calexpType: 'calexp' },
  dimensions: ['instrument', 'visit'],
  connections: (c) => ({
    calexp: Input({
      name: '{calexpType}',
      storageClass: 'ExposureF',
      dimensions: ['instrument', 'visit', 'detector'],
      multiple: true,
      deferLoad: true,
      doc: 'Only header components are read.',
    }),
    ...(c.doReadBackground
      ? {
          background: Input({
            name: '{calexpType}Background',
            storageClass: 'StructuredDataDict',
            dimensions: ['instrument', 'visit', 'detector'],
            multiple: true,
            deferLoad: true,
            minimum: 0,
            deferGraphConstraint: true,
            doc: 'Read only when the calexp metadata lacks SKYBG/SKYNOISE.',
          }),
        }
      : {}),
    visitSummary: Output({
      name: 'visitSummary',
      storageClass: 'DataFrame',
      dimensions: ['instrument', 'visit'],
    }),
  }),
  async runQuantum(ctx) {
    const inputs = await ctx.getInputs();
    const calexps = inputs.calexp as DeferredDatasetHandle[];
    const backgrounds = (inputs.background ?? []) as DeferredDatasetHandle[];
    if (calexps.length === 0) throw noWorkFound(`no calexp for ${ctx.dataId}`);
    const backgroundOf = (detector: unknown) =>
      backgrounds.find((b) => b.ref.dataId.values.detector === detector) ?? null;
    const rows: VisitSummaryRow[] = [];
    for (const calexp of calexps) {
      rows.push(await summarizeCalexp(calexp, backgroundOf(calexp.ref.dataId.values.detector)));
    }
    rows.sort((a, b) => a.detector - b.detector);
    ctx.log.info(`visit ${ctx.dataId.values.visit}: ${rows.length} detectors summarised`);
    await ctx.putOutputs({
      visitSummary: makeTable(
        tableFromRows(VISIT_SUMMARY_COLUMNS, rows as unknown as Record<string, unknown>[]),
      ),
    });
  },
});

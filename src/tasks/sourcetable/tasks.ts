/**
 * The Source-table tasks of DRP step1, after Rubin's pipe_tasks postprocess.py:
 *
 * - writeSourceTable: src (+ the calexp's PhotoCalib) → `source`: every src column, the ids of the detector-visit,
 *   band/physical_filter, the per-source calibration (base_LocalPhotoCalib, nJy per count) and calibrated
 *   `<plugin>_flux`/`_fluxErr` (nJy) next to each `<plugin>_instFlux`;
 * - transformSourceTable: source → `sourceTable`, the DP0.2 Source columns (functors.ts);
 * - consolidateSourceTable: the sourceTables of a visit → `sourceTable_visit`, detectors in order.
 */
import { z } from 'zod';
import type { DataCoordinate } from '../../butler/index.js';
import { meridianError } from '../../errors.js';
import {
  type CardValue,
  headerValue,
  makeTable,
  type PhotoCalib,
  type Table,
  type TableColumnValues,
} from '../../formats/index.js';
import { type DeferredDatasetHandle, defineTask, Input, Output } from '../../pipe/index.js';
import { ccdVisitIdOf } from '../calibrate/source-ids.js';
import { LOCAL_PHOTO_CALIB, LOCAL_PHOTO_CALIB_ERR, transformSourceTable } from './functors.js';

const VISIT_DETECTOR = ['instrument', 'visit', 'detector'];
const VISIT = ['instrument', 'visit'];

export interface SourceTableIds {
  readonly visit: number;
  readonly detector: number;
  readonly band: string | null;
  readonly physicalFilter: string | null;
}

/** The `source` table: src plus ids, filter, the local calibration and calibrated fluxes (nJy). */
export function writeSourceTable(src: Table, photoCalib: PhotoCalib, ids: SourceTableIds): Table {
  const n = src.length;
  const ccdVisitId = BigInt(ccdVisitIdOf(ids.visit, ids.detector));
  const columns: Record<string, TableColumnValues> = { ...src.columns };
  columns.ccdVisitId = new BigInt64Array(n).fill(ccdVisitId);
  columns.visit = new BigInt64Array(n).fill(BigInt(ids.visit));
  columns.detector = new Int32Array(n).fill(ids.detector);
  columns.band = new Array<string | null>(n).fill(ids.band);
  columns.physical_filter = new Array<string | null>(n).fill(ids.physicalFilter);
  // One calibration per detector today; per-source columns let a spatially varying calibration come in unchanged.
  columns[LOCAL_PHOTO_CALIB] = new Float64Array(n).fill(photoCalib.calibrationMean);
  columns[LOCAL_PHOTO_CALIB_ERR] = new Float64Array(n).fill(photoCalib.calibrationErr);
  for (const name of Object.keys(src.columns)) {
    if (!name.endsWith('_instFlux')) continue;
    const plugin = name.slice(0, -'_instFlux'.length);
    const flux = src.columns[name] as ArrayLike<number>;
    const fluxErr = src.columns[`${plugin}_instFluxErr`] as ArrayLike<number> | undefined;
    const calibrated = new Float64Array(n);
    const calibratedErr = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      calibrated[i] = flux[i]! * photoCalib.calibrationMean;
      calibratedErr[i] =
        fluxErr === undefined
          ? Number.NaN
          : Math.hypot(fluxErr[i]! * photoCalib.calibrationMean, flux[i]! * photoCalib.calibrationErr);
    }
    columns[`${plugin}_flux`] = calibrated;
    columns[`${plugin}_fluxErr`] = calibratedErr;
  }
  return makeTable(columns);
}

/** Rows of several tables with the same columns, one after another (column types kept where they agree). */
export function concatenateTables(tables: readonly Table[]): Table {
  if (tables.length === 0) return makeTable({});
  const names = Object.keys(tables[0]!.columns);
  for (const t of tables) {
    const other = Object.keys(t.columns);
    if (other.length !== names.length || other.some((c, i) => c !== names[i])) {
      throw meridianError('INVALID_ARGUMENT', 'cannot concatenate tables whose columns differ', {
        first: names,
        other,
      });
    }
  }
  const out: Record<string, TableColumnValues> = {};
  for (const name of names) {
    const parts = tables.map((t) => t.columns[name]!);
    const first = parts[0]!;
    const ctor = (first as { constructor: unknown }).constructor;
    if (!Array.isArray(first) && parts.every((p) => (p as { constructor: unknown }).constructor === ctor)) {
      const Typed = ctor as new (
        n: number,
      ) => TableColumnValues & { set(a: ArrayLike<unknown>, o: number): void };
      const total = parts.reduce((s, p) => s + p.length, 0);
      const joined = new Typed(total);
      let offset = 0;
      for (const p of parts) {
        joined.set(p as ArrayLike<unknown>, offset);
        offset += p.length;
      }
      out[name] = joined;
    } else {
      out[name] = parts.flatMap((p) => Array.from(p as ArrayLike<unknown>)) as TableColumnValues;
    }
  }
  return makeTable(out);
}

function stringOf(v: CardValue | undefined | string | number): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

/** Data-ID values a quantum's tables carry (visit, detector and the implied band/physical_filter when known). */
function dataIdValues(dataId: DataCoordinate): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const key of ['visit', 'detector', 'band', 'physical_filter']) {
    const v = dataId.values[key];
    if (v !== undefined && v !== null) out[key] = v;
  }
  return out;
}

export const WriteSourceTableTask = defineTask({
  name: 'meridian.tasks.sourcetable.WriteSourceTableTask',
  doc: 'src + the calexp PhotoCalib → source: src columns, ids, local calibration and fluxes in nJy.',
  config: z.object({}).strict(),
  dimensions: VISIT_DETECTOR,
  connections: {
    src: Input({ name: 'src', storageClass: 'SourceCatalog', dimensions: VISIT_DETECTOR }),
    // Deferred: only the PhotoCalib and metadata components are read, never the pixels.
    calexp: Input({ name: 'calexp', storageClass: 'ExposureF', dimensions: VISIT_DETECTOR, deferLoad: true }),
    source: Output({ name: 'source', storageClass: 'DataFrame', dimensions: VISIT_DETECTOR }),
  },
  async runQuantum(ctx) {
    const inputs = await ctx.getInputs();
    const calexp = inputs.calexp as DeferredDatasetHandle;
    const photoCalib = (await calexp.get({ component: 'photoCalib' })) as PhotoCalib | null;
    if (photoCalib === null || photoCalib === undefined) {
      throw meridianError('PHOTOMETRY_FAILED', `the calexp of ${ctx.dataId} has no PhotoCalib`);
    }
    const metadata = (await calexp.get({ component: 'metadata' })) as Parameters<typeof headerValue>[0];
    const values = dataIdValues(ctx.dataId);
    const ids: SourceTableIds = {
      visit: Number(values.visit),
      detector: Number(values.detector),
      band: stringOf(values.band) ?? stringOf(headerValue(metadata, 'FILTBAND')),
      physicalFilter: stringOf(values.physical_filter) ?? stringOf(headerValue(metadata, 'FILTER')),
    };
    await ctx.putOutputs({ source: writeSourceTable(inputs.src as Table, photoCalib, ids) });
  },
});

export const TransformSourceTableTask = defineTask({
  name: 'meridian.tasks.sourcetable.TransformSourceTableTask',
  doc: 'source → sourceTable: the DP0.2 Source columns (fluxes in nJy).',
  config: z.object({}).strict(),
  dimensions: VISIT_DETECTOR,
  connections: {
    source: Input({ name: 'source', storageClass: 'DataFrame', dimensions: VISIT_DETECTOR }),
    sourceTable: Output({ name: 'sourceTable', storageClass: 'DataFrame', dimensions: VISIT_DETECTOR }),
  },
  async runQuantum(ctx) {
    const { source } = await ctx.getInputs();
    await ctx.putOutputs({ sourceTable: transformSourceTable(source as Table, dataIdValues(ctx.dataId)) });
  },
});

export const ConsolidateSourceTableTask = defineTask({
  name: 'meridian.tasks.sourcetable.ConsolidateSourceTableTask',
  doc: 'The sourceTables of every detector of a visit → sourceTable_visit.',
  config: z.object({}).strict(),
  dimensions: VISIT,
  connections: {
    inputCatalogs: Input({
      name: 'sourceTable',
      storageClass: 'DataFrame',
      dimensions: VISIT_DETECTOR,
      multiple: true,
      deferLoad: true,
    }),
    outputCatalog: Output({ name: 'sourceTable_visit', storageClass: 'DataFrame', dimensions: VISIT }),
  },
  async runQuantum(ctx) {
    const { inputCatalogs } = await ctx.getInputs();
    const handles = [...(inputCatalogs as DeferredDatasetHandle<Table>[])].sort(
      (a, b) => Number(a.ref.dataId.values.detector) - Number(b.ref.dataId.values.detector),
    );
    const tables: Table[] = [];
    for (const h of handles) tables.push(await h.get());
    const table = concatenateTables(tables.filter((t) => t.length > 0));
    ctx.addMetadata('detectors', handles.length);
    ctx.addMetadata('rows', table.length);
    await ctx.putOutputs({ outputCatalog: table });
  },
});

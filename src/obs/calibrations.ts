/**
 * The simulator's master calibrations into the butler: `bias` {instrument, detector} and `flat` {instrument,
 * detector, physical_filter} calibration dataset types, ingested into a RUN `<instrument>/calib/<YYYYMMDD>` and
 * certified into the CALIBRATION collection `<instrument>/calib` over a validity range (unbounded by default);
 * and `defects` {instrument, detector} (a table of boxes, StructuredDataDict) from the manifest's defect lists,
 * put into the same RUN and certified the same way. Named after obs_base's `write-curated-calibrations`;
 * idempotent.
 */

import {
  type Butler,
  type DatasetRef,
  type FileDataset,
  Timespan,
  type TransferMode,
} from '../butler/index.js';
import { calibCollection } from './instrument.js';
import { type DefectBox, readSurveyManifest, surveyFilePath } from './survey-manifest.js';
import { INSTRUMENT_NAME } from './translator.js';

export const CALIBRATION_DATASET_TYPES = [
  { name: 'bias', dimensions: ['instrument', 'detector'] },
  { name: 'flat', dimensions: ['instrument', 'detector', 'physical_filter'] },
] as const;

/** The defects calibration: bad columns and hot pixels of a detector as boxes (JSON, StructuredDataDict). */
export const DEFECTS_DATASET_TYPE = {
  name: 'defects',
  dimensions: ['instrument', 'detector'],
  storageClass: 'StructuredDataDict',
} as const;

/** What a `defects` dataset holds. */
export interface DefectsCalibration {
  readonly kind: 'defects';
  readonly detector: number;
  /** 0-based boxes in the trimmed (imaging-area) pixel grid of the detector. */
  readonly boxes: readonly DefectBox[];
}

export interface CuratedCalibrationOptions {
  readonly instrument?: string;
  /** Validity range, ISO 8601 TAI; null or absent = unbounded. */
  readonly beginDate?: string | null;
  readonly endDate?: string | null;
  readonly transfer?: TransferMode;
  /** Output RUN; default `<instrument>/calib/<YYYYMMDD of the manifest's validity start>`. */
  readonly run?: string;
  /** CALIBRATION collection; default `<instrument>/calib`. */
  readonly collection?: string;
}

export interface CuratedCalibrationResult {
  readonly run: string;
  readonly collection: string;
  /** The image calibrations (bias, flat), one per file of the manifest. */
  readonly refs: readonly DatasetRef[];
  /** How many of `refs` this call certified (0 when all were already certified over the same range). */
  readonly certified: number;
  /** The `defects` datasets (none for a manifest without defect lists). */
  readonly defects: readonly DatasetRef[];
  /** How many of `defects` this call certified. */
  readonly defectsCertified: number;
  readonly timespan: Timespan;
}

function yyyymmddFromMjd(mjd: number): string {
  // MJD 40587 is 1970-01-01.
  return new Date((mjd - 40587) * 86_400_000).toISOString().slice(0, 10).replace(/-/g, '');
}

export async function writeCuratedCalibrations(
  butler: Butler,
  simDir: string,
  options: CuratedCalibrationOptions = {},
): Promise<CuratedCalibrationResult> {
  butler.assertWriteable('write calibrations');
  const manifest = await readSurveyManifest(simDir);
  const instrument = options.instrument ?? INSTRUMENT_NAME;
  const run = options.run ?? `${instrument}/calib/${yyyymmddFromMjd(manifest.calibrations.validFromMjd)}`;
  const collection = options.collection ?? calibCollection(instrument);
  const timespan = Timespan.fromIso(options.beginDate ?? null, options.endDate ?? null, 'tai');
  for (const dt of CALIBRATION_DATASET_TYPES) {
    await butler.registerDatasetType(dt.name, dt.dimensions, 'Exposure', { isCalibration: true });
  }
  const files: FileDataset[] = manifest.calibrations.files.map((f) => ({
    path: surveyFilePath(simDir, f.path),
    refs: [
      {
        datasetType: f.kind,
        dataId:
          f.kind === 'flat'
            ? { instrument, detector: f.detector, physical_filter: f.physicalFilter! }
            : { instrument, detector: f.detector },
      },
    ],
    formatter: 'meridian.FitsImageFormatter',
  }));
  const refs = await butler.ingest(files, {
    run,
    transfer: options.transfer ?? 'auto',
    idGenerationMode: 'DATAID_TYPE_RUN',
    skipExisting: true,
  });
  await butler.registry.registerCollection(collection, 'CALIBRATION');
  // Certify only what is not already certified over exactly this range, so a re-run is a no-op.
  const todo: DatasetRef[] = [];
  for (const dt of CALIBRATION_DATASET_TYPES) {
    const ofType = refs.filter((r) => r.datasetType.name === dt.name);
    todo.push(...(await uncertified(butler, dt.name, collection, timespan, ofType)));
  }
  if (todo.length > 0) await butler.registry.certify(collection, todo, timespan);
  const defects = await putDefects(butler, manifest.calibrations.defects ?? [], instrument, run);
  const defectsTodo = await uncertified(butler, DEFECTS_DATASET_TYPE.name, collection, timespan, defects);
  if (defectsTodo.length > 0) await butler.registry.certify(collection, defectsTodo, timespan);
  return {
    run,
    collection,
    refs,
    certified: todo.length,
    defects,
    defectsCertified: defectsTodo.length,
    timespan,
  };
}

async function uncertified(
  butler: Butler,
  datasetType: string,
  collection: string,
  timespan: Timespan,
  refs: readonly DatasetRef[],
): Promise<DatasetRef[]> {
  if (refs.length === 0) return [];
  const done = new Set<string>();
  for (const a of await butler.registry.queryDatasetAssociations(datasetType, [collection])) {
    if (a.timespan?.equals(timespan)) done.add(a.ref.id);
  }
  return refs.filter((r) => !done.has(r.id));
}

/** Put each detector's defect list into `run`, unless that run already holds it (a re-run adds nothing). */
async function putDefects(
  butler: Butler,
  entries: readonly { detector: number; boxes: readonly DefectBox[] }[],
  instrument: string,
  run: string,
): Promise<DatasetRef[]> {
  if (entries.length === 0) return [];
  const { name, dimensions, storageClass } = DEFECTS_DATASET_TYPE;
  await butler.registerDatasetType(name, dimensions, storageClass, { isCalibration: true });
  const refs: DatasetRef[] = [];
  for (const entry of entries) {
    const dataId = { instrument, detector: entry.detector };
    const existing = await butler.findDataset(name, dataId, { collections: [run] });
    if (existing !== null) {
      refs.push(existing);
      continue;
    }
    const value: DefectsCalibration = {
      kind: 'defects',
      detector: entry.detector,
      boxes: entry.boxes.map((b) => ({ x0: b.x0, y0: b.y0, width: b.width, height: b.height })),
    };
    refs.push(await butler.put(value, name, dataId, { run }));
  }
  return refs;
}

/**
 * The simulator's master calibrations into the butler: `bias` {instrument, detector} and `flat` {instrument,
 * detector, physical_filter} calibration dataset types, ingested into a RUN `<instrument>/calib/<YYYYMMDD>` and
 * certified into the CALIBRATION collection `<instrument>/calib` over a validity range (unbounded by default).
 * Named after obs_base's `write-curated-calibrations`; idempotent.
 */

import {
  type Butler,
  type DatasetRef,
  type FileDataset,
  Timespan,
  type TransferMode,
} from '../butler/index.js';
import { calibCollection } from './instrument.js';
import { readSurveyManifest, surveyFilePath } from './survey-manifest.js';
import { INSTRUMENT_NAME } from './translator.js';

export const CALIBRATION_DATASET_TYPES = [
  { name: 'bias', dimensions: ['instrument', 'detector'] },
  { name: 'flat', dimensions: ['instrument', 'detector', 'physical_filter'] },
] as const;

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
  readonly refs: readonly DatasetRef[];
  /** How many refs this call certified (0 when all were already certified over the same range). */
  readonly certified: number;
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
  const done = new Set<string>();
  for (const dt of CALIBRATION_DATASET_TYPES) {
    for (const a of await butler.registry.queryDatasetAssociations(dt.name, [collection])) {
      if (a.timespan?.equals(timespan)) done.add(a.ref.id);
    }
  }
  const todo = refs.filter((r) => !done.has(r.id));
  if (todo.length > 0) await butler.registry.certify(collection, todo, timespan);
  return { run, collection, refs, certified: todo.length, timespan };
}

/**
 * Registering MeridianCam with a butler (obs_base's `Instrument.register`): the instrument record, one
 * physical_filter per filter and one detector record per detector, all synced so that registering twice is a no-op.
 */

import type { Butler } from '../butler/index.js';
import { DEFAULT_CAMERA_LAYOUT, type InstrumentDescription, meridianCam } from './camera.js';
import { INSTRUMENT_NAME } from './translator.js';

/** Exposure and visit ids are DAYOBS * 100000 + SEQNUM (YYYYMMDD up to 9999-12-31). */
const EXPOSURE_ID_MAX = 99991231 * 100_000 + 99_999;

/** Default raw RUN and calibration collections, named as upstream does (`<instrument>/raw/all`, `<instrument>/calib`). */
export function rawRun(instrument = INSTRUMENT_NAME): string {
  return `${instrument}/raw/all`;
}

export function calibCollection(instrument = INSTRUMENT_NAME): string {
  return `${instrument}/calib`;
}

/** The dataset types the instrument's ingest writes. */
export const RAW_DATASET_TYPE = {
  name: 'raw',
  dimensions: ['instrument', 'exposure', 'detector'],
  storageClass: 'Exposure',
};

export interface RegisterInstrumentResult {
  readonly instrument: string;
  readonly filters: number;
  readonly detectors: number;
  /** False when everything was already registered. */
  readonly changed: boolean;
}

/**
 * Register MeridianCam. The description defaults to the default camera layout (the simulator's too); pass the one from a
 * survey manifest (`manifest.instrument`) so detector names match the survey's layout.
 */
export async function registerInstrument(
  butler: Butler,
  description: InstrumentDescription = meridianCam(DEFAULT_CAMERA_LAYOUT),
): Promise<RegisterInstrumentResult> {
  butler.assertWriteable('register an instrument');
  const name = description.name;
  let changed = false;
  await butler.registry.transaction(async () => {
    changed =
      (await butler.registry.syncDimensionData('instrument', {
        name,
        visit_max: EXPOSURE_ID_MAX,
        exposure_max: EXPOSURE_ID_MAX,
        detector_max: 189,
        class_name: 'meridian.obs.MeridianCam',
      })) || changed;
    for (const f of description.filters) {
      changed =
        (await butler.registry.syncDimensionData('physical_filter', {
          instrument: name,
          name: f.physicalFilter,
          band: f.band,
        })) || changed;
    }
    for (const d of description.detectors) {
      changed =
        (await butler.registry.syncDimensionData('detector', {
          instrument: name,
          id: d.id,
          full_name: d.fullName,
          name_in_raft: d.nameInRaft,
          raft: d.raft,
          purpose: d.purpose,
        })) || changed;
    }
    changed =
      (await butler.registerDatasetType(
        RAW_DATASET_TYPE.name,
        RAW_DATASET_TYPE.dimensions,
        RAW_DATASET_TYPE.storageClass,
      )) || changed;
  });
  return {
    instrument: name,
    filters: description.filters.length,
    detectors: description.detectors.length,
    changed,
  };
}

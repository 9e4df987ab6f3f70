/**
 * A simulated survey into a butler repository in one call: the README's command sequence (`butler
 * register-instrument`, `ingest-raws`, `define-visits`, `write-curated-calibrations`, `register-skymap` over the
 * truth footprint, `ingest-refcat`) for the demo, the DRP benchmark and the tests that process a survey.
 */

import { join } from 'node:path';
import type { Butler, TransferMode } from '../butler/index.js';
import { Circle } from '../sphere/index.js';
import { type CuratedCalibrationResult, writeCuratedCalibrations } from './calibrations.js';
import { type IngestRawsResult, ingestRaws } from './ingest-raws.js';
import { type RegisterInstrumentResult, registerInstrument } from './instrument.js';
import { type IngestRefcatResult, ingestRefcat } from './refcat.js';
import { DC2_SKYMAP_CONFIG, DC2_SKYMAP_NAME, type RegisterSkymapResult, registerSkymap } from './skymap.js';
import { readSurveyManifest, type SurveyManifestBase } from './survey-manifest.js';
import { type DefineVisitsResult, defineVisits } from './visits.js';

export interface IngestSurveyOptions {
  /** How the raws, calibrations and refcat shards get into the datastore (default 'auto'). */
  readonly transfer?: TransferMode;
  /** The survey's manifest, when the caller has it already (default: read from `simDir`). */
  readonly manifest?: SurveyManifestBase;
}

/** Each step's own result, in order. */
export interface IngestSurveyResult {
  readonly instrument: RegisterInstrumentResult;
  readonly raws: IngestRawsResult;
  readonly visits: DefineVisitsResult;
  readonly calibrations: CuratedCalibrationResult;
  readonly skymap: RegisterSkymapResult;
  readonly refcat: IngestRefcatResult;
}

/** Ingest the survey the simulator wrote to `simDir` (see the module comment); the DC2 sky map covers its truth cap. */
export async function ingestSimulatedSurvey(
  butler: Butler,
  simDir: string,
  options: IngestSurveyOptions = {},
): Promise<IngestSurveyResult> {
  const manifest = options.manifest ?? (await readSurveyManifest(simDir));
  const transfer = options.transfer === undefined ? {} : { transfer: options.transfer };
  const instrument = await registerInstrument(butler, manifest.instrument);
  const raws = await ingestRaws(butler, [join(simDir, 'raw')], transfer);
  const visits = await defineVisits(butler);
  const calibrations = await writeCuratedCalibrations(butler, simDir, transfer);
  const { cap } = manifest.truth;
  const skymap = await registerSkymap(butler, DC2_SKYMAP_NAME, DC2_SKYMAP_CONFIG, {
    region: Circle.fromDegrees(cap.ra, cap.dec, cap.radiusDeg),
  });
  const refcat = await ingestRefcat(butler, join(simDir, 'refcat'), transfer);
  return { instrument, raws, visits, calibrations, skymap, refcat };
}

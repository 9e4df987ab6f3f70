/** The mini-DC2 survey simulator: MeridianCam, cadence, truth, rendering of raws and calibrations, refcat. */
export { benchmarkDetectorRender, type RenderBenchmarkOptions, type RenderBenchmarkResult } from './bench.js';
export { airmassFromZenithAngle, dayObsOf, type ExposureRecord } from './cadence.js';
export { REFCAT_HTM_LEVEL, REFCAT_MAG_LIMIT } from './catalog-tables.js';
export { registerSimCommands } from './cli.js';
export { calibrationCards, fitsSection, rawCards } from './headers.js';
export {
  AB_MAG_OF_ONE_NANOJANSKY,
  abMagFromNanojansky,
  BANDS,
  type Band,
  type CameraLayout,
  type DetectorDescription,
  detectorWcs,
  electronsFromFlux,
  type FilterDescription,
  filterForBand,
  type InstrumentDescription,
  isBand,
  meridianCam,
  nanojanskyFromAbMag,
  opticalAxisPixel,
  type Pointing,
} from './instrument.js';
export {
  resolveSurveyOptions,
  SURVEY_DEFAULTS,
  type SurveyOptions,
  type SurveyOptionsInput,
} from './options.js';
export {
  type CalibrationEntry,
  MANIFEST_VERSION,
  type ManifestExposure,
  type RawFileEntry,
  type RefcatShard,
  type SurveyManifest,
  type SurveyResult,
  simulateSurvey,
} from './survey.js';
export { TRUTH_TYPE } from './truth.js';

/** The mini-DC2 survey simulator: MeridianCam, cadence, truth, rendering of raws and calibrations, refcat. */
export { benchmarkDetectorRender, type RenderBenchmarkOptions, type RenderBenchmarkResult } from './bench.js';
export { airmassFromZenithAngle, dayObsOf, type ExposureRecord } from './cadence.js';
export { REFCAT_HTM_LEVEL, REFCAT_MAG_LIMIT } from './catalog-tables.js';
export * from './catalogs/index.js';
export { calibrationCards, fitsSection, rawCards } from './headers.js';
export {
  resolveSurveyOptions,
  SURVEY_DEFAULTS,
  type SurveyOptions,
  type SurveyOptionsInput,
} from './options.js';
export {
  type ManifestExposure,
  type RawFileEntry,
  type SurveyManifest,
  type SurveyResult,
  simulateSurvey,
} from './survey.js';
export { TRUTH_TYPE } from './truth.js';

/** The mini-DC2 survey simulator: MeridianCam, cadence, truth, rendering of raws and calibrations, refcat. */
export { benchmarkDetectorRender, type RenderBenchmarkOptions, type RenderBenchmarkResult } from './bench.js';
export { airmassFromZenithAngle, dayObsOf, type ExposureRecord } from './cadence.js';
export { REFCAT_HTM_LEVEL, REFCAT_MAG_LIMIT } from './catalog-tables.js';
export * from './catalogs/index.js';
export {
  type ExposureWithTruth,
  trueDetectorWcs,
  truePsfAt,
  trueWcsFromJson,
} from './ccd-visit-truth.js';
export {
  type ConditionKnobs,
  cloudTransmission,
  type ExposureTruth,
  exposureTruth,
  type PointingError,
} from './conditions.js';
export {
  type BadColumn,
  type DetectorDefects,
  defectBoxes,
  detectorDefects,
  type HotPixel,
} from './detector-effects.js';
export { calibrationCards, fitsSection, rawCards } from './headers.js';
export {
  resolveSurveyOptions,
  SURVEY_DEFAULTS,
  type SurveyOptions,
  type SurveyOptionsInput,
} from './options.js';
export {
  type LocalPsfShape,
  MOMENT_SIGMA_PER_FWHM,
  type PsfFieldModel,
  psfShapeAt,
} from './psf.js';
export { readSurveyTruth, TRUTH_MANIFEST_VERSION } from './read-truth.js';
export {
  type ManifestExposure,
  type RawFileEntry,
  type SurveyManifest,
  type SurveyResult,
  simulateSurvey,
  skyElectronsPerPixel,
} from './survey.js';
export {
  fitTrueWcs,
  headerWcs,
  TRUE_WCS_TOLERANCE_MAS,
  TrueFocalPlane,
  type TrueWcsFit,
  tanDetectorWcs,
} from './true-wcs.js';
export { TRUTH_TYPE } from './truth.js';

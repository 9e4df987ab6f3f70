/**
 * Calibration algorithms of the calibrate task: pattern matching to the reference catalog without a good initial
 * WCS (pattern-match.ts), the TAN-SIP fit with outlier rejection (fit-astrometry.ts), and the photometric zero
 * point as a PhotoCalib (photo-calib.ts). Plain functions on plain data; the PipelineTask wiring comes later.
 */
export { type ApertureCorrected, applyApertureCorrection } from './apply-aperture-correction.js';
export { type AstrometryOptions, type AstrometrySolution, solveAstrometry } from './astrometry.js';
export {
  type BackgroundList,
  backgroundModelToJson,
  CALEXP_SUMMARY_KEYWORDS,
  CalibrateConfig,
  type CalibrateInputs,
  type CalibrateResult,
  type CalibrateSummary,
  calibrateExposure,
  limitingMagnitude,
  parseCalibrateConfig,
  zeroPointOf,
} from './calibrate-exposure.js';
export { type AstrometryFit, type AstrometryFitOptions, fitAstrometry } from './fit-astrometry.js';
export { matchNearest, type PlanarMatch } from './match-nearest.js';
export {
  type AffineTransform,
  applyAffine,
  type DetectedSource,
  type ReferenceStar,
  type SourceMatch,
} from './model.js';
export { matchPattern, type PatternMatchOptions, type PatternMatchResult } from './pattern-match.js';
export {
  AB_MAG_OF_NANOJANSKY,
  fitZeroPoint,
  instFluxToMagnitude,
  instFluxToNanojansky,
  type PhotometricPair,
  photoCalibFromZeroPoint,
  type ZeroPointFit,
  type ZeroPointOptions,
} from './photo-calib.js';
export {
  type DetectorField,
  type LoadedReferenceCatalog,
  type LoadedReferenceStar,
  loadReferenceStars,
  RefcatLoaderConfig,
  refcatColumnsFor,
  refcatFluxPrefix,
} from './refcat-loader.js';
export { CCD_VISIT_FACTOR, ccdVisitIdOf, decodeSourceId, sourceIdMaker } from './source-ids.js';
export { apertureColumnName, buildSrcCatalog, extendednessFromMoments, psfMomentsAt } from './src-catalog.js';
export { bandOfQuantum, CalibrateTask, visitDetectorOf } from './task.js';

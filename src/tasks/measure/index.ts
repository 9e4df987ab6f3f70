/**
 * Image-analysis algorithms of single-frame processing (background, detection, cosmic rays, centroids, adaptive
 * moments, aperture/Kron/PSF photometry, pixel flags), as plain functions over ImageF/Mask/Exposure. The
 * characterizeImage and calibrate tasks call them; `detectAndMeasure` runs them in order. See docs/tasks.md,
 * "Measurement algorithms".
 */
export {
  type ApertureFlux,
  apertureFlux,
  circleRectangleOverlap,
  type KronFlux,
  kronFlux,
} from './aperture.js';
export {
  addBackground,
  BackgroundConfig,
  type BackgroundModel,
  backgroundImage,
  backgroundNoiseRows,
  backgroundRmsImage,
  backgroundSubtracted,
  estimateBackground,
  type NoiseRows,
  subtractBackground,
} from './background.js';
export {
  type CentroidOptions,
  type CentroidResult,
  measureCentroid,
  measureMaskedCentroid,
} from './centroid.js';
export {
  convolveSeparable,
  convolveSimdAvailable,
  gaussianKernel1d,
  smoothedNoiseFactor,
} from './convolve.js';
export {
  CosmicRayConfig,
  type CosmicRayInputs,
  type CosmicRayResult,
  findAndRepairCosmicRays,
  psfNeighbourRatios,
} from './cosmic-rays.js';
export { DeblendConfig, deblendFootprints, withChildPixels } from './deblend.js';
export {
  DetectAndMeasureConfig,
  type DetectAndMeasureResult,
  detectAndMeasure,
} from './detect-and-measure.js';
export {
  type DetectInputs,
  DetectionConfig,
  type DetectionResult,
  detectSources,
  psfEffectiveSigma,
} from './detection.js';
export { connectedComponents, type Footprint, type Peak } from './footprints.js';
export {
  type MeasureInputs,
  MeasurementConfig,
  measureSources,
  SOURCE_FLAGS,
  type SourceFlag,
  type SourceMeasurements,
} from './measure-sources.js';
export {
  type AdaptiveMoments,
  type MomentsOptions,
  measureAdaptiveMoments,
  psfCorrectedMoments,
} from './moments.js';
export {
  erf,
  type PsfFlux,
  type PsfFluxModel,
  type PsfStamp,
  psfFlux,
  psfModelImage,
  psfStamp,
  psfStampFromModel,
  shiftPsfStamp,
} from './psf-flux.js';
export {
  type ClippedStatistics,
  clippedBackgroundStatistics,
  medianInPlace,
  selectKth,
} from './statistics.js';

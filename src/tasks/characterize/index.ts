/**
 * characterizeImage (issue 13 step1): PSF star selection, PSF determination (a polynomial double Gaussian),
 * aperture correction, and the PipelineTask that runs them after background, cosmic rays and detection. See
 * docs/tasks.md, "characterizeImage".
 */
export {
  type ApertureCorrection,
  ApertureCorrectionConfig,
  apertureCorrectionAt,
  apertureCorrectionCards,
  apertureCorrectionFromMetadata,
  measureApertureCorrection,
} from './aperture-correction.js';
export {
  CharacterizeImageConfig,
  type CharacterizeImageResult,
  characterizeImage,
} from './characterize-image.js';
export {
  determinePsf,
  modelCoreAt,
  type PsfDetermination,
  PsfDeterminationConfig,
  type PsfStar,
  type SizeResidual,
} from './psf-determination.js';
export {
  type BackgroundListJson,
  backgroundListFromJson,
  backgroundListToJson,
  EXTENDEDNESS_FLUX_RATIO,
  sourceCatalogTable,
} from './source-catalog.js';
export { type StarSelection, StarSelectionConfig, selectPsfStars } from './star-selection.js';
export { CharacterizeImageTask, CharacterizeImageTaskConfig } from './task.js';

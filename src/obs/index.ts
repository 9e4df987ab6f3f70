/**
 * The obs_base equivalent for MeridianCam: instrument registration, raw header translation, raw ingest, visit
 * definition, calibrations, skymap registration and reference-catalogue ingest (see docs/obs.md).
 */

export {
  CALIBRATION_DATASET_TYPES,
  type CuratedCalibrationOptions,
  type CuratedCalibrationResult,
  DEFECTS_DATASET_TYPE,
  type DefectsCalibration,
  writeCuratedCalibrations,
} from './calibrations.js';
export {
  AB_MAG_OF_ONE_NANOJANSKY,
  abMagFromNanojansky,
  BANDS,
  type Band,
  type CameraLayout,
  DEFAULT_CAMERA_LAYOUT,
  type DetectorDescription,
  detectorWcs,
  electronsFromFlux,
  type FilterDescription,
  filterForBand,
  focalPlaneRadiusPixels,
  type InstrumentDescription,
  isBand,
  meridianCam,
  nanojanskyFromAbMag,
  opticalAxisPixel,
  type Pointing,
} from './camera.js';
export {
  expandRawPaths,
  type IngestRawsOptions,
  type IngestRawsResult,
  ingestRaws,
  type SkippedRaw,
} from './ingest-raws.js';
export {
  calibCollection,
  RAW_DATASET_TYPE,
  type RegisterInstrumentResult,
  rawRun,
  registerInstrument,
} from './instrument.js';
export {
  DEFAULT_REFCAT_NAME,
  type IngestRefcatOptions,
  type IngestRefcatResult,
  ingestRefcat,
} from './refcat.js';
export {
  DC2_SKYMAP_CONFIG,
  DC2_SKYMAP_NAME,
  type RegisterSkymapOptions,
  type RegisterSkymapResult,
  registerSkymap,
  SKYMAP_DATASET_TYPE,
  SKYMAP_RUN,
  type SkyMapDefinition,
} from './skymap.js';
export {
  type IngestSurveyOptions,
  type IngestSurveyResult,
  ingestSimulatedSurvey,
} from './survey-ingest.js';
export {
  type CalibrationEntry,
  type DefectBox,
  type DefectsEntry,
  MANIFEST_VERSION,
  type RefcatShard,
  readSurveyManifest,
  type SurveyManifestBase,
  surveyFilePath,
} from './survey-manifest.js';
export {
  dayObsTimespan,
  INSTRUMENT_NAME,
  type RawTranslation,
  translateRawFile,
  translateRawHeader,
} from './translator.js';
export {
  type DefineVisitsOptions,
  type DefineVisitsResult,
  defineVisits,
  detectorCorners,
} from './visits.js';

/**
 * DRP step2, per visit and across visits: the visit summary (visit-summary.ts, visit-summary-task.ts), the DP0.2
 * CcdVisit and Visit tables (visit-tables.ts), isolated-star association (association.ts, isolated-star-task.ts)
 * and the global photometric calibration (ubercal.ts, global-photo-calib-task.ts). See docs/tasks.md, "step2".
 */
export {
  type Association,
  type AssociationConfig,
  associateIsolatedStars,
  type StarCandidates,
} from './association.js';
export {
  GLOBAL_PHOTO_CALIB_COLUMNS,
  GlobalPhotoCalibConfig,
  type GlobalPhotoCalibResult,
  GlobalPhotoCalibTask,
  globalPhotoCalib,
} from './global-photo-calib-task.js';
export {
  buildIsolatedStarTables,
  emptySelection,
  ISOLATED_STAR_SOURCE_COLUMNS,
  IsolatedStarAssociationConfig,
  IsolatedStarAssociationTask,
  type ReferenceStars,
  referenceStarsFromShards,
  type SelectedSources,
  selectStarSources,
} from './isolated-star-task.js';
export { type PsfShape, psfShapeAtCentre } from './psf-moments.js';
export { SkyIndex } from './sky-index.js';
export {
  type BandRepeatability,
  DEFAULT_UBERCAL_CONFIG,
  solveUbercal,
  type UbercalConfig,
  type UbercalObservations,
  type UbercalResult,
} from './ubercal.js';
export {
  AB_MAG_OF_NJY,
  type DetectorSummaryInputs,
  mjdOfIso,
  pixelScaleAt,
  summarizeDetector,
  VISIT_SUMMARY_COLUMNS,
  type VisitSummaryRow,
} from './visit-summary.js';
export { ConsolidateVisitSummaryTask, skyFromBackground, summarizeCalexp } from './visit-summary-task.js';
export {
  CCD_VISIT_COLUMNS,
  MakeCcdVisitTableTask,
  MakeVisitTableTask,
  makeCcdVisitTable,
  makeVisitTable,
  meanSkyPosition,
  VISIT_COLUMNS,
} from './visit-tables.js';

import type { TaskRegistry } from '../../pipe/index.js';
import { GlobalPhotoCalibTask } from './global-photo-calib-task.js';
import { IsolatedStarAssociationTask } from './isolated-star-task.js';
import { ConsolidateVisitSummaryTask } from './visit-summary-task.js';
import { MakeCcdVisitTableTask, MakeVisitTableTask } from './visit-tables.js';

export const STEP2_TASKS = Object.freeze([
  ConsolidateVisitSummaryTask,
  MakeCcdVisitTableTask,
  MakeVisitTableTask,
  IsolatedStarAssociationTask,
  GlobalPhotoCalibTask,
]);

export function registerStep2Tasks(registry: TaskRegistry): void {
  registry.register(...STEP2_TASKS);
}

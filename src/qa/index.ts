/**
 * Quality of the processed outputs against the simulator's truth (`meridian qa`): completeness and purity,
 * astrometric residuals, AM1/PA1 repeatability, zero-point and PSF-size residuals, star/galaxy separation and depth,
 * as a report (qa.json, qa.md, qa.html, PNG/SVG figures). Depends on butler, formats, sim and sphere only.
 */
export { am1Summary, astrometrySummary } from './astrometry.js';
export {
  type CcdVisitTruth,
  type DetectorCalibration,
  type MeasuredSources,
  measuredSourcesFromTable,
  type StarAssociation,
  TRUTH_GALAXY,
  TRUTH_STAR,
  TRUTH_SUPERNOVA,
  type TruthObjects,
  truthObjectsFromTable,
} from './catalogs.js';
export { completenessBins, crossing, purityBins, starGalaxyBins } from './completeness.js';
export { type CrossMatch, crossMatch } from './crossmatch.js';
export { readPipelineOutputs, readTruth } from './inputs.js';
export { DeclinationSweep, type MatchPairs, matchOneToOne, separationDeg } from './match.js';
export * from './model.js';
export { calibrationSummary, pa1FromRepeats } from './photometry.js';
export { renderVegaLite, reportPlotSpecs } from './plots.js';
export { qaSummaryLines, reportMarkdown } from './report.js';
export {
  computeQaReport,
  QA_TARGETS,
  type QaInputs,
  type QaSettings,
  type QaSettingsInput,
  type RunQaOptions,
  resolveQaSettings,
  runQa,
} from './run.js';
export { type StarGroup, starGroups } from './stars.js';

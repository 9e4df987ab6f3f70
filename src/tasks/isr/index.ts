/** Instrument signature removal (DRP step1 `isr` → `postISRCCD`); see docs/tasks.md, "ISR". */
export { type Amplifier, amplifiersFromHeader, assembledSize } from './amplifier.js';
export {
  ISR_CARDS,
  type IsrCalibrations,
  type IsrConfig,
  IsrConfigSchema,
  type IsrResult,
  type IsrSummary,
  runIsr,
} from './isr.js';
export {
  type Defects,
  DefectsSchema,
  growSaturation,
  interpolateMasked,
  maskDefects,
  parseDefects,
} from './masking.js';
export { fitOverscan, type OverscanFit, type OverscanFitType } from './overscan.js';
export { IsrTask } from './task.js';

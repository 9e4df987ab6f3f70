/** Shared fixtures for the simulator tests: a small survey simulated once per test file into a temporary directory. */

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type SurveyOptionsInput, type SurveyResult, simulateSurvey } from '../../src/sim/index.js';

export function temporaryDirectory(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `meridian-sim-${prefix}-`));
}

/** Small and fast: 2 detectors of 256 pixels, 3 visits in 2 bands, a 0.05 deg area. */
export const SMALL_SURVEY: Omit<SurveyOptionsInput, 'outDir'> = {
  seed: 42,
  radiusDeg: 0.05,
  visits: 3,
  nights: 2,
  bands: ['g', 'r'],
  detectors: 2,
  detectorSize: 256,
  workers: 1,
};

export async function smallSurvey(
  prefix: string,
  extra: Partial<SurveyOptionsInput> = {},
): Promise<SurveyResult> {
  return simulateSurvey({ ...SMALL_SURVEY, ...extra, outDir: join(temporaryDirectory(prefix), 'survey') });
}

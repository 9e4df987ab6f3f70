/** Reading a simulated survey's truth back: the manifest with its per-exposure truth (version 2 and later). */

import { meridianError } from '../errors.js';
import { readSurveyManifest } from '../obs/index.js';
import type { SurveyManifest } from './survey.js';

/** First manifest version with the honest-raw truth (true pointing, distortion, cloud, PSF field). */
export const TRUTH_MANIFEST_VERSION = 2;

/**
 * The manifest of the survey in `simDir` with its truth. A version 1 manifest (idealised raws, whose header WCS was
 * the truth) has none of it and is refused with INVALID_ARGUMENT: simulate the survey again.
 */
export async function readSurveyTruth(simDir: string): Promise<SurveyManifest> {
  const manifest = await readSurveyManifest(simDir);
  if (manifest.version < TRUTH_MANIFEST_VERSION) {
    throw meridianError(
      'INVALID_ARGUMENT',
      `survey manifest version ${manifest.version} predates the recorded truth (true WCS, PSF field, cloud); ` +
        'simulate the survey again with this Meridian',
      { version: manifest.version, required: TRUTH_MANIFEST_VERSION },
    );
  }
  return manifest as SurveyManifest;
}

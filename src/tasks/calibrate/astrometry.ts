/**
 * The astrometric calibration in one call: the pattern matcher finds the stars from a WCS that may be far off
 * (pattern-match.ts), then the TAN-SIP fit with outlier rejection refines it (fit-astrometry.ts). Both see the same
 * detector size, so the field centre and CRPIX agree.
 */

import type { TanSipWcs } from '../../formats/index.js';
import { type AstrometryFit, type AstrometryFitOptions, fitAstrometry } from './fit-astrometry.js';
import type { DetectedSource, ReferenceStar } from './model.js';
import { matchPattern, type PatternMatchOptions, type PatternMatchResult } from './pattern-match.js';

export interface AstrometryOptions {
  /** Imaging area in pixels (field centre, CRPIX); default: the bounding box of the sources. */
  readonly detectorSize?: { readonly width: number; readonly height: number };
  readonly match?: Omit<PatternMatchOptions, 'detectorSize'>;
  readonly fit?: Omit<AstrometryFitOptions, 'detectorSize'>;
}

export interface AstrometrySolution {
  /** The pattern match: its matches, affine transform and how far off the initial WCS was. */
  readonly match: PatternMatchResult;
  /** The final TAN-SIP WCS, its matches and residuals. */
  readonly fit: AstrometryFit;
}

/** Match sources to reference stars from `initialWcs` (e.g. the raw header's) and fit a TAN-SIP WCS. */
export function solveAstrometry(
  sources: readonly DetectedSource[],
  references: readonly ReferenceStar[],
  initialWcs: TanSipWcs,
  options: AstrometryOptions = {},
): AstrometrySolution {
  const { detectorSize } = options;
  const match = matchPattern(sources, references, initialWcs, { ...options.match, detectorSize });
  const fit = fitAstrometry(sources, references, match.wcs, { ...options.fit, detectorSize });
  return Object.freeze({ match, fit });
}

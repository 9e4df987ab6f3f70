/**
 * What the telescope does not report: per exposure, the error of the reported pointing (boresight and rotator
 * angle), the thin-cloud extinction, and how the PSF varies across the focal plane. Drawn from one random stream per
 * exposure, always in the same order whatever the knobs, so switching one knob off leaves the others' draws alone;
 * a knob at 0 switches its effect off exactly (the old idealised survey).
 *
 * The raw header carries the reported pointing; everything here goes to the truth (manifest and
 * truth/ccd_visit_truth.parquet), so that a pipeline's calibrations can be checked against it.
 */

import {
  abMagFromNanojansky,
  filterForBand,
  focalPlaneRadiusPixels,
  type InstrumentDescription,
} from '../obs/index.js';
import type { ExposureRecord } from './cadence.js';
import type { PsfFieldModel } from './psf.js';
import { Random, STREAM } from './random.js';
import { offsetPosition } from './truth.js';

/** The knobs of the honest survey; each at 0 switches its effect off. */
export interface ConditionKnobs {
  /** RMS pointing error per axis (east, north), arcsec. */
  readonly pointingErrorArcsec: number;
  /** Radial distortion k, per pixel^2: an undistorted focal-plane offset r (pixels) lands at r (1 + k r^2). */
  readonly distortion: number;
  /** Scale of the PSF's variation across the focal plane (about the fractional FWHM growth at the corners). */
  readonly psfVariation: number;
  /** Cloud extinction is uniform in 0..maxCloudMag per visit, magnitudes. */
  readonly maxCloudMag: number;
}

export interface PointingError {
  /** True minus reported boresight, arcsec on the sky: towards east, towards north. */
  readonly eastArcsec: number;
  readonly northArcsec: number;
  /** True minus reported rotator position angle, arcsec. */
  readonly rotationArcsec: number;
}

/** The truth of one exposure that the raw header does not tell. */
export interface ExposureTruth {
  readonly kind: 'exposure-truth';
  /** True boresight and position angle of the pixel +y axis, degrees. */
  readonly trueRa: number;
  readonly trueDec: number;
  readonly trueRotationDeg: number;
  readonly pointingError: PointingError;
  /** Radial distortion k (per pixel^2) of the true mapping: undistorted offset r lands at r (1 + k r^2). */
  readonly radialDistortionPerPixel2: number;
  /** Grey extinction by thin cloud, magnitudes (applied to every source, not to the sky). */
  readonly cloudExtinctionMag: number;
  /** Atmospheric extinction relative to airmass 1, k_band (X - 1), magnitudes. */
  readonly airmassExtinctionMag: number;
  /** AB magnitude giving 1 e-/s above the atmosphere at airmass 1 (the filter's instrumental zero point). */
  readonly instrumentalZeroPointMag: number;
  /**
   * AB magnitude giving 1 electron in the whole exposure in a flat-fielded image (as DP0.2's CcdVisit.zeroPoint
   * with the image in electrons): instrumental zero point + 2.5 log10(exposure time) - airmass extinction - cloud.
   */
  readonly zeroPointMag: number;
  readonly psf: PsfFieldModel;
}

/** Rotator-angle error rms per arcsec of pointing error rms (a rotator angle error moves the field edge far less). */
const ROTATION_ERROR_PER_POINTING_ERROR = 10;

/** A standard normal deviate clipped to +-limit, so that no draw of the PSF field is extreme. */
function clippedNormal(rng: Random, limit: number): number {
  return Math.max(-limit, Math.min(limit, rng.normal()));
}

/** The exposure's hidden truth: true pointing, cloud, zero point and PSF field, from the seed and the knobs. */
export function exposureTruth(
  instrument: InstrumentDescription,
  exposure: ExposureRecord,
  seed: number,
  knobs: ConditionKnobs,
): ExposureTruth {
  const rng = new Random([seed, STREAM.conditions, exposure.id]);
  // Every draw is made whatever the knobs, in a fixed order; `+ 0` turns a knob-0 product of -0 into 0.
  const east = rng.normal() * knobs.pointingErrorArcsec + 0;
  const north = rng.normal() * knobs.pointingErrorArcsec + 0;
  const rotation = rng.normal() * knobs.pointingErrorArcsec * ROTATION_ERROR_PER_POINTING_ERROR + 0;
  const cloud = rng.uniform() * knobs.maxCloudMag;
  const v = knobs.psfVariation;
  const psfDraws = {
    sizeRadial: v * (0.6 + 0.4 * rng.uniform()),
    sizeX: v * 0.25 * clippedNormal(rng, 2),
    sizeY: v * 0.25 * clippedNormal(rng, 2),
    e1: v * 0.3 * clippedNormal(rng, 2),
    e1X: v * 0.1 * clippedNormal(rng, 2),
    e1Y: v * 0.1 * clippedNormal(rng, 2),
    e2: v * 0.3 * clippedNormal(rng, 2),
    e2X: v * 0.1 * clippedNormal(rng, 2),
    e2Y: v * 0.1 * clippedNormal(rng, 2),
    astigmatism: v * (0.4 + 0.2 * rng.uniform()),
  };
  const arcsecToRadians = Math.PI / 180 / 3600;
  const truePosition =
    east === 0 && north === 0
      ? { ra: exposure.ra, dec: exposure.dec }
      : offsetPosition(exposure.ra, exposure.dec, east * arcsecToRadians, north * arcsecToRadians);
  const trueRotation =
    rotation === 0 ? exposure.rotationDeg : (((exposure.rotationDeg + rotation / 3600) % 360) + 360) % 360;
  const filter = filterForBand(instrument, exposure.band);
  const instrumentalZeroPointMag = abMagFromNanojansky(filter.nJyPerElectronPerSecond);
  const airmassExtinctionMag = filter.extinctionPerAirmass * (exposure.airmass - 1);
  return Object.freeze({
    kind: 'exposure-truth',
    trueRa: truePosition.ra,
    trueDec: truePosition.dec,
    trueRotationDeg: trueRotation,
    pointingError: Object.freeze({ eastArcsec: east, northArcsec: north, rotationArcsec: rotation }),
    radialDistortionPerPixel2: knobs.distortion,
    cloudExtinctionMag: cloud,
    airmassExtinctionMag,
    instrumentalZeroPointMag,
    zeroPointMag:
      instrumentalZeroPointMag + 2.5 * Math.log10(exposure.exposureTime) - airmassExtinctionMag - cloud,
    psf: Object.freeze({
      kind: 'psf-field',
      seeingFwhmArcsec: exposure.seeingFwhmArcsec,
      pixelScaleArcsec: instrument.pixelScaleArcsec,
      referenceRadiusPixels: focalPlaneRadiusPixels(instrument),
      ...psfDraws,
    }),
  } satisfies ExposureTruth);
}

/** Fraction of a source's light that passes the cloud: 10^(-0.4 cloud). */
export function cloudTransmission(truth: ExposureTruth): number {
  return truth.cloudExtinctionMag === 0 ? 1 : 10 ** (-0.4 * truth.cloudExtinctionMag);
}

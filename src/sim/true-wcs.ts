/**
 * Where the light really lands, and the WCS the truth records for it.
 *
 * The true mapping of an exposure: the sky is projected (TAN) about the *true* boresight with the *true* rotator
 * angle onto the focal plane, in pixel units about the optical axis; the optics then move an undistorted offset r to
 * r (1 + k r^2) (radial distortion, k per pixel^2); each detector sees that plane through its own pixel origin. The
 * renderer places sources with `TrueFocalPlane.skyToPixel`.
 *
 * The raw header carries a plain TAN from the camera geometry and the *reported* pointing (`headerWcs`), knowing
 * nothing of the distortion. The truth records, per exposure and detector, a TAN-SIP fit to the true mapping
 * (`fitTrueWcs`, by formats' `fitTanSip`: CRPIX at the detector centre, as pipelines write their calibrated WCS),
 * checked on a grid offset from the fit grid (its own spacing) and raised in order until it is good to
 * TRUE_WCS_TOLERANCE_MAS.
 */

import {
  fitTanSip,
  makeTanSipWcs,
  type PixelPosition,
  pixelToSky,
  type SkyPosition,
  skyResidualsMas,
  skyToPixel,
  type TanSipWcs,
} from '../formats/index.js';
import {
  type DetectorDescription,
  detectorWcs,
  type InstrumentDescription,
  opticalAxisPixel,
  type Pointing,
} from '../obs/index.js';
import type { ExposureTruth } from './conditions.js';

/** The recorded true WCS must reproduce the true mapping to this, milliarcseconds (the brief asks < 1 mas). */
export const TRUE_WCS_TOLERANCE_MAS = 0.05;
const MIN_SIP_ORDER = 3;
const MAX_SIP_ORDER = 7;
const FIT_GRID = 16;
const CHECK_GRID = 11;

/** A plain TAN WCS of a detector for a pointing: the camera geometry without any distortion. */
export function tanDetectorWcs(
  instrument: InstrumentDescription,
  detector: DetectorDescription,
  pointing: Pointing,
): TanSipWcs {
  const { sip: _distortion, ...tan } = detectorWcs(instrument, detector, pointing);
  return makeTanSipWcs(tan);
}

/** The raw header's WCS: a plain TAN at the pointing the telescope reports (the exposure record's). */
export function headerWcs(
  instrument: InstrumentDescription,
  detector: DetectorDescription,
  reported: Pointing,
): TanSipWcs {
  return tanDetectorWcs(instrument, detector, reported);
}

/** The true focal plane of one exposure: true pointing, then radial distortion. */
export class TrueFocalPlane {
  private readonly ideal: TanSipWcs;
  private readonly axis: PixelPosition;
  private readonly k: number;

  constructor(
    private readonly instrument: InstrumentDescription,
    truth: ExposureTruth,
  ) {
    const reference = instrument.detectors[0];
    this.ideal = tanDetectorWcs(instrument, reference, {
      ra: truth.trueRa,
      dec: truth.trueDec,
      rotationDeg: truth.trueRotationDeg,
    });
    this.axis = opticalAxisPixel(instrument, reference);
    this.k = truth.radialDistortionPerPixel2;
  }

  /** Sky -> distorted focal-plane offset from the optical axis, pixels. */
  skyToFocalPlane(ra: number, dec: number): PixelPosition {
    const p = skyToPixel(this.ideal, ra, dec);
    const u = p.x - this.axis.x;
    const v = p.y - this.axis.y;
    const stretch = 1 + this.k * (u * u + v * v);
    return { x: u * stretch, y: v * stretch };
  }

  /** Distorted focal-plane offset (pixels) -> sky: undistort (Newton on r (1 + k r^2) = r'), then TAN. */
  focalPlaneToSky(u: number, v: number): SkyPosition {
    const distorted = Math.hypot(u, v);
    let r = distorted;
    if (this.k !== 0 && distorted > 0) {
      for (let i = 0; i < 50; i++) {
        const step = (r + this.k * r * r * r - distorted) / (1 + 3 * this.k * r * r);
        r -= step;
        if (Math.abs(step) < 1e-13 * distorted) break;
      }
    }
    const shrink = distorted > 0 ? r / distorted : 1;
    return pixelToSky(this.ideal, this.axis.x + u * shrink, this.axis.y + v * shrink);
  }

  /** Sky -> 0-based pixel of a detector, through the true mapping. */
  skyToPixel(detector: DetectorDescription, ra: number, dec: number): PixelPosition {
    const axis = opticalAxisPixel(this.instrument, detector);
    const p = this.skyToFocalPlane(ra, dec);
    return { x: p.x + axis.x, y: p.y + axis.y };
  }

  /** 0-based pixel of a detector -> sky, through the true mapping. */
  pixelToSky(detector: DetectorDescription, x: number, y: number): SkyPosition {
    const axis = opticalAxisPixel(this.instrument, detector);
    return this.focalPlaneToSky(x - axis.x, y - axis.y);
  }
}

export interface TrueWcsFit {
  readonly wcs: TanSipWcs;
  readonly sipOrder: number;
  /** Largest difference between the fitted WCS and the true mapping on the check grid, milliarcseconds. */
  readonly maxResidualMas: number;
}

/** n x n points evenly spaced over the imaging area, its outer pixel edges (-0.5 and width - 0.5) included. */
function grid(detector: DetectorDescription, n: number): PixelPosition[] {
  const points: PixelPosition[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      points.push({ x: -0.5 + (detector.width * i) / (n - 1), y: -0.5 + (detector.height * j) / (n - 1) });
    }
  }
  return points;
}

function fitOfOrder(
  focalPlane: TrueFocalPlane,
  detector: DetectorDescription,
  order: number,
): { wcs: TanSipWcs; maxResidualMas: number } {
  const cx = (detector.width - 1) / 2;
  const cy = (detector.height - 1) / 2;
  const crval = focalPlane.pixelToSky(detector, cx, cy);
  const points = grid(detector, FIT_GRID);
  const { wcs } = fitTanSip(
    points,
    points.map((p) => focalPlane.pixelToSky(detector, p.x, p.y)),
    { order, crpix: [cx + 1, cy + 1], crval: [crval.ra, crval.dec] },
  );
  // Checked off the fit grid, so that a polynomial that only threads the fit points is not taken for good.
  const check = grid(detector, CHECK_GRID);
  const residuals = skyResidualsMas(
    wcs,
    check,
    check.map((p) => focalPlane.pixelToSky(detector, p.x, p.y)),
  );
  return { wcs, maxResidualMas: Math.max(...residuals) };
}

/** A TAN-SIP fit to the true mapping over one detector, good to TRUE_WCS_TOLERANCE_MAS (order raised until it is). */
export function fitTrueWcs(focalPlane: TrueFocalPlane, detector: DetectorDescription): TrueWcsFit {
  let best: TrueWcsFit | undefined;
  for (let order = MIN_SIP_ORDER; order <= MAX_SIP_ORDER; order++) {
    const fit = fitOfOrder(focalPlane, detector, order);
    if (!best || fit.maxResidualMas < best.maxResidualMas) best = { ...fit, sipOrder: order };
    if (fit.maxResidualMas <= TRUE_WCS_TOLERANCE_MAS) break;
  }
  return best!;
}

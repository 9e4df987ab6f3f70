/**
 * PSF fluxes onto the scale of the calibration aperture, as LSST's calibrate applies its aperture corrections
 * before the photometric calibration. characterizeImage measures the ratio of the `calibFlux` aperture flux
 * (12 pixels) to the PSF flux of its PSF stars and stores it in icExp's header (aperture-correction.ts); the zero
 * point is fitted to that aperture's fluxes, so it calibrates that scale: a PSF flux left uncorrected is off by the
 * flux the aperture misses, which grows with the seeing (0.8% in a visit of 1.26" seeing on the QA survey, so a
 * 9 mmag error of every PSF magnitude in that visit, docs/qa.md).
 */
import { meridianError } from '../../errors.js';
import { type ApertureCorrection, apertureCorrectionAt } from '../characterize/aperture-correction.js';
import type { SourceMeasurements } from '../measure/index.js';

export interface ApertureCorrected {
  readonly measurements: SourceMeasurements;
  /** The factor each source's PSF flux (and error) was multiplied by. */
  readonly factors: Float64Array;
}

/**
 * The measurements with psfFlux and psfFluxErr multiplied by the correction at each source's position (a source
 * without a finite position keeps its flux). The correction must be to the aperture the zero point is fitted to:
 * otherwise PSF and calibration fluxes would stay on different scales (INVALID_ARGUMENT). `calibFluxRadius` null:
 * the zero point is fitted to the corrected PSF fluxes themselves, any aperture will do.
 */
export function applyApertureCorrection(
  m: SourceMeasurements,
  correction: ApertureCorrection,
  calibFluxRadius: number | null,
  where: string,
): ApertureCorrected {
  if (calibFluxRadius !== null && correction.apertureRadius !== calibFluxRadius) {
    throw meridianError(
      'INVALID_ARGUMENT',
      `${where}: the icExp aperture correction is to a ${correction.apertureRadius}-pixel aperture but the zero point is fitted to the ${calibFluxRadius}-pixel calibFlux`,
      { apertureRadius: correction.apertureRadius, calibFluxRadius },
    );
  }
  const factors = new Float64Array(m.count);
  const psfFlux = new Float64Array(m.count);
  const psfFluxErr = new Float64Array(m.count);
  for (let i = 0; i < m.count; i++) {
    const f =
      Number.isFinite(m.x[i]!) && Number.isFinite(m.y[i]!)
        ? apertureCorrectionAt(correction, m.x[i]!, m.y[i]!)
        : 1;
    factors[i] = f;
    psfFlux[i] = m.psfFlux[i]! * f;
    psfFluxErr[i] = m.psfFluxErr[i]! * f;
  }
  return { measurements: { ...m, psfFlux, psfFluxErr }, factors };
}

/**
 * The truth of every exposure x detector (a DP0.2 CcdVisit): the true TAN-SIP WCS, how far the raw header's WCS is
 * from it, the zero point and the PSF at the detector centre; and the functions that evaluate the truth anywhere
 * (`truePsfAt`, `trueDetectorWcs`) from the manifest alone.
 */

import { meridianError } from '../errors.js';
import { pixelToSky, type TanSipWcs } from '../formats/index.js';
import { type DetectorDescription, type InstrumentDescription, opticalAxisPixel } from '../obs/index.js';
import type { ExposureRecord } from './cadence.js';
import type { ExposureTruth } from './conditions.js';
import type { ParquetColumn } from './parquet.js';
import { type LocalPsfShape, psfShapeAt } from './psf.js';
import { fitTrueWcs, headerWcs, TrueFocalPlane, type TrueWcsFit } from './true-wcs.js';

/** An exposure of the manifest with its truth (manifest version 2). */
export type ExposureWithTruth = ExposureRecord & { readonly truth: ExposureTruth };

function detectorOf(instrument: InstrumentDescription, detectorId: number): DetectorDescription {
  const detector = instrument.detectors.find((d) => d.id === detectorId);
  if (!detector) {
    throw meridianError('INVALID_ARGUMENT', `the survey's camera has no detector ${detectorId}`, {
      detector: detectorId,
      detectors: instrument.detectors.length,
    });
  }
  return detector;
}

/** The true PSF (circularised FWHM, distortion e1/e2) at 0-based pixel (x, y) of a detector in one exposure. */
export function truePsfAt(
  instrument: InstrumentDescription,
  truth: ExposureTruth,
  detectorId: number,
  x: number,
  y: number,
): LocalPsfShape {
  const axis = opticalAxisPixel(instrument, detectorOf(instrument, detectorId));
  return psfShapeAt(truth.psf, x - axis.x, y - axis.y);
}

/** The true WCS of a detector in one exposure: the TAN-SIP fit the truth table records, recomputed. */
export function trueDetectorWcs(
  instrument: InstrumentDescription,
  truth: ExposureTruth,
  detectorId: number,
): TrueWcsFit {
  return fitTrueWcs(new TrueFocalPlane(instrument, truth), detectorOf(instrument, detectorId));
}

/** A `wcs_json` value of truth/ccd_visit_truth.parquet back as a TanSipWcs. */
export function trueWcsFromJson(text: string): TanSipWcs {
  return Object.freeze(JSON.parse(text) as TanSipWcs);
}

function separationArcsec(a: { ra: number; dec: number }, b: { ra: number; dec: number }): number {
  const dRa = (((a.ra - b.ra + 540) % 360) - 180) * Math.cos((a.dec * Math.PI) / 180);
  return Math.hypot(dRa, a.dec - b.dec) * 3600;
}

/** Columns of truth/ccd_visit_truth.parquet, one row per exposure x detector. */
export function ccdVisitTruthColumns(
  instrument: InstrumentDescription,
  exposures: readonly ExposureWithTruth[],
): ParquetColumn[] {
  const rows: Record<string, unknown>[] = [];
  for (const exposure of exposures) {
    const { truth } = exposure;
    const focalPlane = new TrueFocalPlane(instrument, truth);
    for (const detector of instrument.detectors) {
      const fit = fitTrueWcs(focalPlane, detector);
      const cx = (detector.width - 1) / 2;
      const cy = (detector.height - 1) / 2;
      const reported = headerWcs(instrument, detector, exposure);
      const psf = truePsfAt(instrument, truth, detector.id, cx, cy);
      rows.push({
        exposure: exposure.id,
        detector: detector.id,
        band: exposure.band,
        zero_point_mag: truth.zeroPointMag,
        cloud_extinction_mag: truth.cloudExtinctionMag,
        airmass_extinction_mag: truth.airmassExtinctionMag,
        pointing_error_east_arcsec: truth.pointingError.eastArcsec,
        pointing_error_north_arcsec: truth.pointingError.northArcsec,
        pointing_error_rotation_arcsec: truth.pointingError.rotationArcsec,
        psf_fwhm_arcsec: psf.fwhmArcsec,
        psf_e1: psf.e1,
        psf_e2: psf.e2,
        center_ra: fit.wcs.crval[0],
        center_dec: fit.wcs.crval[1],
        header_wcs_offset_arcsec: separationArcsec(pixelToSky(reported, cx, cy), {
          ra: fit.wcs.crval[0],
          dec: fit.wcs.crval[1],
        }),
        wcs_sip_order: fit.sipOrder,
        wcs_fit_max_residual_mas: fit.maxResidualMas,
        wcs_json: JSON.stringify(fit.wcs),
      });
    }
  }
  const column = (name: string, type: ParquetColumn['type']): ParquetColumn => ({
    name,
    type,
    values: rows.map((row) => row[name]),
  });
  return [
    column('exposure', 'BIGINT'),
    column('detector', 'INTEGER'),
    column('band', 'VARCHAR'),
    ...[
      'zero_point_mag',
      'cloud_extinction_mag',
      'airmass_extinction_mag',
      'pointing_error_east_arcsec',
      'pointing_error_north_arcsec',
      'pointing_error_rotation_arcsec',
      'psf_fwhm_arcsec',
      'psf_e1',
      'psf_e2',
      'center_ra',
      'center_dec',
      'header_wcs_offset_arcsec',
    ].map((name) => column(name, 'DOUBLE')),
    column('wcs_sip_order', 'INTEGER'),
    column('wcs_fit_max_residual_mas', 'DOUBLE'),
    column('wcs_json', 'VARCHAR'),
  ];
}

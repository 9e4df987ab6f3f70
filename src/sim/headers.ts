/**
 * FITS header cards of the files the simulator writes: raws carry what a Rubin-like camera writes (observation,
 * pointing, detector and readout keywords) plus a TAN WCS from the reported pointing; master calibrations carry what ingest needs to
 * certify them (type, detector, filter).
 */

import { commentaryCard, type HeaderCard, valueCard, wcsToCards } from '../formats/index.js';
import { type DetectorDescription, filterForBand, type InstrumentDescription } from '../obs/index.js';
import type { ExposureRecord } from './cadence.js';
import { headerWcs } from './true-wcs.js';

/** FITS section string, 1-based inclusive: `[x1:x2,y1:y2]`. */
export function fitsSection(x1: number, x2: number, y1: number, y2: number): string {
  return `[${x1}:${x2},${y1}:${y2}]`;
}

function instrumentCards(instrument: InstrumentDescription): HeaderCard[] {
  return [
    valueCard('TELESCOP', instrument.telescope),
    valueCard('INSTRUME', instrument.name, 'camera'),
    valueCard('ORIGIN', 'Meridian survey simulator'),
  ];
}

function detectorCards(detector: DetectorDescription): HeaderCard[] {
  return [
    valueCard('DETECTOR', detector.id, 'detector id'),
    valueCard('DETNAME', detector.fullName, 'detector name (raft_sensor)'),
    valueCard('RAFTBAY', detector.raft),
    valueCard('CCDSLOT', detector.nameInRaft),
    valueCard('DETSER', detector.serial, 'detector serial number'),
  ];
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** Primary header of a raw (without the structural keywords, which the FITS writer computes). */
export function rawCards(
  instrument: InstrumentDescription,
  detector: DetectorDescription,
  exposure: ExposureRecord,
): HeaderCard[] {
  const { width, height, overscanColumns } = detector;
  const filter = filterForBand(instrument, exposure.band);
  // What the telescope reports, as a plain TAN: the truth (true pointing, distortion) is not in the raw.
  const wcs = headerWcs(instrument, detector, {
    ra: exposure.ra,
    dec: exposure.dec,
    rotationDeg: exposure.rotationDeg,
  });
  return [
    ...instrumentCards(instrument),
    valueCard('OBSID', exposure.obsId, 'observation id'),
    valueCard('EXPID', exposure.id, 'exposure id (DAYOBS * 100000 + SEQNUM)'),
    valueCard('OBSTYPE', 'science', 'type of observation'),
    valueCard('DAYOBS', String(exposure.dayObs), 'observing day (UTC - 12 h), YYYYMMDD'),
    valueCard('SEQNUM', exposure.seqNum, 'sequence number within the observing day'),
    valueCard('DATE-OBS', exposure.dateObs, 'exposure start (UTC)'),
    valueCard('TIMESYS', 'UTC'),
    valueCard('MJD-OBS', round(exposure.mjdStart, 8), '[d] exposure start, MJD (UTC)'),
    valueCard('EXPTIME', exposure.exposureTime, '[s] exposure time'),
    valueCard('DARKTIME', exposure.darkTime, '[s] dark time (exposure + readout)'),
    valueCard('FILTER', filter.physicalFilter, 'physical filter'),
    valueCard('FILTBAND', filter.band, 'abstract band'),
    valueCard('RA', round(exposure.ra, 8), '[deg] telescope boresight right ascension (ICRS)'),
    valueCard('DEC', round(exposure.dec, 8), '[deg] telescope boresight declination (ICRS)'),
    valueCard('ROTPA', round(exposure.rotationDeg, 6), '[deg] position angle of the pixel +y axis, E of N'),
    valueCard('AIRMASS', round(exposure.airmass, 6), 'airmass at exposure start'),
    valueCard('ZENITH', round(exposure.zenithAngleDeg, 6), '[deg] zenith angle at exposure start'),
    valueCard('AZIMUTH', round(exposure.azimuthDeg, 6), '[deg] azimuth at exposure start, N through E'),
    valueCard('SEEING', round(exposure.seeingFwhmArcsec, 4), '[arcsec] true PSF FWHM at the optical axis'),
    valueCard('SKYBRITE', round(exposure.skyMagPerArcsec2, 4), '[mag/arcsec2] true sky brightness'),
    valueCard('SIMULATE', true, 'simulated data'),
    ...detectorCards(detector),
    valueCard('DETSIZE', fitsSection(1, width, 1, height), 'imaging area of the detector'),
    valueCard('DATASEC', fitsSection(1, width, 1, height), 'imaging pixels in this image'),
    valueCard('TRIMSEC', fitsSection(1, width, 1, height), 'section to keep after trimming'),
    valueCard('BIASSEC', fitsSection(width + 1, width + overscanColumns, 1, height), 'serial overscan'),
    valueCard('GAIN', detector.gain, '[e-/adu] amplifier gain'),
    valueCard('RDNOISE', detector.readNoise, '[e-] read noise'),
    valueCard('SATURATE', detector.saturation, '[adu] saturation level'),
    valueCard('BUNIT', 'adu'),
    ...wcsToCards(wcs),
  ];
}

export type CalibrationKind = 'bias' | 'flat';

/** Primary header of a master calibration frame. */
export function calibrationCards(
  instrument: InstrumentDescription,
  detector: DetectorDescription,
  kind: CalibrationKind,
  physicalFilter?: string,
): HeaderCard[] {
  const filter = instrument.filters.find((f) => f.physicalFilter === physicalFilter);
  return [
    ...instrumentCards(instrument),
    valueCard('OBSTYPE', kind, 'master calibration type'),
    valueCard('CALIBTYP', kind),
    ...(filter
      ? [valueCard('FILTER', filter.physicalFilter, 'physical filter'), valueCard('FILTBAND', filter.band)]
      : []),
    ...detectorCards(detector),
    valueCard('DATASEC', fitsSection(1, detector.width, 1, detector.height)),
    valueCard('BUNIT', kind === 'bias' ? 'adu' : '', kind === 'bias' ? '' : 'dimensionless'),
    valueCard('SIMULATE', true, 'simulated data'),
    commentaryCard(
      'COMMENT',
      kind === 'bias'
        ? 'Bias structure after overscan subtraction, ADU: subtract from an overscan-corrected raw.'
        : 'Relative pixel response (1 = perfect pixel on the optical axis): divide a bias-corrected image by it.',
    ),
  ];
}

/**
 * The observing cadence: which exposure is taken when, where and in which band, under what conditions. Nights are
 * placed in the season when the field transits near local midnight at the site, around new moon, exposures at hour
 * angles within +-2.5 h; seeing, sky brightness (moon phase, airmass) and airmass vary from exposure to exposure.
 *
 * Time formulas: GMST from Meeus, "Astronomical Algorithms" (2nd ed.) eq. 12.4; altitude and azimuth from the
 * standard spherical-astronomy relations; airmass from Kasten & Young 1989 (Applied Optics 28, 4735).
 */

import { type Band, filterForBand, type InstrumentDescription } from '../obs/index.js';
import { Random, STREAM } from './random.js';
import { type SkyCap, uniformInCap } from './truth.js';

export interface ExposureRecord {
  readonly kind: 'exposure';
  /** dayObs * 100000 + seqNum, as Rubin numbers its exposures; also the visit id (one exposure per visit). */
  readonly id: number;
  readonly obsId: string;
  /** Observing day YYYYMMDD: the UTC date 12 hours before the exposure (Rubin's day_obs convention). */
  readonly dayObs: number;
  readonly seqNum: number;
  readonly band: Band;
  readonly physicalFilter: string;
  /** Exposure start, MJD (UTC). */
  readonly mjdStart: number;
  /** Exposure start, ISO 8601 UTC without the zone letter (FITS DATE-OBS form). */
  readonly dateObs: string;
  readonly exposureTime: number;
  readonly darkTime: number;
  /** Boresight, degrees. */
  readonly ra: number;
  readonly dec: number;
  /** Sky position angle of the pixel +y axis, degrees east of north (ROTPA). */
  readonly rotationDeg: number;
  readonly airmass: number;
  readonly zenithAngleDeg: number;
  readonly azimuthDeg: number;
  /** Delivered PSF FWHM, arcsec. */
  readonly seeingFwhmArcsec: number;
  readonly skyMagPerArcsec2: number;
}

export interface CadenceOptions {
  readonly seed: number;
  readonly area: SkyCap;
  readonly visits: number;
  readonly nights: number;
  readonly bands: readonly Band[];
  readonly exposureTime: number;
}

const DAY_MS = 86_400_000;
/** MJD of the Unix epoch. */
const MJD_UNIX_EPOCH = 40587;
/** Search for the observing season starts from this date (2026-01-01). */
const SEASON_SEARCH_START_MJD = 61041;
/** A new moon (2026-01-18), for the moon-phase sky brightening; the synodic month is 29.530589 days. */
const NEW_MOON_MJD = 61058.33;
const SYNODIC_MONTH = 29.530589;
const READOUT_SECONDS = 0.5;
const MAX_HOUR_ANGLE_DEG = 37.5;
/** Sky brightening at full moon, magnitudes, per band (moonlight is blue). */
const FULL_MOON_BRIGHTENING: Readonly<Record<Band, number>> = {
  u: 2.5,
  g: 2,
  r: 1.2,
  i: 0.8,
  z: 0.5,
  y: 0.3,
};

export function mjdToDate(mjd: number): Date {
  return new Date(Math.round((mjd - MJD_UNIX_EPOCH) * DAY_MS));
}

export function isoDateObs(mjd: number): string {
  return mjdToDate(mjd).toISOString().replace('Z', '');
}

export function dayObsOf(mjd: number): number {
  const iso = mjdToDate(mjd - 0.5).toISOString();
  return Number(iso.slice(0, 4) + iso.slice(5, 7) + iso.slice(8, 10));
}

/** Local sidereal time (degrees) at the given MJD (UTC) and east longitude. */
export function localSiderealTimeDeg(mjd: number, longitudeDeg: number): number {
  const daysSinceJ2000 = mjd - 51544.5;
  const gmst = 280.46061837 + 360.98564736629 * daysSinceJ2000;
  return (((gmst + longitudeDeg) % 360) + 360) % 360;
}

/** Altitude and azimuth (degrees; azimuth from north through east) of (ra, dec) at hour angle `haDeg`. */
export function horizontalCoordinates(haDeg: number, decDeg: number, latitudeDeg: number) {
  const rad = Math.PI / 180;
  const h = haDeg * rad;
  const d = decDeg * rad;
  const phi = latitudeDeg * rad;
  const sinAlt = Math.sin(phi) * Math.sin(d) + Math.cos(phi) * Math.cos(d) * Math.cos(h);
  const altitude = Math.asin(Math.max(-1, Math.min(1, sinAlt))) / rad;
  const azimuth =
    Math.atan2(
      -Math.sin(h) * Math.cos(d),
      Math.sin(d) * Math.cos(phi) - Math.cos(d) * Math.sin(phi) * Math.cos(h),
    ) / rad;
  return { altitude, azimuth: (azimuth + 360) % 360 };
}

/** Kasten & Young 1989 relative airmass for a zenith angle in degrees (finite at the horizon). */
export function airmassFromZenithAngle(zenithDeg: number): number {
  const cosZ = Math.cos((zenithDeg * Math.PI) / 180);
  return 1 / (cosZ + 0.50572 * (96.07995 - zenithDeg) ** -1.6364);
}

/** MJD of local midnight at the site on the night starting at the given integer MJD (civil date, UTC). */
function localMidnight(mjdDate: number, longitudeDeg: number): number {
  return mjdDate + 1 - longitudeDeg / 360;
}

/** The first night (integer MJD) after SEASON_SEARCH_START_MJD when `ra` transits closest to local midnight. */
function seasonMidpoint(ra: number, longitudeDeg: number): number {
  let best = SEASON_SEARCH_START_MJD;
  let bestOffset = Number.POSITIVE_INFINITY;
  for (let d = SEASON_SEARCH_START_MJD; d < SEASON_SEARCH_START_MJD + 366; d++) {
    const ha = localSiderealTimeDeg(localMidnight(d, longitudeDeg), longitudeDeg) - ra;
    const offset = Math.abs(((ha + 540) % 360) - 180);
    if (offset < bestOffset) {
      bestOffset = offset;
      best = d;
    }
  }
  return best;
}

/** The exposures of the survey, ordered by time. */
export function planExposures(instrument: InstrumentDescription, options: CadenceOptions): ExposureRecord[] {
  const rng = new Random([options.seed, STREAM.cadence]);
  const { site } = instrument;
  // Centre the run on the new moon nearest the season's midpoint (dark time, as deep imaging is scheduled); the
  // field then transits within about an hour of local midnight.
  const midpoint = seasonMidpoint(options.area.ra, site.longitudeDeg);
  const lunations = Math.round((midpoint - NEW_MOON_MJD) / SYNODIC_MONTH);
  const newMoon = Math.round(NEW_MOON_MJD + lunations * SYNODIC_MONTH);
  const firstNight = newMoon - Math.floor(options.nights / 2);
  const drafts = Array.from({ length: options.visits }, (_, i) => {
    const night = Math.floor((i * options.nights) / options.visits);
    const band = options.bands[i % options.bands.length];
    const boresight = uniformInCap(rng, options.area);
    const hourAngle = rng.between(-MAX_HOUR_ANGLE_DEG, MAX_HOUR_ANGLE_DEG);
    // Solve LST(t) = ra + HA near local midnight; sidereal time runs 360.9856 deg per solar day.
    const midnight = localMidnight(firstNight + night, site.longitudeDeg);
    const lstAtMidnight = localSiderealTimeDeg(midnight, site.longitudeDeg);
    const shift = ((((boresight.ra + hourAngle - lstAtMidnight) % 360) + 540) % 360) - 180;
    const mjdStart = midnight + shift / 360.98564736629;
    return { band, boresight, hourAngle, mjdStart };
  });
  drafts.sort((a, b) => a.mjdStart - b.mjdStart);
  const seqByDay = new Map<number, number>();
  return drafts.map((draft) => {
    const dayObs = dayObsOf(draft.mjdStart);
    const seqNum = (seqByDay.get(dayObs) ?? 0) + 1;
    seqByDay.set(dayObs, seqNum);
    const filter = filterForBand(instrument, draft.band);
    const { altitude, azimuth } = horizontalCoordinates(
      draft.hourAngle,
      draft.boresight.dec,
      site.latitudeDeg,
    );
    const zenithAngleDeg = 90 - altitude;
    const airmass = airmassFromZenithAngle(zenithAngleDeg);
    // Seeing: a log-normal free-atmosphere FWHM (median 0.7" at 500 nm, zenith) scaled by airmass^0.6 and
    // wavelength^-0.2, added in quadrature to 0.4" from the telescope and camera.
    const atmosphere =
      0.7 * Math.exp(0.2 * rng.normal()) * airmass ** 0.6 * (filter.effectiveWavelengthNm / 500) ** -0.2;
    const seeing = Math.min(2.5, Math.hypot(atmosphere, 0.4));
    const moonPhase = (((draft.mjdStart - NEW_MOON_MJD) / SYNODIC_MONTH) % 1) + 1;
    const moonlight = (FULL_MOON_BRIGHTENING[draft.band] * (1 - Math.cos(2 * Math.PI * moonPhase))) / 2;
    const sky = filter.darkSkyMagPerArcsec2 - moonlight - 0.3 * (airmass - 1) + 0.1 * rng.normal();
    return Object.freeze({
      kind: 'exposure',
      id: dayObs * 100000 + seqNum,
      obsId: `MC_O_${dayObs}_${String(seqNum).padStart(6, '0')}`,
      dayObs,
      seqNum,
      band: draft.band,
      physicalFilter: filter.physicalFilter,
      mjdStart: draft.mjdStart,
      dateObs: isoDateObs(draft.mjdStart),
      exposureTime: options.exposureTime,
      darkTime: options.exposureTime + READOUT_SECONDS,
      ra: draft.boresight.ra,
      dec: draft.boresight.dec,
      rotationDeg: rng.between(0, 360),
      airmass,
      zenithAngleDeg,
      azimuthDeg: azimuth,
      seeingFwhmArcsec: seeing,
      skyMagPerArcsec2: sky,
    } satisfies ExposureRecord);
  });
}

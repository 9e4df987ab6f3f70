/**
 * The visit summary: one row per detector of a visit, from the calexp's header components (WCS, PSF, PhotoCalib,
 * VisitInfo, metadata, bbox; never the pixels) and, where the calexp metadata lacks the sky cards, the detector's
 * background model. `summarizeDetector` computes one row; ConsolidateVisitSummaryTask (visit-summary-task.ts)
 * reads the components and writes the table.
 *
 * Column conventions (the DRP contract's visitSummary): corners are the outer edges of the bbox's corner pixels
 * (x0 − ½, y0 − ½ …, as afw's Box2D of the bbox) in the order lower-left, upper-left, upper-right, lower-right;
 * `ra`/`decl` are the sky position of the bbox centre; `zeroPoint` is the AB magnitude of one count in the
 * exposure (31.4 − 2.5 log10 calibrationMean, calibrationMean in nJy per count); `seeing` is the PSF FWHM in
 * arcseconds (2√(2 ln 2) × sigma × pixel scale); `maglim` the 5σ point-source AB magnitude.
 */
import {
  type Box2I,
  type FitsHeader,
  FWHM_PER_SIGMA,
  headerNumber,
  type PhotoCalib,
  type Psf,
  pixelToSky,
  type TanSipWcs,
  type VisitInfo,
} from '../../formats/index.js';
import { ccdVisitIdOf } from '../calibrate/source-ids.js';
import { psfShapeAtCentre } from './psf-moments.js';
import type { ColumnSpec } from './table-columns.js';

/** AB magnitude of 1 nJy: m = 31.4 − 2.5 log10(flux / nJy). */
export const AB_MAG_OF_NJY = 31.4;

/** visitSummary columns in order (BIGINT ids, INTEGER detector, DOUBLE measurements). */
export const VISIT_SUMMARY_COLUMNS: readonly ColumnSpec[] = Object.freeze([
  ['visit', 'BIGINT'],
  ['detector', 'INTEGER'],
  ['ccdVisitId', 'BIGINT'],
  ['band', 'VARCHAR'],
  ['physical_filter', 'VARCHAR'],
  ['ra', 'DOUBLE'],
  ['decl', 'DOUBLE'],
  ['llcra', 'DOUBLE'],
  ['llcdec', 'DOUBLE'],
  ['ulcra', 'DOUBLE'],
  ['ulcdec', 'DOUBLE'],
  ['urcra', 'DOUBLE'],
  ['urcdec', 'DOUBLE'],
  ['lrcra', 'DOUBLE'],
  ['lrcdec', 'DOUBLE'],
  ['zeroPoint', 'DOUBLE'],
  ['zeroPointErr', 'DOUBLE'],
  ['psfSigma', 'DOUBLE'],
  ['psfIxx', 'DOUBLE'],
  ['psfIyy', 'DOUBLE'],
  ['psfIxy', 'DOUBLE'],
  ['psfArea', 'DOUBLE'],
  ['seeing', 'DOUBLE'],
  ['skyBg', 'DOUBLE'],
  ['skyNoise', 'DOUBLE'],
  ['expTime', 'DOUBLE'],
  ['expMidptMJD', 'DOUBLE'],
  ['obsStartMJD', 'DOUBLE'],
  ['airmass', 'DOUBLE'],
  ['zenithDistance', 'DOUBLE'],
  ['boresightRa', 'DOUBLE'],
  ['boresightDec', 'DOUBLE'],
  ['boresightRotAngle', 'DOUBLE'],
  ['nPsfStar', 'INTEGER'],
  ['astromRms', 'DOUBLE'],
  ['maglim', 'DOUBLE'],
  ['xSize', 'INTEGER'],
  ['ySize', 'INTEGER'],
  ['pixelScale', 'DOUBLE'],
] as const);

/** One visitSummary row; NaN where the calexp does not say (no PSF, no PhotoCalib, …). */
export interface VisitSummaryRow {
  readonly visit: number;
  readonly detector: number;
  readonly ccdVisitId: number;
  readonly band: string | null;
  readonly physical_filter: string | null;
  readonly ra: number;
  readonly decl: number;
  readonly llcra: number;
  readonly llcdec: number;
  readonly ulcra: number;
  readonly ulcdec: number;
  readonly urcra: number;
  readonly urcdec: number;
  readonly lrcra: number;
  readonly lrcdec: number;
  readonly zeroPoint: number;
  readonly zeroPointErr: number;
  readonly psfSigma: number;
  readonly psfIxx: number;
  readonly psfIyy: number;
  readonly psfIxy: number;
  readonly psfArea: number;
  /** arcsec. */
  readonly seeing: number;
  /** Counts per pixel. */
  readonly skyBg: number;
  readonly skyNoise: number;
  /** Seconds. */
  readonly expTime: number;
  readonly expMidptMJD: number;
  readonly obsStartMJD: number;
  readonly airmass: number;
  /** Degrees. */
  readonly zenithDistance: number;
  readonly boresightRa: number;
  readonly boresightDec: number;
  readonly boresightRotAngle: number;
  readonly nPsfStar: number;
  /** mas. */
  readonly astromRms: number;
  readonly maglim: number;
  readonly xSize: number;
  readonly ySize: number;
  /** arcsec per pixel at the detector centre. */
  readonly pixelScale: number;
}

/** What a calexp holds without its pixels, plus the data ID and the background's sky level if one was read. */
export interface DetectorSummaryInputs {
  readonly visit: number;
  readonly detector: number;
  readonly band: string | null;
  readonly physicalFilter: string | null;
  readonly bbox: Box2I;
  readonly wcs: TanSipWcs | null;
  readonly psf: Psf | null;
  readonly photoCalib: PhotoCalib | null;
  readonly visitInfo: VisitInfo | null;
  readonly metadata: FitsHeader;
  /** From the background model, used when the metadata has no SKYBG/SKYNOISE. */
  readonly background?: { readonly level: number; readonly noise: number } | null;
}

/** MJD of an ISO 8601 time (the VisitInfo's TAI date, read as given: no leap-second shift). */
export function mjdOfIso(iso: string): number {
  const ms = Date.parse(/[zZ]|[+-]\d\d:\d\d$/.test(iso) ? iso : `${iso}Z`);
  return ms / 86_400_000 + 40_587;
}

/**
 * Pixel scale (arcsec/pixel) at pixel (x, y): the square root of the area of the sky parallelogram spanned by one
 * pixel step in x and in y, measured in the tangent plane at (x, y).
 */
export function pixelScaleAt(wcs: TanSipWcs, x: number, y: number): number {
  const c = pixelToSky(wcs, x, y);
  const px = pixelToSky(wcs, x + 0.5, y);
  const mx = pixelToSky(wcs, x - 0.5, y);
  const py = pixelToSky(wcs, x, y + 0.5);
  const my = pixelToSky(wcs, x, y - 0.5);
  const cosDec = Math.cos((c.dec * Math.PI) / 180);
  const dRa = (a: number, b: number) => ((((a - b + 540) % 360) - 180) * cosDec * 3600) as number;
  const ax = dRa(px.ra, mx.ra);
  const ay = (px.dec - mx.dec) * 3600;
  const bx = dRa(py.ra, my.ra);
  const by = (py.dec - my.dec) * 3600;
  return Math.sqrt(Math.abs(ax * by - ay * bx));
}

function finiteOr(value: number | null | undefined, fallback: number): number {
  return value !== null && value !== undefined && Number.isFinite(value) ? value : fallback;
}

export function summarizeDetector(inputs: DetectorSummaryInputs): VisitSummaryRow {
  const { bbox, wcs, psf, photoCalib, visitInfo, metadata } = inputs;
  const card = (k: string) => headerNumber(metadata, k);
  const left = bbox.x0 - 0.5;
  const bottom = bbox.y0 - 0.5;
  const right = bbox.x0 + bbox.width - 0.5;
  const top = bbox.y0 + bbox.height - 0.5;
  const cx = bbox.x0 + (bbox.width - 1) / 2;
  const cy = bbox.y0 + (bbox.height - 1) / 2;
  const sky = (x: number, y: number) =>
    wcs === null ? { ra: Number.NaN, dec: Number.NaN } : pixelToSky(wcs, x, y);
  const centre = sky(cx, cy);
  const [llc, ulc, urc, lrc] = [sky(left, bottom), sky(left, top), sky(right, top), sky(right, bottom)];
  const pixelScale = wcs === null ? Number.NaN : pixelScaleAt(wcs, cx, cy);

  const shape = psf === null ? null : psfShapeAtCentre(psf);
  const zeroPoint =
    photoCalib !== null && photoCalib.calibrationMean > 0
      ? AB_MAG_OF_NJY - 2.5 * Math.log10(photoCalib.calibrationMean)
      : finiteOr(card('ZPMAG'), Number.NaN);
  const zeroPointErr = finiteOr(
    card('ZPERR'),
    photoCalib !== null && photoCalib.calibrationMean > 0
      ? ((2.5 / Math.LN10) * photoCalib.calibrationErr) / photoCalib.calibrationMean
      : Number.NaN,
  );
  const skyBg = finiteOr(card('SKYBG'), inputs.background?.level ?? Number.NaN);
  const skyNoise = finiteOr(card('SKYNOISE'), inputs.background?.noise ?? Number.NaN);
  // Sky-dominated 5σ point source: noise 5 × skyNoise × √(effective PSF area) counts.
  const computedMaglim =
    shape !== null && skyNoise > 0
      ? zeroPoint - 2.5 * Math.log10(5 * skyNoise * Math.sqrt(shape.area))
      : Number.NaN;

  const expTime = finiteOr(visitInfo?.exposureTime, Number.NaN);
  const obsStartMJD = visitInfo?.date ? mjdOfIso(visitInfo.date) : Number.NaN;
  return Object.freeze({
    visit: inputs.visit,
    detector: inputs.detector,
    ccdVisitId: ccdVisitIdOf(inputs.visit, inputs.detector),
    band: inputs.band,
    physical_filter: inputs.physicalFilter,
    ra: centre.ra,
    decl: centre.dec,
    llcra: llc.ra,
    llcdec: llc.dec,
    ulcra: ulc.ra,
    ulcdec: ulc.dec,
    urcra: urc.ra,
    urcdec: urc.dec,
    lrcra: lrc.ra,
    lrcdec: lrc.dec,
    zeroPoint,
    zeroPointErr,
    psfSigma: shape?.sigma ?? Number.NaN,
    psfIxx: shape?.ixx ?? Number.NaN,
    psfIyy: shape?.iyy ?? Number.NaN,
    psfIxy: shape?.ixy ?? Number.NaN,
    psfArea: shape?.area ?? Number.NaN,
    seeing: shape === null ? Number.NaN : shape.sigma * FWHM_PER_SIGMA * pixelScale,
    skyBg,
    skyNoise,
    expTime,
    expMidptMJD: obsStartMJD + expTime / 2 / 86_400,
    obsStartMJD,
    airmass: finiteOr(visitInfo?.airmass, Number.NaN),
    zenithDistance: finiteOr(visitInfo?.zenithAngle, Number.NaN),
    boresightRa: visitInfo?.boresightRaDec?.[0] ?? Number.NaN,
    boresightDec: visitInfo?.boresightRaDec?.[1] ?? Number.NaN,
    boresightRotAngle: finiteOr(visitInfo?.boresightRotAngle, Number.NaN),
    nPsfStar: finiteOr(card('NPSFSTAR'), 0),
    astromRms: finiteOr(card('ASTRMS'), Number.NaN),
    maglim: finiteOr(card('MAGLIM'), computedMaglim),
    xSize: bbox.width,
    ySize: bbox.height,
    pixelScale,
  });
}

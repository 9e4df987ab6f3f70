/**
 * What the calibrate task does to one detector, as a plain function (the PipelineTask in task.ts only loads and
 * stores):
 *
 * 1. measure/ `detectAndMeasure` on icExp with its PSF model: a residual background (icExp is already
 *    background-subtracted), detection above 5σ, and every source measured (centroid, adaptive moments, PSF,
 *    aperture and Kron fluxes, flags). Cosmic rays were repaired by characterizeImage, so that step is off.
 * 2. refcat-loader.ts: the reference stars on the detector under the raw WCS, with magnitudes in its band.
 * 3. astrometry.ts `solveAstrometry` from the raw WCS (pattern match, then TAN-SIP with outlier rejection) using
 *    clean, significant sources.
 * 4. photo-calib.ts `fitZeroPoint` from the matched sources' calibration flux (the 12-pixel aperture, LSST's
 *    calibFlux) of unsaturated, unblended, unflagged stars → PhotoCalib. The PSF fluxes were multiplied by
 *    icExp's aperture correction (apply-aperture-correction.ts) after step 1, so they are on the same scale.
 * 5. The calexp (pixels of step 1, the fitted WCS and PhotoCalib, summary cards), calexpBackground (icExp's
 *    background plus step 1's), and src (src-catalog.ts).
 *
 * Failures: ASTROMETRY_FAILED (no reference stars on the field, too few sources, no match, too few matches) and
 * PHOTOMETRY_FAILED (too few usable stars) carry the visit and detector in their message.
 */
import { z } from 'zod';
import { isMeridianError, meridianError } from '../../errors.js';
import {
  Exposure,
  type HeaderCard,
  headerValue,
  type PhotoCalib,
  type Table,
  type TanSipWcs,
  valueCard,
} from '../../formats/index.js';
import { apertureCorrectionFromMetadata } from '../characterize/aperture-correction.js';
import {
  type BackgroundModel,
  DetectAndMeasureConfig,
  detectAndMeasure,
  psfEffectiveSigma,
  type SourceMeasurements,
} from '../measure/index.js';
import { applyApertureCorrection } from './apply-aperture-correction.js';
import { solveAstrometry } from './astrometry.js';
import { matchNearest } from './match-nearest.js';
import type { DetectedSource } from './model.js';
import { AB_MAG_OF_NANOJANSKY, fitZeroPoint, type PhotometricPair } from './photo-calib.js';
import { loadReferenceStars, RefcatLoaderConfig } from './refcat-loader.js';
import { buildSrcCatalog } from './src-catalog.js';

export const CalibrateConfig = z
  .object({
    detectAndMeasure: DetectAndMeasureConfig.prefault({ doCosmicRays: false }),
    refcat: RefcatLoaderConfig.prefault({}),
    astrometry: z
      .object({
        /** SIP order; null: 2 up to 1500-pixel detectors, 3 above (a 1k detector cannot constrain order 3). */
        sipOrder: z.number().int().min(1).max(5).nullable().default(null),
        /** Sources used for matching need a PSF-flux signal-to-noise of at least this. */
        minSnr: z.number().positive().default(10),
        /** Largest error of the initial (raw) WCS the matcher searches, arcsec. */
        maxOffsetArcsec: z.number().positive().default(120),
        matchRadiusArcsec: z.number().positive().default(2),
        rejectSigma: z.number().positive().default(3),
      })
      .strict()
      .prefault({}),
    photometry: z
      .object({
        /** Instrumental flux of the zero-point fit: the calibFlux aperture (LSST's default) or the PSF flux. */
        flux: z.enum(['calibFlux', 'psfFlux']).default('calibFlux'),
        /** Radius of the calibFlux aperture, pixels (must be one of the measured aperture radii). */
        calibFluxRadius: z.number().positive().default(12),
        minSnr: z.number().positive().default(20),
        clipSigma: z.number().positive().default(3),
        minStars: z.number().int().min(1).default(3),
      })
      .strict()
      .prefault({}),
    /** A source is extended when its second-moment trace exceeds the PSF's by this fraction. */
    extendednessTraceExcess: z.number().positive().default(0.2),
    /** icSrc sources within this many pixels lend their calib_psf_* flags to a src source. */
    psfFlagMatchRadius: z.number().positive().default(1.5),
  })
  .strict();
export type CalibrateConfig = z.output<typeof CalibrateConfig>;

export interface CalibrateInputs {
  readonly icExp: Exposure;
  /** characterizeImage's background (JSON); kept as the first part of calexpBackground. */
  readonly icExpBackground: unknown;
  readonly icSrc: Table | null;
  /** The refcat shards overlapping the detector, with at least the columns of `refcatColumnsFor(band)`. */
  readonly refcatShards: readonly Table[];
  readonly band: string;
  readonly visit: number;
  readonly detector: number;
  readonly ccdVisitId: number;
}

/** The fit summaries, also written as calexp metadata cards. */
export interface CalibrateSummary {
  readonly referenceStars: number;
  readonly sources: number;
  readonly astrometryMatches: number;
  readonly astrometryRmsMas: number;
  readonly sipOrder: number;
  readonly matchOffsetArcsec: number;
  readonly zeroPoint: number;
  readonly zeroPointErr: number;
  readonly photometryStars: number;
  readonly psfSigma: number;
  readonly skyBackground: number;
  readonly skyNoise: number;
  readonly limitingMagnitude: number;
  /** Wall-clock milliseconds per step. */
  readonly timings: Readonly<Record<'measure' | 'refcat' | 'astrometry' | 'photometry' | 'catalog', number>>;
}

export interface CalibrateResult {
  readonly calexp: Exposure;
  readonly calexpBackground: BackgroundList;
  readonly src: Table;
  readonly summary: CalibrateSummary;
}

/** A background as JSON: the models subtracted, in order; their sum is the total background. */
export interface BackgroundList {
  readonly kind: 'backgroundList';
  readonly version: 1;
  readonly components: readonly unknown[];
}

/** The calexp metadata cards the calibrate task writes (documented in docs/tasks.md). */
export const CALEXP_SUMMARY_KEYWORDS = [
  'ASTRMS',
  'ASTNMAT',
  'ASTORDER',
  'ZPMAG',
  'ZPERR',
  'ZPNSTAR',
  'NPSFSTAR',
  'PSFSIGMA',
  'SKYBG',
  'SKYNOISE',
  'MAGLIM',
] as const;

/** FITS WCS keywords (and SIP's), which the calexp's WCS HDU cards own. */
const WCS_KEYWORD =
  /^(WCSAXES|CTYPE\d|CUNIT\d|CRVAL\d|CRPIX\d|CDELT\d|CD\d_\d|PC\d_\d|CROTA\d|LONPOLE|LATPOLE|RADESYS|EQUINOX|(A|B|AP|BP)_(ORDER|\d_\d))$/;

export function parseCalibrateConfig(input: unknown = {}): CalibrateConfig {
  const parsed = CalibrateConfig.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw meridianError(
      'INVALID_ARGUMENT',
      `invalid calibrate config at ${issue?.path.join('.')}: ${issue?.message}`,
    );
  }
  return parsed.data;
}

/** The background model as plain JSON (typed arrays as number lists). */
export function backgroundModelToJson(model: BackgroundModel): Record<string, unknown> {
  return {
    kind: model.kind,
    bbox: { ...model.bbox },
    cellsX: model.cellsX,
    cellsY: model.cellsY,
    cellLevel: Array.from(model.cellLevel),
    cellSigma: Array.from(model.cellSigma),
    centreX: Array.from(model.centreX),
    centreY: Array.from(model.centreY),
    medianLevel: model.medianLevel,
    medianSigma: model.medianSigma,
  };
}

/** characterizeImage's background as a list of components (a list is flattened; any other object is one part). */
function backgroundComponents(background: unknown): unknown[] {
  if (background === null || background === undefined) return [];
  const list = background as Partial<BackgroundList>;
  if (list.kind === 'backgroundList' && Array.isArray(list.components)) return [...list.components];
  return [background];
}

/** Sum of the components' `medianLevel` (the sky level), NaN when none states one. */
function skyLevelOf(components: readonly unknown[]): number {
  let total = 0;
  let found = false;
  for (const c of components) {
    const level = (c as { medianLevel?: unknown } | null)?.medianLevel;
    if (typeof level === 'number' && Number.isFinite(level)) {
      total += level;
      found = true;
    }
  }
  return found ? total : Number.NaN;
}

function withContext(err: unknown, where: string): unknown {
  if (!isMeridianError(err)) return err;
  return meridianError(err.code, `${where}: ${err.message}`, err.details, err);
}

/** Rows of `m` clean enough to calibrate with: positioned, unflagged, and above `minSnr` in PSF flux. */
function cleanRows(m: SourceMeasurements, minSnr: number): number[] {
  const rows: number[] = [];
  const f = m.flags;
  for (let i = 0; i < m.count; i++) {
    if (!Number.isFinite(m.x[i]!) || !Number.isFinite(m.y[i]!)) continue;
    if (f.badCentroid[i] || f.edge[i] || f.saturatedCenter[i] || f.psfFluxFailed[i]) continue;
    if (!(m.psfFlux[i]! > minSnr * m.psfFluxErr[i]!)) continue;
    rows.push(i);
  }
  return rows;
}

/** calib_psf_* flags of icSrc carried to the nearest src source within `radius` pixels. */
function carryPsfFlags(m: SourceMeasurements, icSrc: Table | null, radius: number) {
  const flags = {
    candidate: new Uint8Array(m.count),
    used: new Uint8Array(m.count),
    reserved: new Uint8Array(m.count),
  };
  const x = icSrc?.columns.slot_Centroid_x as ArrayLike<number> | undefined;
  const y = icSrc?.columns.slot_Centroid_y as ArrayLike<number> | undefined;
  if (icSrc === null || x === undefined || y === undefined) return flags;
  const columns = {
    candidate: icSrc.columns.calib_psf_candidate,
    used: icSrc.columns.calib_psf_used,
    reserved: icSrc.columns.calib_psf_reserved,
  };
  for (const pair of matchNearest(m.x, m.y, x, y, radius)) {
    for (const key of ['candidate', 'used', 'reserved'] as const) {
      const values = columns[key] as ArrayLike<unknown> | undefined;
      if (values?.[pair.second]) flags[key][pair.first] = 1;
    }
  }
  return flags;
}

/** 5σ point-source AB magnitude: 5 × sky noise × √(noise-equivalent area 4πσ²) counts, calibrated. */
export function limitingMagnitude(zeroPoint: number, skyNoise: number, psfSigma: number): number {
  const flux5 = 5 * skyNoise * Math.sqrt(4 * Math.PI * psfSigma * psfSigma);
  return flux5 > 0 ? zeroPoint - 2.5 * Math.log10(flux5) : Number.NaN;
}

function summaryCards(s: CalibrateSummary, nPsfStar: number | null): HeaderCard[] {
  const cards: HeaderCard[] = [];
  const add = (keyword: string, value: number, comment: string) => {
    if (Number.isFinite(value)) cards.push(valueCard(keyword, value, comment));
  };
  add('ASTRMS', s.astrometryRmsMas, '[mas] rms residual of the astrometric fit');
  add('ASTNMAT', s.astrometryMatches, 'matches used by the astrometric fit');
  add('ASTORDER', s.sipOrder, 'SIP order of the fitted WCS');
  add('ZPMAG', s.zeroPoint, '[mag] AB magnitude of 1 count (electron)');
  add('ZPERR', s.zeroPointErr, '[mag] error of ZPMAG');
  add('ZPNSTAR', s.photometryStars, 'stars used by the zero-point fit');
  if (nPsfStar !== null) add('NPSFSTAR', nPsfStar, 'stars used by the PSF model');
  add('PSFSIGMA', s.psfSigma, '[pixel] PSF effective Gaussian sigma at the centre');
  add('SKYBG', s.skyBackground, '[electron] median sky level subtracted');
  add('SKYNOISE', s.skyNoise, '[electron] median sky noise per pixel');
  add('MAGLIM', s.limitingMagnitude, '[mag] 5 sigma point-source AB limiting magnitude');
  return cards;
}

/** Calibrate one detector: see the module comment for the steps. */
export function calibrateExposure(inputs: CalibrateInputs, configInput: unknown = {}): CalibrateResult {
  const config = parseCalibrateConfig(configInput);
  const { icExp, visit, detector, band } = inputs;
  const where = `calibrate visit ${visit} detector ${detector}`;
  if (icExp.psf === null) throw meridianError('INVALID_ARGUMENT', `${where}: icExp has no PSF model`);
  if (icExp.wcs === null) throw meridianError('INVALID_ARGUMENT', `${where}: icExp has no (raw) WCS`);
  const rawWcs: TanSipWcs = icExp.wcs;
  const timings = { measure: 0, refcat: 0, astrometry: 0, photometry: 0, catalog: 0 };
  let t = performance.now();
  const lap = (step: keyof typeof timings) => {
    const now = performance.now();
    timings[step] += now - t;
    t = now;
  };

  const measured = detectAndMeasure(icExp, config.detectAndMeasure);
  // PSF fluxes onto the calibFlux aperture's scale, the scale the zero point below calibrates (an icExp without an
  // aperture correction, from before characterizeImage measured one, leaves them as measured).
  const apCorr = apertureCorrectionFromMetadata(icExp.metadata);
  const calibFluxRadius = config.photometry.flux === 'calibFlux' ? config.photometry.calibFluxRadius : null;
  const m =
    apCorr === null
      ? measured.sources
      : applyApertureCorrection(measured.sources, apCorr, calibFluxRadius, where).measurements;
  lap('measure');

  const refcat = loadReferenceStars(
    inputs.refcatShards,
    { bbox: icExp.bbox, wcs: rawWcs },
    band,
    config.refcat,
  );
  if (refcat.stars.length === 0) {
    throw meridianError(
      'ASTROMETRY_FAILED',
      `${where}: no reference stars on the field (${refcat.shards} refcat shards overlap it, ${refcat.rowsRead} rows: ${refcat.outsideField} off the detector, ${refcat.rejectedFlux} without a positive ${refcat.fluxColumn}, ${refcat.rejectedMagnitude} outside the magnitude limits)`,
      { visit, detector, shards: refcat.shards, rowsRead: refcat.rowsRead },
    );
  }
  lap('refcat');

  const rows = cleanRows(m, config.astrometry.minSnr);
  // Each source's centroid error (per axis, mas) joins its reference star's in the astrometric fit's weights.
  const [[a, b], [c, d]] = rawWcs.cd;
  const masPerPixel = Math.sqrt(Math.abs(a * d - b * c)) * 3.6e6;
  const sources: DetectedSource[] = rows.map((i) => {
    const err = (Math.hypot(m.xErr[i]!, m.yErr[i]!) / Math.SQRT2) * masPerPixel;
    return {
      x: m.x[i]!,
      y: m.y[i]!,
      flux: m.psfFlux[i]!,
      ...(Number.isFinite(err) ? { positionErrMas: err } : {}),
    };
  });
  const { width, height } = icExp;
  const order = config.astrometry.sipOrder ?? (Math.max(width, height) <= 1500 ? 2 : 3);
  let solution: ReturnType<typeof solveAstrometry>;
  try {
    solution = solveAstrometry(sources, refcat.stars, rawWcs, {
      detectorSize: { width, height },
      match: {
        maxOffsetArcsec: config.astrometry.maxOffsetArcsec,
        matchRadiusArcsec: config.astrometry.matchRadiusArcsec,
      },
      fit: {
        order,
        matchRadiusArcsec: config.astrometry.matchRadiusArcsec,
        rejectSigma: config.astrometry.rejectSigma,
      },
    });
  } catch (err) {
    throw withContext(
      err,
      `${where} (${sources.length} clean sources, ${refcat.stars.length} reference stars)`,
    );
  }
  const { fit } = solution;
  const astrometryUsed = new Uint8Array(m.count);
  for (const match of fit.matches) astrometryUsed[rows[match.source]!] = 1;
  lap('astrometry');

  const zp = fitPhotometry(m, rows, fit.matches, refcat.stars, config, where);
  const photometryUsed = new Uint8Array(m.count);
  zp.rows.forEach((row, k) => {
    if (zp.fit.usedMask[k]) photometryUsed[row] = 1;
  });
  lap('photometry');

  const psfSigma = psfEffectiveSigma(icExp.psf);
  const components = [
    ...backgroundComponents(inputs.icExpBackground),
    ...measured.backgrounds.map(backgroundModelToJson),
  ];
  const skyNoise = measured.backgrounds[0]?.medianSigma ?? Number.NaN;
  const icSky = headerValue(icExp.metadata, 'SKYBG');
  const skyFromModels = skyLevelOf(components);
  const summary: CalibrateSummary = {
    referenceStars: refcat.stars.length,
    sources: m.count,
    astrometryMatches: fit.matches.length,
    astrometryRmsMas: fit.rmsResidualMas,
    sipOrder: fit.order,
    matchOffsetArcsec: solution.match.offsetArcsec,
    zeroPoint: zp.fit.zeroPoint,
    zeroPointErr: zp.fit.zeroPointErr,
    photometryStars: zp.fit.used,
    psfSigma,
    skyBackground: Number.isFinite(skyFromModels)
      ? skyFromModels
      : typeof icSky === 'number'
        ? icSky
        : Number.NaN,
    skyNoise,
    limitingMagnitude: limitingMagnitude(zp.fit.zeroPoint, skyNoise, psfSigma),
    timings,
  };
  const psfFlags = carryPsfFlags(m, inputs.icSrc, config.psfFlagMatchRadius);
  const carriedNPsf = headerValue(icExp.metadata, 'NPSFSTAR');
  const nPsfStar =
    typeof carriedNPsf === 'number'
      ? carriedNPsf
      : inputs.icSrc?.columns.calib_psf_used
        ? psfFlags.used.reduce((a, b) => a + b, 0)
        : null;
  const replaced = new Set<string>(CALEXP_SUMMARY_KEYWORDS);
  // The raw WCS may still be in the metadata (copied from the raw header): drop it, the fitted one replaces it.
  const metadata = [
    ...icExp.metadata.filter(
      (c) => !(c.kind === 'value' && (replaced.has(c.keyword) || WCS_KEYWORD.test(c.keyword))),
    ),
    ...summaryCards(summary, nPsfStar),
  ];
  const calexp = new Exposure({
    image: measured.exposure.image,
    mask: measured.exposure.mask,
    variance: measured.exposure.variance,
    wcs: fit.wcs,
    psf: icExp.psf,
    photoCalib: zp.fit.photoCalib,
    visitInfo: icExp.visitInfo,
    metadata,
  });
  const src = buildSrcCatalog({
    measurements: m,
    wcs: fit.wcs,
    psf: icExp.psf,
    ccdVisitId: inputs.ccdVisitId,
    astrometryUsed,
    photometryUsed,
    psfCandidate: psfFlags.candidate,
    psfUsed: psfFlags.used,
    psfReserved: psfFlags.reserved,
    extendednessTraceExcess: config.extendednessTraceExcess,
  });
  lap('catalog');
  return Object.freeze({
    calexp,
    calexpBackground: Object.freeze({ kind: 'backgroundList', version: 1, components }),
    src,
    summary: Object.freeze(summary),
  });
}

/** The zero point from the astrometric matches whose sources are clean stars with a good calibration flux. */
function fitPhotometry(
  m: SourceMeasurements,
  rows: readonly number[],
  matches: readonly { source: number; reference: number }[],
  stars: readonly { mag: number; magErr: number }[],
  config: CalibrateConfig,
  where: string,
) {
  const p = config.photometry;
  const k = m.apertureRadii.indexOf(p.calibFluxRadius);
  if (p.flux === 'calibFlux' && k < 0) {
    throw meridianError(
      'INVALID_ARGUMENT',
      `${where}: the calibFlux radius ${p.calibFluxRadius} is not a measured aperture (${m.apertureRadii.join(', ')})`,
    );
  }
  const flux = p.flux === 'calibFlux' ? m.apFlux[k]! : m.psfFlux;
  const fluxErr = p.flux === 'calibFlux' ? m.apFluxErr[k]! : m.psfFluxErr;
  const f = m.flags;
  const pairs: PhotometricPair[] = [];
  const used: number[] = [];
  for (const match of matches) {
    const i = rows[match.source]!;
    if (f.saturated[i] || f.interpolatedCenter[i] || f.blended[i] || f.cr[i] || f.apertureTruncated[i])
      continue;
    if (!(flux[i]! > p.minSnr * fluxErr[i]!)) continue;
    const ref = stars[match.reference]!;
    pairs.push({
      instFlux: flux[i]!,
      instFluxErr: fluxErr[i]!,
      refMag: ref.mag,
      ...(Number.isFinite(ref.magErr) ? { refMagErr: ref.magErr } : {}),
    });
    used.push(i);
  }
  try {
    return { fit: fitZeroPoint(pairs, { clipSigma: p.clipSigma, minStars: p.minStars }), rows: used };
  } catch (err) {
    throw withContext(
      err,
      `${where} (${matches.length} astrometric matches, ${pairs.length} usable for photometry)`,
    );
  }
}

/** The AB magnitude of 1 count under a PhotoCalib: 31.4 − 2.5 log10(calibrationMean [nJy per count]). */
export function zeroPointOf(calib: PhotoCalib): number {
  return AB_MAG_OF_NANOJANSKY - 2.5 * Math.log10(calib.calibrationMean);
}

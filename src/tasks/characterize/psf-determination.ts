/**
 * PSF determination: a `polynomialDoubleGaussian` PSF model from the stars of one detector.
 *
 * 1. star-selection.ts — candidates: clean, bright, isolated stars on the stellar size locus;
 * 2. a seeded random `reserveFraction` of them is held out (calib_psf_reserved) to test the model;
 * 3. star-core.ts — each star's adaptive moments, re-measured tightly, and its moment-matched core covariance;
 * 4. wing-fit.ts — the wing's size ratio and flux fraction from the stamps of the brightest fitting stars;
 * 5. the core's ixx, iyy, ixy fitted as polynomials of position (spatial-fit.ts; the order lowered when there are
 *    fewer than two stars per term), stars whose core is off the fit by more than `clipSigma` robust σ rejected,
 *    refitted until none is (calib_psf_used: the fitting stars that survive);
 * 6. the residual size, det(C)^¼ of each star's core over the model's at its position − 1, for the used and the
 *    reserved stars.
 *
 * Too few candidates or fitting stars end in PSF_FAILED with the counts.
 */
import { z } from 'zod';
import { meridianError } from '../../errors.js';
import {
  type Exposure,
  type PolynomialDoubleGaussianPsf,
  polynomialDoubleGaussianPsf,
  psfShapeAt,
} from '../../formats/index.js';
import type { SourceMeasurements } from '../measure/index.js';
import { fitSpatialPolynomials, median, robustSigma, supportedOrder } from './spatial-fit.js';
import {
  type Covariance,
  covarianceSigma,
  matchCore,
  measureStarMoments,
  wingPeakRatio,
} from './star-core.js';
import { type StarSelection, StarSelectionConfig, selectPsfStars } from './star-selection.js';
import { fitWing } from './wing-fit.js';

export const PsfDeterminationConfig = z
  .object({
    selection: StarSelectionConfig.prefault({}),
    /** Total degree of the polynomials of the core moments over the detector. */
    spatialOrder: z.number().int().min(0).max(4).default(2),
    /** Fraction of the candidates held out to test the model (calib_psf_reserved). */
    reserveFraction: z.number().min(0).max(0.9).default(0.2),
    /** Seed of the reserve draw (the same stars are reserved on every run). */
    reserveSeed: z.number().int().default(1),
    /** Fewest stars the fit needs after reserving and rejection. */
    minStars: z.number().int().min(3).default(10),
    clipSigma: z.number().positive().default(3),
    /**
     * Fit the wing's size and flux fraction (wing-fit.ts); false keeps `wingScale`/`wingFraction`. Off by default:
     * with the ~100 PSF stars of a 1k detector the fitted wing scatters by 0.3–1.7% in the PSF's second-moment σ
     * from detector to detector, more than the 1% target, while a fixed profile that matches the optics (the
     * simulator's: 10% of the light in a wing twice as wide) is good to 0.2%. Worth turning on with thousands of
     * stars or an unknown profile.
     */
    fitWing: z.boolean().default(false),
    wingScale: z.number().min(1).default(2),
    wingFraction: z.number().min(0).max(0.5).default(0.1),
    /** Brightest fitting stars whose stamps the wing fit uses. */
    wingFitStars: z.number().int().min(3).default(60),
    /** Mask planes whose pixels the wing fit leaves out. */
    excludedPlanes: z.array(z.string()).default(['BAD', 'SAT', 'CR', 'INTRP', 'NO_DATA', 'SUSPECT']),
  })
  .strict();
export type PsfDeterminationConfig = z.infer<typeof PsfDeterminationConfig>;

/** Residual size statistics of a set of stars against the model: det(C)^¼ ratio − 1. */
export interface SizeResidual {
  readonly count: number;
  readonly median: number;
  /** Root mean square. */
  readonly rms: number;
}

export interface PsfStar extends Covariance {
  /** Index into the source measurements. */
  readonly source: number;
  readonly x: number;
  readonly y: number;
  readonly reserved: boolean;
  /** Left out of the fit as an outlier. */
  readonly rejected: boolean;
}

export interface PsfDetermination {
  readonly kind: 'psfDetermination';
  readonly psf: PolynomialDoubleGaussianPsf;
  readonly selection: StarSelection;
  /** Every candidate whose core could be measured, with its role. */
  readonly stars: readonly PsfStar[];
  readonly order: number;
  readonly wingScale: number;
  readonly wingFraction: number;
  readonly usedResidual: SizeResidual;
  readonly reservedResidual: SizeResidual;
}

/** mulberry32: a small seeded generator, so that the reserved stars are the same on every run. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sizeResidual(stars: readonly PsfStar[], psf: PolynomialDoubleGaussianPsf): SizeResidual {
  const ratios = stars.map((s) => {
    const m = modelCoreAt(psf, s.x, s.y);
    return covarianceSigma(s) / covarianceSigma(m) - 1;
  });
  return Object.freeze({
    count: ratios.length,
    median: median(ratios),
    rms: ratios.length === 0 ? Number.NaN : Math.sqrt(ratios.reduce((a, r) => a + r * r, 0) / ratios.length),
  });
}

/** The model's core covariance at (x, y). */
export function modelCoreAt(psf: PolynomialDoubleGaussianPsf, x: number, y: number): Covariance {
  const wing = (psf.sigma2 / psf.sigma1) ** 2;
  const fCore = 1 / (1 + psf.ratio * wing);
  const total = fCore + (1 - fCore) * wing;
  const shape = psfShapeAt(psf, x, y);
  return { xx: shape.ixx / total, yy: shape.iyy / total, xy: shape.ixy / total };
}

function psfFailed(message: string, selection: StarSelection, extra: Record<string, number> = {}): Error {
  return meridianError('PSF_FAILED', message, { ...selection.counts, ...extra });
}

/** Determine the PSF model of a background-subtracted exposure from its measured sources. */
export function determinePsf(
  exposure: Exposure,
  sources: SourceMeasurements,
  psfSigma: number,
  config: z.input<typeof PsfDeterminationConfig> = {},
): PsfDetermination {
  const parsed = PsfDeterminationConfig.safeParse(config);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw meridianError(
      'INVALID_ARGUMENT',
      `invalid PSF determination config at ${issue?.path.join('.')}: ${issue?.message}`,
    );
  }
  const cfg = parsed.data;
  const selection = selectPsfStars(sources, psfSigma, cfg.selection);
  const counts = selection.counts;
  const describe = () =>
    `${sources.count} sources, ${counts.clean} clean, ${counts.bright} bright (S/N ≥ ${cfg.selection.minSignalToNoise}), ` +
    `${counts.isolated} isolated, ${counts.locus} on the stellar locus`;
  if (selection.candidates.length < cfg.minStars) {
    throw psfFailed(
      `too few PSF stars: found ${selection.candidates.length}, need ${cfg.minStars} (${describe()})`,
      selection,
    );
  }
  const random = seededRandom(cfg.reserveSeed);
  const order = selection.candidates.map((source) => ({ source, key: random() }));
  order.sort((a, b) => a.key - b.key);
  const nReserved = Math.round(cfg.reserveFraction * order.length);
  const reserved = new Set(order.slice(0, nReserved).map((o) => o.source));

  const moments = selection.candidates
    .map((source) => ({
      source,
      m: measureStarMoments(exposure.image, sources.x[source], sources.y[source], psfSigma),
    }))
    .filter((s) => s.m !== null);
  let wing = { scale: cfg.wingScale, fraction: cfg.wingFraction };
  if (cfg.fitWing) {
    const bits = cfg.excludedPlanes.reduce(
      (b, p) => (p in exposure.mask.planes ? b | exposure.mask.bitMask(p) : b),
      0,
    );
    const fitting = moments.filter((s) => !reserved.has(s.source)).slice(0, cfg.wingFitStars);
    wing = fitWing(
      {
        image: exposure.image,
        variance: exposure.variance,
        mask: exposure.mask,
        excludedBits: bits,
        stars: fitting.map((s) => s.m!),
      },
      wing,
    );
  }
  const stars: PsfStar[] = [];
  for (const { source, m } of moments) {
    const core = matchCore(m!, wing, m!.x - Math.round(m!.x), m!.y - Math.round(m!.y));
    if (core === null) continue;
    stars.push({ ...core, source, x: m!.x, y: m!.y, reserved: reserved.has(source), rejected: false });
  }
  const fitting = stars.filter((s) => !s.reserved);
  if (fitting.length < cfg.minStars) {
    throw psfFailed(
      `too few PSF stars to fit: ${fitting.length} of ${stars.length} measured candidates are not reserved, need ${cfg.minStars} (${describe()})`,
      selection,
    );
  }
  const bbox = exposure.bbox;
  const use = new Uint8Array(stars.length);
  stars.forEach((s, i) => {
    use[i] = s.reserved ? 0 : 1;
  });
  const x = stars.map((s) => s.x);
  const y = stars.map((s) => s.y);
  let fitOrder = 0;
  let psf: PolynomialDoubleGaussianPsf | null = null;
  for (let iteration = 0; iteration < 10; iteration++) {
    const nUsed = use.reduce((a, u) => a + u, 0);
    if (nUsed < cfg.minStars) {
      throw psfFailed(
        `too few PSF stars left after outlier rejection: ${nUsed}, need ${cfg.minStars} (${describe()})`,
        selection,
        { used: nUsed },
      );
    }
    fitOrder = supportedOrder(cfg.spatialOrder, nUsed);
    const [ixx, iyy, ixy] = fitSpatialPolynomials(
      bbox,
      fitOrder,
      x,
      y,
      [stars.map((s) => s.xx), stars.map((s) => s.yy), stars.map((s) => s.xy)],
      use,
    );
    psf = polynomialDoubleGaussianPsf({
      order: fitOrder,
      bbox,
      coreIxx: ixx,
      coreIyy: iyy,
      coreIxy: ixy,
      wingScale: wing.scale,
      ratio: wingPeakRatio(wing),
    });
    // Distance of each star's core from the model's, relative to the model's size (trace).
    const distance = stars.map((s) => {
      const m = modelCoreAt(psf!, s.x, s.y);
      return Math.hypot(s.xx - m.xx, s.yy - m.yy, Math.SQRT2 * (s.xy - m.xy)) / (m.xx + m.yy);
    });
    const usedDistances = distance.filter((_, i) => use[i] === 1);
    // Floor: noiseless stars must not be clipped at rounding error.
    const limit = cfg.clipSigma * Math.max(robustSigma(usedDistances, 0), 1e-4);
    let changed = false;
    for (let i = 0; i < stars.length; i++) {
      if (stars[i].reserved) continue;
      const keep = distance[i] <= limit ? 1 : 0;
      if (keep !== use[i]) {
        use[i] = keep;
        changed = true;
      }
    }
    if (!changed) break;
  }
  const final = stars.map((s, i) => Object.freeze({ ...s, rejected: !s.reserved && use[i] === 0 }));
  return Object.freeze({
    kind: 'psfDetermination',
    psf: psf!,
    selection,
    stars: Object.freeze(final),
    order: fitOrder,
    wingScale: wing.scale,
    wingFraction: wing.fraction,
    usedResidual: sizeResidual(
      final.filter((s) => !s.reserved && !s.rejected),
      psf!,
    ),
    reservedResidual: sizeResidual(
      final.filter((s) => s.reserved),
      psf!,
    ),
  });
}

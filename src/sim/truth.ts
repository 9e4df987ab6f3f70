/**
 * The simulated sky (truth): stars with power-law number counts and stellar-locus colours (some periodic variables),
 * bulge + disk galaxies with magnitude-dependent sizes and redshift-dependent colours, and a few supernovae in host
 * galaxies. Held as columns (typed arrays) so millions of rows stay cheap; written as TruthSummary-like Parquet.
 *
 * The models are deliberately simple and documented in docs/simulator.md; they aim for plausible catalogues
 * (counts, colours, sizes), not for a faithful model of the Universe.
 */

import { BANDS, type Band, nanojanskyFromAbMag } from '../obs/index.js';
import { UnitVector3 } from '../sphere/index.js';
import { Random, STREAM } from './random.js';

export const TRUTH_TYPE = Object.freeze({ galaxy: 1, star: 2, supernova: 3 });

export interface TruthDensities {
  /** Stars per square degree with 14 < r < 25. */
  readonly starsPerDeg2: number;
  /** Galaxies per square degree with 18 < r < 25.5. */
  readonly galaxiesPerDeg2: number;
  /** Number of supernovae in the whole area. */
  readonly supernovae: number;
}

export interface SkyCap {
  readonly ra: number;
  readonly dec: number;
  readonly radiusDeg: number;
}

/** Columns of the truth catalogue; row i of every array is object i. Values that do not apply are 0. */
export interface TruthCatalog {
  readonly kind: 'truth-catalog';
  readonly count: number;
  readonly id: Float64Array;
  /** 1 galaxy, 2 star, 3 supernova (DC2's TruthSummary convention). */
  readonly truthType: Uint8Array;
  readonly ra: Float64Array;
  readonly dec: Float64Array;
  readonly redshift: Float64Array;
  /** Total flux above the atmosphere, nJy: the mean-phase flux of a variable star, the peak flux of a supernova. */
  readonly flux: Readonly<Record<Band, Float64Array>>;
  /** Fraction of a galaxy's flux in its bulge, per band. */
  readonly bulgeToTotal: Readonly<Record<Band, Float64Array>>;
  readonly bulgeHalfLightArcsec: Float64Array;
  readonly diskHalfLightArcsec: Float64Array;
  /** Minor-to-major axis ratios. */
  readonly bulgeAxisRatio: Float64Array;
  readonly diskAxisRatio: Float64Array;
  /** Position angle of the major axis, degrees east of north. */
  readonly positionAngleDeg: Float64Array;
  readonly isVariable: Uint8Array;
  /** Variable stars: flux(t) = flux * 10^(-0.4 amplitude sin(2 pi (t / period + phase))). */
  readonly periodDays: Float64Array;
  readonly amplitudeMag: Float64Array;
  readonly phase: Float64Array;
  /** Supernovae: time of peak brightness (MJD), rise time (days, observer frame) and host galaxy id. */
  readonly peakMjd: Float64Array;
  readonly riseDays: Float64Array;
  readonly hostId: Float64Array;
}

function bandColumns(n: number): Record<Band, Float64Array> {
  return Object.fromEntries(BANDS.map((b) => [b, new Float64Array(n)])) as Record<Band, Float64Array>;
}

function emptyCatalog(n: number): TruthCatalog {
  const f = () => new Float64Array(n);
  return {
    kind: 'truth-catalog',
    count: n,
    id: f(),
    truthType: new Uint8Array(n),
    ra: f(),
    dec: f(),
    redshift: f(),
    flux: bandColumns(n),
    bulgeToTotal: bandColumns(n),
    bulgeHalfLightArcsec: f(),
    diskHalfLightArcsec: f(),
    bulgeAxisRatio: f(),
    diskAxisRatio: f(),
    positionAngleDeg: f(),
    isVariable: new Uint8Array(n),
    periodDays: f(),
    amplitudeMag: f(),
    phase: f(),
    peakMjd: f(),
    riseDays: f(),
    hostId: f(),
  };
}

export function capAreaDeg2(radiusDeg: number): number {
  const steradians = 2 * Math.PI * (1 - Math.cos((radiusDeg * Math.PI) / 180));
  return steradians * (180 / Math.PI) ** 2;
}

/** A point uniform in a spherical cap: uniform cos(distance) and azimuth, rotated to the cap centre. */
export function uniformInCap(rng: Random, cap: SkyCap): { ra: number; dec: number } {
  const cosRadius = Math.cos((cap.radiusDeg * Math.PI) / 180);
  const cosDistance = 1 - rng.uniform() * (1 - cosRadius);
  const sinDistance = Math.sqrt(Math.max(0, 1 - cosDistance * cosDistance));
  const azimuth = 2 * Math.PI * rng.uniform();
  return offsetPosition(cap.ra, cap.dec, sinDistance * Math.sin(azimuth), sinDistance * Math.cos(azimuth));
}

/**
 * The point at tangent-plane offsets (east, north) (in radians, as direction cosines) from (ra, dec): the centre
 * vector plus the offsets along the local east and north unit vectors, renormalised.
 */
export function offsetPosition(
  ra: number,
  dec: number,
  east: number,
  north: number,
): { ra: number; dec: number } {
  const a = (ra * Math.PI) / 180;
  const d = (dec * Math.PI) / 180;
  const centre = [Math.cos(d) * Math.cos(a), Math.cos(d) * Math.sin(a), Math.sin(d)];
  const eastVector = [-Math.sin(a), Math.cos(a), 0];
  const northVector = [-Math.sin(d) * Math.cos(a), -Math.sin(d) * Math.sin(a), Math.cos(d)];
  const along = Math.sqrt(Math.max(0, 1 - east * east - north * north));
  const v = UnitVector3.fromXyz(
    along * centre[0] + east * eastVector[0] + north * northVector[0],
    along * centre[1] + east * eastVector[1] + north * northVector[1],
    along * centre[2] + east * eastVector[2] + north * northVector[2],
  );
  return { ra: v.lonDeg(), dec: v.latDeg() };
}

/** Magnitude drawn from dN/dm proportional to 10^(slope m) on [lo, hi) (inverse of the cumulative distribution). */
function powerLawMagnitude(rng: Random, slope: number, lo: number, hi: number): number {
  const a = 10 ** (slope * lo);
  const b = 10 ** (slope * hi);
  return Math.log10(a + rng.uniform() * (b - a)) / slope;
}

/** Colours u-g, g-r, r-i, i-z, z-y of a main-sequence star of the given g-r (a rough linear stellar locus). */
function stellarColours(gr: number): number[] {
  const ri = 0.4 * gr + 3 * Math.max(0, gr - 1.2);
  const iz = 0.5 * ri;
  return [0.75 + 1.25 * gr, gr, ri, iz, 0.45 * iz];
}

/** Fluxes in every band from the r magnitude and the five adjacent colours u-g ... z-y. */
function fluxesFromColours(rMag: number, colours: readonly number[]): Record<Band, number> {
  const [ug, gr, ri, iz, zy] = colours;
  const g = rMag + gr;
  const u = g + ug;
  const i = rMag - ri;
  const z = i - iz;
  const y = z - zy;
  const mags: Record<Band, number> = { u, g, r: rMag, i, z, y };
  return Object.fromEntries(BANDS.map((b) => [b, nanojanskyFromAbMag(mags[b])])) as Record<Band, number>;
}

/** Rest-frame colours of the two galaxy components; the 4000 A break reddens g-r and r-i with redshift. */
function galaxyComponentColours(component: 'bulge' | 'disk', redshift: number): number[] {
  const z = Math.min(redshift, 1.5);
  return component === 'bulge'
    ? [1.6, 0.75 + 0.6 * z, 0.4 + 0.35 * z, 0.3 + 0.1 * z, 0.15]
    : [1.0, 0.4 + 0.4 * z, 0.25 + 0.25 * z, 0.15 + 0.1 * z, 0.1];
}

/** Supernova colour at peak: magnitude offsets from r (a flat-ish SN Ia-like spectrum, faint in u). */
const SN_PEAK_OFFSET: Readonly<Record<Band, number>> = { u: 0.6, g: 0.05, r: 0, i: 0.35, z: 0.45, y: 0.6 };
/** Supernova exponential decline time after peak, rest-frame days (slower in redder bands). */
const SN_DECLINE_DAYS: Readonly<Record<Band, number>> = { u: 12, g: 16, r: 22, i: 28, z: 32, y: 35 };
const SN_RISE_DAYS = 17;

export interface TruthOptions {
  readonly seed: number;
  readonly cap: SkyCap;
  readonly densities: TruthDensities;
  /** Supernova peaks are drawn uniformly in this MJD range. */
  readonly mjdRange: readonly [number, number];
}

/** Generate the truth catalogue: galaxies, then stars, then supernovae; ids run 1..count in that order. */
export function generateTruth(options: TruthOptions): TruthCatalog {
  const area = capAreaDeg2(options.cap.radiusDeg);
  const { densities, seed, cap } = options;
  const galaxyRng = new Random([seed, STREAM.galaxies]);
  const starRng = new Random([seed, STREAM.stars]);
  const snRng = new Random([seed, STREAM.supernovae]);
  const nGalaxies = galaxyRng.poisson(densities.galaxiesPerDeg2 * area);
  const nStars = starRng.poisson(densities.starsPerDeg2 * area);
  const nSupernovae = nGalaxies > 0 ? densities.supernovae : 0;
  const catalog = emptyCatalog(nGalaxies + nStars + nSupernovae);
  for (let i = 0; i < catalog.count; i++) catalog.id[i] = i + 1;
  for (let i = 0; i < nGalaxies; i++) addGalaxy(catalog, i, galaxyRng, cap);
  for (let i = nGalaxies; i < nGalaxies + nStars; i++) addStar(catalog, i, starRng, cap);
  for (let i = nGalaxies + nStars; i < catalog.count; i++) {
    addSupernova(catalog, i, snRng, nGalaxies, options.mjdRange);
  }
  return catalog;
}

function addGalaxy(c: TruthCatalog, i: number, rng: Random, cap: SkyCap): void {
  const { ra, dec } = uniformInCap(rng, cap);
  const rMag = powerLawMagnitude(rng, 0.33, 18, 25.5);
  // Median redshift grows with magnitude (~0.2 at r = 19, ~0.8 at r = 25), log-normal scatter.
  const redshift = Math.min(3, (0.1 + 0.11 * (rMag - 18)) * Math.exp(0.35 * rng.normal()));
  const redFraction = 0.45 - 0.03 * (rMag - 18);
  const early = rng.uniform() < redFraction;
  const bulgeFractionR = early ? rng.between(0.5, 0.9) : rng.between(0, 0.3);
  const bulge = fluxesFromColours(rMag, galaxyComponentColours('bulge', redshift));
  const disk = fluxesFromColours(rMag, galaxyComponentColours('disk', redshift));
  for (const b of BANDS) {
    // Each component's r flux is its share of the total; other bands follow its colours.
    const bulgeFlux = bulge[b] * bulgeFractionR;
    const diskFlux = disk[b] * (1 - bulgeFractionR);
    c.flux[b][i] = bulgeFlux + diskFlux;
    c.bulgeToTotal[b][i] = bulgeFlux / (bulgeFlux + diskFlux);
  }
  // Disk half-light radius: ~1" at r = 20, shrinking by 0.1 dex per magnitude, 0.2 dex scatter.
  const disk50 = 10 ** (-0.1 * (rMag - 20) + 0.2 * rng.normal());
  c.ra[i] = ra;
  c.dec[i] = dec;
  c.truthType[i] = TRUTH_TYPE.galaxy;
  c.redshift[i] = redshift;
  c.diskHalfLightArcsec[i] = disk50;
  c.bulgeHalfLightArcsec[i] = 0.35 * disk50 * 10 ** (0.1 * rng.normal());
  c.diskAxisRatio[i] = rng.between(0.2, 1);
  c.bulgeAxisRatio[i] = rng.between(0.6, 1);
  c.positionAngleDeg[i] = rng.between(0, 180);
}

function addStar(c: TruthCatalog, i: number, rng: Random, cap: SkyCap): void {
  const { ra, dec } = uniformInCap(rng, cap);
  // High-latitude star counts rise slowly with magnitude (slope ~0.18 dex per mag over 14 < r < 25).
  const rMag = powerLawMagnitude(rng, 0.18, 14, 25);
  // Two populations: blue halo turn-off stars and red disk dwarfs.
  const gr = rng.uniform() < 0.6 ? 0.4 + 0.1 * rng.normal() : rng.between(0.6, 1.5);
  const fluxes = fluxesFromColours(rMag, stellarColours(gr));
  for (const b of BANDS) c.flux[b][i] = fluxes[b];
  c.ra[i] = ra;
  c.dec[i] = dec;
  c.truthType[i] = TRUTH_TYPE.star;
  if (rng.uniform() < 0.05) {
    c.isVariable[i] = 1;
    c.periodDays[i] = 10 ** rng.between(Math.log10(0.2), Math.log10(20));
    c.amplitudeMag[i] = rng.between(0.05, 0.5);
    c.phase[i] = rng.uniform();
  }
}

function addSupernova(
  c: TruthCatalog,
  i: number,
  rng: Random,
  nGalaxies: number,
  mjdRange: readonly [number, number],
): void {
  const host = rng.integer(nGalaxies);
  const offsetArcsec = c.diskHalfLightArcsec[host] * Math.abs(rng.normal());
  const angle = 2 * Math.PI * rng.uniform();
  const offsetRad = (offsetArcsec / 3600) * (Math.PI / 180);
  const { ra, dec } = offsetPosition(
    c.ra[host],
    c.dec[host],
    offsetRad * Math.sin(angle),
    offsetRad * Math.cos(angle),
  );
  const peakR = rng.between(19.5, 22.5);
  for (const b of BANDS) c.flux[b][i] = nanojanskyFromAbMag(peakR + SN_PEAK_OFFSET[b]);
  c.ra[i] = ra;
  c.dec[i] = dec;
  c.truthType[i] = TRUTH_TYPE.supernova;
  c.redshift[i] = c.redshift[host];
  c.isVariable[i] = 1;
  c.peakMjd[i] = rng.between(mjdRange[0], mjdRange[1]);
  c.riseDays[i] = SN_RISE_DAYS * (1 + c.redshift[host]);
  c.hostId[i] = c.id[host];
}

/** Flux (nJy, above the atmosphere) of object i in a band at time `mjd`. */
export function fluxAt(c: TruthCatalog, i: number, band: Band, mjd: number): number {
  const mean = c.flux[band][i];
  if (!c.isVariable[i]) return mean;
  if (c.truthType[i] === TRUTH_TYPE.supernova) {
    const dt = mjd - c.peakMjd[i];
    const rise = c.riseDays[i];
    if (dt <= -rise) return 0;
    // Quadratic rise from explosion to peak (the "fireball" model), exponential decline afterwards.
    if (dt <= 0) return mean * ((dt + rise) / rise) ** 2;
    return mean * Math.exp(-dt / (SN_DECLINE_DAYS[band] * (1 + c.redshift[i])));
  }
  const cycle = mjd / c.periodDays[i] + c.phase[i];
  return mean * 10 ** (-0.4 * c.amplitudeMag[i] * Math.sin(2 * Math.PI * cycle));
}

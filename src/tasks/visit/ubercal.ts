/**
 * Ubercalibration (Padmanabhan et al. 2008, ApJ 674, 1217, in its simplest form): repeat measurements of the same
 * stars through different calibration units (a visit, or a visit × detector) must agree. The model for an
 * observation o of star j through unit u is
 *
 *     m_o = M_j + δ_u + ε_o,
 *
 * m_o the magnitude calibrated with the per-detector zero point, M_j the star's mean magnitude and δ_u the error of
 * that zero point. The weighted least-squares solution is found by alternating exact minimisations over the stars
 * and over the units (block Gauss–Seidel on a sparse problem: each sweep costs O(observations)), with iterative
 * clipping of outliers by normalised residual (the worst measurement of a star per round). The solution is unique only up to one constant per band (every M up,
 * every δ down); it is fixed by the reference catalogue (median of M_j − ref_j over matched stars is zero) when
 * enough stars have a reference magnitude, else by the median of the units' δ (the per-detector zero points, which
 * calibrate fitted against the reference catalogue, are right on average).
 */

export interface UbercalObservations {
  /** Per observation: the solve star (a star in one band) and the calibration unit. */
  readonly star: Int32Array;
  readonly unit: Int32Array;
  /** AB magnitude and its error. */
  readonly mag: Float64Array;
  readonly magErr: Float64Array;
  /** Band of each solve star and of each unit (a unit sees one band). */
  readonly starBand: readonly string[];
  readonly unitBand: readonly string[];
  /** Reference magnitude of each solve star, NaN when it has none. */
  readonly starRefMag: Float64Array;
}

export interface UbercalConfig {
  readonly maxIterations: number;
  /** Stop when no δ changes by more than this (mag). */
  readonly tolerance: number;
  /** Clip observations whose |residual| / error exceeds this (times the robust scale of all, when above 1). */
  readonly clipSigma: number;
  readonly clipIterations: number;
  /** Added in quadrature to every magnitude error (mag): the error model is never perfect. */
  readonly errorFloorMag: number;
  /** Fewest matched reference stars in a band to anchor it to the reference catalogue. */
  readonly minReferenceStars: number;
}

export const DEFAULT_UBERCAL_CONFIG: UbercalConfig = Object.freeze({
  maxIterations: 500,
  tolerance: 1e-6,
  clipSigma: 5,
  clipIterations: 6,
  errorFloorMag: 0.002,
  minReferenceStars: 10,
});

export interface BandRepeatability {
  /** Per-measurement scatter about each star's weighted mean, before and after the solution (mag). */
  readonly rmsBefore: number;
  readonly rmsAfter: number;
  /** Stars with at least two measurements used, and their measurements. */
  readonly stars: number;
  readonly sources: number;
}

export interface BandAnchor {
  readonly kind: 'reference' | 'median';
  /** Stars (reference) or units (median) the anchor was taken over. */
  readonly count: number;
}

export interface UbercalResult {
  /** Per unit: δ (mag; the corrected zero point is the old one minus δ), its error and observations used. */
  readonly unitOffset: Float64Array;
  readonly unitOffsetErr: Float64Array;
  readonly unitSources: Int32Array;
  /** Per solve star: mean magnitude after calibration. */
  readonly starMag: Float64Array;
  /** Per observation: 1 when used (not clipped). */
  readonly used: Uint8Array;
  readonly anchors: Readonly<Record<string, BandAnchor>>;
  readonly repeatability: Readonly<Record<string, BandRepeatability>>;
  readonly iterations: number;
  readonly clipped: number;
}

function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Weighted star means of m − δ over the used observations (NaN for a star with none). */
function starMeans(
  obs: UbercalObservations,
  w: Float64Array,
  used: Uint8Array,
  delta: Float64Array,
  nStar: number,
) {
  const sw = new Float64Array(nStar);
  const swm = new Float64Array(nStar);
  for (let o = 0; o < obs.mag.length; o++) {
    if (used[o] === 0) continue;
    const j = obs.star[o]!;
    sw[j]! += w[o]!;
    swm[j]! += w[o]! * (obs.mag[o]! - delta[obs.unit[o]!]!);
  }
  return Float64Array.from(swm, (v, j) => (sw[j]! > 0 ? v / sw[j]! : Number.NaN));
}

/** Per band: per-measurement scatter about the star means, for stars with two or more used measurements. */
function repeatabilityOf(
  obs: UbercalObservations,
  w: Float64Array,
  used: Uint8Array,
  delta: Float64Array,
  nStar: number,
) {
  const mean = starMeans(obs, w, used, delta, nStar);
  const n = new Int32Array(nStar);
  for (let o = 0; o < obs.mag.length; o++) if (used[o] === 1) n[obs.star[o]!]!++;
  const perBand = new Map<string, { sum2: number; dof: number; stars: Set<number>; sources: number }>();
  for (let o = 0; o < obs.mag.length; o++) {
    const j = obs.star[o]!;
    if (used[o] === 0 || n[j]! < 2) continue;
    const band = obs.starBand[j]!;
    let acc = perBand.get(band);
    if (acc === undefined) perBand.set(band, (acc = { sum2: 0, dof: 0, stars: new Set(), sources: 0 }));
    const r = obs.mag[o]! - delta[obs.unit[o]!]! - mean[j]!;
    acc.sum2 += r * r;
    acc.sources++;
    if (!acc.stars.has(j)) {
      acc.stars.add(j);
      acc.dof += n[j]! - 1;
    }
  }
  return perBand;
}

export function solveUbercal(
  obs: UbercalObservations,
  config: UbercalConfig = DEFAULT_UBERCAL_CONFIG,
): UbercalResult {
  const nObs = obs.mag.length;
  const nStar = obs.starBand.length;
  const nUnit = obs.unitBand.length;
  const w = Float64Array.from(obs.magErr, (e) => 1 / (e * e + config.errorFloorMag * config.errorFloorMag));
  const used = new Uint8Array(nObs);
  for (let o = 0; o < nObs; o++) used[o] = Number.isFinite(obs.mag[o]!) && w[o]! > 0 ? 1 : 0;
  const delta = new Float64Array(nUnit);

  let iterations = 0;
  let clipped = 0;
  let mean = new Float64Array(nStar);
  for (let round = 0; round <= config.clipIterations; round++) {
    for (let it = 0; it < config.maxIterations; it++) {
      iterations++;
      mean = starMeans(obs, w, used, delta, nStar);
      const sw = new Float64Array(nUnit);
      const swr = new Float64Array(nUnit);
      for (let o = 0; o < nObs; o++) {
        if (used[o] === 0) continue;
        const u = obs.unit[o]!;
        sw[u]! += w[o]!;
        swr[u]! += w[o]! * (obs.mag[o]! - mean[obs.star[o]!]!);
      }
      let change = 0;
      for (let u = 0; u < nUnit; u++) {
        const next = sw[u]! > 0 ? swr[u]! / sw[u]! : 0;
        change = Math.max(change, Math.abs(next - delta[u]!));
        delta[u] = next;
      }
      if (change < config.tolerance) break;
    }
    if (round === config.clipIterations) break;
    mean = starMeans(obs, w, used, delta, nStar);
    const z = new Float64Array(nObs);
    const absZ: number[] = [];
    for (let o = 0; o < nObs; o++) {
      if (used[o] === 0) continue;
      z[o] = (obs.mag[o]! - delta[obs.unit[o]!]! - mean[obs.star[o]!]!) * Math.sqrt(w[o]!);
      absZ.push(Math.abs(z[o]!));
    }
    const limit = config.clipSigma * Math.max(1, 1.4826 * median(absZ));
    // Only the worst measurement of each star per round: one outlier drags the star's mean and so makes its good
    // measurements look discrepant too (with two measurements, both by the same amount).
    const worst = new Int32Array(nStar).fill(-1);
    for (let o = 0; o < nObs; o++) {
      if (used[o] === 0 || Math.abs(z[o]!) <= limit) continue;
      const j = obs.star[o]!;
      if (worst[j]! < 0 || Math.abs(z[o]!) > Math.abs(z[worst[j]!]!)) worst[j] = o;
    }
    let newlyClipped = 0;
    for (const o of worst) {
      if (o < 0) continue;
      used[o] = 0;
      newlyClipped++;
    }
    clipped += newlyClipped;
    if (newlyClipped === 0) break;
  }

  // Fix the free constant of each band.
  mean = starMeans(obs, w, used, delta, nStar);
  const anchors: Record<string, BandAnchor> = {};
  for (const band of new Set(obs.unitBand)) {
    const refDiffs: number[] = [];
    for (let j = 0; j < nStar; j++) {
      if (obs.starBand[j] === band && Number.isFinite(mean[j]!) && Number.isFinite(obs.starRefMag[j]!))
        refDiffs.push(mean[j]! - obs.starRefMag[j]!);
    }
    let shift: number;
    if (refDiffs.length >= config.minReferenceStars) {
      // M_j − ref_j has median zero after M → M − c, δ → δ + c.
      shift = median(refDiffs);
      anchors[band] = { kind: 'reference', count: refDiffs.length };
      for (let u = 0; u < nUnit; u++) if (obs.unitBand[u] === band) delta[u]! += shift;
    } else {
      const deltas: number[] = [];
      for (let u = 0; u < nUnit; u++) if (obs.unitBand[u] === band) deltas.push(delta[u]!);
      shift = median(deltas);
      anchors[band] = { kind: 'median', count: deltas.length };
      for (let u = 0; u < nUnit; u++) if (obs.unitBand[u] === band) delta[u]! -= shift;
    }
  }
  mean = starMeans(obs, w, used, delta, nStar);

  const unitW = new Float64Array(nUnit);
  const unitSources = new Int32Array(nUnit);
  for (let o = 0; o < nObs; o++) {
    if (used[o] === 0) continue;
    unitW[obs.unit[o]!]! += w[o]!;
    unitSources[obs.unit[o]!]!++;
  }
  // Both on the same (unclipped) measurements, so the comparison shows what the offsets alone buy.
  const before = repeatabilityOf(obs, w, used, new Float64Array(nUnit), nStar);
  const after = repeatabilityOf(obs, w, used, delta, nStar);
  const repeatability: Record<string, BandRepeatability> = {};
  for (const [band, acc] of after) {
    const b = before.get(band);
    repeatability[band] = Object.freeze({
      rmsBefore: b && b.dof > 0 ? Math.sqrt(b.sum2 / b.dof) : Number.NaN,
      rmsAfter: acc.dof > 0 ? Math.sqrt(acc.sum2 / acc.dof) : Number.NaN,
      stars: acc.stars.size,
      sources: acc.sources,
    });
  }
  return {
    unitOffset: delta,
    unitOffsetErr: Float64Array.from(unitW, (v) => (v > 0 ? 1 / Math.sqrt(v) : Number.NaN)),
    unitSources,
    starMag: mean,
    used,
    anchors: Object.freeze(anchors),
    repeatability: Object.freeze(repeatability),
    iterations,
    clipped,
  };
}

/**
 * A synthetic field with known answers for the QA metrics: one 12' detector seen in ten r-band visits at the same
 * pointing, truth stars and galaxies at random positions, and sources made from them with injected effects:
 * position noise (5 mas per axis for m < 22.5, 20 mas fainter), magnitude noise (4 mmag for bright stars),
 * per-visit zero-point errors, objects dropped at known rates by magnitude, spurious sources at known magnitudes,
 * and misclassified extendedness for every 10th star and every 5th galaxy.
 */

import { makeTanSipWcs, pixelToSky } from '../../src/formats/index.js';
import type {
  CcdVisitTruth,
  DetectorCalibration,
  MeasuredSources,
  StarAssociation,
  TruthObjects,
} from '../../src/qa/index.js';
import { seededRandom } from '../../src/qa/statistics.js';

export const SIZE = 3600;
export const VISITS = 10;
export const DETECTOR = 0;
export const POSITION_SIGMA_MAS = 5;
export const MAG_SIGMA = 0.004;
export const TRUE_ZERO_POINT = 28.5;
export const TRUE_PSF_SIGMA = 1.7;
/** Per-visit zero-point error, mag: sources' magnitudes are brighter by it, visitSummary's zero point higher. */
export const ZP_ERRORS = [-0.02, 0.015, 0, 0.01, -0.005, 0.02, -0.012, 0.008, -0.018, 0.004];
/** Per-visit PSF sigma error of the visitSummary, fraction. */
export const PSF_ERRORS = [-0.005, 0, 0.005, -0.005, 0, 0.005, -0.005, 0, 0.005, 0.01];
/** Spurious sources per visit at each of these measured magnitudes (bin centres). */
export const SPURIOUS_MAGS = [22.25, 22.75, 23.25, 23.75];
export const SPURIOUS_PER_MAG = 5;

const WCS = makeTanSipWcs({
  crpix: [SIZE / 2 + 0.5, SIZE / 2 + 0.5],
  crval: [60, -30],
  cd: [
    [-0.2 / 3600, 0],
    [0, 0.2 / 3600],
  ],
});

export const visitId = (k: number): number => 1000 + k;

/** S/N of a PSF flux: 5 at m = 24. */
export function snrAt(mag: number): number {
  return 5 * 10 ** (0.4 * (24 - mag));
}

/** Whether the object (truth row t, true magnitude m) is detected: the known completeness by magnitude. */
export function detected(t: number, mag: number, truthType: number): boolean {
  if (truthType === 2 && mag >= 21 && mag < 21.5 && t % 4 === 0) return false; // star completeness 0.75 there
  if (mag < 23) return true;
  if (mag < 23.5) return t % 5 < 3; // 0.6
  if (mag < 24) return t % 5 < 1; // 0.2
  return false;
}

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

export interface SyntheticField {
  readonly truth: TruthObjects;
  readonly ccds: CcdVisitTruth[];
  readonly sources: MeasuredSources;
  readonly visitSummary: DetectorCalibration[];
  readonly globalPhotoCalib: DetectorCalibration[];
  /** Truth-id association of the star sources (as isolated_star_sources would give). */
  readonly association: StarAssociation;
  readonly spurious: number;
}

export function syntheticField(seed = 7): SyntheticField {
  const random = seededRandom(seed);
  const types: number[] = [];
  const mags: number[] = [];
  const add = (n: number, type: number, lo: number, hi: number) => {
    for (let i = 0; i < n; i++) {
      types.push(type);
      mags.push(lo + (hi - lo) * random());
    }
  };
  add(400, 2, 17.5, 21); // bright stars: PA1, AM1
  add(300, 2, 21, 24.5);
  add(400, 1, 19, 24.5);
  const n = types.length;
  const ra = new Float64Array(n);
  const dec = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    const p = pixelToSky(WCS, 20 + (SIZE - 40) * random(), 20 + (SIZE - 40) * random());
    ra[t] = p.ra;
    dec[t] = p.dec;
  }
  const fluxR = Float64Array.from(mags, (m) => 10 ** (-0.4 * (m - 31.4)));
  const truth: TruthObjects = {
    length: n,
    id: Float64Array.from({ length: n }, (_, t) => t + 1),
    truthType: Int8Array.from(types),
    ra,
    dec,
    isVariable: new Uint8Array(n),
    flux: { r: fluxR },
  };
  const ccds: CcdVisitTruth[] = [];
  const visitSummary: DetectorCalibration[] = [];
  const globalPhotoCalib: DetectorCalibration[] = [];
  const cols = {
    sourceId: [] as string[],
    ra: [] as number[],
    dec: [] as number[],
    visit: [] as number[],
    psfFlux: [] as number[],
    psfFluxErr: [] as number[],
    extendedness: [] as number[],
  };
  const association: { sourceId: string[]; starId: string[] } = { sourceId: [], starId: [] };
  let spurious = 0;
  const cosDec = Math.cos((-30 * Math.PI) / 180);
  for (let k = 0; k < VISITS; k++) {
    const visit = visitId(k);
    ccds.push({
      visit,
      detector: DETECTOR,
      band: 'r',
      zeroPointMag: TRUE_ZERO_POINT,
      psfFwhmArcsec: 0.8,
      psfSigmaPixels: TRUE_PSF_SIGMA,
      wcs: WCS,
      width: SIZE,
      height: SIZE,
    });
    visitSummary.push({
      visit,
      detector: DETECTOR,
      band: 'r',
      zeroPoint: TRUE_ZERO_POINT + ZP_ERRORS[k]!,
      psfSigma: TRUE_PSF_SIGMA * (1 + PSF_ERRORS[k]!),
      maglim: 24,
    });
    globalPhotoCalib.push({
      visit,
      detector: DETECTOR,
      band: 'r',
      zeroPoint: TRUE_ZERO_POINT,
      psfSigma: Number.NaN,
      maglim: Number.NaN,
    });
    const push = (r: number, d: number, mag: number, ext: number) => {
      const id = String(visit * 1000 * 2 ** 32 + cols.sourceId.length);
      cols.sourceId.push(id);
      cols.ra.push(r);
      cols.dec.push(d);
      cols.visit.push(visit);
      const flux = 10 ** (-0.4 * (mag - 31.4));
      cols.psfFlux.push(flux);
      cols.psfFluxErr.push(flux / snrAt(mag));
      cols.extendedness.push(ext);
      return id;
    };
    for (let t = 0; t < n; t++) {
      if (!detected(t, mags[t]!, types[t]!)) continue;
      const sigmaMas = mags[t]! < 22.5 ? POSITION_SIGMA_MAS : 20;
      const dRa = (gaussian(random) * sigmaMas) / 3.6e6 / cosDec;
      const dDec = (gaussian(random) * sigmaMas) / 3.6e6;
      const star = types[t] === 2;
      const magNoise = star && mags[t]! < 21 ? MAG_SIGMA * gaussian(random) : 0;
      const ext = star ? (t % 10 === 0 ? 1 : 0) : t % 5 === 0 ? 0 : 1;
      // A zero point too high by Δ makes the calibrated magnitude fainter by Δ (m = zp − 2.5 log10 counts).
      const id = push(ra[t]! + dRa, dec[t]! + dDec, mags[t]! + ZP_ERRORS[k]! + magNoise, ext);
      if (star) {
        association.sourceId.push(id);
        association.starId.push(String(t + 1000));
      }
    }
    for (const mag of SPURIOUS_MAGS) {
      let placed = 0;
      while (placed < SPURIOUS_PER_MAG) {
        const p = pixelToSky(WCS, 50 + (SIZE - 100) * random(), 50 + (SIZE - 100) * random());
        // Far from every truth object (> 2"), so that it cannot match.
        let near = false;
        for (let t = 0; t < n && !near; t++) {
          near = Math.hypot((p.ra - ra[t]!) * cosDec, p.dec - dec[t]!) * 3600 < 2;
        }
        if (near) continue;
        // Its measured magnitude lands at the bin centre whatever the visit's zero-point error.
        push(p.ra, p.dec, mag, 1);
        placed++;
        spurious++;
      }
    }
  }
  const length = cols.sourceId.length;
  const sources: MeasuredSources = {
    length,
    sourceId: cols.sourceId,
    ra: Float64Array.from(cols.ra),
    dec: Float64Array.from(cols.dec),
    visit: Float64Array.from(cols.visit),
    detector: new Float64Array(length).fill(DETECTOR),
    band: new Array(length).fill('r'),
    psfFlux: Float64Array.from(cols.psfFlux),
    psfFluxErr: Float64Array.from(cols.psfFluxErr),
    extendedness: Float64Array.from(cols.extendedness),
    saturated: new Uint8Array(length),
    usable: new Uint8Array(length).fill(1),
  };
  return { truth, ccds, sources, visitSummary, globalPhotoCalib, association, spurious };
}

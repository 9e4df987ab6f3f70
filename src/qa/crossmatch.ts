/**
 * Sources against truth, detector by detector. For each exposure x detector that has sources, the truth objects
 * that the TRUE WCS puts on the detector (plus a margin of the match radius, so a source at the edge still finds
 * its object) are the candidates; usable sources are matched to them one-to-one within the radius. The truth
 * objects strictly inside the detector, brighter than the magnitude limit in the visit's band, become the
 * "truth instances" that completeness counts. Supernovae are matched (a source on one is not spurious) but not
 * counted: their flux changes from visit to visit.
 */

import { pixelToSky, skyToPixel } from '../formats/index.js';
import { type CcdVisitTruth, type MeasuredSources, TRUTH_SUPERNOVA, type TruthObjects } from './catalogs.js';
import { DeclinationSweep, matchOneToOne, separationDeg } from './match.js';
import { abMagFromNanojansky } from './statistics.js';

export interface CrossMatchOptions {
  /** Largest source-truth separation of a match, arcsec (0.5). */
  readonly matchRadiusArcsec: number;
  /** Truth objects fainter than this (AB mag in the visit's band) are not counted for completeness (27). */
  readonly truthMagLimit: number;
}

/** Truth objects on a detector in a visit, each with the source matched to it (or -1). */
export interface TruthInstances {
  readonly length: number;
  readonly truthIndex: Int32Array;
  /** Index into `CrossMatch.ccds`. */
  readonly ccd: Int32Array;
  /** True AB magnitude in the visit's band. */
  readonly mag: Float64Array;
  readonly matchedSource: Int32Array;
}

export interface CrossMatch {
  readonly ccds: readonly CcdVisitTruth[];
  /** Per source: the matched truth row, or -1. */
  readonly sourceTruth: Int32Array;
  /** Per source: separation from its truth object, mas (NaN when unmatched). */
  readonly sourceSeparationMas: Float64Array;
  /** Per source: index into `ccds`, or -1 when the truth has no such exposure x detector (not counted). */
  readonly sourceCcd: Int32Array;
  readonly instances: TruthInstances;
}

function ccdKey(visit: number, detector: number): number {
  return visit * 1000 + detector;
}

/** Footprint of a detector on the sky as a centre and a radius enclosing its corners, degrees. */
function footprint(ccd: CcdVisitTruth, marginPixels: number): { ra: number; dec: number; radius: number } {
  const centre = pixelToSky(ccd.wcs, (ccd.width - 1) / 2, (ccd.height - 1) / 2);
  let radius = 0;
  for (const [x, y] of [
    [-marginPixels, -marginPixels],
    [ccd.width + marginPixels, -marginPixels],
    [-marginPixels, ccd.height + marginPixels],
    [ccd.width + marginPixels, ccd.height + marginPixels],
  ] as const) {
    const corner = pixelToSky(ccd.wcs, x, y);
    radius = Math.max(radius, separationDeg(centre.ra, centre.dec, corner.ra, corner.dec));
  }
  return { ra: centre.ra, dec: centre.dec, radius: radius * 1.01 };
}

function pixelScaleArcsec(ccd: CcdVisitTruth): number {
  const [[a, b], [c, d]] = ccd.wcs.cd;
  return Math.sqrt(Math.abs(a * d - b * c)) * 3600;
}

export function crossMatch(
  sources: MeasuredSources,
  truth: TruthObjects,
  ccds: readonly CcdVisitTruth[],
  options: CrossMatchOptions,
): CrossMatch {
  const rowsByCcd = new Map<number, number[]>();
  for (let i = 0; i < sources.length; i++) {
    const key = ccdKey(sources.visit[i]!, sources.detector[i]!);
    let rows = rowsByCcd.get(key);
    if (rows === undefined) rowsByCcd.set(key, (rows = []));
    rows.push(i);
  }
  const sourceTruth = new Int32Array(sources.length).fill(-1);
  const sourceSeparationMas = new Float64Array(sources.length).fill(Number.NaN);
  const sourceCcd = new Int32Array(sources.length).fill(-1);
  const instTruth: number[] = [];
  const instCcd: number[] = [];
  const instMag: number[] = [];
  const instSource: number[] = [];
  const sweep = new DeclinationSweep(truth);

  ccds.forEach((ccd, ccdIndex) => {
    const rows = rowsByCcd.get(ccdKey(ccd.visit, ccd.detector));
    if (rows === undefined) return;
    for (const row of rows) sourceCcd[row] = ccdIndex;
    const margin = options.matchRadiusArcsec / pixelScaleArcsec(ccd) + 2;
    const area = footprint(ccd, margin);
    const candidates: number[] = [];
    const inside: boolean[] = [];
    sweep.within(area.ra, area.dec, area.radius, (row) => {
      const p = skyToPixel(ccd.wcs, truth.ra[row]!, truth.dec[row]!);
      if (p.x < -margin || p.y < -margin || p.x > ccd.width - 1 + margin || p.y > ccd.height - 1 + margin)
        return;
      candidates.push(row);
      inside.push(p.x >= -0.5 && p.y >= -0.5 && p.x < ccd.width - 0.5 && p.y < ccd.height - 0.5);
    });
    const usable = rows.filter((row) => sources.usable[row] === 1);
    const pairs = matchOneToOne(
      { ra: usable.map((r) => sources.ra[r]!), dec: usable.map((r) => sources.dec[r]!) },
      { ra: candidates.map((r) => truth.ra[r]!), dec: candidates.map((r) => truth.dec[r]!) },
      options.matchRadiusArcsec,
    );
    const sourceOfCandidate = new Int32Array(candidates.length).fill(-1);
    for (let k = 0; k < pairs.firstIndex.length; k++) {
      const sourceRow = usable[pairs.firstIndex[k]!]!;
      const candidate = pairs.secondIndex[k]!;
      sourceTruth[sourceRow] = candidates[candidate]!;
      sourceSeparationMas[sourceRow] = pairs.separationMas[k]!;
      sourceOfCandidate[candidate] = sourceRow;
    }
    const flux = truth.flux[ccd.band];
    candidates.forEach((row, k) => {
      if (!inside[k] || truth.truthType[row] === TRUTH_SUPERNOVA || flux === undefined) return;
      const mag = abMagFromNanojansky(flux[row]!);
      if (!(mag <= options.truthMagLimit)) return;
      instTruth.push(row);
      instCcd.push(ccdIndex);
      instMag.push(mag);
      instSource.push(sourceOfCandidate[k]!);
    });
  });
  return Object.freeze({
    ccds,
    sourceTruth,
    sourceSeparationMas,
    sourceCcd,
    instances: Object.freeze({
      length: instTruth.length,
      truthIndex: Int32Array.from(instTruth),
      ccd: Int32Array.from(instCcd),
      mag: Float64Array.from(instMag),
      matchedSource: Int32Array.from(instSource),
    }),
  });
}

/**
 * Repeat measurements of the same isolated stars across visits, for AM1 and PA1. The groups come from the
 * pipeline's own association (`isolated_star_sources`) when it exists, else from the match to truth (every
 * source matched to the same truth star is one group). Either way a group is kept only when its truth object is
 * a non-variable star that no other truth object within `isolationArcsec` rivals (one brighter than 3 mag fainter
 * than the star in r), and each measurement only when it is usable, unsaturated, above an S/N cut and the star's
 * true magnitude in that band is not brighter than `brightMagLimit` (near saturation, non-linear).
 */

import { type MeasuredSources, type StarAssociation, TRUTH_STAR, type TruthObjects } from './catalogs.js';
import type { CrossMatch } from './crossmatch.js';
import { DeclinationSweep } from './match.js';
import { abMagFromNanojansky } from './statistics.js';

/** One star and the source rows that measured it. */
export interface StarGroup {
  readonly truthIndex: number;
  readonly rows: readonly number[];
}

export interface StarSelection {
  readonly isolationArcsec: number;
  readonly brightMagLimit: number;
}

/** Flux ratio within which a neighbour spoils a star's isolation: 3 mag fainter. */
const RIVAL_FLUX_RATIO = 10 ** (-0.4 * 3);

function isolatedStars(
  truth: TruthObjects,
  candidates: Iterable<number>,
  isolationArcsec: number,
): Set<number> {
  const sweep = new DeclinationSweep(truth);
  const fluxR = truth.flux.r!;
  const out = new Set<number>();
  for (const t of candidates) {
    if (truth.truthType[t] !== TRUTH_STAR || truth.isVariable[t] === 1) continue;
    let rivals = 0;
    sweep.within(truth.ra[t]!, truth.dec[t]!, isolationArcsec / 3600, (row) => {
      if (row !== t && !(fluxR[row]! < RIVAL_FLUX_RATIO * fluxR[t]!)) rivals++;
    });
    if (rivals === 0) out.add(t);
  }
  return out;
}

/** Groups of source rows per star, from the association when given, else from the truth match. */
export function starGroups(
  sources: MeasuredSources,
  truth: TruthObjects,
  cross: CrossMatch,
  association: StarAssociation | null,
  selection: StarSelection,
): StarGroup[] {
  const byKey = new Map<string, number[]>();
  if (association === null) {
    for (let i = 0; i < sources.length; i++) {
      const t = cross.sourceTruth[i]!;
      if (t < 0) continue;
      const key = String(t);
      let rows = byKey.get(key);
      if (rows === undefined) byKey.set(key, (rows = []));
      rows.push(i);
    }
  } else {
    const rowOfSource = new Map<string, number>();
    sources.sourceId.forEach((id, row) => {
      rowOfSource.set(id, row);
    });
    association.sourceId.forEach((id, k) => {
      const row = rowOfSource.get(id);
      if (row === undefined) return;
      const key = association.starId[k]!;
      let rows = byKey.get(key);
      if (rows === undefined) byKey.set(key, (rows = []));
      rows.push(row);
    });
  }
  // The group's truth object is the one most of its sources matched (all of them, for the truth association).
  const groups: StarGroup[] = [];
  for (const rows of byKey.values()) {
    const votes = new Map<number, number>();
    for (const row of rows) {
      const t = cross.sourceTruth[row]!;
      if (t >= 0) votes.set(t, (votes.get(t) ?? 0) + 1);
    }
    const best = [...votes].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0];
    if (best !== undefined) groups.push({ truthIndex: best[0], rows });
  }
  const isolated = isolatedStars(
    truth,
    groups.map((g) => g.truthIndex),
    selection.isolationArcsec,
  );
  return groups.filter((g) => isolated.has(g.truthIndex)).sort((a, b) => a.truthIndex - b.truthIndex);
}

/** Whether one measurement of a star counts: usable, unsaturated, S/N >= snrMin, not too bright. */
export function measurementQualifies(
  sources: MeasuredSources,
  truth: TruthObjects,
  truthIndex: number,
  row: number,
  snrMin: number,
  brightMagLimit: number,
): boolean {
  if (sources.usable[row] !== 1 || sources.saturated[row] === 1) return false;
  if (!(sources.psfFlux[row]! / sources.psfFluxErr[row]! >= snrMin)) return false;
  const flux = truth.flux[sources.band[row]!];
  if (flux === undefined) return false;
  return abMagFromNanojansky(flux[truthIndex]!) >= brightMagLimit;
}

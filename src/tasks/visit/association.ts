/**
 * Isolated-star association across visits, in the manner of Rubin's IsolatedStarAssociationTask:
 *
 * 1. selection (`selectStarSources`): point-like (extendedness below a cut), unflagged sources above an S/N cut;
 * 2. friends-of-friends linking within `matchRadiusArcsec` (1″ by default, many times the astrometric error but
 *    well below the separation of distinct stars at survey depth) through a union-find, neighbours from a
 *    declination-sweep index (sky-index.ts);
 * 3. within a group, two sources from the same visit and detector cannot both be the star: the one with the higher
 *    S/N is kept (a split detection, a near-duplicate). Sources of the same visit on two detectors are kept: a star
 *    in the overlap of two detectors is measured twice, which is what ties the detectors' zero points together;
 * 4. a group is isolated when no other group's centre lies within `isolationRadiusArcsec`; a pair of stars closer
 *    than that is dropped as a whole, because its photometry may be blended.
 */
import { SkyIndex } from './sky-index.js';

export interface StarCandidates {
  readonly ra: ArrayLike<number>;
  readonly dec: ArrayLike<number>;
  readonly visit: ArrayLike<number>;
  readonly detector: ArrayLike<number>;
  /** Signal-to-noise, for choosing between near-duplicates. */
  readonly snr: ArrayLike<number>;
}

export interface AssociationConfig {
  readonly matchRadiusArcsec: number;
  readonly isolationRadiusArcsec: number;
  /** Fewest sources an isolated star needs to be kept. */
  readonly minSources: number;
}

export interface AssociationStats {
  readonly candidates: number;
  readonly groups: number;
  readonly duplicatesDropped: number;
  readonly notIsolated: number;
  readonly tooFewSources: number;
  readonly outsideRegion: number;
  readonly isolatedStars: number;
}

export interface Association {
  /** Per candidate: the index of its isolated star, or -1. */
  readonly starOfSource: Int32Array;
  readonly starRa: Float64Array;
  readonly starDec: Float64Array;
  readonly nSource: Int32Array;
  readonly stats: AssociationStats;
}

class UnionFind {
  private readonly parent: Int32Array;
  constructor(n: number) {
    this.parent = Int32Array.from({ length: n }, (_, i) => i);
  }
  find(i: number): number {
    let root = i;
    while (this.parent[root] !== root) root = this.parent[root]!;
    while (this.parent[i] !== root) {
      const next = this.parent[i]!;
      this.parent[i] = root;
      i = next;
    }
    return root;
  }
  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent[Math.max(ra, rb)] = Math.min(ra, rb);
  }
}

function meanPosition(members: readonly number[], ra: ArrayLike<number>, dec: ArrayLike<number>) {
  let x = 0;
  let y = 0;
  let z = 0;
  for (const i of members) {
    const a = (ra[i]! * Math.PI) / 180;
    const d = (dec[i]! * Math.PI) / 180;
    x += Math.cos(d) * Math.cos(a);
    y += Math.cos(d) * Math.sin(a);
    z += Math.sin(d);
  }
  const norm = Math.hypot(x, y, z);
  return {
    ra: (((Math.atan2(y, x) * 180) / Math.PI + 360) % 360) as number,
    dec: (Math.asin(z / norm) * 180) / Math.PI,
  };
}

/**
 * Associate candidates into isolated stars. `inRegion` keeps only stars whose centre it accepts (a tract's inner
 * region, so that a star on a tract boundary belongs to one tract only); isolation is judged against every group,
 * inside the region or not.
 */
export function associateIsolatedStars(
  candidates: StarCandidates,
  config: AssociationConfig,
  inRegion: (ra: number, dec: number) => boolean = () => true,
): Association {
  const { ra, dec, visit, detector, snr } = candidates;
  const n = ra.length;
  const index = new SkyIndex(ra, dec);
  const links = new UnionFind(n);
  for (let i = 0; i < n; i++) {
    for (const j of index.within(ra[i]!, dec[i]!, config.matchRadiusArcsec)) if (j > i) links.union(i, j);
  }
  const groups = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const root = links.find(i);
    const list = groups.get(root);
    if (list === undefined) groups.set(root, [i]);
    else list.push(i);
  }

  let duplicatesDropped = 0;
  const members: number[][] = [];
  for (const list of groups.values()) {
    const best = new Map<string, number>();
    for (const i of list) {
      const key = `${visit[i]}/${detector[i]}`;
      const previous = best.get(key);
      if (previous === undefined) best.set(key, i);
      else {
        duplicatesDropped++;
        if (snr[i]! > snr[previous]!) best.set(key, i);
      }
    }
    members.push([...best.values()].sort((a, b) => a - b));
  }
  const centres = members.map((m) => meanPosition(m, ra, dec));
  const centreIndex = new SkyIndex(
    centres.map((c) => c.ra),
    centres.map((c) => c.dec),
  );

  let notIsolated = 0;
  let tooFewSources = 0;
  let outsideRegion = 0;
  const kept: number[] = [];
  members.forEach((m, g) => {
    const c = centres[g]!;
    if (centreIndex.within(c.ra, c.dec, config.isolationRadiusArcsec).length > 1) notIsolated++;
    else if (m.length < config.minSources) tooFewSources++;
    else if (!inRegion(c.ra, c.dec)) outsideRegion++;
    else kept.push(g);
  });
  // Stars in declination order: neighbouring ids are neighbours on the sky.
  kept.sort((a, b) => centres[a]!.dec - centres[b]!.dec || centres[a]!.ra - centres[b]!.ra);

  const starOfSource = new Int32Array(n).fill(-1);
  const starRa = new Float64Array(kept.length);
  const starDec = new Float64Array(kept.length);
  const nSource = new Int32Array(kept.length);
  kept.forEach((g, s) => {
    starRa[s] = centres[g]!.ra;
    starDec[s] = centres[g]!.dec;
    nSource[s] = members[g]!.length;
    for (const i of members[g]!) starOfSource[i] = s;
  });
  return {
    starOfSource,
    starRa,
    starDec,
    nSource,
    stats: Object.freeze({
      candidates: n,
      groups: members.length,
      duplicatesDropped,
      notIsolated,
      tooFewSources,
      outsideRegion,
      isolatedStars: kept.length,
    }),
  };
}

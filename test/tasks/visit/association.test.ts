import { describe, expect, it } from 'vitest';
import { makeTable } from '../../../src/formats/index.js';
import {
  associateIsolatedStars,
  buildIsolatedStarTables,
  emptySelection,
  IsolatedStarAssociationConfig,
  type SelectedSources,
  SkyIndex,
  selectStarSources,
} from '../../../src/tasks/index.js';
import { offsetArcsec, seededRandom } from './synthetic.js';

const RA0 = 359.99; // the field straddles RA = 0
const DEC0 = -35;
const config = IsolatedStarAssociationConfig.parse({ restrictToTract: false, doReferenceMatch: false });

interface Truth {
  readonly star: number[];
}

/**
 * 100 isolated stars on a 20″ grid seen in 3 visits (detector 1 left of the grid's middle, 2 right), 20 mas
 * position noise; an unisolated pair 1.5″ apart; in visit 1 one grid star detected twice 0.3″ apart (a split
 * detection); one star on the edge between the detectors, measured by both in visit 2.
 */
function scene(): { sources: SelectedSources; truth: Truth } {
  const rng = seededRandom(7);
  const sources = emptySelection();
  const truth: Truth = { star: [] };
  const stars: { ra: number; dec: number; det: number }[] = [];
  for (let i = 0; i < 10; i++)
    for (let j = 0; j < 10; j++)
      stars.push({ ...offsetArcsec(RA0, DEC0, 20 * i, 20 * j), det: i < 5 ? 1 : 2 });
  stars.push(
    { ...offsetArcsec(RA0, DEC0, 95, 250), det: 1 },
    { ...offsetArcsec(RA0, DEC0, 96.5, 250), det: 1 },
  );
  const edge = stars.length;
  stars.push({ ...offsetArcsec(RA0, DEC0, 90, 230), det: 1 });
  let id = 0n;
  const add = (k: number, visit: number, detector: number, snr: number, jitter = 0.02) => {
    const p = offsetArcsec(stars[k]!.ra, stars[k]!.dec, jitter * rng.normal(), jitter * rng.normal());
    sources.sourceId.push(id++);
    sources.ra.push((p.ra + 360) % 360);
    sources.dec.push(p.dec);
    sources.visit.push(visit);
    sources.detector.push(detector);
    sources.band.push(visit === 3 ? 'g' : 'r');
    sources.psfFlux.push(1000 * snr);
    sources.psfFluxErr.push(1000);
    sources.x.push(rng.uniform() * 100);
    sources.y.push(rng.uniform() * 100);
    truth.star.push(k);
  };
  for (const visit of [1, 2, 3]) {
    stars.forEach((s, k) => {
      if (k === edge && visit === 2) {
        add(k, visit, 1, 50);
        add(k, visit, 2, 40);
      } else add(k, visit, s.det, 50);
    });
  }
  // The split detection: a second, fainter source 0.3″ from grid star 0 in visit 1, detector 1.
  const p = offsetArcsec(stars[0]!.ra, stars[0]!.dec, 0.3, 0);
  add(0, 1, 1, 20, 0);
  sources.ra[sources.ra.length - 1] = (p.ra + 360) % 360;
  sources.dec[sources.dec.length - 1] = p.dec;
  return { sources, truth };
}

describe('isolated star association', () => {
  it('recovers the true groups: repeats joined, a split detection resolved, the close pair dropped, edge stars kept', () => {
    const { sources, truth } = scene();
    const snr = sources.psfFlux.map((f, i) => f / sources.psfFluxErr[i]!);
    const a = associateIsolatedStars({ ...sources, snr }, config);
    expect(a.stats).toMatchObject({ groups: 103, duplicatesDropped: 1, notIsolated: 2, isolatedStars: 101 });
    // One star per true star (the pair excepted), and every source of a true star in the same one.
    const starOfTruth = new Map<number, Set<number>>();
    truth.star.forEach((k, i) => {
      if (i === sources.ra.length - 1) return; // the split detection, checked below
      const s = a.starOfSource[i]!;
      if (!starOfTruth.has(k)) starOfTruth.set(k, new Set());
      starOfTruth.get(k)!.add(s);
    });
    for (const [k, set] of starOfTruth) {
      if (k === 100 || k === 101) expect([...set]).toEqual([-1]);
      else expect(set.size).toBe(1);
    }
    const kept = [...starOfTruth.entries()].filter(([k]) => k < 100 || k === 102).map(([, s]) => [...s][0]);
    expect(new Set(kept).size).toBe(101);
    // The split detection's fainter source is the one left out.
    expect(a.starOfSource[sources.ra.length - 1]).toBe(-1);
    const edgeStar = a.starOfSource[truth.star.indexOf(102)]!;
    expect(a.nSource[edgeStar]).toBe(4);
    expect(a.nSource[a.starOfSource[0]!]).toBe(3);
    // Centres are good to the position noise, across RA = 0.
    const c = a.starOfSource[0]!;
    expect(Math.abs(((a.starRa[c]! - RA0 + 540) % 360) - 180) * 3600).toBeLessThan(0.1);
  });

  it('writes the catalog and source tables with tract-unique ids, counts and per-band magnitudes', () => {
    const { sources } = scene();
    const reference = {
      ra: Float64Array.of(sources.ra[0]!),
      dec: Float64Array.of(sources.dec[0]!),
      flux: { r: Float64Array.of(3630.78) },
    };
    const out = buildIsolatedStarTables(9813, sources, config, { reference });
    expect(out.cat.length).toBe(101);
    expect(out.sources.length).toBe(100 * 3 + 4);
    const ids = out.cat.columns.isolated_star_id as BigInt64Array;
    expect(ids[0]! >> 32n).toBe(9813n);
    expect(Number(ids[100]! & 0xffffffffn)).toBe(100);
    // Each source row points at a star of the catalog, rows grouped by star.
    const catIds = new Set(ids);
    const srcIds = out.sources.columns.isolated_star_id as BigInt64Array;
    expect([...srcIds].every((id) => catIds.has(id))).toBe(true);
    for (let i = 1; i < srcIds.length; i++) expect(srcIds[i]! >= srcIds[i - 1]!).toBe(true);
    // 50 000 nJy → 31.4 − 2.5 log10(50000) in r (two visits) and g (one).
    const row = [...ids].indexOf(srcIds[0]!);
    expect((out.cat.columns.r_nSource as Int32Array)[row]).toBeGreaterThanOrEqual(2);
    expect((out.cat.columns.g_nSource as Int32Array)[row]).toBeGreaterThanOrEqual(1);
    const rMag = (out.cat.columns.r_psfMag as Float64Array)[row]!;
    expect(rMag).toBeCloseTo(31.4 - 2.5 * Math.log10(50000), 9);
    expect(Number.isNaN((out.cat.columns.u_psfMag as Float64Array)[row])).toBe(true);
    expect(out.stats.referenceMatched).toBe(1);
    const refMags = [...(out.cat.columns.r_refMag as Float64Array)].filter(Number.isFinite);
    expect(refMags).toHaveLength(1);
    expect(refMags[0]).toBeCloseTo(22.5, 4);
  });

  it('selects point-like, unflagged sources above the S/N cut and names the flag columns it lacks', () => {
    const table = makeTable({
      sourceId: BigInt64Array.from([1n, 2n, 3n, 4n, 5n, 6n]),
      ra: Float64Array.from([10, 10, 10, 10, 10, 10]),
      decl: Float64Array.from([0, 0.01, 0.02, 0.03, 0.04, 0.05]),
      visit: Int32Array.from([1, 1, 1, 1, 1, 1]),
      detector: Int32Array.from([1, 1, 1, 1, 1, 1]),
      band: ['r', 'r', 'r', 'r', 'r', 'r'],
      x: new Float64Array(6),
      y: new Float64Array(6),
      psfFlux: Float64Array.from([100, 5, 100, 100, 100, 100]),
      psfFluxErr: Float64Array.from([1, 1, 1, 1, 1, 1]),
      extendedness: Float64Array.from([0, 0, 1, 0, Number.NaN, 0]),
      pixelFlags_saturated: [false, false, false, true, false, false],
      deblend_nChild: Int32Array.from([0, 0, 0, 0, 0, 2]),
    });
    const into = emptySelection();
    const missing = selectStarSources(table, config, into);
    // S/N 5 < 10, extended, saturated, unknown extendedness, a deblended parent: only source 1 remains.
    expect(into.sourceId).toEqual([1n]);
    expect(missing).toEqual([
      'pixelFlags_edge',
      'pixelFlags_interpolated',
      'pixelFlags_cr',
      'centroid_flag',
      'psfFlux_flag',
    ]);
  });

  it('finds neighbours as brute force does, in near-linear time', () => {
    const rng = seededRandom(11);
    const n = 40_000;
    const ra = Float64Array.from({ length: n }, () => 30 + rng.uniform() * 0.5);
    const dec = Float64Array.from({ length: n }, () => 80 + rng.uniform() * 0.5);
    const index = new SkyIndex(ra, dec);
    for (let q = 0; q < 50; q++) {
      const i = Math.floor(rng.uniform() * n);
      const brute: number[] = [];
      for (let j = 0; j < n; j++) {
        const d = Math.acos(
          Math.min(
            1,
            Math.sin((dec[i]! * Math.PI) / 180) * Math.sin((dec[j]! * Math.PI) / 180) +
              Math.cos((dec[i]! * Math.PI) / 180) *
                Math.cos((dec[j]! * Math.PI) / 180) *
                Math.cos(((ra[i]! - ra[j]!) * Math.PI) / 180),
          ),
        );
        if ((d * 180 * 3600) / Math.PI <= 20) brute.push(j);
      }
      expect(index.within(ra[i]!, dec[i]!, 20).sort((a, b) => a - b)).toEqual(brute.sort((a, b) => a - b));
    }
    const start = performance.now();
    const a = associateIsolatedStars(
      {
        ra,
        dec,
        visit: new Float64Array(n),
        detector: Float64Array.from(ra, (_, i) => i),
        snr: new Float64Array(n).fill(10),
      },
      { ...config, matchRadiusArcsec: 1 },
    );
    expect(a.stats.candidates).toBe(n);
    // 40 000 points: an O(n²) pairing would take tens of seconds.
    expect(performance.now() - start).toBeLessThan(5000);
  });
});

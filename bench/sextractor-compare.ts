/**
 * Meridian's detectAndMeasure against Debian's `source-extractor` on the same pixels, both matched to the truth
 * (`npm run bench -- --only sextractor-compare [--compare-size 4096] [--compare-sources N]`).
 *
 * The field is a freshly simulated honest detector (`sextractor-field.ts`: the simulator's raw with its truth, through
 * one minimal ISR shared by both tools). source-extractor runs with the measure benchmark's configuration
 * (`measure.bench.ts`: 128-pixel background mesh, 7×7 Gaussian filter, the same 5σ threshold, apertures of the same
 * radii, one thread). Both catalogs are matched to the truth within 2 px (0.4″) one to one, closest pairs first, and
 * compared on:
 * - completeness (matched / true objects) per 0.5 mag bin of true magnitude, purity (matched / detections) per
 *   0.5 mag bin of measured magnitude (both from the 12-px-radius aperture flux, the same estimator for both);
 * - flux accuracy of matched stars, (measured − expected) / expected per 1 mag bin: median and robust scatter
 *   (1.4826 × MAD), for the 6-px aperture (expected = true × the PSF's enclosed fraction) and for the PSF-like flux
 *   (Meridian's PSF flux; source-extractor has no PSF fit without PSFEx, so its FLUX_AUTO stands in);
 * - CPU time per detector (user + system) and its ratio; the target is Meridian within 1.5×.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFits } from '../src/formats/index.js';
import { detectAndMeasure } from '../src/tasks/index.js';
import type { BenchResult } from './harness.js';
import { APERTURE_DIAMETERS, primaryCatalog, runSourceExtractor } from './measure.bench.js';
import { type CalexpCompareOptions, compareOnCalexps } from './sextractor-calexps.js';
import { type FieldOptions, type FieldTruth, simulateField } from './sextractor-field.js';

/** Index of the 6-px-radius aperture (flux accuracy) and of the 12-px one (magnitudes for binning). */
const SMALL_APERTURE = APERTURE_DIAMETERS.indexOf(12);
const LARGE_APERTURE = APERTURE_DIAMETERS.indexOf(24);
const MATCH_RADIUS_PX = 2;

/** One tool's catalog, reduced to what the comparison needs (0-based pixels, electrons). */
export interface ToolCatalog {
  readonly x: ArrayLike<number>;
  readonly y: ArrayLike<number>;
  readonly smallApertureFlux: ArrayLike<number>;
  readonly largeApertureFlux: ArrayLike<number>;
  readonly psfLikeFlux: ArrayLike<number>;
  /**
   * Quality measures by which the tool's detections can be cut (higher is better), when it gives them: each traces
   * the tool's completeness at the other tool's purity.
   */
  readonly rankings?: Readonly<Record<string, ArrayLike<number>>>;
}

export interface ToolRun {
  readonly name: string;
  /** CPU time (user + system) of the timed run, per detector. */
  readonly cpuMs: number;
  /** CPU time of the process's first call, when it was timed apart (a cold JIT; Meridian only). */
  readonly firstCallCpuMs?: number;
  readonly wallMs: number;
  readonly catalog: ToolCatalog;
}

export interface Scatter {
  readonly n: number;
  readonly median: number;
  readonly robustScatter: number;
}

export interface MagnitudeBin {
  readonly lo: number;
  readonly hi: number;
  readonly trueObjects: number;
  /** Per tool, in the order of `ComparisonReport.tools`. */
  readonly completeness: readonly number[];
  readonly detections: readonly number[];
  readonly purity: readonly number[];
}

export interface FluxBin {
  readonly lo: number;
  readonly hi: number;
  readonly aperture: readonly Scatter[];
  readonly psfLike: readonly Scatter[];
}

export interface ToolSummary {
  readonly name: string;
  readonly detections: number;
  readonly matched: number;
  /** Matched / detections over the whole field. */
  readonly purity: number;
  /** Completeness of objects with a true magnitude ≤ 24. */
  readonly completenessTo24: number;
  /** Faintest bin edge down to which completeness stays ≥ 50%. */
  readonly magnitudeAt50: number;
  /**
   * For a tool with rankings, against the other tool's purity: per ranking, the lowest cut at which this tool is at
   * least as pure, and its detections and completeness (true r ≤ 24) there. Detections keep their match to the
   * truth from the full catalog.
   */
  readonly atReferencePurity?: readonly {
    readonly ranking: string;
    readonly cut: number;
    readonly detections: number;
    readonly purity: number;
    readonly completenessTo24: number;
  }[];
  readonly cpuMs: number;
  readonly firstCallCpuMs?: number;
  readonly wallMs: number;
}

export interface ComparisonReport {
  readonly size: number;
  readonly objects: number;
  readonly tools: readonly ToolSummary[];
  readonly magnitudeBins: readonly MagnitudeBin[];
  readonly fluxBins: readonly FluxBin[];
}

/** One-to-one matches within `radius` pixels, closest pairs first; -1 for no match. */
export function matchOneToOne(
  truth: { x: ArrayLike<number>; y: ArrayLike<number> },
  found: { x: ArrayLike<number>; y: ArrayLike<number> },
  radius: number,
): { truthToFound: Int32Array; foundToTruth: Int32Array } {
  const cell = Math.max(radius, 1);
  const grid = new Map<string, number[]>();
  for (let i = 0; i < found.x.length; i++) {
    const key = `${Math.floor(found.x[i]! / cell)},${Math.floor(found.y[i]! / cell)}`;
    const list = grid.get(key);
    if (list) list.push(i);
    else grid.set(key, [i]);
  }
  const pairs: [number, number, number][] = [];
  for (let t = 0; t < truth.x.length; t++) {
    const cx = Math.floor(truth.x[t]! / cell);
    const cy = Math.floor(truth.y[t]! / cell);
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        for (const f of grid.get(`${cx + dx},${cy + dy}`) ?? []) {
          const d = Math.hypot(found.x[f]! - truth.x[t]!, found.y[f]! - truth.y[t]!);
          if (d <= radius) pairs.push([d, t, f]);
        }
      }
    }
  }
  pairs.sort((a, b) => a[0] - b[0]);
  const truthToFound = new Int32Array(truth.x.length).fill(-1);
  const foundToTruth = new Int32Array(found.x.length).fill(-1);
  for (const [, t, f] of pairs) {
    if (truthToFound[t] === -1 && foundToTruth[f] === -1) {
      truthToFound[t] = f;
      foundToTruth[f] = t;
    }
  }
  return { truthToFound, foundToTruth };
}

/** Median and 1.4826 × median absolute deviation (σ for a Gaussian) of finite values. */
export function robustStatistics(values: readonly number[]): Scatter {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return { n: 0, median: Number.NaN, robustScatter: Number.NaN };
  const mid = (s: readonly number[]) =>
    s.length % 2 === 1 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  const median = mid(v);
  const deviations = v.map((x) => Math.abs(x - median)).sort((a, b) => a - b);
  return { n: v.length, median, robustScatter: 1.4826 * mid(deviations) };
}

/** Fraction of a pixelated double Gaussian's flux inside a circle of `radius` pixels. */
function enclosedFraction(components: readonly { weight: number; sigma: number }[], radius: number): number {
  let sum = 0;
  for (const { weight, sigma } of components) {
    const s2 = sigma * sigma + 1 / 12;
    sum += weight * (1 - Math.exp((-radius * radius) / (2 * s2)));
  }
  return sum;
}

const magnitudeOf = (zeroPoint: number, electrons: number) =>
  electrons > 0 ? zeroPoint - 2.5 * Math.log10(electrons) : Number.NaN;

/** Completeness, purity and flux accuracy of each run against the truth. */
export function compareToTruth(
  truth: FieldTruth,
  zeroPoint: number,
  psfComponents: readonly { weight: number; sigma: number }[],
  runs: readonly ToolRun[],
  size: number,
): ComparisonReport {
  const matches = runs.map((r) => matchOneToOne(truth, r.catalog, MATCH_RADIUS_PX));
  // Objects just off the detector match detections of their wings (purity) but are not counted as missed.
  const inside = (t: number) => truth.inside === undefined || truth.inside[t] === 1;
  const trueMag = Array.from(truth.electrons, (e, t) => (inside(t) ? magnitudeOf(zeroPoint, e) : Number.NaN));
  const measuredMag = runs.map((r) =>
    Array.from(r.catalog.largeApertureFlux, (f) => magnitudeOf(zeroPoint, f)),
  );
  const magnitudeBins: MagnitudeBin[] = [];
  for (let lo = 16; lo < 26.5; lo += 0.5) {
    const hi = lo + 0.5;
    const inBin = (m: number) => m >= lo && m < hi;
    const trueIn = trueMag.map((m, i) => (inBin(m) ? i : -1)).filter((i) => i >= 0);
    magnitudeBins.push({
      lo,
      hi,
      trueObjects: trueIn.length,
      completeness: matches.map((m) => trueIn.filter((t) => m.truthToFound[t] !== -1).length / trueIn.length),
      detections: measuredMag.map((mags) => mags.filter(inBin).length),
      purity: measuredMag.map((mags, r) => {
        const found = mags.map((m, i) => (inBin(m) ? i : -1)).filter((i) => i >= 0);
        return found.filter((f) => matches[r]!.foundToTruth[f] !== -1).length / found.length;
      }),
    });
  }
  const apertureRadius = APERTURE_DIAMETERS[SMALL_APERTURE]! / 2;
  const enclosed = enclosedFraction(psfComponents, apertureRadius);
  const fluxBins: FluxBin[] = [];
  for (let lo = 16; lo < 24; lo += 1) {
    const hi = lo + 1;
    const stars = trueMag
      .map((m, i) => (truth.isStar[i] === 1 && m >= lo && m < hi ? i : -1))
      .filter((i) => i >= 0);
    const errors = (r: number, flux: ArrayLike<number>, expectedFactor: number) =>
      robustStatistics(
        stars
          .filter((t) => matches[r]!.truthToFound[t] !== -1)
          .map((t) => {
            const expected = truth.electrons[t]! * expectedFactor;
            return (flux[matches[r]!.truthToFound[t]!]! - expected) / expected;
          }),
      );
    fluxBins.push({
      lo,
      hi,
      aperture: runs.map((run, r) => errors(r, run.catalog.smallApertureFlux, enclosed)),
      psfLike: runs.map((run, r) => errors(r, run.catalog.psfLikeFlux, 1)),
    });
  }
  const tools = runs.map((run, r): ToolSummary => {
    const matched = matches[r]!.foundToTruth.filter((t) => t !== -1).length;
    const bright = trueMag.map((m, i) => (m <= 24 ? i : -1)).filter((i) => i >= 0);
    let magnitudeAt50 = 16;
    for (const bin of magnitudeBins) {
      if (bin.trueObjects === 0) continue;
      if (bin.completeness[r]! < 0.5) break;
      magnitudeAt50 = bin.hi;
    }
    const reference = runs.length === 2 ? 1 - r : -1;
    const atReferencePurity: NonNullable<ToolSummary['atReferencePurity']>[number][] = [];
    if (run.catalog.rankings !== undefined && reference >= 0) {
      const referencePurity =
        matches[reference]!.foundToTruth.filter((t) => t !== -1).length /
        Math.max(1, runs[reference]!.catalog.x.length);
      const brightTruth = new Set(bright);
      for (const [ranking, raw] of Object.entries(run.catalog.rankings)) {
        // A measurement that failed (NaN) ranks last.
        const value = Array.from(raw, (v) => (Number.isFinite(v) ? v : Number.NEGATIVE_INFINITY));
        const order = value.map((_, i) => i).sort((a, b) => value[b]! - value[a]!);
        let kept = 0;
        let keptMatched = 0;
        let keptBright = 0;
        let best: (typeof atReferencePurity)[number] | undefined;
        for (let k = 0; k < order.length; k++) {
          const f = order[k]!;
          kept++;
          const t = matches[r]!.foundToTruth[f]!;
          if (t !== -1) {
            keptMatched++;
            if (brightTruth.has(t)) keptBright++;
          }
          // A cut falls between distinct values only.
          if (k + 1 < order.length && value[order[k + 1]!] === value[f]) continue;
          if (keptMatched / kept >= referencePurity) {
            best = {
              ranking,
              cut: value[f]!,
              detections: kept,
              purity: keptMatched / kept,
              completenessTo24: keptBright / bright.length,
            };
          }
        }
        if (best !== undefined) atReferencePurity.push(best);
      }
    }
    return {
      name: run.name,
      detections: run.catalog.x.length,
      matched,
      ...(atReferencePurity.length === 0 ? {} : { atReferencePurity }),
      purity: matched / Math.max(1, run.catalog.x.length),
      completenessTo24: bright.filter((t) => matches[r]!.truthToFound[t] !== -1).length / bright.length,
      magnitudeAt50,
      cpuMs: run.cpuMs,
      ...(run.firstCallCpuMs === undefined ? {} : { firstCallCpuMs: run.firstCallCpuMs }),
      wallMs: run.wallMs,
    };
  });
  const objects = truth.inside === undefined ? truth.x.length : truth.inside.reduce((n, v) => n + v, 0);
  return { size, objects, tools, magnitudeBins, fluxBins };
}

export interface CompareOptions extends FieldOptions {
  /** Run each tool once before the timed run (JIT and page cache), as the measure benchmark does (default true). */
  readonly warmUp?: boolean;
  /** Compare on a repository's calexps instead of a simulated field (`sextractor-calexps.ts`). */
  readonly calexps?: Omit<CalexpCompareOptions, 'log'>;
  readonly log?: (line: string) => void;
}

/** Simulates the field, runs both tools on it and compares them to the truth. */
export async function compareWithSourceExtractor(options: CompareOptions = {}): Promise<ComparisonReport> {
  const field = simulateField(options);
  const size = field.exposure.image.bbox.width;
  const dir = mkdtempSync(join(tmpdir(), 'meridian-sextractor-compare-'));
  try {
    const fitsPath = join(dir, 'calexp-image.fits');
    await writeFits(fitsPath, [
      { kind: 'image', data: field.exposure.image.array, shape: [field.exposure.image.bbox.height, size] },
    ]);
    if (options.warmUp ?? true) detectAndMeasure(field.exposure);
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const ours = detectAndMeasure(field.exposure);
    const cpu = process.cpuUsage(cpu0);
    const primary = primaryCatalog(ours.sources);
    const meridian: ToolRun = {
      name: 'Meridian',
      wallMs: performance.now() - t0,
      cpuMs: (cpu.user + cpu.system) / 1000,
      catalog: {
        x: primary.x,
        y: primary.y,
        smallApertureFlux: primary.small,
        largeApertureFlux: primary.large,
        psfLikeFlux: primary.psf,
        rankings: primary.rankings,
      },
    };
    const se = runSourceExtractor(fitsPath, dir);
    const sextractor: ToolRun = {
      name: 'source-extractor',
      wallMs: se.wallMs,
      cpuMs: se.cpuMs,
      catalog: {
        x: se.sources.map((s) => s.x),
        y: se.sources.map((s) => s.y),
        smallApertureFlux: se.sources.map((s) => s.apFlux[SMALL_APERTURE]!),
        largeApertureFlux: se.sources.map((s) => s.apFlux[LARGE_APERTURE]!),
        psfLikeFlux: se.sources.map((s) => s.autoFlux),
      },
    };
    return compareToTruth(field.truth, field.zeroPoint, field.psfComponents, [meridian, sextractor], size);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const pct = (v: number) => (Number.isFinite(v) ? `${(100 * v).toFixed(1)}%` : '–');
const signedPct = (v: number) => (Number.isFinite(v) ? `${v >= 0 ? '+' : ''}${(100 * v).toFixed(2)}%` : '–');

/** The report as Markdown tables, side by side (Meridian | source-extractor in each cell pair). */
export function formatComparison(report: ComparisonReport): string {
  const [m, s] = report.tools;
  const lines = [
    `Field ${report.size}×${report.size}, ${report.objects} true objects; matched within ${MATCH_RADIUS_PX} px.`,
    '',
    '| | Meridian | source-extractor |',
    '|---|---|---|',
    `| detections | ${m!.detections} | ${s!.detections} |`,
    `| purity (all detections) | ${pct(m!.purity)} | ${pct(s!.purity)} |`,
    `| completeness, true r ≤ 24 | ${pct(m!.completenessTo24)} | ${pct(s!.completenessTo24)} |`,
    `| 50% completeness down to r | ${m!.magnitudeAt50.toFixed(1)} | ${s!.magnitudeAt50.toFixed(1)} |`,
    ...(m!.atReferencePurity ?? []).flatMap((at) => [
      `| at source-extractor's purity, cut on ${at.ranking}: cut, detections, purity | ≥ ${at.cut.toFixed(2)}, ${at.detections}, ${pct(at.purity)} | –, ${s!.detections}, ${pct(s!.purity)} |`,
      `| completeness, true r ≤ 24, at equal purity (cut on ${at.ranking}) | ${pct(at.completenessTo24)} | ${pct(s!.completenessTo24)} |`,
    ]),
    `| CPU time per detector | ${(m!.cpuMs / 1000).toFixed(2)} s | ${(s!.cpuMs / 1000).toFixed(2)} s |`,
    `| CPU time ratio (Meridian / source-extractor) | ${(m!.cpuMs / s!.cpuMs).toFixed(2)}× | |`,
    ...(m!.firstCallCpuMs === undefined
      ? []
      : [
          `| CPU time of the process's first call (cold JIT) | ${(m!.firstCallCpuMs / 1000).toFixed(2)} s (${(m!.firstCallCpuMs / s!.cpuMs).toFixed(2)}×) | |`,
        ]),
    '',
    '| r (true / measured) | objects | completeness M | completeness SE | detections M | detections SE | purity M | purity SE |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const b of report.magnitudeBins) {
    if (b.trueObjects === 0 && b.detections.every((d) => d === 0)) continue;
    lines.push(
      `| ${b.lo.toFixed(1)}–${b.hi.toFixed(1)} | ${b.trueObjects} | ${pct(b.completeness[0]!)} | ${pct(b.completeness[1]!)} | ${b.detections[0]} | ${b.detections[1]} | ${pct(b.purity[0]!)} | ${pct(b.purity[1]!)} |`,
    );
  }
  lines.push(
    '',
    '| stars, true r | n M / SE | 6-px aperture M: median (scatter) | SE | PSF flux M: median (scatter) | SE FLUX_AUTO |',
    '|---|---|---|---|---|---|',
  );
  const cell = (x: Scatter) => `${signedPct(x.median)} (${pct(x.robustScatter)})`;
  for (const b of report.fluxBins) {
    lines.push(
      `| ${b.lo}–${b.hi} | ${b.aperture[0]!.n} / ${b.aperture[1]!.n} | ${cell(b.aperture[0]!)} | ${cell(b.aperture[1]!)} | ${cell(b.psfLike[0]!)} | ${cell(b.psfLike[1]!)} |`,
    );
  }
  return lines.join('\n');
}

/** The benchmark entry: the report on the log, CPU and completeness as results with source-extractor as reference. */
export async function benchSextractorCompare(options: CompareOptions = {}): Promise<BenchResult[]> {
  const log = options.log ?? (() => {});
  let report: ComparisonReport;
  try {
    report = options.calexps
      ? await compareOnCalexps({ ...options.calexps, log })
      : await compareWithSourceExtractor(options);
  } catch (err) {
    log(`sextractor-compare: not run (${(err as Error).message.split('\n')[0]})`);
    return [];
  }
  log(formatComparison(report));
  return comparisonResults(report, 'sextractor-compare');
}

/** CPU time, completeness and purity as bench results, source-extractor as the reference; `prefix` names the bench. */
export function comparisonResults(report: ComparisonReport, prefix: string): BenchResult[] {
  const [m, s] = report.tools;
  const label = `${report.size}×${report.size}`;
  return [
    {
      name: `${prefix}: detect+measure CPU per ${label} detector`,
      value: m!.cpuMs / 1000,
      unit: 's',
      reference: s!.cpuMs / 1000,
      referenceName: 'source-extractor',
      target: (1.5 * s!.cpuMs) / 1000,
    },
    ...(m!.firstCallCpuMs === undefined
      ? []
      : [
          {
            name: `${prefix}: the process's first detect+measure (cold JIT), CPU per ${label} detector`,
            value: m!.firstCallCpuMs / 1000,
            unit: 's',
            reference: s!.cpuMs / 1000,
            referenceName: 'source-extractor',
          },
        ]),
    {
      name: `${prefix}: completeness to r = 24, each at its own 5σ threshold (${label})`,
      value: 100 * m!.completenessTo24,
      unit: '%',
      reference: 100 * s!.completenessTo24,
      referenceName: 'source-extractor',
      higherIsBetter: true,
    },
    // The target: completeness at least source-extractor's where Meridian is cut to its purity.
    ...(m!.atReferencePurity ?? []).map((at) => ({
      name: `${prefix}: completeness to r = 24 at source-extractor's purity, cut on ${at.ranking} (${label})`,
      value: 100 * at.completenessTo24,
      unit: '%',
      reference: 100 * s!.completenessTo24,
      referenceName: 'source-extractor',
      target: 100 * s!.completenessTo24,
      higherIsBetter: true,
    })),
    {
      name: `${prefix}: purity of all detections (${label})`,
      value: 100 * m!.purity,
      unit: '%',
      reference: 100 * s!.purity,
      referenceName: 'source-extractor',
      higherIsBetter: true,
    },
  ];
}

/**
 * The source-extractor comparison on a butler repository's calexps instead of a fresh field
 * (`npm run bench -- --only sextractor-compare --repo R --collections C --truth SIMDIR [--max-detectors N]`).
 * The truth is the simulated survey's (`SIMDIR/truth/truth_summary.parquet`, fluxes in nJy), placed on each calexp
 * with the calexp's own WCS and turned into electrons with its PhotoCalib; both tools run on the calexp pixels as
 * they are (the pipeline already subtracted the background: both re-estimate only what is left). Detectors are
 * compared to their own truth and pooled into one report, with CPU times per detector.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Butler } from '../src/butler/index.js';
import { meridianError } from '../src/errors.js';
import { type Exposure, readParquetTable, skyToPixels, writeFits } from '../src/formats/index.js';
import { detectAndMeasure } from '../src/tasks/index.js';
import { APERTURE_DIAMETERS, primaryCatalog, runSourceExtractor } from './measure.bench.js';
import { type ComparisonReport, compareToTruth, type ToolRun } from './sextractor-compare.js';
import type { FieldTruth } from './sextractor-field.js';

export interface CalexpCompareOptions {
  readonly repo: string;
  readonly collections: readonly string[];
  /** The simulated survey's output directory (holds truth/truth_summary.parquet). */
  readonly truthDir: string;
  readonly maxDetectors?: number;
  /** Call detectAndMeasure once on the first calexp before the timed runs (default true). */
  readonly warmUp?: boolean;
  readonly log?: (line: string) => void;
}

/**
 * Objects centred up to this far off a detector are in its truth for matching: a bright star just off the edge puts
 * its wing on the detector, and both tools detect it there (at ~1″ seeing, 20 px is ~8 FWHM).
 */
const OFF_DETECTOR_MARGIN_PX = 20;

/** Detectors are laid side by side this far apart in x, so that pooled matching never pairs across detectors. */
const DETECTOR_STRIDE = 1e6;

interface TruthColumns {
  readonly ra: Float64Array;
  readonly dec: Float64Array;
  readonly flux: Float64Array;
  readonly isStar: readonly (boolean | null)[];
}

async function truthFor(truthDir: string, band: string): Promise<TruthColumns> {
  const path = join(truthDir, 'truth', 'truth_summary.parquet');
  const flux = `flux_${band}`;
  const table = await readParquetTable(path, { columns: ['ra', 'dec', 'is_pointsource', flux] });
  return {
    ra: Float64Array.from(table.columns.ra as ArrayLike<number>),
    dec: Float64Array.from(table.columns.dec as ArrayLike<number>),
    flux: Float64Array.from(table.columns[flux] as ArrayLike<number>),
    isStar: table.columns.is_pointsource as readonly (boolean | null)[],
  };
}

/** Weights and widths of the calexp's PSF model, when it is one of the analytic kinds. */
function psfComponents(exposure: Exposure): { weight: number; sigma: number }[] | null {
  const psf = exposure.psf;
  if (psf?.kind === 'gaussian') return [{ weight: 1, sigma: psf.sigma }];
  // A spatially varying model (the pipeline's) stands in with its round summary at the detector's centre: the 6-px
  // aperture holds ~99% of a 1.5-px-σ PSF, so its variation across the detector moves the expected flux ≲ 0.1%.
  if (psf?.kind === 'doubleGaussian' || psf?.kind === 'polynomialDoubleGaussian') {
    // ratio is of peak amplitudes: w2 / w1 = ratio · σ2² / σ1².
    const w2 = (psf.ratio * psf.sigma2 ** 2) / psf.sigma1 ** 2;
    return [
      { weight: 1 / (1 + w2), sigma: psf.sigma1 },
      { weight: w2 / (1 + w2), sigma: psf.sigma2 },
    ];
  }
  return null;
}

export async function compareOnCalexps(options: CalexpCompareOptions): Promise<ComparisonReport> {
  const log = options.log ?? (() => {});
  const butler = await Butler.open(options.repo);
  const dir = mkdtempSync(join(tmpdir(), 'meridian-sextractor-calexps-'));
  try {
    const refs = (
      await butler.queryDatasets('calexp', { collections: options.collections, findFirst: true })
    ).slice(0, options.maxDetectors ?? Number.POSITIVE_INFINITY);
    if (refs.length === 0) {
      throw meridianError('DATASET_NOT_FOUND', `no calexp datasets in ${options.collections.join(', ')}`);
    }
    const truthByBand = new Map<string, TruthColumns>();
    const truth = {
      x: [] as number[],
      y: [] as number[],
      electrons: [] as number[],
      isStar: [] as number[],
      inside: [] as number[],
    };
    const pooled = [0, 1].map(() => ({
      x: [] as number[],
      y: [] as number[],
      small: [] as number[],
      large: [] as number[],
      psf: [] as number[],
    }));
    const cpuMs = [0, 0];
    let firstCallCpuMs: number | undefined;
    const rankings: Record<string, number[]> = {};
    const wallMs = [0, 0];
    let zeroPoint = Number.NaN;
    let reference = Number.NaN;
    let components: { weight: number; sigma: number }[] | null = null;
    let size = 0;
    for (const [k, ref] of refs.entries()) {
      const coord = await butler.registry.expandDataId(ref.dataId.values, ref.datasetType.dimensions);
      const band = String(coord.values.band ?? '');
      const exposure = (await butler.get(ref)) as Exposure;
      if (!exposure.wcs || !exposure.photoCalib || band === '') {
        log(`sextractor-compare: ${ref.dataId} skipped (no WCS, PhotoCalib or band)`);
        continue;
      }
      if (!truthByBand.has(band)) truthByBand.set(band, await truthFor(options.truthDir, band));
      const t = truthByBand.get(band)!;
      const { width, height } = exposure.image.bbox;
      size = Math.max(size, width, height);
      const calibration = exposure.photoCalib.calibrationMean;
      // Pooled detectors share the first one's calibration: every flux, true and measured, is scaled to it, so that
      // one zero point gives AB magnitudes everywhere and flux ratios are unchanged.
      if (!Number.isFinite(zeroPoint)) {
        reference = calibration;
        zeroPoint = 31.4 - 2.5 * Math.log10(calibration);
      }
      const scale = calibration / reference;
      components ??= psfComponents(exposure);
      const placed = skyToPixels(exposure.wcs, t.ra, t.dec);
      for (let i = 0; i < t.ra.length; i++) {
        const x = placed.x[i]!;
        const y = placed.y[i]!;
        const margin = OFF_DETECTOR_MARGIN_PX;
        if (!(x >= -margin && y >= -margin && x < width + margin && y < height + margin) || !(t.flux[i]! > 0))
          continue;
        truth.x.push(x + k * DETECTOR_STRIDE);
        truth.y.push(y);
        truth.electrons.push(t.flux[i]! / reference);
        truth.isStar.push(t.isStar[i] ? 1 : 0);
        truth.inside.push(x >= 0 && y >= 0 && x < width && y < height ? 1 : 0);
      }
      const fitsPath = join(dir, `calexp-${k}.fits`);
      await writeFits(fitsPath, [{ kind: 'image', data: exposure.image.array, shape: [height, width] }]);
      if (k === 0 && (options.warmUp ?? true)) {
        // The process's first call runs on a cold JIT: timed apart and reported, then the timed run (as the
        // measure benchmark and the fresh-field comparison do; a pipeline worker measures many detectors).
        const first = process.cpuUsage();
        detectAndMeasure(exposure);
        const used = process.cpuUsage(first);
        firstCallCpuMs = (used.user + used.system) / 1000;
      }
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const ours = detectAndMeasure(exposure);
      wallMs[0]! += performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      cpuMs[0]! += (cpu.user + cpu.system) / 1000;
      const primary = primaryCatalog(ours.sources);
      for (let i = 0; i < primary.x.length; i++) {
        pooled[0]!.x.push(primary.x[i]! + k * DETECTOR_STRIDE);
        pooled[0]!.y.push(primary.y[i]!);
        pooled[0]!.small.push(scale * primary.small[i]!);
        pooled[0]!.large.push(scale * primary.large[i]!);
        pooled[0]!.psf.push(scale * primary.psf[i]!);
        for (const [name, values] of Object.entries(primary.rankings))
          (rankings[name] ??= []).push(values[i]!);
      }
      const se = runSourceExtractor(fitsPath, dir);
      cpuMs[1]! += se.cpuMs;
      wallMs[1]! += se.wallMs;
      for (const src of se.sources) {
        pooled[1]!.x.push(src.x + k * DETECTOR_STRIDE);
        pooled[1]!.y.push(src.y);
        pooled[1]!.small.push(scale * src.apFlux[APERTURE_DIAMETERS.indexOf(12)]!);
        pooled[1]!.large.push(scale * src.apFlux[APERTURE_DIAMETERS.indexOf(24)]!);
        pooled[1]!.psf.push(scale * src.autoFlux);
      }
      log(
        `sextractor-compare: ${ref.dataId}: Meridian ${primary.x.length} primary (${ours.sources.count} with parents), source-extractor ${se.sources.length} sources`,
      );
    }
    const detectors = Math.max(1, refs.length);
    const runs: ToolRun[] = ['Meridian', 'source-extractor'].map((name, r) => ({
      name,
      cpuMs: cpuMs[r]! / detectors,
      ...(r === 0 && firstCallCpuMs !== undefined ? { firstCallCpuMs } : {}),
      wallMs: wallMs[r]! / detectors,
      catalog: {
        x: pooled[r]!.x,
        y: pooled[r]!.y,
        smallApertureFlux: pooled[r]!.small,
        largeApertureFlux: pooled[r]!.large,
        psfLikeFlux: pooled[r]!.psf,
        ...(r === 0 ? { rankings } : {}),
      },
    }));
    const fieldTruth: FieldTruth = {
      x: Float64Array.from(truth.x),
      y: Float64Array.from(truth.y),
      electrons: Float64Array.from(truth.electrons),
      isStar: Uint8Array.from(truth.isStar),
      inside: Uint8Array.from(truth.inside),
    };
    // Without an analytic PSF the aperture's expected flux is unknown: NaN leaves those cells empty.
    return compareToTruth(
      fieldTruth,
      zeroPoint,
      components ?? [{ weight: Number.NaN, sigma: 1 }],
      runs,
      size,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await butler.close();
  }
}

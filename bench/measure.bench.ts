import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { box2i, Exposure, ImageF, Mask, writeFits } from '../src/formats/index.js';
import { detectAndMeasure, psfModelImage } from '../src/tasks/index.js';
import type { BenchResult } from './harness.js';

/**
 * Background + cosmic rays + detection + measurement of one simulated detector (default 4096×4096, 5000 stars and
 * galaxies, a double-Gaussian PSF of 3.8 px FWHM, a sky of 900 e- with a gradient, Gaussian noise) by Meridian's
 * `detectAndMeasure`, against Debian's `source-extractor` on the same pixels written as a float32 FITS file
 * (background mesh 128 px, 7×7 Gaussian filter, the same 5σ threshold of the filtered noise, windowed centroid and moments, 7 aperture fluxes, AUTO flux).
 * Both are timed once after one warm-up run of the same work, on in-memory pixels for Meridian and on the (page-cached) file for
 * source-extractor, in wall-clock and in CPU seconds (the fairer figure on a shared machine). Also printed: the number of sources, how many injected objects each recovers (completeness above 1,700 e-)
 * and how many of its sources match an injected object (purity); Meridian's primary sources are the isolated ones
 * and the deblended children, not the parents.
 */
export interface MeasureBenchOptions {
  readonly size?: number;
  readonly sources?: number;
  readonly log?: (line: string) => void;
}

const SKY = 900;
export const PSF = { kind: 'doubleGaussian', sigma1: 1.5, sigma2: 3.4, ratio: 0.08 } as const;
/** source-extractor's PHOT_APERTURES (diameters): Meridian's default aperture radii 3 … 25 px. */
export const APERTURE_DIAMETERS = [6, 9, 12, 18, 24, 34, 50];

/** mulberry32: a seeded uniform generator for the scene. */
function uniformGenerator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Truth {
  readonly x: Float64Array;
  readonly y: Float64Array;
  readonly flux: Float64Array;
}

/** Stars (70%) and round-ish galaxies (30%, the PSF convolved with a Gaussian of 1–4 px), fluxes from a power law. */
export function renderScene(size: number, count: number): { pixels: Float32Array; truth: Truth } {
  const uniform = uniformGenerator(20261205);
  const pixels = new Float32Array(size * size);
  for (let y = 0; y < size; y++) {
    const row = y * size;
    for (let x = 0; x < size; x++) pixels[row + x] = SKY + (20 * (x + y)) / size;
  }
  const truth: Truth = {
    x: new Float64Array(count),
    y: new Float64Array(count),
    flux: new Float64Array(count),
  };
  for (let i = 0; i < count; i++) {
    const x = 10 + uniform() * (size - 20);
    const y = 10 + uniform() * (size - 20);
    // 300 e- (S/N ~ 3 in this sky) to 3e5 e-, more faint than bright (N(>F) ∝ F^-0.6).
    const flux = 300 * (1 - uniform() * 0.9984) ** (-1 / 0.6);
    truth.x[i] = x;
    truth.y[i] = y;
    truth.flux[i] = flux;
    const extra = i % 10 < 3 ? 1 + 3 * uniform() : 0;
    const psf =
      extra === 0
        ? PSF
        : ({
            kind: 'doubleGaussian',
            sigma1: Math.hypot(PSF.sigma1, extra),
            sigma2: Math.hypot(PSF.sigma2, extra),
            ratio: PSF.ratio,
          } as const);
    const half = Math.ceil(5 * psf.sigma2);
    const ix = Math.round(x);
    const iy = Math.round(y);
    const stamp = psfModelImage(psf, half, x - ix, y - iy);
    const n = 2 * half + 1;
    for (let sy = 0; sy < n; sy++) {
      const py = iy - half + sy;
      if (py < 0 || py >= size) continue;
      for (let sx = 0; sx < n; sx++) {
        const px = ix - half + sx;
        if (px >= 0 && px < size) pixels[py * size + px] += flux * stamp[sy * n + sx];
      }
    }
  }
  // Poisson noise approximated as Gaussian of variance equal to the level (Box–Muller, two normals per draw).
  for (let i = 0; i < pixels.length; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - uniform()));
    const t = 2 * Math.PI * uniform();
    pixels[i] += Math.sqrt(Math.max(pixels[i], 1)) * r * Math.cos(t);
    if (i + 1 < pixels.length) pixels[i + 1] += Math.sqrt(Math.max(pixels[i + 1], 1)) * r * Math.sin(t);
  }
  return { pixels, truth };
}

/** Injected objects with a detected source within 2 px, among those brighter than `minFlux`. */
export function recovered(
  truth: Truth,
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  size: number,
  minFlux: number,
): number {
  const cell = 8;
  const cells = Math.ceil(size / cell);
  const grid = new Map<number, number[]>();
  for (let i = 0; i < x.length; i++) {
    const key = Math.floor(y[i]! / cell) * cells + Math.floor(x[i]! / cell);
    const list = grid.get(key);
    if (list === undefined) grid.set(key, [i]);
    else list.push(i);
  }
  let found = 0;
  for (let t = 0; t < truth.x.length; t++) {
    if (truth.flux[t]! < minFlux) continue;
    const cx = Math.floor(truth.x[t]! / cell);
    const cy = Math.floor(truth.y[t]! / cell);
    let hit = false;
    for (let dy = -1; dy <= 1 && !hit; dy++) {
      for (let dx = -1; dx <= 1 && !hit; dx++) {
        for (const i of grid.get((cy + dy) * cells + cx + dx) ?? []) {
          if (Math.hypot(x[i]! - truth.x[t]!, y[i]! - truth.y[t]!) < 2) hit = true;
        }
      }
    }
    if (hit) found++;
  }
  return found;
}

/** Detected sources with an injected object (any flux) within 2 px: purity is this over the number of sources. */
export function matchedToTruth(
  truth: Truth,
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  size: number,
): number {
  const cell = 8;
  const cells = Math.ceil(size / cell);
  const grid = new Map<number, number[]>();
  for (let t = 0; t < truth.x.length; t++) {
    const key = Math.floor(truth.y[t]! / cell) * cells + Math.floor(truth.x[t]! / cell);
    const list = grid.get(key);
    if (list === undefined) grid.set(key, [t]);
    else list.push(t);
  }
  let matched = 0;
  for (let i = 0; i < x.length; i++) {
    const cx = Math.floor(x[i]! / cell);
    const cy = Math.floor(y[i]! / cell);
    let hit = false;
    for (let dy = -1; dy <= 1 && !hit; dy++) {
      for (let dx = -1; dx <= 1 && !hit; dx++) {
        for (const t of grid.get((cy + dy) * cells + cx + dx) ?? []) {
          if (Math.hypot(x[i]! - truth.x[t]!, y[i]! - truth.y[t]!) < 2) hit = true;
        }
      }
    }
    if (hit) matched++;
  }
  return matched;
}

/** The cuts on Meridian's catalog: PSF-flux S/N (what a DP0.2 user selects on) and the detection peak's significance. */
export const PSF_SNR_RANKING = 'psfFlux / psfFluxErr';
export const SIGNIFICANCE_RANKING = 'detection significance';

/**
 * Meridian's catalog as a user of the Source table reads it: the primary sources (isolated ones and deblended
 * children; a parent repeats its children and its brightest peak), 0-based pixels, electrons.
 */
export function primaryCatalog(sources: {
  readonly count: number;
  readonly x: ArrayLike<number>;
  readonly y: ArrayLike<number>;
  readonly deblendNChild: ArrayLike<number>;
  readonly significance: ArrayLike<number>;
  readonly apertureRadii: readonly number[];
  readonly apFlux: readonly ArrayLike<number>[];
  readonly psfFlux: ArrayLike<number>;
  readonly psfFluxErr: ArrayLike<number>;
}): {
  x: number[];
  y: number[];
  small: number[];
  large: number[];
  psf: number[];
  rankings: Record<string, number[]>;
} {
  const small = sources.apFlux[sources.apertureRadii.indexOf(6)]!;
  const large = sources.apFlux[sources.apertureRadii.indexOf(12)]!;
  const out = { x: [] as number[], y: [] as number[], small: [] as number[], large: [] as number[] };
  const rest = { psf: [] as number[], snr: [] as number[], significance: [] as number[] };
  for (let i = 0; i < sources.count; i++) {
    if (sources.deblendNChild[i]! > 0) continue;
    out.x.push(sources.x[i]!);
    out.y.push(sources.y[i]!);
    out.small.push(small[i]!);
    out.large.push(large[i]!);
    rest.psf.push(sources.psfFlux[i]!);
    rest.snr.push(sources.psfFlux[i]! / sources.psfFluxErr[i]!);
    rest.significance.push(sources.significance[i]!);
  }
  return {
    ...out,
    psf: rest.psf,
    rankings: { [PSF_SNR_RANKING]: rest.snr, [SIGNIFICANCE_RANKING]: rest.significance },
  };
}

/**
 * Positions of the primary sources (primaryCatalog) whose value in one of its rankings (the detection significance
 * by default) is at least `minimum`; all of them when `minimum` is 0.
 */
export function primaryPositions(
  sources: Parameters<typeof primaryCatalog>[0],
  minimum = 0,
  by: typeof PSF_SNR_RANKING | typeof SIGNIFICANCE_RANKING = SIGNIFICANCE_RANKING,
): { x: number[]; y: number[] } {
  const primary = primaryCatalog(sources);
  if (minimum === 0) return { x: primary.x, y: primary.y };
  const quality = primary.rankings[by]!;
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < primary.x.length; i++) {
    if (!(quality[i]! >= minimum)) continue;
    x.push(primary.x[i]!);
    y.push(primary.y[i]!);
  }
  return { x, y };
}

export const FILTER = '/usr/share/source-extractor/gauss_4.0_7x7.conv';

/**
 * source-extractor thresholds the filtered image in units of the unfiltered background σ; our 5σ is in units of the
 * filtered noise. For a filter k normalised to Σk = 1 the filtered noise is sqrt(Σk²) of the pixel noise, so the
 * equivalent DETECT_THRESH is 5·sqrt(Σk²)/Σk (about 1 for a PSF-sized filter).
 */
export function equivalentThreshold(nSigma: number): number {
  const rows = readFileSync(FILTER, 'utf8')
    .split('\n')
    .filter((line) => /^[\d.\s-]+$/.test(line) && line.trim() !== '');
  const k = rows.flatMap((line) => line.trim().split(/\s+/).map(Number));
  const sum = k.reduce((a, b) => a + b, 0);
  const sum2 = k.reduce((a, b) => a + b * b, 0);
  return (nSigma * Math.sqrt(sum2)) / sum;
}

export function sourceExtractorConfig(dir: string): string[] {
  const threshold = equivalentThreshold(5).toFixed(3);
  const params = join(dir, 'bench.param');
  writeFileSync(
    params,
    [
      'NUMBER',
      'XWIN_IMAGE',
      'YWIN_IMAGE',
      'ERRX2WIN_IMAGE',
      'X2WIN_IMAGE',
      'Y2WIN_IMAGE',
      'XYWIN_IMAGE',
      `FLUX_APER(${APERTURE_DIAMETERS.length})`,
      `FLUXERR_APER(${APERTURE_DIAMETERS.length})`,
      'FLUX_AUTO',
      'FLUXERR_AUTO',
      'KRON_RADIUS',
      'FLAGS',
    ].join('\n'),
  );
  return [
    '-c',
    '/usr/share/source-extractor/default.sex',
    '-PARAMETERS_NAME',
    params,
    '-FILTER_NAME',
    FILTER,
    '-DETECT_THRESH',
    threshold,
    '-ANALYSIS_THRESH',
    threshold,
    '-DETECT_MINAREA',
    '5',
    '-BACK_SIZE',
    '128',
    '-BACK_FILTERSIZE',
    '3',
    '-PHOT_APERTURES',
    APERTURE_DIAMETERS.join(','),
    '-GAIN',
    '1',
    '-CATALOG_TYPE',
    'ASCII',
    '-CATALOG_NAME',
    join(dir, 'sources.txt'),
    '-VERBOSE_TYPE',
    'QUIET',
    '-NTHREADS',
    '1',
  ];
}

export async function benchMeasure(options: MeasureBenchOptions = {}): Promise<BenchResult[]> {
  const size = options.size ?? 4096;
  const count = options.sources ?? 5000;
  const log = options.log ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), 'meridian-measure-bench-'));
  try {
    const { pixels, truth } = renderScene(size, count);
    const bbox = box2i(0, 0, size, size);
    const variance = new ImageF(
      Float32Array.from(pixels, (v) => Math.max(v, 1)),
      bbox,
    );
    const exposure = new Exposure({
      image: new ImageF(pixels, bbox),
      mask: Mask.zeros(bbox),
      variance,
      psf: PSF,
    });
    const fitsPath = join(dir, 'image.fits');
    await writeFits(fitsPath, [{ kind: 'image', data: pixels, shape: [size, size] }]);
    readFileSync(fitsPath); // page cache

    detectAndMeasure(exposure); // warm-up: the JIT compiles the hot loops on the real image size, as source-extractor's warm-up run fills the page cache
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const result = detectAndMeasure(exposure);
    const meridianMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const meridianCpuMs = (cpu.user + cpu.system) / 1000;
    const steps = Object.entries(result.cpuTimings)
      .map(([k, v]) => `${k} ${(v / 1000).toFixed(2)} s`)
      .join(', ');
    log(
      `measure: Meridian ${(meridianMs / 1000).toFixed(2)} s wall, ${(meridianCpuMs / 1000).toFixed(2)} s CPU (CPU: ${steps}), ${result.sources.count} sources`,
    );

    let sextractorMs = Number.NaN;
    let sextractorCpuMs = Number.NaN;
    let sexCount = 0;
    let sexX: number[] = [];
    let sexY: number[] = [];
    try {
      const run = runSourceExtractor(fitsPath, dir);
      sextractorMs = run.wallMs;
      sextractorCpuMs = run.cpuMs;
      sexCount = run.sources.length;
      sexX = run.sources.map((s) => s.x);
      sexY = run.sources.map((s) => s.y);
      log(
        `measure: source-extractor ${(sextractorMs / 1000).toFixed(2)} s wall, ${(sextractorCpuMs / 1000).toFixed(2)} s CPU, ${sexCount} sources`,
      );
    } catch (err) {
      log(`measure: source-extractor not run (${(err as Error).message.split('\n')[0]})`);
    }
    // Completeness above a PSF S/N of ~15 (in this sky S/N 10 is about 1100 e- for a star) for both.
    const bright = 1700;
    const total = truth.flux.filter((f) => f >= bright).length;
    const primary = primaryPositions(result.sources);
    const ours = recovered(truth, primary.x, primary.y, size, bright);
    const theirs = sexCount > 0 ? recovered(truth, sexX, sexY, size, bright) : Number.NaN;
    log(
      `measure: objects ≥ ${bright} e- recovered: Meridian ${ours}/${total}, source-extractor ${theirs}/${total}`,
    );
    const ourPurity = matchedToTruth(truth, primary.x, primary.y, size);
    const theirPurity = sexCount > 0 ? matchedToTruth(truth, sexX, sexY, size) : Number.NaN;
    log(
      `measure: purity (sources with an injected object within 2 px): Meridian ${ourPurity}/${primary.x.length} primary (${result.sources.count} with parents), source-extractor ${theirPurity}/${sexCount}`,
    );
    if (sexCount > 0 && ourPurity / primary.x.length < theirPurity / sexCount) {
      // Completeness at equal purity: raise a cut on Meridian's catalog (detection significance, or the PSF-flux
      // S/N a catalog user selects on) until its purity reaches source-extractor's.
      for (const by of [SIGNIFICANCE_RANKING, PSF_SNR_RANKING] as const) {
        for (let cut = 4; cut < 40; cut += 0.1) {
          const kept = primaryPositions(result.sources, cut, by);
          if (matchedToTruth(truth, kept.x, kept.y, size) / kept.x.length < theirPurity / sexCount) continue;
          log(
            `measure: at source-extractor's purity (${by} ≥ ${cut.toFixed(1)}, ${kept.x.length} sources): Meridian recovers ${recovered(truth, kept.x, kept.y, size, bright)}/${total}`,
          );
          break;
        }
      }
    }
    const timing = (name: string, ours: number, reference: number): BenchResult => ({
      name: `detect+measure ${size}×${size}, ${count} objects (${name})`,
      value: ours / 1000,
      unit: 's',
      ...(Number.isFinite(reference)
        ? { reference: reference / 1000, referenceName: 'source-extractor', target: (1.5 * reference) / 1000 }
        : {}),
    });
    return [timing('wall', meridianMs, sextractorMs), timing('CPU', meridianCpuMs, sextractorCpuMs)];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One source of source-extractor's catalog (the columns `sourceExtractorConfig` asks for), 0-based pixels. */
export interface SourceExtractorSource {
  readonly x: number;
  readonly y: number;
  /** FLUX_APER for each of APERTURE_DIAMETERS, and its error. */
  readonly apFlux: readonly number[];
  readonly apFluxErr: readonly number[];
  readonly autoFlux: number;
  readonly autoFluxErr: number;
  readonly flags: number;
}

/**
 * Runs `source-extractor` on a FITS image with `sourceExtractorConfig`: once to warm up (page cache), then timed;
 * returns the catalog with the wall-clock and CPU milliseconds of the timed run. Throws when the program is missing.
 */
export function runSourceExtractor(
  fitsPath: string,
  dir: string,
): { wallMs: number; cpuMs: number; sources: SourceExtractorSource[] } {
  const args = [fitsPath, ...sourceExtractorConfig(dir)];
  execFileSync('source-extractor', args, { cwd: dir, stdio: 'ignore' }); // warm-up
  // bash's `time` reports the child's user and system CPU seconds: comparable with process.cpuUsage()
  // when other work shares the cores (wall time is then mostly waiting).
  const t1 = performance.now();
  const timed = spawnSync(
    'bash',
    ['-c', 'TIMEFORMAT="%U %S"; time source-extractor "$@" >/dev/null 2>&1', 'bash', ...args],
    { cwd: dir, encoding: 'utf8' },
  );
  const wallMs = performance.now() - t1;
  const [user, system] = timed.stderr.trim().split(/\s+/).map(Number);
  const n = APERTURE_DIAMETERS.length;
  const sources = readFileSync(join(dir, 'sources.txt'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => {
      const r = line.trim().split(/\s+/).map(Number);
      // Columns in sourceExtractorConfig's order; FITS pixel centres are at integers from 1, Meridian's from 0.
      return {
        x: r[1]! - 1,
        y: r[2]! - 1,
        apFlux: r.slice(7, 7 + n),
        apFluxErr: r.slice(7 + n, 7 + 2 * n),
        autoFlux: r[7 + 2 * n]!,
        autoFluxErr: r[8 + 2 * n]!,
        flags: r[10 + 2 * n]!,
      };
    });
  return { wallMs, cpuMs: 1000 * (user! + system!), sources };
}

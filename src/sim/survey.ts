/**
 * `simulateSurvey`: plan the cadence, generate the truth, write master calibrations, render every raw (on worker
 * threads when more than one worker is asked for), write the truth and reference-catalogue Parquet files and, last, a versioned
 * manifest.json describing all of it. The layout of OUTDIR is documented in docs/simulator.md.
 */

import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { meridianError } from '../errors.js';
import { writeFits } from '../formats/index.js';
import {
  type CalibrationEntry,
  type DetectorDescription,
  filterForBand,
  focalPlaneRadiusPixels,
  type InstrumentDescription,
  MANIFEST_VERSION,
  meridianCam,
  nanojanskyFromAbMag,
  opticalAxisPixel,
  type RefcatShard,
  type SurveyManifestBase,
} from '../obs/index.js';
import { type ExposureRecord, planExposures } from './cadence.js';
import {
  REFCAT_HTM_LEVEL,
  REFCAT_MAG_LIMIT,
  refcatColumns,
  supernovaLightCurveColumns,
  truthSummaryColumns,
} from './catalog-tables.js';
import { ccdVisitTruthColumns } from './ccd-visit-truth.js';
import { type ExposureTruth, exposureTruth } from './conditions.js';
import {
  biasStructure,
  type DetectorGeometry,
  defectBoxes,
  detectorDefects,
  flatFieldPattern,
} from './detector-effects.js';
import { calibrationCards, rawCards } from './headers.js';
import { resolveSurveyOptions, type SurveyOptions, type SurveyOptionsInput } from './options.js';
import { ParquetExporter } from './parquet.js';
import type { RawFileTask } from './raw.js';
import { buildScenes } from './scene.js';
import { generateTruth, TRUTH_TYPE, type TruthCatalog } from './truth.js';
import { openRawWriter } from './workers.js';

export interface RawFileEntry {
  readonly detector: number;
  /** Path relative to OUTDIR, `/`-separated. */
  readonly path: string;
}

export interface ManifestExposure extends ExposureRecord {
  readonly raws: readonly RawFileEntry[];
  /** What the header does not tell: true pointing, distortion, cloud, zero point, PSF field (since version 2). */
  readonly truth: ExposureTruth;
}

export interface SurveyManifest extends SurveyManifestBase {
  /** Options as resolved (without outDir and workers, which do not change the output). */
  readonly options: Omit<SurveyOptions, 'outDir' | 'workers'>;
  readonly seed: number;
  readonly exposures: readonly ManifestExposure[];
  readonly truth: {
    readonly summary: string;
    readonly supernovaLightCurves: string;
    /** Per exposure and detector: true TAN-SIP WCS, zero point, PSF at the centre (since version 2). */
    readonly ccdVisits: string;
    /** The truth covers this cap: the survey area widened by the focal-plane radius. */
    readonly cap: { readonly ra: number; readonly dec: number; readonly radiusDeg: number };
    readonly counts: { readonly galaxies: number; readonly stars: number; readonly supernovae: number };
  };
}

export interface SurveyResult {
  readonly outDir: string;
  readonly manifest: SurveyManifest;
  /** How raws were rendered: worker threads or the calling thread. */
  readonly renderMode: 'threads' | 'in-process';
  readonly seconds: number;
}

function relativeRawPath(exposure: ExposureRecord, detector: DetectorDescription): string {
  return `raw/${exposure.dayObs}/${exposure.id}/raw_${exposure.id}_${String(detector.id).padStart(3, '0')}.fits`;
}

function geometryOf(instrument: InstrumentDescription, detector: DetectorDescription): DetectorGeometry {
  return {
    detector,
    opticalAxis: opticalAxisPixel(instrument, detector),
    focalPlaneRadius: focalPlaneRadiusPixels(instrument),
  };
}

async function requireEmptyDirectory(path: string): Promise<void> {
  const entries = await readdir(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  if (entries.length > 0) {
    throw meridianError('INVALID_ARGUMENT', `output directory ${path} is not empty; choose a new directory`, {
      path,
    });
  }
}

async function writeCalibrations(
  outDir: string,
  instrument: InstrumentDescription,
  options: SurveyOptions,
): Promise<CalibrationEntry[]> {
  const entries: CalibrationEntry[] = [];
  await mkdir(join(outDir, 'calib'), { recursive: true });
  for (const detector of instrument.detectors) {
    const shape = [detector.width, detector.height];
    const name = String(detector.id).padStart(3, '0');
    const biasPath = `calib/bias_${name}.fits`;
    await writeFits(
      join(outDir, biasPath),
      [
        {
          kind: 'image',
          data: biasStructure(detector, options.seed),
          shape,
          cards: calibrationCards(instrument, detector, 'bias'),
        },
      ],
      { checksum: true },
    );
    entries.push({ kind: 'bias', detector: detector.id, path: biasPath });
    for (const band of options.bands) {
      const filter = filterForBand(instrument, band);
      const flatPath = `calib/flat_${band}_${name}.fits`;
      const flat = flatFieldPattern(geometryOf(instrument, detector), band, options.seed);
      await writeFits(
        join(outDir, flatPath),
        [
          {
            kind: 'image',
            data: flat,
            shape,
            cards: calibrationCards(instrument, detector, 'flat', filter.physicalFilter),
          },
        ],
        { checksum: true },
      );
      entries.push({
        kind: 'flat',
        detector: detector.id,
        physicalFilter: filter.physicalFilter,
        band,
        path: flatPath,
      });
    }
  }
  return entries;
}

/** Sky electrons per pixel over the exposure (the sky is not extinguished: it glows in the atmosphere itself). */
export function skyElectronsPerPixel(instrument: InstrumentDescription, exposure: ExposureRecord): number {
  const filter = filterForBand(instrument, exposure.band);
  const perArcsec2 = nanojanskyFromAbMag(exposure.skyMagPerArcsec2);
  return (
    ((perArcsec2 * instrument.pixelScaleArcsec ** 2) / filter.nJyPerElectronPerSecond) * exposure.exposureTime
  );
}

/** The render tasks of one exposure, one per detector. */
export function rawTasks(
  instrument: InstrumentDescription,
  exposure: ExposureRecord,
  truth: TruthCatalog,
  conditions: ExposureTruth,
  options: Pick<SurveyOptions, 'seed' | 'outDir' | 'cosmicRays' | 'defects'>,
): RawFileTask[] {
  const scenes = buildScenes(instrument, exposure, instrument.detectors, truth, conditions);
  const sky = skyElectronsPerPixel(instrument, exposure);
  return instrument.detectors.map((detector, k) => ({
    kind: 'raw-file-task',
    path: join(options.outDir, relativeRawPath(exposure, detector)),
    cards: rawCards(instrument, detector, exposure),
    render: {
      kind: 'raw-render-task',
      seed: options.seed,
      exposureId: exposure.id,
      band: exposure.band,
      darkTime: exposure.darkTime,
      geometry: geometryOf(instrument, detector),
      pixelSizeMm: instrument.pixelSizeMm,
      skyElectronsPerPixel: sky,
      psf: {
        kind: 'detector-psf-field',
        model: conditions.psf,
        opticalAxis: opticalAxisPixel(instrument, detector),
      },
      scene: scenes[k],
      cosmicRays: options.cosmicRays,
      defects: options.defects,
    },
  }));
}

async function writeCatalogs(
  outDir: string,
  instrument: InstrumentDescription,
  truth: TruthCatalog,
  exposures: readonly ManifestExposure[],
  seed: number,
): Promise<RefcatShard[]> {
  await mkdir(join(outDir, 'truth'), { recursive: true });
  await mkdir(join(outDir, 'refcat'), { recursive: true });
  const exporter = await ParquetExporter.open();
  try {
    await exporter.load('truth_summary', { columns: truthSummaryColumns(truth) });
    await exporter.export(join(outDir, 'truth/truth_summary.parquet'), 'truth_summary', { orderBy: ['id'] });
    await exporter.load('sn_lightcurves', { columns: supernovaLightCurveColumns(truth, exposures) });
    await exporter.export(join(outDir, 'truth/sn_lightcurves.parquet'), 'sn_lightcurves', {
      orderBy: ['id', 'mjd'],
    });
    await exporter.load('ccd_visit_truth', { columns: ccdVisitTruthColumns(instrument, exposures) });
    await exporter.export(join(outDir, 'truth/ccd_visit_truth.parquet'), 'ccd_visit_truth', {
      orderBy: ['exposure', 'detector'],
    });
    const refcat = refcatColumns(truth, seed);
    await exporter.load('refcat', { columns: refcat });
    const htmColumn = refcat.find((c) => c.name === 'htm7')!.values as ArrayLike<number>;
    const counts = new Map<number, number>();
    for (let i = 0; i < htmColumn.length; i++) counts.set(htmColumn[i], (counts.get(htmColumn[i]) ?? 0) + 1);
    const shards = [...counts.entries()].sort((a, b) => a[0] - b[0]);
    const columns = refcat.filter((c) => c.name !== 'htm7').map((c) => c.name);
    const result: RefcatShard[] = [];
    for (const [htm7, rows] of shards) {
      const path = `refcat/${htm7}.parquet`;
      await exporter.export(join(outDir, path), 'refcat', {
        columns,
        filters: [['htm7', '=', htm7]],
        orderBy: ['id'],
      });
      result.push({ htm7, path, rows });
    }
    return result;
  } finally {
    exporter.close();
  }
}

function countOf(truth: TruthCatalog, type: number): number {
  let n = 0;
  for (let i = 0; i < truth.count; i++) if (truth.truthType[i] === type) n++;
  return n;
}

/** Simulate a survey into `options.outDir` (which must be empty or absent). */
export async function simulateSurvey(input: SurveyOptionsInput): Promise<SurveyResult> {
  const started = performance.now();
  const options = resolveSurveyOptions(input);
  const { outDir } = options;
  await requireEmptyDirectory(outDir);
  await mkdir(outDir, { recursive: true });
  // The camera's distortion is a knob of the survey; the manifest's copy of the instrument records it.
  const instrument: InstrumentDescription = Object.freeze({
    ...meridianCam({ detectorCount: options.detectors, detectorSize: options.detectorSize }),
    radialDistortionPerPixel2: options.distortion,
  });
  const area = { ra: options.ra, dec: options.dec, radiusDeg: options.radiusDeg };
  const exposures = planExposures(instrument, { ...options, area });
  const fieldRadiusDeg = (focalPlaneRadiusPixels(instrument) * instrument.pixelScaleArcsec) / 3600;
  const cap = { ...area, radiusDeg: options.radiusDeg + fieldRadiusDeg };
  const first = exposures[0].mjdStart;
  const last = exposures[exposures.length - 1].mjdStart;
  const truth = generateTruth({
    seed: options.seed,
    cap,
    densities: options,
    // Supernovae peak from a little before the survey to a little after, so some rise and some fade.
    mjdRange: [first - 20, last + 20],
  });

  const progress = input.onProgress ?? (() => undefined);
  progress({ phase: 'calibrations', done: 0, total: instrument.detectors.length, unit: 'detectors' });
  const calibrationFiles = await writeCalibrations(outDir, instrument, options);
  progress({
    phase: 'calibrations',
    done: instrument.detectors.length,
    total: instrument.detectors.length,
    unit: 'detectors',
  });

  const writer = openRawWriter(options.workers);
  const manifestExposures: ManifestExposure[] = [];
  try {
    const pending: Promise<unknown>[] = [];
    const totalRaws = exposures.length * instrument.detectors.length;
    let rendered = 0;
    const reportRaw = () => progress({ phase: 'raws', done: ++rendered, total: totalRaws, unit: 'files' });
    progress({ phase: 'raws', done: 0, total: totalRaws, unit: 'files' });
    for (const exposure of exposures) {
      await writer.waitForRoom();
      const conditions = exposureTruth(instrument, exposure, options.seed, options);
      const tasks = rawTasks(instrument, exposure, truth, conditions, options);
      const directories = new Set(tasks.map((t) => dirname(t.path)));
      for (const directory of directories) await mkdir(directory, { recursive: true });
      for (const task of tasks) {
        const written = writer.write(task).then(reportRaw);
        // Handled here too: a raw that fails while later ones are being submitted must not be an unhandled rejection.
        written.catch(() => undefined);
        pending.push(written);
      }
      manifestExposures.push({
        ...exposure,
        raws: instrument.detectors.map((d) => ({ detector: d.id, path: relativeRawPath(exposure, d) })),
        truth: conditions,
      });
    }
    await Promise.all(pending);
  } finally {
    await writer.close();
  }

  progress({ phase: 'truth and refcat', done: 0, total: 1, unit: 'steps' });
  const shards = await writeCatalogs(outDir, instrument, truth, manifestExposures, options.seed);
  progress({ phase: 'truth and refcat', done: 1, total: 1, unit: 'steps' });
  const { outDir: _outDir, workers: _workers, ...recorded } = options;
  const manifest: SurveyManifest = {
    kind: 'meridian-sim-survey',
    version: MANIFEST_VERSION,
    options: recorded,
    seed: options.seed,
    instrument,
    exposures: manifestExposures,
    calibrations: {
      validFromMjd: Math.floor(first) - 1,
      validToMjd: Math.ceil(last) + 1,
      files: calibrationFiles,
      ...(options.defects
        ? {
            defects: instrument.detectors.map((d) => ({
              detector: d.id,
              boxes: defectBoxes(detectorDefects(d, options.seed)),
            })),
          }
        : {}),
    },
    truth: {
      summary: 'truth/truth_summary.parquet',
      supernovaLightCurves: 'truth/sn_lightcurves.parquet',
      ccdVisits: 'truth/ccd_visit_truth.parquet',
      cap,
      counts: {
        galaxies: countOf(truth, TRUTH_TYPE.galaxy),
        stars: countOf(truth, TRUTH_TYPE.star),
        supernovae: countOf(truth, TRUTH_TYPE.supernova),
      },
    },
    refcat: {
      name: 'meridian_refcat',
      htmLevel: REFCAT_HTM_LEVEL,
      magnitudeLimitR: REFCAT_MAG_LIMIT,
      coordinateUnit: 'deg',
      shards,
    },
  };
  await writeFile(join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return { outDir, manifest, renderMode: writer.mode, seconds: (performance.now() - started) / 1000 };
}

/**
 * A tiny honest survey in a butler repository with icExp-like inputs for the calibrate task: the simulator's raws
 * (pointing errors, distortion, varying PSF, cloud), ingested with the obs sequence and the refcat; per raw an icExp
 * made here as characterizeImage would (overscan, bias, gain, flat → electrons; variance; SAT mask; background
 * subtracted and cosmic rays repaired by measure's detectAndMeasure; a Gaussian PSF of the header seeing; the raw
 * WCS), icExpBackground (the background models as JSON) and icSrc (positions and calib_psf_used flags).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Butler } from '../../../src/butler/index.js';
import {
  box2i,
  Exposure,
  FWHM_PER_SIGMA,
  headerNumber,
  ImageF,
  Mask,
  makeTable,
  metadataCards,
  readFits,
  wcsFromHeader,
} from '../../../src/formats/index.js';
import {
  defineVisits,
  ingestRaws,
  ingestRefcat,
  registerInstrument,
  writeCuratedCalibrations,
} from '../../../src/obs/index.js';
import { type SurveyManifest, type SurveyOptionsInput, simulateSurvey } from '../../../src/sim/index.js';
import { backgroundModelToJson, detectAndMeasure } from '../../../src/tasks/index.js';
import { calibratedElectrons } from '../../sim/helpers.js';

export const INSTRUMENT = 'MeridianCam';
export const IC_RUN = 'test/characterize';
export const DIMS = ['instrument', 'visit', 'detector'];

export interface CalibrateSurvey {
  readonly dir: string;
  readonly simDir: string;
  readonly repo: string;
  readonly butler: Butler;
  readonly manifest: SurveyManifest;
  /** Seconds spent making each icExp (the characterizeImage stand-in), for the report. */
  readonly icExpSeconds: number[];
  cleanup(): Promise<void>;
}

/** The icExp stand-in for one raw, and its icExpBackground and icSrc. */
export async function makeIcExp(
  simDir: string,
  rawPath: string,
  band: string,
  detector: number,
  pixelScaleArcsec: number,
) {
  const { header, electrons, width, height } = await calibratedElectrons(simDir, rawPath, band, detector);
  const raw = await (await readFits(join(simDir, rawPath))).readImage(0);
  const saturate = headerNumber(header, 'SATURATE')!;
  const readNoise = headerNumber(header, 'RDNOISE')!;
  const bbox = box2i(0, 0, width, height);
  const image = new ImageF(Float32Array.from(electrons), bbox);
  const variance = new ImageF(
    Float32Array.from(electrons, (e) => Math.max(e, 0) + readNoise * readNoise),
    bbox,
  );
  const mask = Mask.zeros(bbox);
  const sat = mask.bitMask('SAT');
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (Number(raw.data[y * raw.width + x]) >= saturate) mask.array[y * width + x]! |= sat;
    }
  }
  const seeing = headerNumber(header, 'SEEING')!;
  const psf = { kind: 'gaussian' as const, sigma: seeing / pixelScaleArcsec / FWHM_PER_SIGMA };
  const postIsr = new Exposure({
    image,
    mask,
    variance,
    wcs: wcsFromHeader(header),
    psf,
    metadata: metadataCards(header),
  });
  const measured = detectAndMeasure(postIsr);
  const m = measured.sources;
  // "PSF stars": significant, unblended, unflagged and point-like.
  const psfUsed = Array.from(
    { length: m.count },
    (_, i) =>
      m.significance[i]! > 50 &&
      m.peakCount[i] === 1 &&
      !m.flags.saturated[i] &&
      !m.flags.edge[i] &&
      m.ixx[i]! + m.iyy[i]! < 1.2 * 2 * psf.sigma * psf.sigma,
  );
  return {
    icExp: measured.exposure,
    icExpBackground: {
      kind: 'backgroundList',
      version: 1,
      components: measured.backgrounds.map(backgroundModelToJson),
    },
    icSrc: makeTable({
      slot_Centroid_x: m.x,
      slot_Centroid_y: m.y,
      calib_psf_candidate: psfUsed,
      calib_psf_used: psfUsed,
      calib_psf_reserved: psfUsed.map(() => false),
    }),
  };
}

export async function calibrateSurvey(options: Partial<SurveyOptionsInput> = {}): Promise<CalibrateSurvey> {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-calexp-'));
  const simDir = join(dir, 'sim');
  const { manifest } = await simulateSurvey({
    outDir: simDir,
    seed: 11,
    visits: 2,
    nights: 1,
    bands: ['r'],
    detectors: 2,
    detectorSize: 1024,
    radiusDeg: 0.05,
    starsPerDeg2: 300_000,
    galaxiesPerDeg2: 20_000,
    supernovae: 0,
    workers: 1,
    ...options,
  });
  const repo = join(dir, 'repo');
  const butler = await Butler.create(repo);
  await registerInstrument(butler, manifest.instrument);
  await ingestRaws(butler, [join(simDir, 'raw')], { transfer: 'copy' });
  await defineVisits(butler);
  await writeCuratedCalibrations(butler, simDir, { transfer: 'copy' });
  await ingestRefcat(butler, join(simDir, 'refcat'), { transfer: 'copy' });
  await butler.registerDatasetType('icExp', DIMS, 'ExposureF');
  await butler.registerDatasetType('icExpBackground', DIMS, 'StructuredDataDict');
  await butler.registerDatasetType('icSrc', DIMS, 'SourceCatalog');
  const icExpSeconds: number[] = [];
  for (const exposure of manifest.exposures) {
    for (const raw of exposure.raws) {
      const started = performance.now();
      const made = await makeIcExp(
        simDir,
        raw.path,
        exposure.band,
        raw.detector,
        manifest.instrument.pixelScaleArcsec,
      );
      icExpSeconds.push((performance.now() - started) / 1000);
      const dataId = { instrument: INSTRUMENT, visit: exposure.id, detector: raw.detector };
      await butler.put(made.icExp, 'icExp', dataId, { run: IC_RUN });
      await butler.put(made.icExpBackground, 'icExpBackground', dataId, { run: IC_RUN });
      await butler.put(made.icSrc, 'icSrc', dataId, { run: IC_RUN });
    }
  }
  return {
    dir,
    simDir,
    repo,
    butler,
    manifest,
    icExpSeconds,
    async cleanup() {
      await butler.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

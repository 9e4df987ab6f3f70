/**
 * The small honest survey of the DRP end-to-end test and the repositories made from it. The survey is simulated
 * once per test file (defects, pointing errors, a distorted focal plane, a varying PSF, cloud: the simulator's
 * honest raws) and each back end gets its own repository, filled through the obs library exactly as
 * `butler register-instrument`/`ingest-raws`/... would. The bad inputs of issue 13 are made here too, honestly:
 * bytes of a raw's header overwritten in the datastore, a raw whose imaging pixels are replaced by flat sky and
 * noise (header and overscan kept), and a second reference catalogue with a hole over one detector.
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Butler } from '../../src/butler/index.js';
import { headerString, readFits, writeFits } from '../../src/formats/index.js';
import { ingestSimulatedSurvey } from '../../src/obs/index.js';
import { type SurveyManifest, simulateSurvey } from '../../src/sim/index.js';
import { dropSchema, uniqueName } from '../support/postgres.js';

export const INSTRUMENT = 'MeridianCam';
/** The collections a DRP run reads (as src/demo/drp-demo.ts's DRP_INPUT_COLLECTIONS). */
export const DRP_INPUTS = [
  'MeridianCam/raw/all',
  'MeridianCam/calib',
  'refcats/the_monster_refcat',
  'skymaps',
];

export interface DrpSurvey {
  readonly simDir: string;
  readonly manifest: SurveyManifest;
  cleanup(): void;
}

/**
 * Three visits in r on four 1024-pixel detectors, star-rich (as the demo survey: ~50 usable reference stars per
 * detector for the astrometric and photometric fits), with defects for the ISR to mask.
 */
export async function simulateDrpSurvey(): Promise<DrpSurvey> {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-drp-sim-'));
  const simDir = join(dir, 'sim');
  const { manifest } = await simulateSurvey({
    outDir: simDir,
    seed: 13,
    visits: 3,
    nights: 1,
    bands: ['r'],
    detectors: 4,
    detectorSize: 1024,
    radiusDeg: 0.1,
    starsPerDeg2: 100_000,
    defects: true,
    workers: 2,
  });
  return { simDir, manifest, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface DrpRepo {
  readonly root: string;
  /** The registry schema on the PostgreSQL server, or null for SQLite. */
  readonly namespace: string | null;
  cleanup(): Promise<void>;
}

/** A repository holding the survey's raws, visits, calibrations, skymap and refcat; the butler is closed. */
export async function makeDrpRepo(survey: DrpSurvey, postgresUrl: string | null): Promise<DrpRepo> {
  const root = mkdtempSync(join(tmpdir(), 'meridian-drp-repo-'));
  const namespace = postgresUrl === null ? null : uniqueName('drpe2e');
  const butler = await Butler.create(
    root,
    postgresUrl === null || namespace === null ? {} : { registry: { db: postgresUrl, namespace } },
  );
  try {
    const { simDir, manifest } = survey;
    await ingestSimulatedSurvey(butler, simDir, { manifest, transfer: 'copy' });
  } finally {
    await butler.close();
  }
  return {
    root,
    namespace,
    async cleanup() {
      rmSync(root, { recursive: true, force: true });
      if (namespace !== null) await dropSchema(namespace);
    },
  };
}

/** The datastore file of one raw (the copy ingest made, not the simulator's file). */
export async function rawFile(root: string, exposure: number, detector: number): Promise<string> {
  const butler = await Butler.open(root);
  try {
    return await butler.getURI(
      'raw',
      { instrument: INSTRUMENT, exposure, detector },
      { collections: ['MeridianCam/raw/all'] },
    );
  } finally {
    await butler.close();
  }
}

/**
 * Overwrite the BITPIX card of a raw's only HDU with bytes that are no FITS card (a disk or transfer error), the
 * size unchanged: reading it must fail, not yield pixels.
 */
export function corruptRawHeader(path: string): void {
  const fd = openSync(path, 'r+');
  try {
    // Card 2 of the primary header (bytes 80..159) is BITPIX; non-ASCII bytes make it unreadable.
    writeSync(fd, Buffer.alloc(80, 0xff), 0, 80, 80);
  } finally {
    closeSync(fd);
  }
}

/**
 * Replace the imaging pixels of a raw (DATASEC) by flat sky with Gaussian noise of the same level and spread as
 * the sky of the original (median and MAD of the imaging pixels); the header and the overscan stay as they were.
 * What a detector looking at an empty field (or with its shutter closed on a bright sky) writes: no stars.
 */
export async function replaceWithEmptySky(path: string): Promise<void> {
  const fits = await readFits(path);
  const header = fits.hdu(0).header;
  const image = await fits.readImage(0);
  const section = headerString(header, 'DATASEC');
  const match = /^\[(\d+):(\d+),(\d+):(\d+)\]$/.exec(section ?? '');
  if (match === null) throw new Error(`raw ${path} has no single-amplifier DATASEC (${section})`);
  const [x0, x1, y0, y1] = match.slice(1).map((v) => Number(v) - 1) as [number, number, number, number];
  const values: number[] = [];
  for (let y = y0; y <= y1; y += 7)
    for (let x = x0; x <= x1; x += 7) values.push(Number(image.data[y * image.width + x]));
  values.sort((a, b) => a - b);
  const median = values[values.length >> 1]!;
  const deviations = values.map((v) => Math.abs(v - median)).sort((a, b) => a - b);
  const sigma = 1.4826 * deviations[deviations.length >> 1]!;
  const normal = seededNormal(20260505);
  const pixels = Uint16Array.from(image.data as ArrayLike<number>);
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) pixels[y * image.width + x] = Math.round(median + sigma * normal());
  }
  await writeFits(
    path,
    [{ kind: 'image', data: pixels, shape: [image.width, image.height], cards: header }],
    {
      checksum: true,
    },
  );
}

/** Standard normal deviates from a seeded mulberry32 stream (Box-Muller), so the empty sky is the same every run. */
function seededNormal(seed: number): () => number {
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

/**
 * The part of a simulated survey's `manifest.json` that the instrument package reads: the camera layout, the
 * master calibrations, the truth footprint and the reference-catalogue shards. The simulator writes the whole
 * manifest (its own type extends this one), so the file format is defined where it is read.
 */

import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { resolveInside } from '../butler/index.js';
import { meridianError } from '../errors.js';
import type { Band, InstrumentDescription } from './camera.js';

/**
 * Version 2 (honest raws) added per-exposure truth to `exposures[]` and `truth.ccdVisits`; the parts read here are
 * unchanged, so version 1 manifests are still read.
 */
export const MANIFEST_VERSION = 2;

export interface CalibrationEntry {
  readonly kind: 'bias' | 'flat';
  readonly detector: number;
  readonly physicalFilter?: string;
  readonly band?: Band;
  /** Path relative to the survey directory, `/`-separated. */
  readonly path: string;
}

/** A rectangle of defective pixels, 0-based imaging-area coordinates (no overscan). */
export interface DefectBox {
  readonly x0: number;
  readonly y0: number;
  readonly width: number;
  readonly height: number;
}

/** The known defects of one detector: its bad columns and hot pixels, as boxes (a curated calibration). */
export interface DefectsEntry {
  readonly detector: number;
  readonly boxes: readonly DefectBox[];
}

export interface RefcatShard {
  readonly htm7: number;
  readonly path: string;
  readonly rows: number;
}

export interface SurveyManifestBase {
  readonly kind: 'meridian-sim-survey';
  readonly version: 1 | typeof MANIFEST_VERSION;
  readonly instrument: InstrumentDescription;
  readonly calibrations: {
    /** Validity range to certify the calibrations with: the whole survey, MJD (UTC). */
    readonly validFromMjd: number;
    readonly validToMjd: number;
    readonly files: readonly CalibrationEntry[];
    /**
     * Defects per detector, written in the manifest itself (as Rubin keeps curated defects as text in obs_*_data);
     * absent from manifests written before the simulator had defects.
     */
    readonly defects?: readonly DefectsEntry[];
  };
  readonly truth: {
    /** The truth covers this cap: the survey area widened by the focal-plane radius. */
    readonly cap: { readonly ra: number; readonly dec: number; readonly radiusDeg: number };
  };
  readonly refcat: {
    readonly name: string;
    readonly htmLevel: number;
    readonly magnitudeLimitR: number;
    readonly coordinateUnit: 'deg';
    readonly shards: readonly RefcatShard[];
  };
}

/** Read and check a simulator manifest (`<simDir>/manifest.json`). */
export async function readSurveyManifest(simDir: string): Promise<SurveyManifestBase> {
  const path = join(resolve(simDir), 'manifest.json');
  let manifest: SurveyManifestBase;
  try {
    manifest = JSON.parse(await readFile(path, 'utf8')) as SurveyManifestBase;
  } catch (err) {
    throw meridianError('FILE_NOT_FOUND', `cannot read a survey manifest at ${path}`, { path }, err);
  }
  if (manifest?.kind !== 'meridian-sim-survey') {
    throw meridianError('INVALID_ARGUMENT', `${path} is not a Meridian survey manifest`, { path });
  }
  if (manifest.version > MANIFEST_VERSION) {
    throw meridianError(
      'SCHEMA_VERSION',
      `${path} has manifest version ${manifest.version}; this Meridian reads ${MANIFEST_VERSION}`,
    );
  }
  return manifest;
}

/**
 * The absolute path of a file a survey manifest names (a calibration frame, a refcat shard): relative to the
 * survey directory and required to stay inside it (PATH_TRAVERSAL otherwise, also for absolute paths and for
 * directories that are symbolic links out of it), so that a manifest cannot make the butler read other files.
 */
export function surveyFilePath(simDir: string, path: string): string {
  return resolveInside(resolve(simDir), path, {
    baseName: 'survey directory',
    source: `${join(resolve(simDir), 'manifest.json')}`,
  });
}

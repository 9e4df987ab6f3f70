import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FitsHeader, headerValue, readFits } from '../../src/formats/index.js';
import type { SurveyResult } from '../../src/sim/index.js';
import { HtmPixelization, UnitVector3 } from '../../src/sphere/index.js';
import { median, query, readParquet, removeTemporaryDirectories, smallSurvey, sqlString } from './helpers.js';

afterAll(removeTemporaryDirectories);

function filesUnder(root: string): string[] {
  return readdirSync(root, { recursive: true, encoding: 'utf8' })
    .filter((p) => statSync(join(root, p)).isFile())
    .sort();
}

function digest(root: string, relative: string): string {
  return createHash('sha256')
    .update(readFileSync(join(root, relative)))
    .digest('hex');
}

let run: SurveyResult;
let outDir: string;

beforeAll(async () => {
  run = await smallSurvey('main');
  outDir = run.outDir;
});

describe('survey output', () => {
  it('writes every file the manifest lists, and nothing else', () => {
    const { manifest } = run;
    const listed = [
      'manifest.json',
      manifest.truth.summary,
      manifest.truth.supernovaLightCurves,
      manifest.truth.ccdVisits,
      ...manifest.calibrations.files.map((f) => f.path),
      ...manifest.refcat.shards.map((s) => s.path),
      ...manifest.exposures.flatMap((e) => e.raws.map((r) => r.path)),
    ].sort();
    expect(filesUnder(outDir)).toEqual(listed);
    expect(manifest.kind).toBe('meridian-sim-survey');
    expect(manifest.version).toBe(2);
    expect(manifest.exposures).toHaveLength(3);
    // A bias per detector and a flat per detector and band.
    expect(manifest.calibrations.files).toHaveLength(2 + 2 * 2);
  });

  it('raw headers agree with the manifest', async () => {
    for (const exposure of run.manifest.exposures) {
      for (const raw of exposure.raws) {
        const file = await readFits(join(outDir, raw.path));
        const header: FitsHeader = file.hdu(0).header;
        const value = (k: string) => headerValue(header, k);
        const detector = run.manifest.instrument.detectors[raw.detector];
        expect(file.hdus).toHaveLength(1);
        expect(value('BITPIX')).toBe(16);
        expect(value('BZERO')).toBe(32768);
        expect(value('NAXIS1')).toBe(256 + 32);
        expect(value('NAXIS2')).toBe(256);
        expect(value('INSTRUME')).toBe('MeridianCam');
        expect(value('OBSTYPE')).toBe('science');
        expect(value('OBSID')).toBe(exposure.obsId);
        expect(value('EXPID')).toBe(exposure.id);
        expect(value('DAYOBS')).toBe(String(exposure.dayObs));
        expect(value('SEQNUM')).toBe(exposure.seqNum);
        expect(value('DATE-OBS')).toBe(exposure.dateObs);
        expect(value('MJD-OBS')).toBeCloseTo(exposure.mjdStart, 7);
        expect(value('EXPTIME')).toBe(30);
        expect(value('FILTER')).toBe(exposure.physicalFilter);
        expect(value('RA')).toBeCloseTo(exposure.ra, 7);
        expect(value('DEC')).toBeCloseTo(exposure.dec, 7);
        expect(value('ROTPA')).toBeCloseTo(exposure.rotationDeg, 5);
        expect(value('AIRMASS')).toBeCloseTo(exposure.airmass, 5);
        expect(value('DETECTOR')).toBe(detector.id);
        expect(value('DETNAME')).toBe(detector.fullName);
        expect(value('DATASEC')).toBe('[1:256,1:256]');
        expect(value('BIASSEC')).toBe('[257:288,1:256]');
        expect(value('GAIN')).toBe(detector.gain);
        expect(value('SATURATE')).toBe(detector.saturation);
        // The header knows the reported pointing and the camera geometry, not the distortion: a plain TAN.
        expect(value('CTYPE1')).toBe('RA---TAN');
        expect(value('CRVAL1')).toBeCloseTo(exposure.ra, 9);
        const sums = await file.verifyChecksums();
        expect(sums.every((s) => s.datasum === 'ok' && s.checksum === 'ok')).toBe(true);
      }
    }
  });

  it('overscan sits at the bias level with the read noise; the master bias holds the residual structure', async () => {
    for (const exposure of run.manifest.exposures) {
      for (const raw of exposure.raws) {
        const detector = run.manifest.instrument.detectors[raw.detector];
        const image = await (await readFits(join(outDir, raw.path))).readImage(0);
        const rawWidth = image.width;
        const overscan: number[] = [];
        const data: number[] = [];
        for (let y = 0; y < image.height; y++) {
          for (let x = 0; x < rawWidth; x++) {
            (x >= 256 ? overscan : data).push(Number(image.data[y * rawWidth + x]));
          }
        }
        const level = median(overscan);
        // The bias drifts by 2 ADU (sigma) from exposure to exposure.
        expect(Math.abs(level - detector.biasLevel)).toBeLessThan(10);
        const mean = overscan.reduce((a, b) => a + b, 0) / overscan.length;
        const sd = Math.sqrt(overscan.reduce((a, b) => a + (b - mean) ** 2, 0) / overscan.length);
        expect(sd / (detector.readNoise / detector.gain)).toBeGreaterThan(0.85);
        expect(sd / (detector.readNoise / detector.gain)).toBeLessThan(1.15);
        // Sky lifts the imaging area well above the overscan.
        expect(median(data) - level).toBeGreaterThan(100);
      }
    }
    const bias = await (await readFits(join(outDir, 'calib/bias_000.fits'))).readImage(0);
    expect(bias.bitpix).toBe(-32);
    // Column pattern (mean 0) plus a ramp from 0 to 3 ADU: mean 1.5.
    const mean = Array.from(bias.data as Float32Array).reduce((a, b) => a + b, 0) / bias.data.length;
    expect(mean).toBeCloseTo(1.5, 0);
  });

  it('flats are near 1, below 1 towards the focal-plane edge', async () => {
    const flat = await (await readFits(join(outDir, 'calib/flat_g_000.fits'))).readImage(0);
    const values = Array.from(flat.data as Float32Array);
    expect(Math.max(...values)).toBeLessThan(1.06);
    expect(Math.min(...values)).toBeGreaterThan(0.8);
    const header = (await readFits(join(outDir, 'calib/flat_g_000.fits'))).hdu(0).header;
    expect(headerValue(header, 'OBSTYPE')).toBe('flat');
    expect(headerValue(header, 'FILTER')).toBe('MC-g');
  });

  it('truth summary has the TruthSummary columns and the manifest counts', async () => {
    const rows = await readParquet(join(outDir, run.manifest.truth.summary));
    const { counts } = run.manifest.truth;
    expect(rows).toHaveLength(counts.galaxies + counts.stars + counts.supernovae);
    const first = rows[0];
    for (const column of ['id', 'truth_type', 'id_truth_type', 'ra', 'dec', 'redshift', 'is_variable']) {
      expect(first).toHaveProperty(column);
    }
    for (const b of ['u', 'g', 'r', 'i', 'z', 'y']) {
      expect(first).toHaveProperty(`flux_${b}`);
      expect(first).toHaveProperty(`flux_${b}_noMW`);
    }
    expect(rows.every((r) => r.id_truth_type === `${r.id}_${r.truth_type}`)).toBe(true);
    expect(rows.filter((r) => r.truth_type === 3)).toHaveLength(counts.supernovae);
    expect(rows.filter((r) => r.truth_type === 2 && r.is_pointsource)).toHaveLength(counts.stars);
    const metadata = await query(
      `SELECT decode(value) AS version FROM parquet_kv_metadata(${sqlString(join(outDir, run.manifest.truth.summary))}) ` +
        `WHERE decode(key) = 'meridian_sim_format'`,
    );
    expect(metadata).toEqual([{ version: '1' }]);
    const curves = await readParquet(join(outDir, run.manifest.truth.supernovaLightCurves));
    expect(curves).toHaveLength(counts.supernovae * run.manifest.exposures.length);
  });

  it('shards the refcat by HTM level 7: every star is in the file named by its trixel', async () => {
    const htm = new HtmPixelization(7);
    let total = 0;
    for (const shard of run.manifest.refcat.shards) {
      const rows = await readParquet(join(outDir, shard.path));
      expect(rows).toHaveLength(shard.rows);
      for (const row of rows) {
        expect(htm.index(UnitVector3.fromLonLat(row.coord_ra as number, row.coord_dec as number))).toBe(
          shard.htm7,
        );
        expect(row.r_fluxErr as number).toBeGreaterThan(0);
      }
      total += rows.length;
    }
    const truth = await readParquet(join(outDir, run.manifest.truth.summary), 'truth_type, mag_r');
    expect(total).toBe(truth.filter((r) => r.truth_type === 2 && (r.mag_r as number) < 20).length);
  });
});

describe('determinism', () => {
  it('the same seed gives byte-identical files; another seed does not', async () => {
    const again = await smallSurvey('again');
    const againDir = again.outDir;
    const files = filesUnder(outDir);
    expect(filesUnder(againDir)).toEqual(files);
    for (const f of files) expect(digest(againDir, f), f).toBe(digest(outDir, f));
    const other = await smallSurvey('other', { seed: 43 });
    const raw = run.manifest.exposures[0].raws[0].path;
    const otherRaw = other.manifest.exposures[0].raws[0].path;
    expect(digest(other.outDir, otherRaw)).not.toBe(digest(outDir, raw));
  });
});

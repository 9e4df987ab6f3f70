/** Shared fixtures for the simulator tests: a small survey simulated once per test file into a temporary directory. */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { headerNumber, readFits } from '../../src/formats/index.js';
import { type SurveyOptionsInput, type SurveyResult, simulateSurvey } from '../../src/sim/index.js';

const created: string[] = [];

/** A fresh directory under the system temporary directory, removed by `removeTemporaryDirectories`. */
export function temporaryDirectory(prefix: string): string {
  const path = mkdtempSync(join(tmpdir(), `meridian-sim-${prefix}-`));
  created.push(path);
  return path;
}

/** Remove the directories this test file created (call from afterAll). */
export function removeTemporaryDirectories(): void {
  for (const path of created.splice(0)) rmSync(path, { recursive: true, force: true });
}

/** Small and fast: 2 detectors of 256 pixels, 3 visits in 2 bands, a 0.05 deg area. */
export const SMALL_SURVEY: Omit<SurveyOptionsInput, 'outDir'> = {
  seed: 42,
  radiusDeg: 0.05,
  visits: 3,
  nights: 2,
  bands: ['g', 'r'],
  detectors: 2,
  detectorSize: 256,
  workers: 1,
};

export async function smallSurvey(
  prefix: string,
  extra: Partial<SurveyOptionsInput> = {},
): Promise<SurveyResult> {
  return simulateSurvey({ ...SMALL_SURVEY, ...extra, outDir: join(temporaryDirectory(prefix), 'survey') });
}

/** Rows of an SQL query run in a scratch in-memory DuckDB, as plain objects. */
export async function query(sql: string): Promise<Record<string, unknown>[]> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    return (await connection.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

export function sqlString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** Rows of a Parquet file, read with DuckDB. */
export async function readParquet(path: string, select = '*'): Promise<Record<string, unknown>[]> {
  return query(`SELECT ${select} FROM read_parquet(${sqlString(path)})`);
}

/** Median of the values (copied; the input is not reordered). */
export function median(values: ArrayLike<number>): number {
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * A minimal instrument-signature removal of one raw: subtract the overscan median and the master bias, multiply by
 * the gain, divide by the flat. Returns the imaging area in electrons (as the simulator drew them before noise).
 */
export async function calibratedElectrons(outDir: string, rawPath: string, band: string, detector: number) {
  const name = String(detector).padStart(3, '0');
  const rawFile = await readFits(join(outDir, rawPath));
  const header = rawFile.hdu(0).header;
  const raw = await rawFile.readImage(0);
  const bias = (await (await readFits(join(outDir, `calib/bias_${name}.fits`))).readImage(0)).data;
  const flat = (await (await readFits(join(outDir, `calib/flat_${band}_${name}.fits`))).readImage(0)).data;
  // MeridianCam raws end in 32 overscan columns (BIASSEC).
  const width = raw.width - 32;
  const overscan: number[] = [];
  for (let y = 0; y < raw.height; y++) {
    for (let x = width; x < raw.width; x++) overscan.push(Number(raw.data[y * raw.width + x]));
  }
  const level = median(overscan);
  const gain = headerNumber(header, 'GAIN')!;
  const electrons = new Float64Array(width * raw.height);
  for (let y = 0; y < raw.height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      electrons[i] =
        ((Number(raw.data[y * raw.width + x]) - level - Number(bias[i])) * gain) / Number(flat[i]);
    }
  }
  return { header, electrons, width, height: raw.height };
}

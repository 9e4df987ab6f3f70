/**
 * A reference catalogue with a hole: a copy of a simulated survey's refcat shards without the stars that fall on one
 * detector of one exposure (nor within 300 pixels of it), ingested under another name, so that calibrate finds no
 * reference stars on that field. Used by the calibrate task test and the DRP end-to-end test.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Butler } from '../../../src/butler/index.js';
import {
  type Exposure,
  makeTable,
  readParquetTable,
  skyToPixel,
  type Table,
  writeParquetTable,
} from '../../../src/formats/index.js';
import { ingestRefcat } from '../../../src/obs/index.js';
import { type SurveyManifest, trueDetectorWcs } from '../../../src/sim/index.js';

const MARGIN_PIXELS = 300;

export async function ingestRefcatWithHole(
  butler: Butler,
  simDir: string,
  manifest: SurveyManifest,
  name: string,
  exposure: SurveyManifest['exposures'][number],
  detector: number,
): Promise<void> {
  const holeWcs = trueDetectorWcs(manifest.instrument, exposure.truth, detector).wcs;
  const size = manifest.options.detectorSize;
  const dir = mkdtempSync(join(tmpdir(), 'meridian-refcat-hole-'));
  try {
    for (const shard of manifest.refcat.shards) {
      const table = await readParquetTable(join(simDir, shard.path));
      const ra = table.columns.coord_ra as Float64Array;
      const dec = table.columns.coord_dec as Float64Array;
      const keep: number[] = [];
      for (let i = 0; i < table.length; i++) {
        const p = pixelOrNaN(holeWcs, ra[i]!, dec[i]!);
        const inHole =
          p.x > -MARGIN_PIXELS &&
          p.x < size + MARGIN_PIXELS &&
          p.y > -MARGIN_PIXELS &&
          p.y < size + MARGIN_PIXELS;
        if (!inHole) keep.push(i);
      }
      const columns: Record<string, Table['columns'][string]> = {};
      for (const [column, values] of Object.entries(table.columns)) columns[column] = pick(values, keep);
      await writeParquetTable(join(dir, shard.path.split('/').pop()!), makeTable(columns));
    }
    await ingestRefcat(butler, dir, { name, transfer: 'copy' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The rows `keep` of a column, in the same array type. */
function pick(values: Table['columns'][string], keep: readonly number[]): Table['columns'][string] {
  if (values instanceof Float64Array) return Float64Array.from(keep, (i) => values[i]!);
  if (values instanceof BigInt64Array) return BigInt64Array.from(keep, (i) => values[i]!);
  if (values instanceof Int32Array) return Int32Array.from(keep, (i) => values[i]!);
  return keep.map((i) => (values as ArrayLike<unknown>)[i]) as Table['columns'][string];
}

function pixelOrNaN(wcs: NonNullable<Exposure['wcs']>, ra: number, dec: number) {
  // Far from the tangent point the inverse may not converge: treat that as off the detector.
  try {
    return skyToPixel(wcs, ra, dec);
  } catch {
    return { x: Number.NaN, y: Number.NaN };
  }
}

/** `checkFileColumns`: does a Parquet file fit a catalog table (required columns, convertible types, no extras)? */

import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type CatalogTable,
  checkFileColumns,
  fileColumnProblems,
  parseCatalogSchema,
} from '../../src/catalog/index.js';
import { makeTable, type TableColumnValues, writeParquetTable } from '../../src/formats/index.js';
import { temporaryDir } from './helpers.js';

const schema = parseCatalogSchema(`
name: s
version: 1
tables:
  - name: Thing
    primaryKey: [id]
    partitioning: {role: director, ra: ra, dec: dec}
    columns:
      - {name: id, datatype: long, nullable: false}
      - {name: ra, datatype: double, nullable: false}
      - {name: dec, datatype: double, nullable: false}
      - {name: flux, datatype: double, unit: nJy}
      - {name: flag, datatype: boolean}
      - {name: band, datatype: char, length: 1}
`);
const thing = schema.tables[0] as CatalogTable;
const dir = temporaryDir('file-columns');
afterAll(() => dir.remove());

let files = 0;
async function parquet(columns: Record<string, TableColumnValues>): Promise<string> {
  const path = join(dir.dir, `f${files++}.parquet`);
  await writeParquetTable(path, makeTable(columns));
  return path;
}

const base = {
  id: BigInt64Array.of(1n, 2n),
  ra: Float64Array.of(10, 11),
  dec: Float64Array.of(-5, -6),
};

describe('checkFileColumns', () => {
  it('accepts a file with the required columns, widening integers into reals, leaving nullable ones out', async () => {
    const path = await parquet({ ...base, flux: Int32Array.of(3, 4), band: ['g', 'r'] });
    await expect(checkFileColumns(thing, [path])).resolves.toBeUndefined();
    expect(await fileColumnProblems(thing, path)).toEqual({ path, missing: [], incompatible: [], extra: [] });
  });

  it('names a missing required column', async () => {
    const path = await parquet({ id: base.id, ra: base.ra });
    await expect(checkFileColumns(thing, [path])).rejects.toMatchObject({
      code: 'CATALOG_COLUMNS_MISMATCH',
      message: expect.stringContaining('lacks required column(s) dec'),
      details: { table: 'Thing', missing: ['dec'] },
    });
  });

  it('refuses a real into an integer column and text into a boolean', async () => {
    const path = await parquet({ ...base, id: Float64Array.of(1.5, 2), flag: ['yes', 'no'] });
    const problems = await fileColumnProblems(thing, path);
    expect(problems.incompatible).toEqual([
      { column: 'id', fileType: 'DOUBLE', datatype: 'long' },
      { column: 'flag', fileType: 'VARCHAR', datatype: 'boolean' },
    ]);
    await expect(checkFileColumns(thing, [path])).rejects.toMatchObject({
      code: 'CATALOG_COLUMNS_MISMATCH',
      message: expect.stringContaining("id is DOUBLE, the table's is long"),
    });
  });

  it('refuses columns the table lacks unless told to drop them; names match case-insensitively', async () => {
    const path = await parquet({ ID: base.id, RA: base.ra, Dec: base.dec, psfFlux: Float64Array.of(1, 2) });
    await expect(checkFileColumns(thing, [path])).rejects.toMatchObject({
      code: 'CATALOG_COLUMNS_MISMATCH',
      details: { extra: ['psfFlux'] },
    });
    await expect(checkFileColumns(thing, [path], { dropExtraColumns: true })).resolves.toBeUndefined();
  });

  it('reports the first file that does not fit among several', async () => {
    const good = await parquet(base);
    const bad = await parquet({ id: base.id });
    await expect(checkFileColumns(thing, [good, bad])).rejects.toMatchObject({ details: { path: bad } });
  });
});

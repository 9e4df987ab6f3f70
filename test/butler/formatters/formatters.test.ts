import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTable, type Table } from '../../../src/butler/formatters/index.js';
import { Butler } from '../../../src/butler/index.js';
import { box2i, Exposure, ImageF, visitInfo } from '../../../src/formats/exposure/index.js';
import { makeTanSipWcs } from '../../../src/formats/index.js';

let butler: Butler;
const run = 'test/run';

beforeAll(async () => {
  butler = await Butler.create(join(mkdtempSync(join(tmpdir(), 'meridian-fmt-')), 'repo'));
  butler.run = run;
  butler.collections = [run];
  await butler.registry.insertDimensionData('instrument', [{ name: 'Cam', detector_max: 4 }]);
  await butler.registry.insertDimensionData('detector', [{ instrument: 'Cam', id: 1, full_name: 'D1' }]);
  await butler.registerDatasetType('calexp', ['instrument', 'detector'], 'ExposureF');
  await butler.registerDatasetType('src', ['instrument', 'detector'], 'SourceCatalog');
  await butler.registerDatasetType('objectTable', ['instrument', 'detector'], 'DataFrame');
});

afterAll(async () => {
  await butler.close();
});

describe('Exposure through the butler', () => {
  const image = ImageF.zeros(box2i(0, 0, 32, 16));
  image.array.forEach((_, i) => {
    image.array[i] = i;
  });
  const exposure = new Exposure({
    image,
    variance: ImageF.zeros(image.bbox),
    wcs: makeTanSipWcs({
      crpix: [16, 8],
      crval: [10, 20],
      cd: [
        [-5e-5, 0],
        [0, 5e-5],
      ],
    }),
    visitInfo: visitInfo({ exposureTime: 15 }),
  });

  it('put and get round trip, with components and a bbox parameter', async () => {
    await butler.put(exposure, 'calexp', { instrument: 'Cam', detector: 1 });
    const back = (await butler.get('calexp', { instrument: 'Cam', detector: 1 })) as Exposure;
    expect(back).toBeInstanceOf(Exposure);
    expect(back.image.array).toEqual(image.array);
    expect(await butler.get('calexp.wcs', { instrument: 'Cam', detector: 1 })).toEqual(exposure.wcs);
    expect(await butler.get('calexp.visitInfo', { instrument: 'Cam', detector: 1 })).toEqual(
      exposure.visitInfo,
    );
    expect(await butler.get('calexp.bbox', { instrument: 'Cam', detector: 1 })).toEqual(image.bbox);
    const cut = (await butler.get(
      'calexp',
      { instrument: 'Cam', detector: 1 },
      { parameters: { bbox: box2i(4, 2, 3, 5) } },
    )) as Exposure;
    expect(cut.image.array).toEqual(image.subset(box2i(4, 2, 3, 5)).array);
    const uri = await butler.getURI('calexp', { instrument: 'Cam', detector: 1 });
    expect(uri.endsWith('.fits')).toBe(true);
  });

  it('refuses a value that is not an Exposure', async () => {
    await butler.registerDatasetType('calexpBad', ['instrument', 'detector'], 'Exposure');
    await expect(
      butler.put({ image: 1 }, 'calexpBad', { instrument: 'Cam', detector: 1 }),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });
});

describe('Parquet tables through the butler', () => {
  const n = 50;
  const table: Table = makeTable({
    id: BigInt64Array.from({ length: n }, (_, i) => BigInt(i) + 10n ** 12n),
    coord_ra: Float64Array.from({ length: n }, (_, i) => i * 0.5),
    coord_dec: Float32Array.from({ length: n }, (_, i) => -30 + i * 0.01),
    nChild: Int32Array.from({ length: n }, (_, i) => i % 3),
    band: Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 'g' : i % 5 === 0 ? null : 'r')),
    detect_isPrimary: Array.from({ length: n }, (_, i) => i % 4 !== 0),
  });

  it('writes and reads every column type back', async () => {
    await butler.put(table, 'src', { instrument: 'Cam', detector: 1 });
    const back = (await butler.get('src', { instrument: 'Cam', detector: 1 })) as Table;
    expect(back.length).toBe(n);
    expect(Object.keys(back.columns)).toEqual(Object.keys(table.columns));
    for (const name of Object.keys(table.columns)) expect(back.columns[name]).toEqual(table.columns[name]);
  });

  it('reads selected columns and filtered rows (values bound, operators checked)', async () => {
    await butler.put(table, 'objectTable', { instrument: 'Cam', detector: 1 });
    const got = (await butler.get(
      'objectTable',
      { instrument: 'Cam', detector: 1 },
      {
        parameters: {
          columns: ['coord_ra', 'band'],
          filters: [
            ['coord_ra', '>=', 10],
            ['band', 'in', ['r']],
          ],
        },
      },
    )) as Table;
    const expected = [...(table.columns.coord_ra as Float64Array)].filter(
      (ra, i) => ra >= 10 && table.columns.band![i] === 'r',
    );
    expect(Object.keys(got.columns)).toEqual(['coord_ra', 'band']);
    expect([...(got.columns.coord_ra as Float64Array)]).toEqual(expected);
    expect((got.columns.band as (string | null)[]).every((b) => b === 'r')).toBe(true);
    // A value that looks like SQL is only a value.
    const none = (await butler.get(
      'objectTable',
      { instrument: 'Cam', detector: 1 },
      { parameters: { filters: [['band', '=', "r' OR 1=1 --"]] } },
    )) as Table;
    expect(none.length).toBe(0);
    await expect(
      butler.get(
        'objectTable',
        { instrument: 'Cam', detector: 1 },
        { parameters: { filters: [['band', 'LIKE', 'r']] } },
      ),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(
      butler.get('objectTable', { instrument: 'Cam', detector: 1 }, { parameters: { columns: ['nope'] } }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('answers the derived components columns, rowcount and schema from the footer', async () => {
    const dataId = { instrument: 'Cam', detector: 1 };
    expect(await butler.get('objectTable.columns', dataId)).toEqual(Object.keys(table.columns));
    expect(await butler.get('objectTable.rowcount', dataId)).toBe(n);
    const schema = (await butler.get('objectTable.schema', dataId)) as { name: string; type: string }[];
    expect(schema.map((c) => c.type)).toEqual(['BIGINT', 'DOUBLE', 'FLOAT', 'INTEGER', 'VARCHAR', 'BOOLEAN']);
  });
});

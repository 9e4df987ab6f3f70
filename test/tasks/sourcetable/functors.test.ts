/**
 * The src catalog → source → sourceTable chain on hand-made measurements: every DP0.2 column present with its
 * declared type after a Parquet round trip, nJy conversion exact, ids BigInt-exact in both id layouts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  columnTypeOf,
  makeTanSipWcs,
  type PhotoCalib,
  readParquetTable,
  type Table,
  writeParquetTable,
} from '../../../src/formats/index.js';
import {
  buildSrcCatalog,
  ccdVisitIdOf,
  concatenateTables,
  decodeSourceId,
  SOURCE_FLAGS,
  SOURCE_TABLE_FUNCTORS,
  type SourceFlag,
  type SourceMeasurements,
  sourceIdMaker,
  transformSourceTable,
  writeSourceTable,
} from '../../../src/tasks/index.js';

const dir = mkdtempSync(join(tmpdir(), 'meridian-sourcetable-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const RADII = [3, 4.5, 6, 9, 12, 17, 25];

/** n sources with distinct, known values; source 1 on the edge, source 2 blended. */
function measurements(n: number): SourceMeasurements {
  const col = (f: (i: number) => number) => Float64Array.from({ length: n }, (_, i) => f(i));
  const flags = Object.fromEntries(SOURCE_FLAGS.map((f) => [f, new Uint8Array(n)])) as Record<
    SourceFlag,
    Uint8Array
  >;
  flags.edge[1] = 1;
  flags.blended[2] = 1;
  return {
    kind: 'sourceMeasurements',
    count: n,
    footprintId: Int32Array.from({ length: n }, (_, i) => i),
    peakCount: Int32Array.from({ length: n }, (_, i) => (i === 2 ? 2 : 1)),
    parent: new Int32Array(n),
    deblendNChild: new Int32Array(n),
    significance: col((i) => 10 + i),
    x: col((i) => 100.25 + i),
    y: col((i) => 200.5 + 2 * i),
    xErr: col(() => 0.01),
    yErr: col(() => 0.02),
    ixx: col((i) => (i === 3 ? 9 : 2.1)),
    iyy: col((i) => (i === 3 ? 8 : 2.0)),
    ixy: col(() => 0.05),
    psfFlux: col((i) => 1234.5678 * (i + 1)),
    psfFluxErr: col((i) => 12.3 + i),
    apertureRadii: RADII,
    apFlux: RADII.map((r) => col((i) => 1000 * r + i)),
    apFluxErr: RADII.map((r) => col(() => r)),
    kronRadius: col(() => 3.3),
    kronFlux: col((i) => 1300 * (i + 1)),
    kronFluxErr: col(() => 15),
    flags,
  };
}

const wcs = makeTanSipWcs({
  crpix: [512.5, 512.5],
  crval: [61.8, -35.8],
  cd: [
    [-0.2 / 3600, 0],
    [0, 0.2 / 3600],
  ],
});
const photoCalib: PhotoCalib = { kind: 'photoCalib', calibrationMean: 0.0371234567, calibrationErr: 0.0001 };

function sourceTableFor(visit: number, detector: number, n = 5): { src: Table; sourceTable: Table } {
  const m = measurements(n);
  const zeros = new Uint8Array(n);
  const src = buildSrcCatalog({
    measurements: m,
    wcs,
    psf: { kind: 'gaussian', sigma: 1.5 },
    ccdVisitId: ccdVisitIdOf(visit, detector),
    astrometryUsed: Uint8Array.from([1, 0, 1, 0, 0].slice(0, n)),
    photometryUsed: zeros,
    psfCandidate: zeros,
    psfUsed: zeros,
    psfReserved: zeros,
    extendednessTraceExcess: 0.2,
  });
  const source = writeSourceTable(src, photoCalib, { visit, detector, band: 'r', physicalFilter: 'r_sim' });
  return {
    src,
    sourceTable: transformSourceTable(source, { visit, detector, band: 'r', physical_filter: 'r_sim' }),
  };
}

describe('source ids', () => {
  it('are ccdVisitId · 2^32 + i for small visits and decode exactly', () => {
    const ccd = ccdVisitIdOf(1_234_567 % 1_000_000, 42);
    const id = sourceIdMaker(ccd)(4_000_000_000);
    expect(id).toBe(BigInt(ccd) * 2n ** 32n + 4_000_000_000n);
    expect(decodeSourceId(id)).toEqual({ ccdVisitId: ccd, index: 4_000_000_000 });
  });

  it('pack dayObs · 100000 + seqNum visits into 64 bits, distinct per detector-visit and row', () => {
    const ids = new Set<bigint>();
    for (const visit of [2026111000001, 2026111000002, 2034123199999, 2020010100001]) {
      for (const detector of [0, 1, 188]) {
        const make = sourceIdMaker(ccdVisitIdOf(visit, detector));
        for (const row of [0, 1, 8_388_607]) {
          const id = make(row);
          expect(id).toBeLessThan(2n ** 63n);
          expect(decodeSourceId(id)).toEqual({ ccdVisitId: visit * 1000 + detector, index: row });
          ids.add(id);
        }
      }
    }
    expect(ids.size).toBe(4 * 3 * 3);
    expect(() => sourceIdMaker(ccdVisitIdOf(2026111000001, 0))(8_388_608)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => sourceIdMaker(ccdVisitIdOf(1999123100001, 0))).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});

describe('the Source column mapping', () => {
  it('gives every DP0.2 column its declared type after a Parquet round trip, fluxes in nJy exactly', async () => {
    const visit = 2026111000001;
    const { src, sourceTable } = sourceTableFor(visit, 7);
    const path = join(dir, 'sourceTable.parquet');
    await writeParquetTable(path, sourceTable);
    const back = await readParquetTable(path);
    expect(Object.keys(back.columns)).toEqual(SOURCE_TABLE_FUNCTORS.map((f) => f.name));
    for (const f of SOURCE_TABLE_FUNCTORS) {
      expect(columnTypeOf(f.name, back.columns[f.name]!), f.name).toBe(f.type);
      expect(['nJy', 'deg', 'pixel', 'pixel**2', '']).toContain(f.unit);
    }
    // Ids survive as exact 64-bit integers (above 2^53).
    const ids = back.columns.sourceId as BigInt64Array;
    expect(ids[3]).toBe(sourceIdMaker(visit * 1000 + 7)(3));
    expect(ids[3]! > 2n ** 53n).toBe(true);
    expect((back.columns.ccdVisitId as BigInt64Array)[0]).toBe(BigInt(visit) * 1000n + 7n);
    expect((back.columns.visit as BigInt64Array)[0]).toBe(BigInt(visit));
    // nJy = instFlux × calibrationMean, one multiplication; errors with the calibration error in quadrature.
    const psf = back.columns.psfFlux as Float64Array;
    const psfErr = back.columns.psfFluxErr as Float64Array;
    const instFlux = src.columns.base_PsfFlux_instFlux as Float64Array;
    const instErr = src.columns.base_PsfFlux_instFluxErr as Float64Array;
    for (let i = 0; i < 5; i++) {
      expect(psf[i]).toBe(instFlux[i]! * photoCalib.calibrationMean);
      expect(psfErr[i]).toBe(
        Math.hypot(instErr[i]! * photoCalib.calibrationMean, instFlux[i]! * photoCalib.calibrationErr),
      );
    }
    expect((back.columns.calibFlux as Float64Array)[2]).toBe((12_000 + 2) * photoCalib.calibrationMean);
    expect((back.columns.ap03Flux as Float64Array)[1]).toBe((3000 + 1) * photoCalib.calibrationMean);
    expect(back.columns.band).toEqual(['r', 'r', 'r', 'r', 'r']);
    expect(back.columns.physical_filter).toEqual(['r_sim', 'r_sim', 'r_sim', 'r_sim', 'r_sim']);
    // Source 1 is on the edge, so not primary; the blended source 2 is (no deblender: no parents with children).
    expect(back.columns.detect_isPrimary).toEqual([true, false, true, true, true]);
    expect(back.columns.deblend_nPeaks).toEqual(Int32Array.from([1, 1, 2, 1, 1]));
    // Source 3 is larger than the PSF (trace 17 vs 4.5; the others 4.1): extended; the others are point-like.
    expect(Array.from(back.columns.extendedness as Float64Array)).toEqual([0, 0, 0, 1, 0]);
    expect(back.columns.calib_astrometry_used).toEqual([true, false, true, false, false]);
    expect(Array.from(back.columns.ixxPSF as Float64Array)).toEqual([2.25, 2.25, 2.25, 2.25, 2.25]);
  });

  it('takes band and physical_filter from the source columns when the data ID lacks them', () => {
    const { src } = sourceTableFor(5, 1, 3);
    const source = writeSourceTable(src, photoCalib, {
      visit: 5,
      detector: 1,
      band: 'g',
      physicalFilter: 'g_sim',
    });
    const t = transformSourceTable(source, { visit: 5, detector: 1 });
    expect(t.columns.band).toEqual(['g', 'g', 'g']);
    expect(Number((t.columns.sourceId as BigInt64Array)[2])).toBe(5001 * 2 ** 32 + 2);
    expect(() => transformSourceTable(src, {})).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        message: expect.stringMatching(/no column ccdVisitId/),
      }),
    );
  });

  it('consolidates detector tables of a visit in order, keeping the column types', () => {
    const a = sourceTableFor(9, 0, 2).sourceTable;
    const b = sourceTableFor(9, 1, 3).sourceTable;
    const all = concatenateTables([a, b]);
    expect(all.length).toBe(5);
    expect(all.columns.sourceId).toBeInstanceOf(BigInt64Array);
    expect(Array.from(all.columns.detector as Int32Array)).toEqual([0, 0, 1, 1, 1]);
    expect(all.columns.detect_isPrimary).toEqual([true, false, true, false, true]);
    expect(() => concatenateTables([a, makeTableWithout(b, 'x')])).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});

function makeTableWithout(t: Table, column: string): Table {
  const { [column]: _, ...rest } = t.columns;
  return { kind: 'table', length: t.length, columns: rest };
}

import { describe, expect, it } from 'vitest';
import { type ColumnSpec, fitsBuffer, parseFits, type TableColumn } from '../../src/formats/index.js';
import { allTypeColumns, rows } from './fixtures.js';

function plain(values: TableColumn['values'] | ColumnSpec['values']): unknown[] {
  return Array.from(values as ArrayLike<unknown>, (v) =>
    ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<unknown>) : v,
  );
}

describe('binary tables', () => {
  it('round-trips every TFORM type with repeat counts, unsigned columns and variable-length arrays', async () => {
    const fits = await parseFits(fitsBuffer([{ kind: 'bintable', name: 'ALL', columns: allTypeColumns }]));
    expect(fits.hdus.map((h) => h.kind)).toEqual(['image', 'bintable']);
    const table = await fits.readTable('ALL');
    expect(table.nrows).toBe(rows);
    for (const spec of allTypeColumns) {
      const column = table.columns.find((c) => c.name === spec.name);
      expect(column, spec.name).toBeDefined();
      expect(plain(column!.values), spec.name).toEqual(plain(spec.values));
      if (ArrayBuffer.isView(spec.values))
        expect(column!.values.constructor, spec.name).toBe(spec.values.constructor);
    }
    const byName = (n: string) => table.columns.find((c) => c.name === n)!;
    expect(byName('short').unit).toBe('adu');
    expect(byName('int').tnull).toBe(-2147483648);
    expect(byName('ushort').tzero).toBe(32768);
    expect(byName('matrix').tdim).toBe('(3,2)');
    expect(byName('varJ').tform).toBe('1PJ(3)');
    expect(byName('text').tform).toBe('12A');
  });

  it('quantises floats into scaled integer columns and returns physical values', async () => {
    const columns: ColumnSpec[] = [
      { name: 'mag', tform: 'I', values: Float64Array.of(20.125, 21.5, 18), tscal: 0.001, tzero: 20 },
    ];
    const table = await (await parseFits(fitsBuffer([{ kind: 'bintable', columns }]))).readTable(1);
    const column = table.columns[0];
    expect(column.tscal).toBe(0.001);
    expect(column.tzero).toBe(20);
    expect(column.values).toBeInstanceOf(Float64Array);
    const values = Array.from(column.values as Float64Array);
    expect(values).toEqual([20.125, 21.5, 18]);
  });

  it('accepts plain number arrays and sizes A columns without a repeat count from the longest string', async () => {
    const columns: ColumnSpec[] = [
      { name: 'id', tform: 'K', values: [1n, 2n] },
      { name: 'ra', tform: 'D', values: [10.5, 11.5] },
      { name: 'band', tform: 'A', values: ['g', 'rrr'] },
    ];
    const table = await (await parseFits(fitsBuffer([{ kind: 'bintable', columns }]))).readTable(1);
    expect(table.columns.map((c) => c.tform)).toEqual(['1K', '1D', '3A']);
    expect(plain(table.columns[2].values)).toEqual(['g', 'rrr']);
  });

  it('keeps the unsigned convention of variable-length rows, empty rows included, and rejects mixed row types', async () => {
    const rows = [Uint16Array.of(1, 65535), new Uint16Array(0), [], Uint16Array.of(40000)];
    const columns: ColumnSpec[] = [{ name: 'v', tform: 'PI', values: rows as never }];
    const table = await (await parseFits(fitsBuffer([{ kind: 'bintable', columns }]))).readTable(1);
    expect(table.columns[0].tzero).toBe(32768);
    expect(plain(table.columns[0].values)).toEqual([[1, 65535], [], [], [40000]]);
    const mixed: ColumnSpec[] = [{ name: 'v', tform: 'PI', values: [Uint16Array.of(1), Int16Array.of(1)] }];
    expect(() => fitsBuffer([{ kind: 'bintable', columns: mixed }])).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });

  it('reads an empty table and rejects mismatched column lengths', async () => {
    const empty = await (
      await parseFits(
        fitsBuffer([{ kind: 'bintable', columns: [{ name: 'x', tform: 'E', values: new Float32Array(0) }] }]),
      )
    ).readTable(1);
    expect(empty.nrows).toBe(0);
    const mismatched: ColumnSpec[] = [
      { name: 'a', tform: 'J', values: Int32Array.of(1, 2) },
      { name: 'b', tform: 'J', values: Int32Array.of(1) },
    ];
    expect(() => fitsBuffer([{ kind: 'bintable', columns: mismatched }])).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() =>
      fitsBuffer([{ kind: 'bintable', columns: [{ name: 'a', tform: 'J', values: Float32Array.of(1) }] }]),
    ).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() =>
      fitsBuffer([{ kind: 'bintable', columns: [{ name: 's', tform: '8A', values: ['Zürich'] }] }]),
    ).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});

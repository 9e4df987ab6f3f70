import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  copyToParquet,
  DuckDBSession,
  duckdbIdentifier,
  duckdbStringLiteral,
  makeTable,
  type ParquetColumn,
  ParquetStage,
  parquetScan,
  readParquetRowCount,
  readParquetSchema,
  readParquetTable,
  type TableFilter,
  writeParquetTable,
} from '../../src/formats/index.js';

const dir = mkdtempSync(join(tmpdir(), 'meridian-parquet-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Rows of a query in a private DuckDB (an independent reader of what we wrote). */
async function query(sql: string): Promise<Record<string, unknown>[]> {
  const session = await DuckDBSession.open();
  try {
    return (await session.connection.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    session.close();
  }
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

const everyType = makeTable({
  double: Float64Array.of(1.5, Number.NaN, -0.25),
  float: Float32Array.of(1.5, 2.25, -3),
  int: Int32Array.of(-2147483648, 0, 2147483647),
  short: Int16Array.of(-32768, 1, 32767),
  tiny: Int8Array.of(-128, 2, 127),
  utiny: Uint8Array.of(0, 3, 255),
  ushort: Uint16Array.of(0, 4, 65535),
  uint: Uint32Array.of(0, 5, 4294967295),
  big: BigInt64Array.of(-(2n ** 63n), 6n, 2n ** 63n - 1n),
  bigWithNull: [1n, null, 2n ** 53n + 1n],
  flag: [true, null, false],
  text: ["it's", null, 'ünïcode "quoted"'],
  numberWithNull: [1.5, null, 3],
});

describe('Parquet tables: write and read back', () => {
  const path = join(dir, 'every-type.parquet');

  it('round-trips every column type, nulls and NaN included, into the same array types', async () => {
    await writeParquetTable(path, everyType);
    const back = await readParquetTable(path);
    expect(back.length).toBe(3);
    expect(Object.keys(back.columns)).toEqual(Object.keys(everyType.columns));
    for (const [name, values] of Object.entries(everyType.columns)) {
      if (name === 'numberWithNull') continue;
      expect(back.columns[name], name).toEqual(values);
      expect(back.columns[name]!.constructor, name).toBe(values.constructor);
    }
    // A plain number column is DOUBLE: null comes back as NaN in a Float64Array.
    expect(back.columns.numberWithNull).toEqual(Float64Array.of(1.5, Number.NaN, 3));
  });

  it('reports the schema and row count from the footer, and writes zstd', async () => {
    expect(await readParquetRowCount(path)).toBe(3);
    expect((await readParquetSchema(path)).map((c) => `${c.name} ${c.type}`)).toEqual([
      'double DOUBLE',
      'float FLOAT',
      'int INTEGER',
      'short SMALLINT',
      'tiny TINYINT',
      'utiny UTINYINT',
      'ushort USMALLINT',
      'uint UINTEGER',
      'big BIGINT',
      'bigWithNull BIGINT',
      'flag BOOLEAN',
      'text VARCHAR',
      'numberWithNull DOUBLE',
    ]);
    const codecs = await query(
      `SELECT DISTINCT compression FROM parquet_metadata(${duckdbStringLiteral(path)})`,
    );
    expect(codecs).toEqual([{ compression: 'ZSTD' }]);
  });

  it('keeps only the asked columns, in the asked order', async () => {
    const back = await readParquetTable(path, { columns: ['text', 'int'] });
    expect(Object.keys(back.columns)).toEqual(['text', 'int']);
    expect(back.columns.int).toEqual(Int32Array.of(-2147483648, 0, 2147483647));
    const none = await readParquetTable(path, { columns: [] });
    expect(none).toEqual({ kind: 'table', length: 0, columns: {} });
  });

  it('applies every filter operator, with values bound rather than spliced', async () => {
    const ints = async (filters: TableFilter[]) =>
      Array.from((await readParquetTable(path, { columns: ['short'], filters })).columns.short as Int16Array);
    expect(await ints([['short', '=', 1]])).toEqual([1]);
    expect(await ints([['short', '!=', 1]])).toEqual([-32768, 32767]);
    expect(await ints([['short', '<', 1]])).toEqual([-32768]);
    expect(await ints([['short', '<=', 1]])).toEqual([-32768, 1]);
    expect(await ints([['short', '>', 1]])).toEqual([32767]);
    expect(await ints([['short', '>=', 1]])).toEqual([1, 32767]);
    expect(await ints([['short', 'in', [1, 32767]]])).toEqual([1, 32767]);
    expect(await ints([['short', 'not in', [1, 32767]]])).toEqual([-32768]);
    expect(
      await ints([
        ['short', '>', -40000],
        ['tiny', '<', 100],
      ]),
    ).toEqual([-32768, 1]);
    // A quote in a value is data, not SQL.
    const quoted = await readParquetTable(path, { columns: ['text'], filters: [['text', '=', "it's"]] });
    expect(quoted.columns.text).toEqual(["it's"]);
    const injected = await readParquetTable(path, {
      columns: ['text'],
      filters: [['text', '=', "x' OR '1'='1"]],
    });
    expect(injected.length).toBe(0);
  });

  it('rejects unknown columns, operators and malformed filters with INVALID_ARGUMENT', async () => {
    expect(await codeOf(readParquetTable(path, { columns: ['nope'] }))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(readParquetTable(path, { filters: [['nope', '=', 1]] }))).toBe('INVALID_ARGUMENT');
    const bad = (f: unknown) => readParquetTable(path, { filters: f as TableFilter[] });
    expect(await codeOf(bad([['int', 'like', 1]]))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(bad([['int', 'in', []]]))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(bad([['int', '=', [1]]]))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(bad([['int', '=']]))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(bad('int = 1'))).toBe('INVALID_ARGUMENT');
  });

  it('says PARQUET_INVALID for a file that is not Parquet or a place it cannot write', async () => {
    const notParquet = join(dir, 'not.parquet');
    writeFileSync(notParquet, 'hello');
    expect(await codeOf(readParquetSchema(notParquet))).toBe('PARQUET_INVALID');
    expect(await codeOf(readParquetRowCount(notParquet))).toBe('PARQUET_INVALID');
    expect(await codeOf(writeParquetTable(join(dir, 'missing', 'dir', 'x.parquet'), everyType))).toBe(
      'PARQUET_INVALID',
    );
    expect(await codeOf(writeParquetTable(join(dir, 'empty.parquet'), makeTable({})))).toBe(
      'INVALID_ARGUMENT',
    );
  });
});

describe('DuckDB quoting', () => {
  it('doubles the quote character and nothing else', () => {
    expect(duckdbStringLiteral("it's")).toBe("'it''s'");
    expect(duckdbStringLiteral("''")).toBe("''''''");
    expect(duckdbStringLiteral('back\\slash "double"')).toBe(`'back\\slash "double"'`);
    expect(duckdbIdentifier('say "hi"')).toBe('"say ""hi"""');
    expect(duckdbIdentifier("it's")).toBe(`"it's"`);
    expect(parquetScan("/a/it's.parquet")).toBe("read_parquet('/a/it''s.parquet')");
  });

  it('keeps odd names and paths intact through DuckDB', async () => {
    const odd = ['select', 'with space', 'quote"d', "apos'trophe", 'ünï', 'MixedCase', 'mixedcase2'];
    const oddDir = join(dir, 'it\'s a "dir"');
    mkdirSync(oddDir);
    const path = join(oddDir, 'odd.parquet');
    await writeParquetTable(path, makeTable(Object.fromEntries(odd.map((n, i) => [n, Int32Array.of(i)]))));
    expect((await readParquetSchema(path)).map((c) => c.name)).toEqual(odd);
    const back = await readParquetTable(path, {
      columns: ['quote"d', "apos'trophe"],
      filters: [['select', '=', 0]],
    });
    expect(back.columns).toEqual({ 'quote"d': Int32Array.of(2), "apos'trophe": Int32Array.of(3) });
    const names = await query(`SELECT ${odd.map(duckdbIdentifier).join(', ')} FROM ${parquetScan(path)}`);
    expect(Object.keys(names[0]!)).toEqual(odd);
  });
});

describe('ParquetStage: staged, sorted outputs', () => {
  const idsOf = (n: number, from: number) => Float64Array.from({ length: n }, (_, i) => from + ((i * 7) % n));
  const batch = (from: number, n: number): ParquetColumn[] => {
    const id = idsOf(n, from);
    return [
      // The simulator's shapes: 64-bit ids and 0/1 flags held in Float64Arrays, typed explicitly.
      { name: 'id', type: 'BIGINT', values: id },
      { name: 'shard', type: 'INTEGER', values: Int32Array.from(id, (v) => v % 3) },
      { name: 'isStar', type: 'BOOLEAN', values: Float64Array.from(id, (v) => v % 2) },
      { name: 'flux', type: 'DOUBLE', values: Float64Array.from(id, (v) => v / 10) },
      { name: 'huge', type: 'BIGINT', values: Array.from(id, (v) => 2n ** 62n + BigInt(v)) },
      { name: 'name', type: 'VARCHAR', values: Array.from(id, (v) => `obj'${v}`) },
    ];
  };

  it('takes batches, writes filtered, projected, sorted files with footer metadata', async () => {
    using stage = await ParquetStage.open({ threads: 1, tempDirectory: join(dir, 'spill') });
    await stage.append('objects', batch(100, 50));
    await stage.append('objects', batch(0, 50));
    const all = join(dir, 'objects.parquet');
    expect(
      await stage.write(all, 'objects', { orderBy: ['id'], keyValueMetadata: { meridian_test_format: '3' } }),
    ).toBe(100);
    const rows = await readParquetTable(all);
    expect(Array.from(rows.columns.id as BigInt64Array)).toEqual(
      Array.from({ length: 100 }, (_, i) => BigInt(i < 50 ? i : i + 50)),
    );
    expect((rows.columns.isStar as boolean[]).slice(0, 3)).toEqual([false, true, false]);
    expect((rows.columns.huge as BigInt64Array)[1]).toBe(2n ** 62n + 1n);
    expect((rows.columns.name as string[])[1]).toBe("obj'1");
    const kv = await query(
      `SELECT decode(key) AS key, decode(value) AS value FROM parquet_kv_metadata(${duckdbStringLiteral(all)})`,
    );
    expect(kv).toEqual([{ key: 'meridian_test_format', value: '3' }]);

    const shard = join(dir, 'shard1.parquet');
    const written = await stage.write(shard, 'objects', {
      orderBy: ['shard', 'flux'],
      columns: ['flux', 'id'],
      filters: [['shard', '=', 1]],
    });
    const part = await readParquetTable(shard);
    expect(Object.keys(part.columns)).toEqual(['flux', 'id']);
    expect(part.length).toBe(written);
    const ids = Array.from(part.columns.id as BigInt64Array, Number);
    expect(ids.every((v) => v % 3 === 1)).toBe(true);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(ids.length).toBe(34);
  });

  it('refuses a batch with other columns, an unknown table or column, and an unsorted write', async () => {
    using stage = await ParquetStage.open();
    await stage.append('t', batch(0, 3));
    expect(await codeOf(stage.append('t', batch(0, 3).slice(1)))).toBe('INVALID_ARGUMENT');
    expect(await codeOf(stage.write(join(dir, 'x.parquet'), 'other', { orderBy: ['id'] }))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(await codeOf(stage.write(join(dir, 'x.parquet'), 't', { orderBy: ['id; DROP TABLE t'] }))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(await codeOf(stage.write(join(dir, 'x.parquet'), 't', { orderBy: [] }))).toBe('INVALID_ARGUMENT');
    const uneven: ParquetColumn[] = [
      { name: 'a', type: 'INTEGER', values: [1, 2] },
      { name: 'b', type: 'INTEGER', values: [1] },
    ];
    expect(await codeOf(stage.append('u', uneven))).toBe('INTERNAL');
  });
});

describe('copyToParquet', () => {
  it('writes a query with bound values and returns the row count', async () => {
    using session = await DuckDBSession.open({ threads: 2 });
    const path = join(dir, 'range.parquet');
    const rows = await copyToParquet(
      session.connection,
      { query: 'SELECT range AS i FROM range(10) WHERE range % ? = 0 ORDER BY i' },
      path,
      { values: [3] },
    );
    expect(rows).toBe(4);
    expect((await readParquetTable(path)).columns.i).toEqual(BigInt64Array.of(0n, 3n, 6n, 9n));
  });
});

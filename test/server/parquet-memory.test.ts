/**
 * Memory probe for VOParquet results: N synthetic rows (default 500,000; MERIDIAN_PARQUET_PROBE_ROWS=5000000 for the
 * issue's 5,000,000) go through the Parquet writer in batches as the TAP service feeds it, the file is read as the
 * response would stream it, and the process's peak RSS growth is reported and bounded. The rows are never held:
 * each batch is made, written and dropped.
 */

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { expect, it } from 'vitest';
import type { CellValue } from '../../src/catalog/index.js';
import type { VOTableField } from '../../src/formats/index.js';
import { parquetWriter } from '../../src/server/tap/writers/parquet.js';
import { chunkPieces } from '../../src/server/tap/writers/result-writer.js';
import { temporaryDir } from '../catalog/helpers.js';

const ROWS = Number(process.env.MERIDIAN_PARQUET_PROBE_ROWS ?? 500_000);
const BATCH = 2048;

const fields: VOTableField[] = [
  { name: 'objectId', datatype: 'long' },
  { name: 'coord_ra', datatype: 'double', unit: 'deg' },
  { name: 'coord_dec', datatype: 'double', unit: 'deg' },
  { name: 'r_psfFlux', datatype: 'float', unit: 'nJy' },
  { name: 'detect_isPrimary', datatype: 'boolean' },
  { name: 'band', datatype: 'char', arraysize: '*' },
];

it(`writes ${ROWS.toLocaleString('en')} rows as VOParquet with bounded memory`, async () => {
  const tmp = temporaryDir('parquet-probe');
  try {
    const before = process.memoryUsage().rss;
    let peak = before;
    const sample = () => {
      peak = Math.max(peak, process.memoryUsage().rss);
    };
    const timer = setInterval(sample, 20);
    const started = performance.now();
    const writer = parquetWriter(fields, { scratchDir: tmp.dir });
    let bytes = 0;
    let tail = Buffer.alloc(0);
    try {
      for await (const piece of chunkPieces(await writer.start())) bytes += piece.length;
      for (let first = 0; first < ROWS; first += BATCH) {
        const batch: CellValue[][] = [];
        for (let i = first; i < Math.min(ROWS, first + BATCH); i++) {
          batch.push([
            BigInt(i) * 1_000_003n,
            (i * 0.0137) % 360,
            -60 + (i % 1200) / 10,
            i / 7,
            i % 3 === 0,
            'ugrizy'[i % 6],
          ]);
        }
        for await (const piece of chunkPieces(await writer.rows(batch))) bytes += piece.length;
        sample();
      }
      // Read the file as the response streams it; keep only its last bytes (the footer) to check it.
      for await (const piece of chunkPieces((await writer.end({ overflow: false })) ?? '')) {
        bytes += piece.length;
        tail = Buffer.concat([tail, Buffer.from(piece)]).subarray(-8);
        sample();
      }
    } finally {
      clearInterval(timer);
      await writer.close?.();
    }
    const seconds = (performance.now() - started) / 1000;
    const growthMb = (peak - before) / 2 ** 20;
    console.info(
      `VOParquet probe: ${ROWS} rows, ${(bytes / 2 ** 20).toFixed(1)} MiB, ${seconds.toFixed(1)} s (${Math.round(ROWS / seconds)} rows/s), RSS ${(before / 2 ** 20).toFixed(0)} MiB before, peak growth ${growthMb.toFixed(0)} MiB`,
    );
    expect(tail.subarray(-4).toString()).toBe('PAR1');
    expect(growthMb).toBeLessThan(400);
    // A small file with the same writer reads back with every row (the big one was never kept).
    const small = parquetWriter(fields, { scratchDir: tmp.dir });
    await small.start();
    await small.rows([
      [1n, 2, 3, 4, true, 'g'],
      [null, null, null, null, null, null],
    ]);
    const parts: Buffer[] = [];
    for await (const piece of chunkPieces((await small.end({ overflow: false })) ?? ''))
      parts.push(Buffer.from(piece));
    await small.close?.();
    const path = join(tmp.dir, 'small.parquet');
    writeFileSync(path, Buffer.concat(parts));
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    const rows = (await connection.runAndReadAll(`SELECT * FROM read_parquet('${path}')`)).getRowsJS();
    connection.closeSync();
    instance.closeSync();
    expect(rows).toEqual([
      [1n, 2, 3, 4, true, 'g'],
      [null, null, null, null, null, null],
    ]);
  } finally {
    tmp.remove();
  }
}, 600_000);

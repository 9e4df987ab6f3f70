/**
 * One measured step of the compare benchmark, in a process of its own so that its peak resident memory is the
 * comparing process's alone (the embedded DuckDB engine runs inside it): `node compare-child.js MODE A B`, where
 * MODE is `compare` (compareCatalogs) or `scan` (the reference: one full scan of every table on each side, both
 * sides at once, reading every column inside the engine without hashing: COUNT(*) and MIN of each column).
 * Prints one JSON line.
 */

import { Catalog, type CatalogTable, compareCatalogs } from '../src/catalog/index.js';

/**
 * Reads every column of every row of `table` inside the engine (MIN of each column: DuckDB answers COUNT(column)
 * from its statistics without reading the data), on every worker.
 */
async function scanTable(catalog: Catalog, table: CatalogTable, signal: AbortSignal): Promise<number> {
  const id = (name: string) => catalog.engine.dialect.regularIdentifier(name);
  const sql = `SELECT COUNT(*), ${table.columns.map((c) => `MIN(${id(c.name)})`).join(', ')} FROM ${id(table.name)}`;
  const workers = table.partitioning.role === 'regular' ? 1 : catalog.engine.workerCount;
  let rows = 0;
  for (let worker = 0; worker < workers; worker++) {
    const stream = await catalog.engine.runFragment(
      { kind: 'fragment', worker, chunks: null },
      sql,
      [],
      signal,
    );
    for await (const batch of stream.rows) for (const row of batch) rows += Number(row[0]);
  }
  return rows;
}

async function main(): Promise<void> {
  const [mode, dirA, dirB] = process.argv.slice(2);
  if (!dirA || !dirB || (mode !== 'compare' && mode !== 'scan')) {
    throw new Error('usage: compare-child.js compare|scan A B');
  }
  // As `meridian catalog compare` does by default: bound DuckDB's buffer pool in the comparing process.
  const memoryLimit = process.env.MERIDIAN_COMPARE_MEMORY_LIMIT ?? '512MB';
  const a = await Catalog.open(dirA, { memoryLimit });
  const b = await Catalog.open(dirB, { memoryLimit });
  try {
    const started = performance.now();
    let summary: Record<string, unknown>;
    if (mode === 'scan') {
      const signal = new AbortController().signal;
      let rows = 0;
      for (const table of a.schema.tables) {
        const [ra, rb] = await Promise.all([scanTable(a, table, signal), scanTable(b, table, signal)]);
        rows += ra + rb;
      }
      summary = { rows };
    } else {
      const report = await compareCatalogs(a, b);
      const chunks = report.tables.flatMap((t) => t.chunks.map((c) => ({ table: t.table, ...c })));
      summary = {
        equal: report.equal,
        rows: report.tables.reduce((n, t) => n + t.rowsA + t.rowsB, 0),
        differingChunks: chunks.map((c) => `${c.table}:${c.chunkId}`),
        // Rows streamed out of the engines to find the differences (both sides).
        rowsRead: chunks.reduce((n, c) => n + c.rowsA + c.rowsB, 0),
        differences: chunks.flatMap((c) =>
          c.differences.map((d) => ({ table: c.table, chunk: c.chunkId, ...d })),
        ),
      };
    }
    const ms = performance.now() - started;
    // maxRSS is in kilobytes on Linux.
    console.log(JSON.stringify({ mode, ms, peakRssMb: process.resourceUsage().maxRSS / 1024, ...summary }));
  } finally {
    await a.close();
    await b.close();
  }
}

await main();

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { Butler, uuidv7 } from '../src/butler/index.js';
import { type BenchResult, percentile, timeIt } from './harness.js';

/**
 * Registry benchmark: N datasets of one type spread over R RUN collections (the issue's scale is 1,000,000 over
 * 1,000), inserted in batches, then data-ID queries and find-first searches through a 10-collection chain. Each
 * figure is printed beside the same work done with bare SQL on the same database in the same run.
 */
export async function benchButler(options: {
  backend: 'sqlite' | 'postgresql';
  datasets: number;
  runs: number;
  postgresUrl?: string;
  /**
   * RUNs inserted at once (each its own transaction on its own connection, as several writers or a merge spread
   * over connections would); the bare-SQL reference uses the same. Default 1.
   */
  insertConcurrency?: number;
}): Promise<BenchResult[]> {
  const concurrency = Math.max(1, options.insertConcurrency ?? 1);
  const dir = mkdtempSync(join(tmpdir(), 'meridian-bench-'));
  const namespace = `bench_${Date.now().toString(36)}`;
  const butler = await Butler.create(join(dir, 'repo'), {
    registry: options.backend === 'postgresql' ? { db: options.postgresUrl!, namespace } : undefined,
  });
  const results: BenchResult[] = [];
  try {
    const reg = butler.registry;
    const perRun = Math.floor(options.datasets / options.runs);
    const detectors = 100;
    const exposures = Math.max(1, Math.ceil(perRun / detectors));
    await reg.insertDimensionData('instrument', [{ name: 'BenchCam', detector_max: detectors }]);
    await reg.insertDimensionData('physical_filter', [{ instrument: 'BenchCam', name: 'B-r', band: 'r' }]);
    await reg.insertDimensionData('day_obs', [{ instrument: 'BenchCam', id: 20260101 }]);
    await reg.insertDimensionData('group', [{ instrument: 'BenchCam', name: 'g' }]);
    await reg.insertDimensionData(
      'detector',
      Array.from({ length: detectors }, (_, id) => ({ instrument: 'BenchCam', id, full_name: `D${id}` })),
    );
    await reg.insertDimensionData(
      'exposure',
      Array.from({ length: exposures }, (_, id) => ({
        instrument: 'BenchCam',
        id,
        obs_id: `E${id}`,
        physical_filter: 'B-r',
        group: 'g',
        day_obs: 20260101,
      })),
    );
    await butler.registerDatasetType('calexp', ['instrument', 'exposure', 'detector'], 'StructuredDataDict');
    for (const name of ['calexpBare', 'calexpBulk']) {
      await butler.registerDatasetType(name, ['instrument', 'exposure', 'detector'], 'StructuredDataDict');
    }
    const dataIds = Array.from({ length: perRun }, (_, i) => ({
      instrument: 'BenchCam',
      exposure: Math.floor(i / detectors),
      detector: i % detectors,
    }));

    // Insert through the butler registry, one batch per RUN. The RUNs are registered first, as the references'
    // are: the figure is the inserts alone.
    const runNames = Array.from({ length: options.runs }, (_, r) => `run_${String(r).padStart(4, '0')}`);
    for (const run of runNames) await reg.registerRun(run);
    const t0 = performance.now();
    await forEachConcurrently(runNames, concurrency, async (run) => {
      await reg.insertDatasets('calexp', dataIds, run);
    });
    const butlerSeconds = (performance.now() - t0) / 1000;

    // Reference 1, the bare SQL a registry would need for the same rows: the same keys (UUIDv7 in the stored
    // 16-byte form) and the same bulk path (SqlDatabase.bulkLoad: COPY on PostgreSQL, prepared multi-row INSERTs
    // on SQLite), one transaction per run; no data ID validation, no conflict diagnosis, no summary. Where the
    // back end has row locks, the RUN and dataset type are locked once per run as the registry does (schema step
    // 3 replaced their per-row foreign keys with that lock).
    const db = reg.database;
    const ids = reg.datasets.ids;
    const registerRuns = async (prefix: string) => {
      const out: number[] = [];
      for (let r = 0; r < options.runs; r++) {
        await reg.registerRun(`${prefix}_${String(r).padStart(4, '0')}`);
        out.push((await reg.collections.get(`${prefix}_${String(r).padStart(4, '0')}`)).id);
      }
      return out;
    };
    const dtBulk = await reg.datasetTypes.get('calexpBulk');
    const bulkRuns = await registerRuns('bulk');
    const tBulk = performance.now();
    await forEachConcurrently(bulkRuns, concurrency, async (runId) => {
      await db.transaction(async (trx) => {
        if (db.capabilities.rowLocks) {
          await sql`SELECT 1 FROM run r JOIN dataset_type t ON t.id = ${dtBulk.id} WHERE r.collection_id = ${runId} FOR KEY SHARE`.execute(
            trx,
          );
        }
        const datasetRows: unknown[][] = [];
        const tagRows: unknown[][] = [];
        for (const d of dataIds) {
          const id = ids.toDb(uuidv7());
          datasetRows.push([id, dtBulk.id, runId, 0]);
          tagRows.push([runId, dtBulk.id, id, d.instrument, d.exposure, d.detector]);
        }
        await db.bulkLoad(trx, 'dataset', ['id', 'dataset_type_id', 'run_id', 'ingest_date'], datasetRows);
        await db.bulkLoad(
          trx,
          dtBulk.tagsTable,
          ['collection_id', 'dataset_type_id', 'dataset_id', 'instrument', 'exposure', 'detector'],
          tagRows,
        );
      });
    });
    const bulkSeconds = (performance.now() - tBulk) / 1000;

    // Reference 2, the naive bare SQL of earlier rounds: Kysely multi-row INSERTs of 1,000 rows built as objects,
    // random (v4) UUIDs, one transaction per run.
    const dtBare = await reg.datasetTypes.get('calexpBare');
    const bareRuns = await registerRuns('bare');
    const t1 = performance.now();
    for (const runId of bareRuns) {
      await db.transaction(async (trx) => {
        for (let i = 0; i < dataIds.length; i += 1000) {
          const slice = dataIds.slice(i, i + 1000).map((d) => ({ ...d, id: ids.toDb(crypto.randomUUID()) }));
          await trx
            .insertInto('dataset')
            .values(
              slice.map((d) => ({ id: d.id, dataset_type_id: dtBare.id, run_id: runId, ingest_date: 0 })),
            )
            .execute();
          await trx
            .insertInto(dtBare.tagsTable)
            .values(
              slice.map((d) => ({
                dataset_type_id: dtBare.id,
                dataset_id: d.id,
                collection_id: runId,
                instrument: d.instrument,
                exposure: d.exposure,
                detector: d.detector,
              })),
            )
            .execute();
        }
      });
    }
    const bareSeconds = (performance.now() - t1) / 1000;
    const n = perRun * options.runs;
    results.push({
      name: `${options.backend}: insert ${n.toLocaleString('en')} datasets in ${options.runs} runs${concurrency > 1 ? `, ${concurrency} at once` : ''}`,
      value: n / butlerSeconds,
      unit: 'datasets/s',
      reference: n / bulkSeconds,
      referenceName: 'bare SQL, same keys and bulk path',
      higherIsBetter: true,
      target: options.backend === 'sqlite' ? 100_000 : 50_000,
    });
    results.push({
      name: `${options.backend}: the same inserts against the naive reference`,
      value: n / butlerSeconds,
      unit: 'datasets/s',
      reference: n / bareSeconds,
      referenceName: 'naive bare SQL (Kysely INSERTs, random UUIDs)',
      higherIsBetter: true,
    });

    // query-datasets by a data ID constraint in one RUN and across every RUN.
    const dtRec = await reg.datasetTypes.get('calexp');
    const someRun = await reg.collections.get(`run_${String(Math.floor(options.runs / 2)).padStart(4, '0')}`);
    const qTimes: number[] = [];
    const qBare: number[] = [];
    for (let i = 0; i < 50; i++) {
      const det = (i * 37) % detectors;
      const exp = i % exposures;
      qTimes.push(
        await timeIt(() =>
          reg.queryDatasets('calexp', {
            collections: [someRun.name],
            where: `detector = ${det} AND exposure = ${exp}`,
          }),
        ),
      );
      qBare.push(
        await timeIt(() =>
          sql`SELECT t.dataset_id, d.run_id FROM ${sql.table(dtRec.tagsTable)} t JOIN dataset d ON d.id = t.dataset_id WHERE t.dataset_type_id = ${dtRec.id} AND t.collection_id = ${someRun.id} AND t.instrument = 'BenchCam' AND t.detector = ${det} AND t.exposure = ${exp}`.execute(
            db.db,
          ),
        ),
      );
    }
    results.push({
      name: `${options.backend}: query-datasets by data ID in one RUN (p50)`,
      value: percentile(qTimes, 50),
      unit: 'ms',
      reference: percentile(qBare, 50),
      referenceName: 'bare SQL',
      target: options.backend === 'postgresql' ? 2 : 20,
    });

    // Find-first through a 10-collection chain.
    const chainRuns = Array.from({ length: 10 }, (_, r) => `run_${String(r).padStart(4, '0')}`);
    await reg.registerCollection('chain10', 'CHAINED');
    await reg.setCollectionChain('chain10', chainRuns);
    const chainIds = await Promise.all(chainRuns.map(async (r) => (await reg.collections.get(r)).id));
    const ff: number[] = [];
    const ffBare: number[] = [];
    const ffQuery: number[] = [];
    for (let i = 0; i < 50; i++) {
      const det = (i * 37) % detectors;
      const exp = i % exposures;
      ff.push(
        await timeIt(() =>
          reg.findDataset(
            'calexp',
            { instrument: 'BenchCam', exposure: exp, detector: det },
            { collections: ['chain10'] },
          ),
        ),
      );
      ffQuery.push(
        await timeIt(() =>
          reg.queryDatasets('calexp', {
            collections: ['chain10'],
            findFirst: true,
            where: `detector = ${det}`,
          }),
        ),
      );
      const rank = sql.join(
        chainIds.map((id, k) => sql`WHEN ${id} THEN ${k}`),
        sql` `,
      );
      ffBare.push(
        await timeIt(() =>
          sql`SELECT t.dataset_id FROM ${sql.table(dtRec.tagsTable)} t WHERE t.dataset_type_id = ${dtRec.id} AND t.collection_id IN (${sql.join(chainIds)}) AND t.instrument = 'BenchCam' AND t.exposure = ${exp} AND t.detector = ${det} ORDER BY CASE t.collection_id ${rank} END LIMIT 1`.execute(
            db.db,
          ),
        ),
      );
    }
    results.push({
      name: `${options.backend}: find-first of one data ID through a 10-collection chain (p50)`,
      value: percentile(ff, 50),
      unit: 'ms',
      reference: percentile(ffBare, 50),
      referenceName: 'bare SQL',
      target: 50,
    });
    results.push({
      name: `${options.backend}: find-first query-datasets, detector = N, 10-collection chain (p50, ${exposures} rows)`,
      value: percentile(ffQuery, 50),
      unit: 'ms',
      target: 50,
    });
    if (options.backend === 'postgresql') {
      await db.db.schema.dropSchema(namespace).ifExists().cascade().execute();
    }
  } finally {
    await butler.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

/** `fn` over `items` with at most `concurrency` calls in flight, in order of starting. */
async function forEachConcurrently<T>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

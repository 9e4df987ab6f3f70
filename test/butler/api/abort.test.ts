import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  Butler,
  type DatasetRef,
  exportDatasets,
  type FileDataset,
  importDatasets,
  transferFrom,
} from '../../../src/butler/index.js';
import { postgresEnabled } from '../../support/postgres.js';
import { dropSchema, expectCode, makeRepo, registryFor, tempDir } from './helpers.js';

const pgAvailable = postgresEnabled('butler cancellation on PostgreSQL');
const backends = [
  { name: 'sqlite' as const, run: true },
  { name: 'postgresql' as const, run: pgAvailable },
];

/**
 * A real AbortController whose signal fires at its `n`-th check (reading `aborted`), so a test can cancel a call
 * at every point where it looks, deterministically, instead of racing a timer against it.
 */
function abortAtCheck(n: number): AbortSignal {
  const controller = new AbortController();
  let checks = 0;
  return {
    get aborted() {
      checks++;
      if (checks > n && !controller.signal.aborted)
        controller.abort(new Error(`test cancelled at check ${n}`));
      return controller.signal.aborted;
    },
    get reason() {
      return controller.signal.reason;
    },
  } as AbortSignal;
}

/**
 * Runs `call` cancelled at its first, second, ... check until it completes: every cancelled attempt must fail with
 * ABORTED naming `operation` and pass `afterAbort` (nothing partial left). Returns the number of cancellation
 * points found and the result of the attempt that completed.
 */
async function cancelAtEveryCheck<T>(
  operation: string,
  call: (signal: AbortSignal) => Promise<T>,
  afterAbort: () => Promise<void> = async () => {},
): Promise<{ points: number; result: T }> {
  for (let n = 0; n < 200; n++) {
    let result: T;
    try {
      result = await call(abortAtCheck(n));
    } catch (err) {
      expect(err).toMatchObject({ code: 'ABORTED' });
      expect((err as Error).message).toContain(operation);
      expect((err as Error).message).toMatch(/cancelled/);
      expect(((err as Error).cause as Error).message).toBe(`test cancelled at check ${n}`);
      await afterAbort();
      continue;
    }
    return { points: n, result };
  }
  throw new Error(`${operation} never completed`);
}

/** Files under a repository root other than its configuration and SQLite registry. */
function datasetFiles(root: string): string[] {
  if (!existsSync(root)) return [];
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else out.push(relative(root, full));
    }
  };
  walk(root);
  return out.filter((f) => f !== 'butler.yaml' && !f.startsWith('gen3.sqlite3')).sort();
}

const aborted = () => {
  const controller = new AbortController();
  controller.abort(new Error('test cancelled at check 0'));
  return controller.signal;
};

describe.each(backends)('AbortSignal on long butler calls ($name)', ({ name, run: available }) => {
  let dir: ReturnType<typeof tempDir>;
  const opened: Butler[] = [];
  const repo = async (sub: string) => {
    const butler = await makeRepo(join(dir.path, sub), name);
    opened.push(butler);
    return butler;
  };
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(async () => {
    for (const butler of opened.splice(0)) {
      await dropSchema(butler);
      await butler.close();
    }
    dir.cleanup();
  });

  it.runIf(available)(
    'queries reject a cancelled signal before starting, around the SQL and before each batch of rows',
    async () => {
      const butler = await repo('q');
      for (const visit of [1, 2]) {
        await butler.put(
          { summary: {}, output: {}, data: [visit] },
          'metrics',
          { instrument: 'Cam1', visit },
          {
            run: 'r',
          },
        );
      }
      const expected = {
        datasets: await butler.registry.queryDatasets('metrics', { collections: ['r'] }),
        dataIds: await butler.registry.queryDataIds(['visit', 'detector'], { where: "instrument = 'Cam1'" }),
        records: await butler.registry.queryDimensionRecords('exposure', { dataId: { instrument: 'Cam1' } }),
      };
      expect(expected.datasets).toHaveLength(2);
      expect(expected.dataIds).toHaveLength(8);
      expect(expected.records).toHaveLength(4);

      const calls = {
        queryDatasets: (signal: AbortSignal) =>
          butler.queryDatasets('metrics', { collections: ['r'], signal }) as Promise<unknown>,
        queryDataIds: (signal: AbortSignal) =>
          butler.queryDataIds(['visit', 'detector'], {
            where: "instrument = 'Cam1'",
            signal,
          }) as Promise<unknown>,
        queryDimensionRecords: (signal: AbortSignal) =>
          butler.queryDimensionRecords('exposure', {
            dataId: { instrument: 'Cam1' },
            signal,
          }) as Promise<unknown>,
      };
      const results = {
        queryDatasets: expected.datasets,
        queryDataIds: expected.dataIds,
        queryDimensionRecords: expected.records,
      };
      for (const [operation, call] of Object.entries(calls)) {
        await expectCode(call(aborted()), 'ABORTED', new RegExp(`${operation} was cancelled`));
        // A signal that never fires changes nothing.
        expect(await call(new AbortController().signal)).toEqual(results[operation as keyof typeof results]);
        const { points, result } = await cancelAtEveryCheck(operation, call);
        // Checked before starting, before and after the SQL statement and before the first batch of rows.
        expect(points).toBeGreaterThanOrEqual(3);
        expect(result).toEqual(results[operation as keyof typeof results]);
      }
      // The registry methods take the same option.
      await expectCode(
        butler.registry.queryDatasets('metrics', { collections: ['r'], signal: aborted() }),
        'ABORTED',
      );
    },
  );

  it.runIf(available)('a cancelled ingest registers nothing and puts every file back', async () => {
    const butler = await repo('ingest');
    const sources = join(dir.path, 'incoming');
    const files: FileDataset[] = [1, 2, 3].map((detector) => {
      const path = join(sources, `raw_${detector}.json`);
      return {
        path,
        refs: [{ datasetType: 'raw', dataId: { instrument: 'Cam1', exposure: 100, detector } }],
      };
    });
    mkdirSync(sources, { recursive: true });
    for (const [i, f] of files.entries()) writeFileSync(f.path, JSON.stringify({ detector: i + 1 }));

    for (const transfer of ['copy', 'move'] as const) {
      const run = `raw/${transfer}`;
      const { points, result } = await cancelAtEveryCheck(
        'ingest',
        (signal) => butler.ingest(files, { run, transfer, signal }),
        async () => {
          expect((await butler.registry.queryCollections()).map((c) => c.name)).not.toContain(run);
          expect(datasetFiles(butler.root)).toEqual([]);
          for (const f of files) expect(existsSync(f.path)).toBe(true);
        },
      );
      // Before starting, per file while checking, per file inside the transaction, and before the final insert.
      expect(points).toBe(8);
      expect(result).toHaveLength(3);
      expect(await butler.get(result[2]!)).toEqual({ detector: 3 });
      if (transfer === 'copy') await butler.removeRuns([run]);
    }
  });

  it.runIf(available)(
    'a cancelled transfer, export or import leaves no datasets, records or files',
    async () => {
      const source = await repo('source');
      const refs: DatasetRef[] = [];
      for (const visit of [1, 2]) {
        refs.push(
          await source.put(
            { summary: { visit }, output: {}, data: [visit] },
            'metrics',
            { instrument: 'Cam1', visit },
            {
              run: 'site2/run',
            },
          ),
        );
      }
      const emptyRepo = async (sub: string) => {
        const butler = await Butler.create(join(dir.path, sub), { registry: registryFor(name) });
        opened.push(butler);
        return butler;
      };
      // The destination shares nothing with the source: no records, dataset types or runs.
      const target = await emptyRepo('target');
      const nothingIn = (butler: Butler) => async () => {
        expect((await butler.registry.getDatasets(refs.map((r) => r.id))).size).toBe(0);
        expect(await butler.registry.queryDimensionRecords('visit')).toEqual([]);
        expect(await butler.registry.queryDatasetTypes()).toEqual([]);
        expect(datasetFiles(butler.root)).toEqual([]);
      };

      const transfer = await cancelAtEveryCheck(
        'transferFrom',
        (signal) => transferFrom(target, source, refs, { registerDatasetTypes: true, signal }),
        nothingIn(target),
      );
      expect(transfer.points).toBeGreaterThanOrEqual(4);
      expect(transfer.result.transferred.map((r) => r.id).sort()).toEqual(refs.map((r) => r.id).sort());
      expect(await target.get(refs[1]!)).toEqual({ summary: { visit: 2 }, output: {}, data: [2] });

      const exportDir = join(dir.path, 'export');
      const exportFile = join(exportDir, 'export.yaml');
      const exported = await cancelAtEveryCheck(
        'exportDatasets',
        (signal) => exportDatasets(source, exportFile, refs, { directory: exportDir, signal }),
        async () => {
          expect(existsSync(exportFile)).toBe(false);
          expect(datasetFiles(exportDir)).toEqual([]);
        },
      );
      expect(exported.points).toBeGreaterThanOrEqual(4);
      expect(exported.result).toEqual({ datasets: 2, files: 2 });

      const importer = await emptyRepo('imported');
      const imported = await cancelAtEveryCheck(
        'importDatasets',
        (signal) => importDatasets(importer, exportFile, { signal }),
        nothingIn(importer),
      );
      expect(imported.points).toBeGreaterThanOrEqual(4);
      expect(imported.result).toEqual({ datasets: 2, skipped: 0 });
      expect(await importer.get(refs[0]!)).toEqual({ summary: { visit: 1 }, output: {}, data: [1] });
    },
  );
});

/**
 * Issue 9, "interrupted writes must not block the retry": what a killed writer leaves (an orphan file at a dataset's
 * path, temporary files, trash rows) never makes the next write fail, and `Butler.cleanup` removes it. The kills are
 * simulated by leaving exactly what a kill leaves; test/reliability/ kills real processes.
 */
import { existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Butler,
  type FileDataset,
  TRANSFER_MODES,
  toDatastoreRef,
  verifyRepository,
} from '../../../src/butler/index.js';
import { postgresUrl } from '../../support/postgres.js';
import { dropSchema, expectCode, makeRepo, tempDir } from './helpers.js';

let dir: ReturnType<typeof tempDir>;
beforeAll(() => {
  dir = tempDir();
});
afterAll(() => dir.cleanup());

let count = 0;
async function repo(): Promise<Butler> {
  count += 1;
  return makeRepo(join(dir.path, `repo${count}`));
}

/** Problems `verify` finds, as "kind path" strings (empty when clean). */
async function problems(butler: Butler): Promise<string[]> {
  const report = await verifyRepository(butler, { checksum: true });
  return report.problems.map((p) => `${p.kind} ${p.path}`);
}

/** Leaves a file where the dataset would go, as a writer killed between placing it and committing does. */
async function leaveOrphanFor(
  butler: Butler,
  datasetType: string,
  dataId: Record<string, string | number>,
  run: string,
  extension?: string,
): Promise<string> {
  const dt = await butler.registry.getDatasetType(datasetType);
  const coord = await butler.registry.expandDataId(dataId, dt.dimensions);
  const ref = toDatastoreRef({ id: 'killed-writer', datasetType: dt, dataId: coord, run });
  let path = butler.datastore.predictPath(ref);
  if (extension !== undefined) path = path.replace(/\.[^./]+$/, extension);
  const absolute = join(butler.root, path);
  mkdirSync(dirname(absolute), { recursive: true });
  writeFileSync(absolute, 'half-written by a killed process');
  return path;
}

describe('a file at the target path that no record points to is an orphan, replaced by the retry', () => {
  it('put replaces an orphan and verify is clean', async () => {
    const butler = await repo();
    const path = await leaveOrphanFor(butler, 'metrics', { instrument: 'Cam1', visit: 1 }, 'run1');
    expect((await problems(butler)).some((p) => p.startsWith('orphan'))).toBe(true);
    const metrics = { summary: { n: 1 }, output: {}, data: [1] };
    const ref = await butler.put(metrics, 'metrics', { instrument: 'Cam1', visit: 1 }, { run: 'run1' });
    expect(await butler.getURI(ref)).toBe(join(butler.root, path));
    expect(await butler.get(ref)).toEqual(metrics);
    expect(await problems(butler)).toEqual([]);
    await butler.close();
  });

  it.each(TRANSFER_MODES)('ingest with transfer %s succeeds over an orphan', async (transfer) => {
    const butler = await repo();
    const sources = join(dir.path, `sources-${transfer}`);
    mkdirSync(sources, { recursive: true });
    const files: FileDataset[] = [1, 2].map((detector) => {
      const path = join(sources, `raw_${detector}.json`);
      writeFileSync(path, JSON.stringify({ detector }));
      return {
        path,
        refs: [{ datasetType: 'raw', dataId: { instrument: 'Cam1', exposure: 100, detector } }],
      };
    });
    for (const detector of [1, 2])
      await leaveOrphanFor(butler, 'raw', { instrument: 'Cam1', exposure: 100, detector }, 'raw', '.json');
    const refs = await butler.ingest(files, { run: 'raw', transfer });
    expect(await Promise.all(refs.map((r) => butler.get(r)))).toEqual([{ detector: 1 }, { detector: 2 }]);
    // 'auto' and 'direct' use the sources in place: the orphans stay orphans, for cleanup to remove.
    const placed = transfer !== 'auto' && transfer !== 'direct';
    expect(await problems(butler)).toHaveLength(placed ? 0 : 2);
    expect(existsSync(files[0]!.path)).toBe(transfer !== 'move');
    const report = await butler.cleanup();
    expect(report.orphans).toHaveLength(placed ? 0 : 2);
    expect(await problems(butler)).toEqual([]);
    await butler.close();
  });

  it('never replaces a file a record points to, nor one of a dataset in the same batch', async () => {
    const butler = await repo();
    const metrics = { summary: {}, output: {}, data: [] };
    const first = await butler.put(metrics, 'metrics', { instrument: 'Cam1', visit: 1 }, { run: 'run1' });
    // The same path for another dataset: only a template that is not unique could do this, so fake it.
    const info = (await butler.registry.stored.get([first.id])).get(first.id)![0]!;
    const sources = join(dir.path, 'same-path');
    mkdirSync(sources, { recursive: true });
    writeFileSync(join(sources, 'a.json'), '{"a": 1}');
    const ref = await butler.datastoreRef(first);
    await expectCode(
      butler.datastore.ingest(join(sources, 'a.json'), { ...ref, id: 'other' }, 'copy'),
      'FILE_EXISTS',
    );
    expect(JSON.parse(readFileSync(join(butler.root, info.path), 'utf8'))).toEqual(metrics);

    // Within one batch nothing is committed yet, but the first file is in flight and must not be replaced.
    const inFlight = await butler.datastore.ingest(
      join(sources, 'a.json'),
      { ...ref, run: 'batch', id: 'x1' },
      'copy',
    );
    await expectCode(
      butler.datastore.ingest(join(sources, 'a.json'), { ...ref, run: 'batch', id: 'x2' }, 'copy'),
      'FILE_EXISTS',
    );
    await butler.datastore.undoIngestOrPut(inFlight, 'copy');
    expect(await problems(butler)).toEqual([]);
    await butler.close();
  });

  it('a path still in the trash is not reused until the trash is emptied (FILE_EXISTS names cleanup)', async () => {
    const butler = await repo();
    const metrics = { summary: {}, output: {}, data: [] };
    const ref = await butler.put(metrics, 'metrics', { instrument: 'Cam1', visit: 1 }, { run: 'run1' });
    // A removal killed after its commit, before its files were deleted.
    await butler.registry.transaction(async () => {
      await butler.registry.stored.moveToTrash([ref.id]);
      await butler.registry.removeCollection('run1');
    });
    await expectCode(
      butler.put(metrics, 'metrics', { instrument: 'Cam1', visit: 1 }, { run: 'run1' }),
      'FILE_EXISTS',
    );
    const report = await butler.cleanup();
    expect(report.trashedFiles).toBe(1);
    await butler.put(metrics, 'metrics', { instrument: 'Cam1', visit: 1 }, { run: 'run1' });
    expect(await problems(butler)).toEqual([]);
    await butler.close();
  });
});

describe('deferred move', () => {
  it('keeps the source until the records are committed', async () => {
    const butler = await repo();
    const sources = join(dir.path, 'move');
    mkdirSync(sources, { recursive: true });
    const source = join(sources, 'raw.json');
    writeFileSync(source, '{"d": 1}');
    const dataId = { instrument: 'Cam1', exposure: 100, detector: 1 };
    const dt = await butler.registry.getDatasetType('raw');
    const coord = await butler.registry.expandDataId(dataId, dt.dimensions);
    const ref = toDatastoreRef({ id: 'id1', datasetType: dt, dataId: coord, run: 'm' });
    const info = await butler.datastore.ingest(source, ref, 'move', { deferSourceRemoval: true });
    expect(existsSync(source)).toBe(true);
    expect(await butler.datastore.exists(info)).toBe(true);
    // Rolled back: the placed file goes, the source stays.
    await butler.datastore.undoIngestOrPut(info, 'move');
    expect(existsSync(source)).toBe(true);
    expect(await butler.datastore.exists(info)).toBe(false);
    // Committed: finishIngest removes the source.
    const again = await butler.datastore.ingest(source, ref, 'move', { deferSourceRemoval: true });
    await butler.datastore.finishIngest(again);
    expect(existsSync(source)).toBe(false);
    expect(await butler.datastore.exists(again)).toBe(true);
    await butler.close();
  });
});

describe('Butler.cleanup', () => {
  it('empties the trash and removes orphans and temporary files; a dry run changes nothing', async () => {
    const butler = await repo();
    const metrics = { summary: {}, output: {}, data: [] };
    const kept = await butler.put(metrics, 'metrics', { instrument: 'Cam1', visit: 1 }, { run: 'keep' });
    const gone = await butler.put(metrics, 'metrics', { instrument: 'Cam1', visit: 2 }, { run: 'gone' });
    const trashedPath = (await butler.registry.stored.get([gone.id])).get(gone.id)![0]!.path;
    await butler.registry.transaction(async () => {
      await butler.registry.stored.moveToTrash([gone.id]);
      await butler.registry.removeCollection('gone');
    });
    const orphan = await leaveOrphanFor(butler, 'metrics', { instrument: 'Cam1', visit: 1 }, 'killed');
    const keptPath = (await butler.registry.stored.get([kept.id])).get(kept.id)![0]!.path;
    const temporary = join(butler.root, dirname(keptPath), '.mdtmp-0123456789ab-metrics.json');
    writeFileSync(temporary, 'partial');

    const dry = await butler.cleanup({ dryRun: true });
    expect(dry).toMatchObject({ dryRun: true, trashedFiles: 1, orphans: [orphan], tooRecent: [] });
    expect(dry.temporaryFiles).toEqual([`${dirname(keptPath)}/.mdtmp-0123456789ab-metrics.json`]);
    expect(existsSync(temporary)).toBe(true);
    expect(await butler.registry.stored.trashCount()).toBe(1);

    // With a minimum age, files changed just now are left; an old one goes.
    const old = (Date.now() - 7200_000) / 1000;
    utimesSync(temporary, old, old); // mtime only: ctime still says "now", so it stays
    const young = await butler.cleanup({ minAgeSeconds: 3600 });
    expect(young.trashedFiles).toBe(1);
    expect(young.orphans).toEqual([]);
    expect([...young.tooRecent].sort()).toEqual([orphan, dry.temporaryFiles[0]].sort());
    expect(existsSync(join(butler.root, trashedPath))).toBe(false);

    const report = await butler.cleanup();
    expect(report).toMatchObject({ dryRun: false, trashedFiles: 0, orphans: [orphan], tooRecent: [] });
    expect(existsSync(temporary)).toBe(false);
    expect(await butler.get(kept)).toEqual(metrics);
    expect(await problems(butler)).toEqual([]);
    await butler.close();
  });
});

describe('removeRuns', () => {
  it('empties the trash of an interrupted removal first, and checks every name before removing any', async () => {
    const butler = await repo();
    const metrics = { summary: {}, output: {}, data: [] };
    const a = await butler.put(metrics, 'metrics', { instrument: 'Cam1', visit: 1 }, { run: 'a' });
    await butler.put(metrics, 'metrics', { instrument: 'Cam1', visit: 2 }, { run: 'b' });
    await butler.registry.transaction(async () => {
      await butler.registry.stored.moveToTrash([a.id]);
      await butler.registry.removeCollection('a');
    });
    await expectCode(butler.removeRuns(['b', 'no-such-run']), 'COLLECTION_UNKNOWN');
    expect((await butler.registry.queryCollections(['b'])).map((c) => c.name)).toEqual(['b']);
    expect(await butler.registry.stored.trashCount()).toBe(1);
    expect(await butler.removeRuns(['b'])).toBe(1);
    expect(await butler.registry.stored.trashCount()).toBe(0);
    expect(await problems(butler)).toEqual([]);
    expect((await verifyRepository(butler)).files).toBe(0);
    await butler.close();
  });

  it('removes several runs, each in its own transaction with its files', async () => {
    const butler = await repo();
    await butler.registerDatasetType('doc', ['instrument', 'detector', 'exposure'], 'StructuredDataDict');
    for (let k = 0; k < 3; k++) {
      for (const exposure of [100, 101, 110, 111]) {
        for (const detector of [1, 2, 3, 4]) {
          await butler.put({ k }, 'doc', { instrument: 'Cam1', exposure, detector }, { run: `many/${k}` });
        }
      }
    }
    expect(await butler.removeRuns(['many/0', 'many/1', 'many/2'])).toBe(48);
    expect((await verifyRepository(butler)).files).toBe(0);
    expect(await problems(butler)).toEqual([]);
    await butler.close();
  });
});

describe('file templates are injective', () => {
  it('puts datasets of runs u/me/t12:00 and u/me/t12_00 side by side', async () => {
    const butler = await repo();
    const dataId = { instrument: 'Cam1', visit: 1 };
    const one = await butler.put({ summary: { r: 1 }, output: {}, data: [] }, 'metrics', dataId, {
      run: 'u/me/t12:00',
    });
    const two = await butler.put({ summary: { r: 2 }, output: {}, data: [] }, 'metrics', dataId, {
      run: 'u/me/t12_00',
    });
    expect(await butler.getURI(one)).not.toBe(await butler.getURI(two));
    expect(await butler.getURI(one)).toContain('t12%3A00');
    expect(((await butler.get(two)) as { summary: unknown }).summary).toEqual({ r: 2 });
    expect(await problems(butler)).toEqual([]);
    await butler.close();
  });
});

describe('cancellation', () => {
  it('a cancelled put leaves no dataset and no file', async () => {
    const butler = await repo();
    const controller = new AbortController();
    controller.abort();
    await expectCode(
      butler.put(
        { summary: {}, output: {}, data: [] },
        'metrics',
        { instrument: 'Cam1', visit: 1 },
        {
          run: 'r',
          signal: controller.signal,
        },
      ),
      'ABORTED',
    );
    expect((await verifyRepository(butler)).datasets).toBe(0);
    expect(await problems(butler)).toEqual([]);
    await butler.close();
  });
});

describe.runIf(postgresUrl !== null)('on PostgreSQL', () => {
  it('an orphan is replaced by put, and cleanup empties the trash and removes orphans', async () => {
    const butler = await makeRepo(join(dir.path, 'pg'), 'postgresql');
    try {
      const dataId = { instrument: 'Cam1', visit: 1 };
      await leaveOrphanFor(butler, 'metrics', dataId, 'run1');
      const metrics = { summary: {}, output: {}, data: [1] };
      const ref = await butler.put(metrics, 'metrics', dataId, { run: 'run1' });
      expect(await butler.get(ref)).toEqual(metrics);
      await leaveOrphanFor(butler, 'metrics', { instrument: 'Cam1', visit: 2 }, 'killed');
      await butler.registry.transaction(async () => {
        await butler.registry.stored.moveToTrash([ref.id]);
        await butler.registry.removeCollection('run1');
      });
      const report = await butler.cleanup();
      expect(report.trashedFiles).toBe(1);
      expect(report.orphans).toHaveLength(1);
      expect(await problems(butler)).toEqual([]);
    } finally {
      await dropSchema(butler);
      await butler.close();
    }
  });
});

import { appendFile, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileDatastore, type StoredFileInfo } from '../../../src/butler/datastore/index.js';
import {
  type Formatter,
  FormatterRegistry,
  StorageClassRegistry,
} from '../../../src/butler/storage/index.js';
import { makeRef } from './refs.js';
import { collect, makeScratch, type Scratch } from './temp-root.js';

const dataId = { instrument: 'MeridianCam', detector: 1, visit: 42, band: 'r', physical_filter: 'MC-r' };
const metrics = { summary: { n: 3 }, output: { ok: true }, data: [10, 11, 12, 13, 14] };

let scratch: Scratch;
beforeEach(async () => {
  scratch = await makeScratch();
});
afterEach(async () => {
  await scratch.cleanup();
});

describe('FileDatastore put and get', () => {
  it('round-trips a value of every default storage class that has a formatter', async () => {
    const store = scratch.datastore();
    const samples: [string, unknown][] = [
      ['StructuredDataDict', { a: 1, nested: { b: [1, 2] } }],
      ['StructuredDataList', [3, 'x', null]],
      ['Config', { threshold: 5.5, names: ['a', 'b'] }],
      ['Packages', { meridian: '0.1.0' }],
      ['TaskMetadata', { calibrate: { nStars: 120 } }],
      ['int', 7],
      ['float', 0.125],
      ['string', 'text'],
      ['StructuredComposite', metrics],
    ];
    for (const [storageClass, value] of samples) {
      const ref = makeRef(`dt_${storageClass}`, dataId, { storageClass });
      const info = await store.put(value, ref);
      expect(info).toMatchObject({ datasetId: ref.id, storageClass, component: null, checksum: null });
      expect(info.path).toBe(store.predictPath(ref));
      expect(info.fileSize).toBe((await stat(join(scratch.root, info.path))).size);
      expect(await store.get(info, ref), storageClass).toEqual(value);
    }
    const configRef = makeRef('dt_Config', dataId, { storageClass: 'Config' });
    expect(store.predictPath(configRef)).toMatch(/\.yaml$/);
  });

  it('writes to the template path with the formatter extension', async () => {
    const store = scratch.datastore({
      templates: { default: '{run:/}/{datasetType}/{visit}/{datasetType}_{detector}_{run}' },
    });
    const ref = makeRef('metrics', dataId, { storageClass: 'StructuredComposite', run: 'u/me/run' });
    const info = await store.put(metrics, ref);
    expect(info.path).toBe('u/me/run/metrics/42/metrics_1_u_me_run.json');
    expect(JSON.parse(await readFile(join(scratch.root, info.path), 'utf8'))).toEqual(metrics);
  });

  it('reads components and the slice parameter', async () => {
    const store = scratch.datastore();
    const ref = makeRef('metrics', dataId, { storageClass: 'StructuredComposite' });
    const info = await store.put(metrics, ref);
    expect(await store.get(info, ref, { component: 'summary' })).toEqual({ n: 3 });
    expect(await store.get(info, { ...ref, component: 'output' })).toEqual({ ok: true });
    expect(
      await store.get(info, ref, { component: 'data', parameters: { slice: { start: 1, stop: 3 } } }),
    ).toEqual([11, 12]);
    await expect(store.get(info, ref, { component: 'nope' })).rejects.toMatchObject({
      code: 'COMPONENT_UNKNOWN',
    });
  });

  it('refuses to overwrite an existing file and leaves it intact', async () => {
    const store = scratch.datastore();
    const ref = makeRef('metrics', dataId, { storageClass: 'StructuredComposite' });
    const info = await store.put(metrics, ref);
    await expect(store.put({ ...metrics, data: [] }, { ...ref, id: 'other' })).rejects.toMatchObject({
      code: 'FILE_EXISTS',
    });
    expect(await store.get(info, ref)).toEqual(metrics);
    expect(await collect(store.walkArtifacts())).toEqual([info.path]);
  });

  it('checks the value type before writing anything', async () => {
    const store = scratch.datastore();
    await expect(store.put('not a dict', makeRef('d', dataId))).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(
      store.put({ x: 1 }, makeRef('e', dataId, { storageClass: 'ExposureF' })),
    ).rejects.toMatchObject({
      code: 'FORMATTER_UNKNOWN',
    });
    expect(await collect(store.walkArtifacts())).toEqual([]);
  });

  it('leaves no file, temporary file or directory it created when the formatter throws mid-write', async () => {
    const formatters = FormatterRegistry.withDefaults();
    const failing: Formatter = {
      name: 'test.Failing',
      extension: '.bin',
      async write(_obj, path) {
        await writeFile(path, 'partial');
        await appendFile(path, 'more');
        throw new Error('disk on fire');
      },
      read: async () => null,
    };
    formatters.register(failing, ['StructuredDataDict']);
    const store = scratch.datastore({}, formatters);
    // An empty directory that existed before the put is not the put's to remove.
    await mkdir(join(scratch.root, 'run2'), { recursive: true });
    await expect(store.put({ a: 1 }, makeRef('d', dataId))).rejects.toThrow('disk on fire');
    expect(await readdir(scratch.root, { recursive: true })).toEqual(['run2']);
  });

  it('reports a missing file and an unknown formatter when reading', async () => {
    const store = scratch.datastore();
    const ref = makeRef('d', dataId);
    const info = await store.put({ a: 1 }, ref);
    await expect(store.get({ ...info, formatter: 'gone.Formatter' }, ref)).rejects.toMatchObject({
      code: 'FORMATTER_UNKNOWN',
    });
    await store.removeArtifact(info);
    await expect(store.get(info, ref)).rejects.toMatchObject({ code: 'DATASET_FILE_MISSING' });
    expect(await store.exists(info)).toBe(false);
  });
});

describe('FileDatastore checksums and verify', () => {
  it('records no checksum by default and verifies size only', async () => {
    const store = scratch.datastore();
    const ref = makeRef('d', dataId);
    const info = await store.put({ a: 1 }, ref);
    expect(info.checksum).toBeNull();
    expect(await store.verify(info)).toEqual({ ok: true });
    await writeFile(join(scratch.root, info.path), '{"a":2}\n');
    expect(await store.verify(info)).toEqual({ ok: true });
    await writeFile(join(scratch.root, info.path), '{"a":22}\n');
    expect(await store.verify(info)).toMatchObject({ ok: false, problem: 'size' });
  });

  it('records blake2b-512 checksums when configured and detects a changed file', async () => {
    const store = scratch.datastore({ checksum: true });
    const ref = makeRef('d', dataId);
    const info = await store.put({ a: 1 }, ref);
    expect(info.checksum).toMatch(/^blake2b512:[0-9a-f]{128}$/);
    expect(info.checksum).toBe(await FileDatastore.computeChecksum(join(scratch.root, info.path)));
    expect(await store.verify(info)).toEqual({ ok: true });
    expect(await store.get(info, ref, { verify: true })).toEqual({ a: 1 });

    await writeFile(join(scratch.root, info.path), '{"a":2}\n'); // same size, different bytes
    expect(await store.verify(info)).toMatchObject({ ok: false, problem: 'checksum' });
    expect(await store.verify(info, { checksum: false })).toEqual({ ok: true });
    expect(await store.get(info, ref)).toEqual({ a: 2 });
    await expect(store.get(info, ref, { verify: true })).rejects.toMatchObject({
      code: 'DATASET_CHECKSUM_MISMATCH',
    });

    await store.removeArtifact(info);
    expect(await store.verify(info)).toMatchObject({ ok: false, problem: 'missing' });
  });

  it('computes the known blake2b-512 digest of a file', async () => {
    await mkdir(scratch.dir, { recursive: true });
    const path = join(scratch.dir, 'abc.txt');
    await writeFile(path, 'abc');
    // RFC 7693 appendix A: BLAKE2b-512("abc").
    expect(await FileDatastore.computeChecksum(path)).toBe(
      'blake2b512:ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1' +
        '7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923',
    );
  });
});

describe('FileDatastore removal, walking and undo', () => {
  it('removes artifacts idempotently and prunes empty directories up to the root', async () => {
    const store = scratch.datastore();
    const a = await store.put({ a: 1 }, makeRef('alpha', dataId, { run: 'deep/run' }));
    const b = await store.put({ b: 1 }, makeRef('beta', dataId, { run: 'deep/run' }));
    await store.removeArtifact(a);
    await store.removeArtifact(a);
    expect(await collect(store.walkArtifacts())).toEqual([b.path]);
    await store.removeArtifact(b);
    expect(await readdir(scratch.root)).toEqual([]);
  });

  it('walks every file under the root except in-progress temporary files', async () => {
    const store = scratch.datastore();
    const info = await store.put({ a: 1 }, makeRef('alpha', dataId));
    await mkdir(join(scratch.root, 'stray/dir'), { recursive: true });
    await writeFile(join(scratch.root, 'stray/dir/orphan.fits'), 'x');
    await writeFile(join(scratch.root, 'stray/.mdtmp-0123456789ab-x.json'), 'x');
    expect(await collect(store.walkArtifacts())).toEqual([info.path, 'stray/dir/orphan.fits'].sort());
    expect(await collect(scratch.datastore({ root: join(scratch.dir, 'absent') }).walkArtifacts())).toEqual(
      [],
    );
  });

  it('undoes a put by removing the file and its new directories', async () => {
    const store = scratch.datastore();
    const info = await store.put({ a: 1 }, makeRef('alpha', dataId));
    await store.undoIngestOrPut(info);
    expect(await store.exists(info)).toBe(false);
    expect(await readdir(scratch.root)).toEqual([]);
  });
});

describe('FileDatastore path safety', () => {
  const info = (path: string): StoredFileInfo => ({
    datasetId: 'x',
    path,
    formatter: 'meridian.JsonFormatter',
    storageClass: 'StructuredDataDict',
    component: null,
    checksum: null,
    fileSize: 0,
  });

  it('rejects record paths that escape the root', async () => {
    const store = scratch.datastore();
    for (const bad of ['../x', 'a/../../x', '..', '.', 'a\0b']) {
      expect(() => store.absolutePath(info(bad)), bad).toThrow(
        expect.objectContaining({ code: 'PATH_TRAVERSAL' }),
      );
    }
    await expect(store.removeArtifact(info('../x'))).rejects.toMatchObject({ code: 'PATH_TRAVERSAL' });
    await expect(store.get(info('../x'), makeRef('d', dataId))).rejects.toMatchObject({
      code: 'PATH_TRAVERSAL',
    });
    await expect(store.verify(info('../../etc/passwd'))).rejects.toMatchObject({ code: 'PATH_TRAVERSAL' });
    expect(store.absolutePath(info('a/./b/../c.json'))).toBe(join(scratch.root, 'a/c.json'));
  });

  it('rejects template values that would write outside the root', async () => {
    const store = scratch.datastore({ templates: { default: '{run:/}/{datasetType}_{visit}' } });
    await expect(store.put({ a: 1 }, makeRef('d', dataId, { run: '../..' }))).rejects.toMatchObject({
      code: 'PATH_TRAVERSAL',
    });
    expect(() => store.predictPath(makeRef('d', dataId, { run: 'a/../../b' }))).toThrow(
      expect.objectContaining({ code: 'PATH_TRAVERSAL' }),
    );
  });

  it('validates the template a dataset type would use', () => {
    const store = scratch.datastore({ templates: { calexp: '{run}/{datasetType}/{visit}' } });
    const calexp = {
      name: 'calexp',
      storageClass: 'ExposureF',
      dimensions: ['instrument', 'visit', 'detector'],
    };
    expect(() => store.validateTemplate(calexp, ['instrument', 'visit', 'detector'])).toThrow(
      expect.objectContaining({
        code: 'CONFIG_INVALID',
        message: expect.stringContaining('instrument, detector'),
      }),
    );
    store.validateTemplate({ ...calexp, name: 'other' }, ['instrument', 'visit', 'detector']);
  });

  it('requires an absolute root', () => {
    expect(
      () =>
        new FileDatastore(
          { root: 'relative/root' },
          StorageClassRegistry.withDefaults(),
          FormatterRegistry.withDefaults(),
        ),
    ).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});

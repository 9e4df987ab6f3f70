import { link as hardLink, lstat, mkdir, readFile, readlink, stat, writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  FileDatastore,
  type StoredFileInfo,
  type TransferMode,
} from '../../../src/butler/datastore/index.js';
import { makeRef } from './refs.js';
import { collect, makeScratch, type Scratch } from './temp-root.js';

const dataId = { instrument: 'MeridianCam', detector: 3, exposure: 7 };
const templates = { default: '{run:/}/{datasetType}/{exposure}/{datasetType}_{detector}_{run}' };
const content = JSON.stringify({ pixels: [1, 2, 3] });

let scratch: Scratch;
let store: FileDatastore;
let source: string;
beforeEach(async () => {
  scratch = await makeScratch();
  store = scratch.datastore({ templates, checksum: true });
  await mkdir(scratch.outside, { recursive: true });
  source = join(scratch.outside, 'input.data.json');
  await writeFile(source, content);
});
afterEach(async () => {
  await scratch.cleanup();
});

const ref = (run = 'ingest') => makeRef('raw', dataId, { run });
const inRoot = (info: StoredFileInfo) => join(scratch.root, info.path);
const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

describe('FileDatastore.ingest transfer modes', () => {
  it('copy places an independent copy at the template path, keeping the source extension', async () => {
    const info = await store.ingest(source, ref(), 'copy');
    expect(info.path).toBe('ingest/raw/7/raw_3_ingest.json');
    expect(info.fileSize).toBe(content.length);
    expect(info.checksum).toBe(await FileDatastore.computeChecksum(source));
    expect((await lstat(inRoot(info))).isFile()).toBe(true);
    expect((await stat(inRoot(info))).ino).not.toBe((await stat(source)).ino);
    expect(await store.get(info, ref())).toEqual({ pixels: [1, 2, 3] });
    expect(await exists(source)).toBe(true);
  });

  it('move takes the file away from the source', async () => {
    const info = await store.ingest(source, ref(), 'move');
    expect(await exists(source)).toBe(false);
    expect(await readFile(inRoot(info), 'utf8')).toBe(content);
  });

  it('hardlink and link share the inode with the source', async () => {
    for (const mode of ['hardlink', 'link'] as const) {
      const info = await store.ingest(source, ref(mode), mode);
      expect((await stat(inRoot(info))).ino, mode).toBe((await stat(source)).ino);
      expect((await lstat(inRoot(info))).isSymbolicLink()).toBe(false);
    }
  });

  it('symlink makes an absolute link and relsymlink a relative one', async () => {
    const abs = await store.ingest(source, ref('abs'), 'symlink');
    expect((await lstat(inRoot(abs))).isSymbolicLink()).toBe(true);
    expect(await readlink(inRoot(abs))).toBe(source);
    const rel = await store.ingest(source, ref('rel'), 'relsymlink');
    expect((await lstat(inRoot(rel))).isSymbolicLink()).toBe(true);
    const target = await readlink(inRoot(rel));
    expect(isAbsolute(target)).toBe(false);
    expect(target).toBe('../../../../outside/input.data.json');
    expect(await store.get(rel, ref('rel'))).toEqual({ pixels: [1, 2, 3] });
    expect(await store.verify(rel)).toEqual({ ok: true });
  });

  it('direct records the absolute path and removeArtifact never deletes it', async () => {
    const info = await store.ingest(source, ref(), 'direct');
    expect(info.path).toBe(source);
    expect(store.absolutePath(info)).toBe(source);
    expect(await store.get(info, ref())).toEqual({ pixels: [1, 2, 3] });
    await store.removeArtifact(info);
    await store.undoIngestOrPut(info, 'direct');
    expect(await exists(source)).toBe(true);
    expect(await collect(store.walkArtifacts())).toEqual([]);
  });

  it('auto uses a file outside the root directly and a file inside the root in place', async () => {
    const outside = await store.ingest(source, ref(), 'auto');
    expect(outside.path).toBe(source);
    await mkdir(join(scratch.root, 'incoming'), { recursive: true });
    const inside = join(scratch.root, 'incoming', 'file.json');
    await writeFile(inside, content);
    const info = await store.ingest(inside, ref('in-place'), 'auto');
    expect(info.path).toBe('incoming/file.json');
    await store.undoIngestOrPut(info, 'auto');
    expect(await exists(inside)).toBe(true);
  });

  it('refuses to overwrite, a missing source, a directory and an unknown mode', async () => {
    await store.ingest(source, ref(), 'copy');
    await expect(store.ingest(source, { ...ref(), id: 'x' }, 'copy')).rejects.toMatchObject({
      code: 'FILE_EXISTS',
    });
    await expect(store.ingest(source, { ...ref(), id: 'x' }, 'symlink')).rejects.toMatchObject({
      code: 'FILE_EXISTS',
    });
    await expect(store.ingest(join(scratch.outside, 'nope.json'), ref('b'), 'copy')).rejects.toMatchObject({
      code: 'FILE_NOT_FOUND',
    });
    await expect(store.ingest(scratch.outside, ref('c'), 'copy')).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(store.ingest(source, ref('d'), 'teleport' as TransferMode)).rejects.toMatchObject({
      code: 'TRANSFER_MODE_INVALID',
    });
    expect(await exists(source)).toBe(true);
  });

  it('uses a named formatter and keeps compressed extensions whole', async () => {
    const gz = join(scratch.outside, 'image.fits.fz');
    await writeFile(gz, 'not really compressed');
    const info = await store.ingest(gz, ref(), 'copy', { formatter: 'meridian.YamlFormatter' });
    expect(info.path).toBe('ingest/raw/7/raw_3_ingest.fits.fz');
    expect(info.formatter).toBe('meridian.YamlFormatter');
  });
});

describe('FileDatastore.undoIngestOrPut after ingest', () => {
  it('moves a moved file back to where it came from', async () => {
    const info = await store.ingest(source, ref(), 'move');
    await store.undoIngestOrPut(info, 'move');
    expect(await readFile(source, 'utf8')).toBe(content);
    expect(await collect(store.walkArtifacts())).toEqual([]);
  });

  it('removes copies and links but never the source', async () => {
    for (const mode of ['copy', 'hardlink', 'symlink', 'relsymlink', 'link'] as const) {
      const info = await store.ingest(source, ref(mode), mode);
      await store.undoIngestOrPut(info, mode);
      expect(await exists(inRoot(info)), mode).toBe(false);
      expect(await readFile(source, 'utf8'), mode).toBe(content);
    }
    expect(await collect(store.walkArtifacts())).toEqual([]);
  });
});

describe('FileDatastore.retrieve', () => {
  it('copies under the datastore path or the file name, and honours clobber', async () => {
    const info = await store.put({ a: 1 }, makeRef('metric', dataId, { run: 'r1' }));
    const dest = join(scratch.dir, 'export');
    const preserved = await store.retrieve(info, dest, {
      transfer: 'copy',
      preservePath: true,
      clobber: false,
    });
    expect(preserved).toBe(join(dest, info.path));
    const flat = await store.retrieve(info, dest, { transfer: 'copy', preservePath: false, clobber: false });
    expect(flat).toBe(join(dest, 'metric_3_r1.json'));
    await expect(
      store.retrieve(info, dest, { transfer: 'copy', preservePath: false, clobber: false }),
    ).rejects.toMatchObject({ code: 'FILE_EXISTS' });
    await writeFile(flat, 'stale');
    await store.retrieve(info, dest, { transfer: 'copy', preservePath: false, clobber: true });
    expect(JSON.parse(await readFile(flat, 'utf8'))).toEqual({ a: 1 });
  });

  it('links, or moves the file out of the datastore', async () => {
    const info = await store.put({ a: 1 }, makeRef('metric', dataId, { run: 'r1' }));
    const dest = join(scratch.dir, 'export');
    const linked = await store.retrieve(info, dest, {
      transfer: 'symlink',
      preservePath: false,
      clobber: false,
    });
    expect(await readlink(linked)).toBe(inRoot(info));
    const moved = await store.retrieve(info, join(dest, 'moved'), {
      transfer: 'move',
      preservePath: false,
      clobber: false,
    });
    expect(await exists(moved)).toBe(true);
    expect(await store.exists(info)).toBe(false);
    expect(await collect(store.walkArtifacts())).toEqual([]);
  });

  it('refuses to move a direct file and reports missing files', async () => {
    const direct = await store.ingest(source, ref(), 'direct');
    const dest = join(scratch.dir, 'export');
    await expect(
      store.retrieve(direct, dest, { transfer: 'move', preservePath: true, clobber: false }),
    ).rejects.toMatchObject({ code: 'TRANSFER_MODE_INVALID' });
    const copied = await store.retrieve(direct, dest, {
      transfer: 'copy',
      preservePath: true,
      clobber: false,
    });
    expect(copied).toBe(join(dest, 'input.data.json'));
    const info = await store.put({ a: 1 }, makeRef('metric', dataId, { run: 'r2' }));
    await store.removeArtifact(info);
    await expect(
      store.retrieve(info, dest, { transfer: 'copy', preservePath: true, clobber: false }),
    ).rejects.toMatchObject({ code: 'DATASET_FILE_MISSING' });
  });

  it('does not treat an existing hard link as a copy when clobbering', async () => {
    const info = await store.put({ a: 1 }, makeRef('metric', dataId, { run: 'r1' }));
    const dest = join(scratch.dir, 'export');
    await mkdir(dest, { recursive: true });
    await hardLink(inRoot(info), join(dest, 'metric_3_r1.json'));
    await store.retrieve(info, dest, { transfer: 'copy', preservePath: false, clobber: true });
    expect(await store.get(info, makeRef('metric', dataId))).toEqual({ a: 1 });
  });
});

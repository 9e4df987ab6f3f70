import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  Butler,
  type DatasetRef,
  type Datastore,
  DimensionUniverse,
  type Formatter,
  type FormatterPlugin,
  openFileDatastore,
  readButlerConfig,
  refFromJSON,
  refToJSON,
  toDatastoreRef,
} from '../../../src/butler/index.js';
import { makeRepo, tempDir } from './helpers.js';

const run = 'job/run';
let dir: ReturnType<typeof tempDir>;
let root: string;

beforeEach(() => {
  dir = tempDir();
  root = join(dir.path, 'repo');
});
afterEach(() => dir.cleanup());

/** Registers a dataset with the registry (no file yet) and hands its expanded ref out as JSON, as a graph would. */
async function predictedOutputJson(dataId: Record<string, string | number>): Promise<unknown> {
  const butler = await makeRepo(root);
  try {
    await butler.registry.registerRun(run);
    const [ref] = await butler.registry.insertDatasets('raw', [dataId], run);
    const expanded: DatasetRef = {
      ...ref!,
      dataId: await butler.registry.expandDataId(ref!.dataId.values, ref!.datasetType.dimensions),
    };
    return JSON.parse(JSON.stringify(refToJSON(expanded)));
  } finally {
    await butler.close();
  }
}

describe('a FileDatastore without the registry', () => {
  it('writes from a JSON-revived ref where the Butler later finds and reads it', async () => {
    const json = await predictedOutputJson({ instrument: 'Cam1', exposure: 110, detector: 3 });
    const universe = DimensionUniverse.default();
    const ref = refFromJSON(json, universe);

    // The job's side: the datastore from butler.yaml alone (the registry file is not touched).
    const datastore: Datastore = openFileDatastore(root);
    const value = { flux: [1, 2, 3], note: 'written without a registry' };
    const info = await datastore.put(value, toDatastoreRef(ref));
    expect(info.datasetId).toBe(ref.id);
    expect(info.path).toContain('ex110'); // the default template's {exposure.obs_id}
    expect(info.path).toContain('Ba'); // and {detector.full_name}
    expect(await datastore.exists(info)).toBe(true);
    expect(await datastore.get(info, toDatastoreRef(ref))).toEqual(value);
    expect((await datastore.verify(info)).ok).toBe(true);

    // The merge side: the Butler, given the stored-file record, reads the same file through the registry.
    const butler = await Butler.open(root, { writeable: true, collections: [run] });
    try {
      expect(await butler.exists('raw', { instrument: 'Cam1', exposure: 110, detector: 3 })).toBe(false);
      expect(butler.datastore.predictPath(await butler.datastoreRef(ref))).toBe(info.path);
      await butler.registry.stored.insert([info]);
      expect(await butler.get('raw', { instrument: 'Cam1', exposure: 110, detector: 3 })).toEqual(value);
      expect(await butler.get(ref)).toEqual(value);
      expect(await butler.getURI(ref)).toBe(join(root, info.path));
    } finally {
      await butler.close();
    }
  });

  it('takes the repository configuration as given, and refuses to overwrite a file', async () => {
    const json = await predictedOutputJson({ instrument: 'Cam1', exposure: 100, detector: 1 });
    const ref = refFromJSON(json, DimensionUniverse.default());
    const datastore = openFileDatastore(root, { config: readButlerConfig(root) });
    const info = await datastore.put({ a: 1 }, toDatastoreRef(ref));
    await expect(datastore.put({ a: 2 }, toDatastoreRef(ref))).rejects.toMatchObject({ code: 'FILE_EXISTS' });
    expect(await datastore.get(info, toDatastoreRef(ref))).toEqual({ a: 1 });
    await datastore.removeArtifact(info);
    expect(await datastore.exists(info)).toBe(false);
  });
});

/** A formatter that writes StructuredDataDict as `key=value` lines: different enough to tell apart from JSON. */
const keyValueFormatter: Formatter = {
  name: 'test.KeyValueFormatter',
  extension: '.kv',
  async write(obj, path) {
    const lines = Object.entries(obj as Record<string, unknown>).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
    writeFileSync(path, `${lines.join('\n')}\n`);
  },
  async read(path) {
    const out: Record<string, unknown> = {};
    for (const line of readFileSync(path, 'utf8').split('\n').filter(Boolean)) {
      const i = line.indexOf('=');
      out[line.slice(0, i)] = JSON.parse(line.slice(i + 1));
    }
    return out;
  },
};
const keyValuePlugin: FormatterPlugin = (_storageClasses, formatters) =>
  formatters.register(keyValueFormatter, ['StructuredDataDict']);

describe('formatters per butler', () => {
  it('an extra formatter passed to one butler is known to it alone', async () => {
    await (await makeRepo(root)).close();
    const withPlugin = await Butler.open(root, { run: 'a', formatters: [keyValuePlugin] });
    const without = await Butler.open(root, { run: 'b' });
    try {
      const dataId = { instrument: 'Cam1', exposure: 100, detector: 1 };
      const a = await withPlugin.put({ x: 1 }, 'raw', dataId);
      const b = await without.put({ x: 2 }, 'raw', dataId);
      const pathA = await withPlugin.getURI(a);
      const pathB = await without.getURI(b);
      expect(pathA.endsWith('.kv')).toBe(true);
      expect(readFileSync(pathA, 'utf8')).toBe('x=1\n');
      expect(pathB.endsWith('.json')).toBe(true);
      expect(await withPlugin.get(a)).toEqual({ x: 1 });
      // The stored record names the formatter, so reading a.kv needs the plugin: the other butler cannot.
      await expect(without.get(a)).rejects.toMatchObject({ code: 'FORMATTER_UNKNOWN' });
      // And a stand-alone datastore with the plugin reads it too.
      const datastore = openFileDatastore(root, { formatters: [keyValuePlugin] });
      const [info] = (await withPlugin.registry.stored.get([a.id])).get(a.id)!;
      expect(await datastore.get(info!, await withPlugin.datastoreRef(a))).toEqual({ x: 1 });
      expect(existsSync(pathB)).toBe(true);
    } finally {
      await withPlugin.close();
      await without.close();
    }
  });
});

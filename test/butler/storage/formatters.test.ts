import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Formatter,
  FormatterRegistry,
  JsonFormatter,
  StorageClassRegistry,
  YamlFormatter,
} from '../../../src/butler/storage/index.js';

const storageClasses = StorageClassRegistry.withDefaults();
const composite = storageClasses.get('StructuredComposite');
const metrics = { summary: { answer: 42 }, output: { a: 'x' }, data: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] };

let dir: string;
let counter = 0;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'meridian-formatters-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function written(formatter: Formatter, obj: unknown, scName: string): Promise<string> {
  const path = join(dir, `f${counter++}${formatter.extension}`);
  await formatter.write(obj, path, storageClasses.get(scName));
  return path;
}

describe('FormatterRegistry', () => {
  const registry = FormatterRegistry.withDefaults();

  it('uses JSON for structured data and scalars, YAML for Config', () => {
    for (const name of [
      'StructuredDataDict',
      'StructuredDataList',
      'Packages',
      'TaskMetadata',
      'int',
      'float',
    ]) {
      expect(registry.forDataset('x', storageClasses.get(name)).name).toBe('meridian.JsonFormatter');
    }
    expect(registry.forDataset('x', storageClasses.get('string')).extension).toBe('.json');
    expect(registry.forDataset('x', storageClasses.get('StructuredComposite')).name).toBe(
      'meridian.JsonFormatter',
    );
    expect(registry.forDataset('x', storageClasses.get('Config')).name).toBe('meridian.YamlFormatter');
  });

  it('has no formatter yet for image and table classes', () => {
    expect(() => registry.forDataset('calexp', storageClasses.get('ExposureF'))).toThrow(
      expect.objectContaining({ code: 'FORMATTER_UNKNOWN', message: expect.stringContaining('ExposureF') }),
    );
  });

  it('looks up dataset type name, then parent dataset type, then storage class, then its ancestors', () => {
    const local = FormatterRegistry.withDefaults();
    const fake: Formatter = {
      name: 'test.Fake',
      extension: '.fake',
      write: async () => {},
      read: async () => null,
    };
    local.register(fake, ['Exposure']);
    expect(local.forDataset('calexp', storageClasses.get('ExposureF'))).toBe(fake);
    local.setForDatasetType('packages', 'meridian.YamlFormatter');
    expect(local.forDataset('packages', storageClasses.get('Packages')).name).toBe('meridian.YamlFormatter');
    local.setForDatasetType('metric', 'test.Fake');
    expect(local.forDataset('metric.summary', storageClasses.get('StructuredDataDict'))).toBe(fake);
    expect(local.forDataset('other', storageClasses.get('StructuredDataDict')).name).toBe(
      'meridian.JsonFormatter',
    );
  });

  it('refuses unknown formatter names and a second formatter under a taken name', () => {
    expect(() => registry.byName('nope')).toThrow(expect.objectContaining({ code: 'FORMATTER_UNKNOWN' }));
    expect(() => registry.setForDatasetType('x', 'nope')).toThrow(
      expect.objectContaining({ code: 'FORMATTER_UNKNOWN' }),
    );
    expect(() => registry.register(new JsonFormatter(), ['int'])).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
  });
});

describe('JsonFormatter', () => {
  const json = new JsonFormatter();

  it('round-trips every JSON storage class', async () => {
    const samples: [string, unknown][] = [
      ['StructuredDataDict', { a: 1, b: [true, null, 'x'], c: { d: -2.5 } }],
      ['StructuredDataList', [1, 'two', { three: 3 }]],
      ['Packages', { numpy: '1.26.4', meridian: '0.1.0' }],
      ['TaskMetadata', { isr: { nPix: 1024, time: 0.25 } }],
      ['int', -7],
      ['float', 3.25],
      ['string', 'hello / world'],
      ['StructuredComposite', metrics],
    ];
    for (const [name, value] of samples) {
      const path = await written(json, value, name);
      expect(await json.read(path, { storageClass: storageClasses.get(name) }), name).toEqual(value);
    }
  });

  it('reads one component of a composite and slices data', async () => {
    const path = await written(json, metrics, 'StructuredComposite');
    const read = (component: string | null, parameters?: Record<string, unknown>) =>
      json.read(path, { storageClass: composite, component, parameters });
    expect(await read('summary')).toEqual({ answer: 42 });
    expect(await read('data')).toEqual(metrics.data);
    expect(await read('data', { slice: { start: 2, stop: 5 } })).toEqual([2, 3, 4]);
    expect(await read('data', { slice: { start: -3 } })).toEqual([7, 8, 9]);
    expect(await read('data', { slice: { step: 4 } })).toEqual([0, 4, 8]);
    expect(await read(null, { slice: { stop: 2 } })).toEqual({ ...metrics, data: [0, 1] });
  });

  it('reads an absent component as null and rejects unknown ones', async () => {
    const path = await written(json, { summary: { x: 1 } }, 'StructuredComposite');
    expect(await json.read(path, { storageClass: composite, component: 'output' })).toBeNull();
    await expect(json.read(path, { storageClass: composite, component: 'bogus' })).rejects.toMatchObject({
      code: 'COMPONENT_UNKNOWN',
    });
  });

  it('rejects parameters the storage class does not declare, and malformed slices', async () => {
    const path = await written(json, metrics, 'StructuredComposite');
    await expect(
      json.read(path, { storageClass: composite, parameters: { columns: ['a'] } }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(
      json.read(path, { storageClass: composite, component: 'data', parameters: { slice: { step: 0 } } }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(
      json.read(path, { storageClass: composite, component: 'data', parameters: { slice: [1, 2] } }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('refuses values JSON would change (NaN, undefined, class instances) and writes nothing', async () => {
    for (const bad of [{ x: Number.NaN }, { x: undefined }, { when: new Date(0) }, [1n]]) {
      const path = join(dir, `bad${counter++}.json`);
      await expect(json.write(bad, path, storageClasses.get('StructuredDataDict'))).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
      await expect(readFile(path)).rejects.toMatchObject({ code: 'ENOENT' });
    }
  });

  it('reports corrupt files and files of the wrong shape as unreadable', async () => {
    const corrupt = join(dir, `corrupt${counter++}.json`);
    await writeFile(corrupt, '{"a": ');
    await expect(
      json.read(corrupt, { storageClass: storageClasses.get('StructuredDataDict') }),
    ).rejects.toMatchObject({
      code: 'DATASET_FILE_UNREADABLE',
    });
    const wrongShape = await written(json, 'text', 'string');
    await expect(json.read(wrongShape, { storageClass: storageClasses.get('int') })).rejects.toMatchObject({
      code: 'DATASET_FILE_UNREADABLE',
    });
  });

  it('never overwrites the path it is given', async () => {
    const path = await written(json, 1, 'int');
    await expect(json.write(2, path, storageClasses.get('int'))).rejects.toMatchObject({ code: 'EEXIST' });
  });
});

describe('YamlFormatter', () => {
  const yaml = new YamlFormatter();

  it('round-trips a Config including non-finite numbers', async () => {
    const config = {
      pipeline: { tasks: ['isr', 'calibrate'], threshold: Number.POSITIVE_INFINITY },
      nan: Number.NaN,
    };
    const path = await written(yaml, config, 'Config');
    expect(await readFile(path, 'utf8')).toContain('tasks:');
    expect(await yaml.read(path, { storageClass: storageClasses.get('Config') })).toEqual(config);
  });

  it('reports invalid YAML as unreadable', async () => {
    const path = join(dir, `bad${counter++}.yaml`);
    await writeFile(path, 'a: [1, 2\n');
    await expect(yaml.read(path, { storageClass: storageClasses.get('Config') })).rejects.toMatchObject({
      code: 'DATASET_FILE_UNREADABLE',
    });
  });
});

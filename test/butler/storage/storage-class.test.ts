import { describe, expect, it } from 'vitest';
import { StorageClass, StorageClassRegistry } from '../../../src/butler/storage/index.js';

describe('StorageClassRegistry defaults', () => {
  const registry = StorageClassRegistry.withDefaults();

  it('knows the structured, scalar, image and table classes', () => {
    for (const name of [
      'StructuredDataDict',
      'StructuredDataList',
      'Config',
      'Packages',
      'TaskMetadata',
      'int',
      'float',
      'string',
      'StructuredComposite',
      'Exposure',
      'ExposureF',
      'Image',
      'ImageF',
      'Mask',
      'MaskX',
      'Wcs',
      'VisitInfo',
      'Box2I',
      'Psf',
      'PhotoCalib',
      'DataFrame',
      'ArrowAstropy',
      'ArrowTable',
      'SkyMap',
      'Catalog',
      'SimpleCatalog',
      'SourceCatalog',
    ]) {
      expect(registry.has(name), name).toBe(true);
    }
  });

  it('describes Exposure components and inherits them into ExposureF', () => {
    const exposure = registry.get('Exposure');
    expect(exposure.isComposite()).toBe(true);
    expect(Object.keys(exposure.components)).toEqual([
      'image',
      'mask',
      'variance',
      'wcs',
      'psf',
      'photoCalib',
      'visitInfo',
      'metadata',
    ]);
    expect(exposure.derivedComponents).toEqual({ bbox: 'Box2I', dimensions: 'Extent2I' });
    const exposureF = registry.get('ExposureF');
    expect(exposureF.componentStorageClass('wcs')).toBe('Wcs');
    expect(exposureF.allComponents()).toEqual(exposure.allComponents());
    expect(exposureF.lineage()).toEqual(['ExposureF', 'Exposure']);
    expect(exposureF.parent?.name).toBe('Exposure');
  });

  it('gives tables derived components and the columns/filters parameters', () => {
    for (const name of ['DataFrame', 'ArrowTable']) {
      const sc = registry.get(name);
      expect(sc.isComposite()).toBe(false);
      expect(Object.keys(sc.derivedComponents)).toEqual(['columns', 'rowcount', 'schema']);
      expect(sc.componentStorageClass('rowcount')).toBe('int');
      expect(sc.parameters).toEqual(['columns', 'filters']);
    }
  });

  it('reports unknown components with the valid ones', () => {
    const composite = registry.get('StructuredComposite');
    expect(() => composite.componentStorageClass('nope')).toThrow(
      expect.objectContaining({
        code: 'COMPONENT_UNKNOWN',
        message: expect.stringContaining('summary, output, data'),
      }),
    );
    expect(() => registry.get('int').componentStorageClass('x')).toThrow(
      expect.objectContaining({ code: 'COMPONENT_UNKNOWN' }),
    );
  });

  it('refuses unknown storage class names', () => {
    expect(() => registry.get('NoSuchClass')).toThrow(
      expect.objectContaining({ code: 'STORAGE_CLASS_UNKNOWN' }),
    );
  });

  it('checks in-memory values against the class value type', () => {
    expect(() => registry.get('int').checkValue(3)).not.toThrow();
    expect(() => registry.get('int').checkValue(3.5)).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => registry.get('StructuredDataDict').checkValue([1])).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
    expect(() => registry.get('StructuredDataList').checkValue([1])).not.toThrow();
    expect(() => registry.get('Exposure').checkValue(new Map())).not.toThrow();
  });

  it('round-trips through toConfig into an equal registry', () => {
    const copy = new StorageClassRegistry();
    copy.registerAll(registry.toConfig());
    expect(copy.names()).toEqual(registry.names());
    expect(copy.toConfig()).toEqual(registry.toConfig());
    expect(copy.get('ExposureF').allComponents()).toEqual(registry.get('ExposureF').allComponents());
  });
});

describe('StorageClassRegistry.register', () => {
  it('requires parents and component classes to be known, unless registerAll can order them', () => {
    const registry = new StorageClassRegistry();
    expect(() => registry.register({ name: 'Child', inheritsFrom: 'Parent' })).toThrow(
      expect.objectContaining({ code: 'STORAGE_CLASS_UNKNOWN' }),
    );
    expect(() => registry.register({ name: 'Pair', components: { left: 'Half' } })).toThrow(
      expect.objectContaining({ code: 'STORAGE_CLASS_UNKNOWN' }),
    );
    registry.registerAll([
      { name: 'Child', inheritsFrom: 'Parent', parameters: ['b'] },
      { name: 'Parent', components: { left: 'Half' }, parameters: ['a'] },
      { name: 'Half' },
    ]);
    expect(registry.names()).toEqual(['Half', 'Parent', 'Child']);
    expect(registry.get('Child').parameters).toEqual(['a', 'b']);
    expect(registry.get('Child').components).toEqual({ left: 'Half' });
  });

  it('accepts an identical re-registration and refuses a conflicting one', () => {
    const registry = new StorageClassRegistry();
    registry.register({ name: 'Thing', parameters: ['x'] });
    registry.register({ name: 'Thing', parameters: ['x'] });
    expect(() => registry.register({ name: 'Thing', parameters: ['y'] })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
  });

  it('rejects invalid names and inheritance cycles', () => {
    const registry = new StorageClassRegistry();
    expect(() => registry.register({ name: 'has space' })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID' }),
    );
    expect(() =>
      registry.registerAll([
        { name: 'A', inheritsFrom: 'B' },
        { name: 'B', inheritsFrom: 'A' },
      ]),
    ).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });

  it('lets a standalone StorageClass be built without a registry', () => {
    const sc = new StorageClass({ name: 'Solo', derivedComponents: { size: 'int' } });
    expect(sc.allComponents()).toEqual(['size']);
    expect(sc.isComposite()).toBe(false);
  });
});

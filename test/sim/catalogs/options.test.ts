import { describe, expect, it } from 'vitest';
import {
  CATALOG_DEFAULTS,
  focalPlaneDetectors,
  resolveCatalogOptions,
} from '../../../src/sim/catalogs/index.js';
import { focalPlaneRadiusDeg } from '../../../src/sim/catalogs/model.js';
import { capRadiusDeg } from '../../../src/sim/catalogs/options.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

describe('catalog simulation options', () => {
  it('fills defaults (DC2 centre, all bands) and keeps the band order', () => {
    const o = resolveCatalogOptions({ outDir: '/tmp/x', bands: 'yigr' });
    expect(o.kind).toBe('catalog-simulation-options');
    expect(o.bands).toEqual(['g', 'r', 'i', 'y']);
    expect(o.objects).toBe(CATALOG_DEFAULTS.objects);
    expect([o.ra, o.dec, o.radiusDeg]).toEqual([61.863, -35.79, 2]);
    expect(o.supernovae).toBe(20);
    expect(Object.isFrozen(o)).toBe(true);
  });

  it('turns an area into the radius of a cap of that area', () => {
    const o = resolveCatalogOptions({ outDir: '/tmp/x', areaDeg2: 300 });
    const areaBack = 2 * Math.PI * (1 - Math.cos((o.radiusDeg * Math.PI) / 180)) * (180 / Math.PI) ** 2;
    expect(areaBack).toBeCloseTo(300, 6);
    expect(capRadiusDeg(Math.PI * 100)).toBeGreaterThan(10);
  });

  it('rejects bad values with INVALID_ARGUMENT', () => {
    expect(codeOf(() => resolveCatalogOptions({ outDir: '/tmp/x', bands: 'gq' }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => resolveCatalogOptions({ outDir: '/tmp/x', objects: 0 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => resolveCatalogOptions({ outDir: '/tmp/x', objects: 2 ** 29 }))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(codeOf(() => resolveCatalogOptions({ outDir: '/tmp/x', radiusDeg: 1, areaDeg2: 3 }))).toBe(
      'INVALID_ARGUMENT',
    );
    expect(codeOf(() => resolveCatalogOptions({ outDir: '/tmp/x', dec: -88 }))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => resolveCatalogOptions({ outDir: '/tmp/x', visits: 1.5 }))).toBe('INVALID_ARGUMENT');
  });

  it('has an LSSTCam-like focal plane: 189 detectors, about 9.6 deg²', () => {
    const detectors = focalPlaneDetectors();
    expect(detectors).toHaveLength(189);
    expect(new Set(detectors.map((d) => `${d.column},${d.row}`)).size).toBe(189);
    const area = 189 * ((4072 * 0.2) / 3600) ** 2;
    expect(area).toBeGreaterThan(9.5);
    expect(area).toBeLessThan(9.8);
    expect(focalPlaneRadiusDeg()).toBeCloseTo(8.746 * ((4072 * 0.2) / 3600), 2);
  });
});

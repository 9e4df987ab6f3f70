import type { RingsSkyMapConfig } from './skymap.js';

/**
 * DP0.2's DC2 skymap: 120 rings, 4000-pixel patches at 0.2"/pixel with 100-pixel borders, 1' tract overlap
 * (DP0.2 data-processing notes). Shared by the catalog simulator and `butler register-skymap`.
 */
export const DC2_SKYMAP_NAME = 'DC2';
export const DC2_SKYMAP_CONFIG: RingsSkyMapConfig = Object.freeze({
  numRings: 120,
  tractOverlapDeg: 1 / 60,
  pixelScaleArcsec: 0.2,
  patchInnerDimensions: [4000, 4000] as [number, number],
  patchBorder: 100,
});

/** Spherical geometry for Meridian: angles, unit vectors, regions, HTM, rings skymap, Qserv chunker. */
export { Angle, normalizeLonDeg } from './angle.js';
export { Box } from './box.js';
export { Chunker, type ChunkLocation, segments } from './chunker.js';
export { Circle } from './circle.js';
export { ConvexPolygon } from './convex-polygon.js';
export { DC2_SKYMAP_CONFIG, DC2_SKYMAP_NAME } from './dc2-skymap.js';
export { defaultTanLonpoleDeg, GnomonicProjection } from './gnomonic.js';
export { HTM_MAX_LEVEL, HtmPixelization, htmLevelOf, type IndexRange } from './htm.js';
export { decodeRegion, encodeRegion, type Region, type RegionJSON, regionFromJSON } from './region.js';
export { CONTAINS, DISJOINT, INTERSECTS, invertRelationship, WITHIN } from './relationship.js';
export {
  type PatchInfo,
  type PixelBox,
  RingsSkyMap,
  type RingsSkyMapConfig,
  type TractInfo,
} from './skymap.js';
export { TanWcs, type TanWcsParams } from './tan-wcs.js';
export { angularSeparationDeg, separation, UnitVector3, type Vec3 } from './vector.js';

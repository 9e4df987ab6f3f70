/**
 * Relationship bit flags between two regions A and B, as returned by `A.relate(B)` (same bits as lsst/sphgeom).
 * Answers are conservative: DISJOINT, CONTAINS and WITHIN are set only when certain; INTERSECTS alone means
 * "may intersect".
 */
export const DISJOINT = 1;
export const INTERSECTS = 2;
/** A contains B. */
export const CONTAINS = 4;
/** A is within B. */
export const WITHIN = 8;

/** Builds a relationship value from three certain facts. */
export function relationshipOf(disjoint: boolean, contains: boolean, within: boolean): number {
  if (disjoint) return DISJOINT;
  return INTERSECTS | (contains ? CONTAINS : 0) | (within ? WITHIN : 0);
}

/** The relationship of B to A given that of A to B (CONTAINS and WITHIN swap). */
export function invertRelationship(r: number): number {
  return (r & (DISJOINT | INTERSECTS)) | (r & CONTAINS ? WITHIN : 0) | (r & WITHIN ? CONTAINS : 0);
}

/** Deterministic random numbers and small sky helpers for the step2 tests. */

/** mulberry32: a small, fast, seedable generator (uniform in [0, 1)). */
export function seededRandom(seed: number): { uniform(): number; normal(): number } {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  return { uniform, normal };
}

/** A position offset by (east, north) arcseconds from (ra, dec), small offsets. */
export function offsetArcsec(
  ra: number,
  dec: number,
  east: number,
  north: number,
): { ra: number; dec: number } {
  return { ra: ra + east / 3600 / Math.cos((dec * Math.PI) / 180), dec: dec + north / 3600 };
}

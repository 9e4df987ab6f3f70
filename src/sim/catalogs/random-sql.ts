/**
 * Counter-based random numbers in DuckDB SQL: a value is a pure function of (seed, stream, key), so any row can be
 * generated on its own, in any order and on any thread, and the same seed gives the same rows. DuckDB's `hash` of
 * one 64-bit integer is a 64-bit mixing function; the input packs a 48-bit key (object << 20 | visit, or an object
 * or visit index) with a 16-bit stream number, xor-ed with a salt derived from the seed. (`hash` of several
 * arguments is not used: its combined hashes of neighbouring streams are strongly correlated.)
 */

/** Stream numbers. A normal deviate uses its stream and the next one, so those are spaced by two. */
export const STREAM = Object.freeze({
  objectType: 1,
  objectMagnitude: 2,
  objectPosition: 3, // and 4
  objectColour: 5, // and 6
  objectRedshift: 7, // normal: 7, 8
  objectSize: 9, // normal: 9, 10
  objectVariability: 11, // 11..14
  objectShape: 15, // and 16
  visitTime: 20, // and 21
  visitPosition: 22, // and 23
  visitRotation: 24,
  visitAirmass: 25, // normal: 25, 26
  visitSeeing: 27, // normal: 27, 28
  visitSky: 29,
  visitCloud: 30, // normal: 30, 31
  detectorSeeing: 32, // normal: 32, 33
  detectorZeroPoint: 34, // normal: 34, 35
  forcedNoise: 40, // normal: 40, 41
  templateNoise: 42, // normal: 42, 43
  calibNoise: 44, // normal: 44, 45
  sourceRaNoise: 46, // normal: 46, 47
  sourceDecNoise: 48, // normal: 48, 49
  badPixel: 50,
  // Coadd noise: key = object << 3 | band; three normals per band.
  coaddPsfNoise: 60, // normal: 60, 61
  coaddModelNoise: 62, // normal: 62, 63
  coaddCalibNoise: 64, // normal: 64, 65
  objectRaNoise: 66, // normal: 66, 67
  objectDecNoise: 68, // normal: 68, 69
  supernovaHost: 80,
  supernovaOffset: 81, // normal: 81, 82
  supernovaAngle: 83,
  supernovaPeak: 84,
  supernovaBrightness: 85, // normal: 85, 86
});

/** 64-bit salt from the seed: the splitmix64 output function (Steele, Lea & Flood 2014). */
export function seedSalt(seed: number): bigint {
  const mask = (1n << 64n) - 1n;
  let z = (BigInt(seed) + 0x9e3779b97f4a7c15n) & mask;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & mask;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & mask;
  return z ^ (z >> 31n);
}

/**
 * Temporary macros `sim_u(stream, key)`, uniform in (0, 1) with 53-bit resolution (never 0, so logarithms are
 * safe), and `sim_n(stream, key)`, a standard normal by the Box–Muller transform of streams `stream` and
 * `stream + 1`.
 */
export function randomMacros(seed: number): string[] {
  const salt = seedSalt(seed).toString();
  return [
    `CREATE OR REPLACE TEMP MACRO sim_u(stream, k) AS
       ((hash(xor(CAST(k AS UBIGINT) + (CAST(stream AS UBIGINT) << 48), CAST(${salt} AS UBIGINT))) >> 11)::DOUBLE
        + 0.5) / 9007199254740992.0`,
    `CREATE OR REPLACE TEMP MACRO sim_n(stream, k) AS
       sqrt(-2 * ln(sim_u(stream, k))) * cos(2 * pi() * sim_u(stream + 1, k))`,
  ];
}

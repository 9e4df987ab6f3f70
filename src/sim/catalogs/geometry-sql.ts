/**
 * Spherical geometry as SQL expressions (degrees in, degrees out): the gnomonic (TAN) projection and its inverse,
 * and points at a given distance and bearing from a centre. Arguments are SQL expressions; callers keep them to
 * column names so the generated SQL stays readable.
 */

const RAD = 'pi() / 180';

/** Right ascension folded into [0, 360). */
export function normalizeRaSql(ra: string): string {
  return `(((${ra}) % 360 + 360) % 360)`;
}

/**
 * Standard coordinates (xi to the east, eta to the north; degrees) of (ra, dec) on the tangent plane at
 * (ra0, dec0), given the sines and cosines of the declinations (precomputed columns keep the join cheap).
 */
export function gnomonicSql(p: {
  ra: string;
  sinDec: string;
  cosDec: string;
  ra0: string;
  sinDec0: string;
  cosDec0: string;
}): { cosDistance: string; xi: string; eta: string } {
  const dra = `((${p.ra}) - (${p.ra0})) * ${RAD}`;
  const cosDistance = `(${p.sinDec0} * ${p.sinDec} + ${p.cosDec0} * ${p.cosDec} * cos(${dra}))`;
  return {
    cosDistance,
    xi: `degrees(${p.cosDec} * sin(${dra}) / ${cosDistance})`,
    eta: `degrees((${p.cosDec0} * ${p.sinDec} - ${p.sinDec0} * ${p.cosDec} * cos(${dra})) / ${cosDistance})`,
  };
}

/** (ra, dec) of the tangent-plane point (xi, eta) (degrees) about (ra0, dec0): the inverse of `gnomonicSql`. */
export function deprojectSql(
  xi: string,
  eta: string,
  ra0: string,
  dec0: string,
): { ra: string; dec: string } {
  const x = `((${xi}) * ${RAD})`;
  const y = `((${eta}) * ${RAD})`;
  const d0 = `((${dec0}) * ${RAD})`;
  const denominator = `(cos(${d0}) - ${y} * sin(${d0}))`;
  return {
    ra: normalizeRaSql(`(${ra0}) + degrees(atan2(${x}, ${denominator}))`),
    dec: `degrees(atan2(sin(${d0}) + ${y} * cos(${d0}), sqrt(${x} * ${x} + ${denominator} * ${denominator})))`,
  };
}

/** The point at angular distance `distance` (degrees) and bearing `bearing` (radians, east of north). */
export function offsetPointSql(
  ra0: string,
  dec0: string,
  distance: string,
  bearing: string,
): { ra: string; dec: string } {
  const d0 = `((${dec0}) * ${RAD})`;
  const rho = `((${distance}) * ${RAD})`;
  const sinDec = `(sin(${d0}) * cos(${rho}) + cos(${d0}) * sin(${rho}) * cos(${bearing}))`;
  return {
    dec: `degrees(asin(least(1.0, greatest(-1.0, ${sinDec}))))`,
    ra: normalizeRaSql(
      `(${ra0}) + degrees(atan2(sin(${bearing}) * sin(${rho}) * cos(${d0}), cos(${rho}) - sin(${d0}) * ${sinDec}))`,
    ),
  };
}

/** Angular distance (degrees) of a point uniform in a cap of radius `radiusDeg`, from a uniform deviate. */
export function uniformCapDistanceSql(uniform: string, radiusDeg: number): string {
  const oneMinusCos = 1 - Math.cos((radiusDeg * Math.PI) / 180);
  return `degrees(acos(1 - (${uniform}) * ${oneMinusCos}))`;
}

/** Test points near RA = 0, both poles and DP0.2's (62, -37), and an independent angular-separation formula. */

export interface Row {
  id: number;
  ra: number;
  dec: number;
  flux: number;
  band: string;
}

export const rows: Row[] = [];
function add(ra: number, dec: number): void {
  const id = rows.length + 1;
  rows.push({ id, ra, dec, flux: id * 10 - 40, band: 'ugrizy'[id % 6] });
}
// A grid straddling RA = 0 on the equator, one around the north pole, one at the south pole, and a patch at DP0.2's
// (62, -37).
for (const ra of [359.7, 359.85, 359.95, 359.99, 0, 0.01, 0.05, 0.15, 0.3]) {
  for (const dec of [-0.15, -0.05, 0, 0.05, 0.15]) add(ra, dec);
}
for (const ra of [0, 45, 60, 90, 180, 270, 300]) for (const dec of [88.5, 89.3, 89.7, 89.95]) add(ra, dec);
for (const ra of [10, 200]) add(ra, -89.99);
for (const ra of [61.9, 61.99, 62, 62.01, 62.1])
  for (const dec of [-37.1, -37.01, -37, -36.99, -36.9]) add(ra, dec);

const unit = (ra: number, dec: number): [number, number, number] => {
  const a = (ra * Math.PI) / 180;
  const d = (dec * Math.PI) / 180;
  return [Math.cos(d) * Math.cos(a), Math.cos(d) * Math.sin(a), Math.sin(d)];
};

/** Angular separation in degrees from atan2(|u×v|, u·v), a formula independent of the SQL's haversine. */
export function separation(ra1: number, dec1: number, ra2: number, dec2: number): number {
  const u = unit(ra1, dec1);
  const v = unit(ra2, dec2);
  const c = [u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]];
  return (Math.atan2(Math.hypot(c[0], c[1], c[2]), u[0] * v[0] + u[1] * v[1] + u[2] * v[2]) * 180) / Math.PI;
}

export const expectedIds = (keep: (r: Row) => boolean): number[] => rows.filter(keep).map((r) => r.id);

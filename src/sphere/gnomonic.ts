/**
 * The gnomonic (TAN) projection between the sky and the tangent plane: the one implementation of its maths in
 * Meridian. `TanWcs` (skymap tracts) and `formats/`'s TAN-SIP WCS (image headers) add their pixel grids on top.
 *
 * Conventions. Sky positions are (longitude, latitude) = (RA, Dec) in degrees, longitude returned in [0, 360).
 * The plane holds FITS "intermediate world coordinates" (x, y) in degrees: x grows with longitude (east) and y
 * with latitude (north) at the tangent point when LONPOLE is 180°. No pixels here: pixel origins (0- or 1-based)
 * and the CD matrix belong to the layers above.
 *
 * Formulas: Calabretta & Greisen 2002 (A&A 395, 1077), eqs. 2 and 5 for the spherical rotation, eqs. 54-55
 * (R = (180/π) cot θ, x = R sin φ, y = −R cos φ) for TAN. Both directions work with the products cos θ sin φ,
 * cos θ cos φ and sin θ instead of the angles, which keeps full precision near the tangent point and at the poles.
 */

const DEG = Math.PI / 180;

/**
 * FITS default LONPOLE for a zenithal projection: 180° unless the tangent point is the north pole, where it is 0°
 * (C&G sec. 2.4). `TanWcs` does not use it: its tracts are oriented as the 180° case even at the poles.
 */
export function defaultTanLonpoleDeg(tangentLatDeg: number): number {
  return tangentLatDeg >= 90 ? 0 : 180;
}

export class GnomonicProjection {
  private readonly lon0: number;
  private readonly cosLat0: number;
  private readonly sinLat0: number;
  private readonly cosPhiP: number;
  private readonly sinPhiP: number;

  /**
   * @param tangentLonDeg, tangentLatDeg the tangent point (CRVAL), degrees
   * @param lonpoleDeg native longitude of the celestial pole (LONPOLE), degrees
   */
  constructor(
    readonly tangentLonDeg: number,
    readonly tangentLatDeg: number,
    readonly lonpoleDeg: number,
  ) {
    this.lon0 = tangentLonDeg * DEG;
    this.cosLat0 = Math.cos(tangentLatDeg * DEG);
    this.sinLat0 = Math.sin(tangentLatDeg * DEG);
    this.cosPhiP = Math.cos(lonpoleDeg * DEG);
    this.sinPhiP = Math.sin(lonpoleDeg * DEG);
  }

  /** Plane (x, y) in degrees -> sky (lon, lat) in degrees, written to out[0], out[1]. Every plane point maps. */
  planeToSky(xDeg: number, yDeg: number, out: Float64Array | number[]): void {
    const px = xDeg * DEG;
    const py = yDeg * DEG;
    // TAN: R = cot(theta), so sin(theta) = 1 / sqrt(1 + R^2) and cos(theta) = R / sqrt(1 + R^2); with
    // phi = arg(-y, x) the products cos(theta) sin(phi) and cos(theta) cos(phi) are x and -y over sqrt(1 + R^2).
    const norm = 1 / Math.sqrt(1 + px * px + py * py);
    const sinTheta = norm;
    const cosThetaSinPhi = px * norm;
    const cosThetaCosPhi = -py * norm;
    // Rotate by phi_p: cos(theta) sin(phi - phi_p) and cos(theta) cos(phi - phi_p).
    const sinDPhi = cosThetaSinPhi * this.cosPhiP - cosThetaCosPhi * this.sinPhiP;
    const cosDPhi = cosThetaCosPhi * this.cosPhiP + cosThetaSinPhi * this.sinPhiP;
    // C&G eq. 2, with cos(delta) from the two components of the RA argument rather than from asin (pole-safe).
    const raY = -sinDPhi;
    const raX = sinTheta * this.cosLat0 - cosDPhi * this.sinLat0;
    const sinDec = sinTheta * this.sinLat0 + cosDPhi * this.cosLat0;
    const raDeg = ((this.lon0 + Math.atan2(raY, raX)) / DEG) % 360;
    out[0] = raDeg < 0 ? raDeg + 360 : raDeg;
    out[1] = Math.atan2(sinDec, Math.hypot(raX, raY)) / DEG;
  }

  /**
   * Sky (lon, lat) in degrees -> plane (x, y) in degrees, written to out[0], out[1]. Returns sin θ, the cosine of
   * the angle from the tangent point; when it is not positive (90° or more away) the point has no image and out
   * holds NaN.
   */
  skyToPlane(lonDeg: number, latDeg: number, out: Float64Array | number[]): number {
    const dRa = lonDeg * DEG - this.lon0;
    const sinDec = Math.sin(latDeg * DEG);
    const cosDec = Math.cos(latDeg * DEG);
    const cosDRa = Math.cos(dRa);
    // C&G eq. 5 as products: cos(theta) sin(phi - phi_p), cos(theta) cos(phi - phi_p) and sin(theta).
    const sinDPhi = -cosDec * Math.sin(dRa);
    const cosDPhi = sinDec * this.cosLat0 - cosDec * this.sinLat0 * cosDRa;
    const sinTheta = sinDec * this.sinLat0 + cosDec * this.cosLat0 * cosDRa;
    if (!(sinTheta > 0)) {
      out[0] = Number.NaN;
      out[1] = Number.NaN;
      return sinTheta;
    }
    // Rotate back by phi_p, then TAN: x = cot(theta) sin(phi), y = -cot(theta) cos(phi), in degrees.
    const cosThetaSinPhi = sinDPhi * this.cosPhiP + cosDPhi * this.sinPhiP;
    const cosThetaCosPhi = cosDPhi * this.cosPhiP - sinDPhi * this.sinPhiP;
    out[0] = cosThetaSinPhi / sinTheta / DEG;
    out[1] = -cosThetaCosPhi / sinTheta / DEG;
    return sinTheta;
  }
}

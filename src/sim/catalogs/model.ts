/**
 * The physical model behind the simulated catalogs, as plain numbers: the LSST-like camera and filters, the sky, the
 * number counts and colours of stars and galaxies, and the supernova light curves. The SQL in the other files of
 * this folder only combines these numbers; docs/sim-catalogs.md explains the choices.
 */

import type { BandName } from './columns.js';

export interface BandModel {
  readonly band: BandName;
  /** DC2 / LSSTCam-imSim physical filter name. */
  readonly physicalFilter: string;
  readonly effectiveWavelengthNm: number;
  /** AB magnitude giving 1 electron per second at airmass 1 (SMTN-002, Jones et al.). */
  readonly zeroPoint1s: number;
  /** Atmospheric extinction, mag per airmass (SMTN-002). */
  readonly extinctionPerAirmass: number;
  /** Dark-sky brightness at zenith, AB mag per arcsec² (SMTN-002). */
  readonly darkSkyMag: number;
  /** A_b / E(B-V) for the LSST filters (Schlafly & Finkbeiner 2011, table 6, R_V = 3.1). */
  readonly extinctionCoefficient: number;
  /** Share of wide-fast-deep visits in this band (LSST baseline cadence, roughly). */
  readonly visitShare: number;
  /** Supernova peak magnitude minus its r-band peak magnitude (a rough SN Ia colour at maximum). */
  readonly supernovaPeakOffset: number;
  /** Supernova exponential decline time after peak, rest-frame days (slower in redder bands). */
  readonly supernovaDeclineDays: number;
}

const BAND_ROWS: readonly (readonly [
  BandName,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
])[] = [
  // band, wavelength, zero point, extinction, dark sky, A/E(B-V), visit share, SN peak offset, SN decline days
  ['u', 367, 26.52, 0.47, 22.96, 4.145, 0.07, 0.8, 10],
  ['g', 482, 28.51, 0.21, 22.26, 3.237, 0.09, 0.1, 14],
  ['r', 622, 28.36, 0.13, 21.2, 2.273, 0.22, 0, 20],
  ['i', 754, 28.17, 0.1, 20.48, 1.684, 0.22, 0.3, 25],
  ['z', 869, 27.78, 0.07, 19.6, 1.323, 0.2, 0.5, 28],
  ['y', 971, 26.82, 0.17, 18.61, 1.088, 0.2, 0.6, 30],
];

export const BAND_MODELS: readonly BandModel[] = Object.freeze(
  BAND_ROWS.map(([band, wl, zp, k, sky, ext, share, snOffset, snDecline]) =>
    Object.freeze({
      band,
      physicalFilter: `${band}_sim_1.4`,
      effectiveWavelengthNm: wl,
      zeroPoint1s: zp,
      extinctionPerAirmass: k,
      darkSkyMag: sky,
      extinctionCoefficient: ext,
      visitShare: share,
      supernovaPeakOffset: snOffset,
      supernovaDeclineDays: snDecline,
    }),
  ),
);

/** DP0.2 picks the reference band of an Object in this order of preference (first band with a detection). */
export const REFERENCE_BAND_PRIORITY: readonly BandName[] = Object.freeze(['i', 'r', 'z', 'y', 'g', 'u']);

/**
 * An LSSTCam-like focal plane: a 15 × 15 grid of 4072-pixel square detectors at 0.2"/pixel with the four 3 × 3
 * corner blocks removed (LSST's corner rafts hold wavefront sensors), which leaves 189 science detectors and
 * 9.67 deg², close to LSST's 9.6 deg² field of view.
 */
export const FOCAL_PLANE = Object.freeze({
  gridSize: 15,
  cornerBlock: 3,
  detectorPixels: 4072,
  pixelScaleArcsec: 0.2,
  /** Electrons; the gain is taken as 1 e-/ADU, so ADU and electrons coincide. */
  readNoise: 9,
});

export const DETECTOR_SIZE_DEG = (FOCAL_PLANE.detectorPixels * FOCAL_PLANE.pixelScaleArcsec) / 3600;

export interface DetectorCell {
  readonly detector: number;
  readonly column: number;
  readonly row: number;
}

/** Science detectors, numbered row by row from the bottom-left of the grid. */
export function focalPlaneDetectors(): readonly DetectorCell[] {
  const { gridSize: n, cornerBlock: c } = FOCAL_PLANE;
  const cells: DetectorCell[] = [];
  for (let row = 0; row < n; row++) {
    for (let column = 0; column < n; column++) {
      const cornerColumn = column < c || column >= n - c;
      const cornerRow = row < c || row >= n - c;
      if (cornerColumn && cornerRow) continue;
      cells.push(Object.freeze({ detector: cells.length, column, row }));
    }
  }
  return Object.freeze(cells);
}

/**
 * Radius (degrees on the tangent plane, which bounds the true angle) of the circle around the boresight that holds
 * every detector corner: the footprint test of a visit only needs candidates within it.
 */
export function focalPlaneRadiusDeg(): number {
  const half = FOCAL_PLANE.gridSize / 2;
  let maxSquared = 0;
  for (const cell of focalPlaneDetectors()) {
    for (const dx of [0, 1]) {
      for (const dy of [0, 1]) {
        const x = cell.column + dx - half;
        const y = cell.row + dy - half;
        maxSquared = Math.max(maxSquared, x * x + y * y);
      }
    }
  }
  return Math.sqrt(maxSquared) * DETECTOR_SIZE_DEG;
}

/** Survey and observing conditions. */
export const OBSERVING = Object.freeze({
  exposureTimeSeconds: 30,
  /** Median free-atmosphere seeing FWHM at zenith and 500 nm, arcsec, and its log-normal scatter. */
  medianSeeingArcsec: 0.7,
  seeingLogScatter: 0.2,
  /** Telescope and camera contribution, added in quadrature, arcsec. */
  instrumentSeeingArcsec: 0.35,
  /** Airmass is 1 + |N(0, 0.3)|, capped. */
  airmassScatter: 0.3,
  maxAirmass: 2.5,
  /** Moonlight brightens the sky by up to this many magnitudes (u² distributed, so mostly dark time). */
  maxMoonBrighteningMag: 1.2,
  /** Clouds: the zero point loses |N(0, σ)| magnitudes. */
  cloudExtinctionScatterMag: 0.04,
  /** Detector-to-detector scatter of the seeing (fractional) and of the zero point (mag). */
  detectorSeeingScatter: 0.02,
  detectorZeroPointScatterMag: 0.005,
  /** Milky Way reddening over the whole area (the DC2 field is at high latitude). */
  reddeningEbv: 0.03,
});

/** Measurement model. */
export const MEASUREMENT = Object.freeze({
  /** DP0.2's calibFlux: a 12-pixel-radius aperture. */
  calibApertureRadiusPixels: 12,
  /** Difference images: the template adds this fraction of the science image's sky variance. */
  templateVarianceFraction: 0.25,
  /** Extendedness is 1 when psfFlux < 0.985 × model flux (meas_base ClassificationExtendedness). */
  extendednessFluxRatio: 0.985,
  detectionThresholdSigma: 5,
  /** A bad pixel lands in this fraction of forced-photometry footprints. */
  badPixelFraction: 0.002,
  /** Floor of the centroid error, arcsec. */
  astrometricFloorArcsec: 0.005,
  /** Share of the coadd cModel noise that the PSF flux shares (both fit the same pixels). */
  cModelPsfNoiseCorrelation: 0.95,
});

/**
 * Number counts (dN/dm ∝ 10^(slope·m)) and the star fraction. Galaxies: slope 0.33 over 17 < r < 25.5; stars at
 * high Galactic latitude: slope 0.18 over 16 < r < 25; about 5% of all objects to that depth are stars. The counts set
 * the magnitude distribution; the density is the number of objects asked for over the area.
 */
export const POPULATION = Object.freeze({
  starFraction: 0.05,
  star: { slope: 0.18, brightMag: 16, faintMag: 25 },
  galaxy: { slope: 0.33, brightMag: 17, faintMag: 25.5 },
  variableStarFraction: 0.05,
  /** Galaxy half-light radius ~0.8" at r = 20, shrinking by 0.1 dex per magnitude, 0.2 dex scatter. */
  galaxyHalfLightArcsecAtR20: 0.8,
  supernovaAbsoluteMag: -19.3,
  supernovaRiseDays: 17,
  /** Supernova hosts are drawn from galaxies below this redshift, so that most supernovae can be seen. */
  supernovaMaxHostRedshift: 0.8,
});

/** AB magnitude of 1 nJy: m = 31.4 − 2.5 log10(f / nJy). */
export const AB_MAG_OF_ONE_NANOJANSKY = 31.4;

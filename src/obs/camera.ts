/**
 * MeridianCam, the camera description of the instrument package: a plain, frozen description (detectors, filters,
 * optics) that butler ingest turns into dimension records and that the simulator renders with, plus the geometry
 * helpers both need.
 *
 * Photometric numbers follow the LSST system as summarised in SMTN-002 (Jones et al., "Calculating LSST limiting
 * magnitudes and SNR"): zero points (AB magnitude giving 1 e-/s), extinction per airmass and dark-sky brightness.
 */

import { meridianError } from '../errors.js';
import { makeTanSipWcs, sipPolynomial, type TanSipWcs } from '../formats/index.js';

export const BANDS = ['u', 'g', 'r', 'i', 'z', 'y'] as const;
export type Band = (typeof BANDS)[number];

export function isBand(value: string): value is Band {
  return (BANDS as readonly string[]).includes(value);
}

export interface FilterDescription {
  readonly kind: 'filter';
  /** Physical filter name, as in the FILTER header card and the butler's physical_filter dimension. */
  readonly physicalFilter: string;
  readonly band: Band;
  readonly effectiveWavelengthNm: number;
  /** Flux (nJy, above the atmosphere) that gives 1 electron per second at airmass 1: the photometric zero point. */
  readonly nJyPerElectronPerSecond: number;
  /** Atmospheric extinction, magnitudes per unit airmass. */
  readonly extinctionPerAirmass: number;
  /** Zenith sky brightness on a dark night, AB mag per square arcsecond. */
  readonly darkSkyMagPerArcsec2: number;
}

export interface DetectorDescription {
  readonly kind: 'detector';
  readonly id: number;
  /** `R<raft row><raft column>_S<sensor row><sensor column>`, as LSST names its sensors. */
  readonly fullName: string;
  readonly raft: string;
  readonly nameInRaft: string;
  readonly purpose: 'SCIENCE';
  readonly serial: string;
  /** Focal-plane position of the detector centre, mm (x along the camera's +x pixel axis). */
  readonly focalPlaneXMm: number;
  readonly focalPlaneYMm: number;
  /** Size of the imaging area in pixels. */
  readonly width: number;
  readonly height: number;
  /** Serial overscan columns to the right of the imaging area in a raw. */
  readonly overscanColumns: number;
  /** Electrons per ADU. */
  readonly gain: number;
  /** Read noise, electrons. */
  readonly readNoise: number;
  /** Mean bias (overscan) level, ADU. */
  readonly biasLevel: number;
  /** Full-well capacity, electrons: charge above this bleeds along the column. */
  readonly fullWell: number;
  /**
   * Raw value (ADU) at and above which a pixel is saturated: bias plus the full well in ADU, less a margin so that
   * pixels at full well are flagged whatever the bias drift and read noise.
   */
  readonly saturation: number;
}

export interface InstrumentDescription {
  readonly kind: 'instrument';
  readonly name: 'MeridianCam';
  readonly telescope: string;
  /** Version of this description's layout; bumped when fields change meaning. */
  readonly version: 1;
  readonly pixelSizeMm: number;
  readonly plateScaleArcsecPerMm: number;
  readonly pixelScaleArcsec: number;
  /**
   * Radial optical distortion: a point at undistorted distance r (pixels) from the optical axis is imaged at
   * r (1 + k r^2). The simulator renders with it and records the true WCS in its truth; raw headers carry a plain TAN.
   */
  readonly radialDistortionPerPixel2: number;
  readonly site: { readonly longitudeDeg: number; readonly latitudeDeg: number; readonly elevationM: number };
  readonly filters: readonly FilterDescription[];
  readonly detectors: readonly DetectorDescription[];
}

export interface CameraLayout {
  readonly detectorCount: number;
  /** Imaging area of every detector, pixels on a side. */
  readonly detectorSize: number;
}

/** The layout the simulator uses unless told otherwise, and so the one registered by default. */
export const DEFAULT_CAMERA_LAYOUT: CameraLayout = Object.freeze({ detectorCount: 4, detectorSize: 1024 });

const PIXEL_SIZE_MM = 0.01;
const PLATE_SCALE_ARCSEC_PER_MM = 20;
/** Gap between neighbouring detectors, pixels. */
const DETECTOR_GAP = 50;
const OVERSCAN_COLUMNS = 32;
const FULL_WELL = 85_000;
const SATURATION_MARGIN_ADU = 50;
const SENSORS_PER_RAFT_SIDE = 3;

const FILTER_TABLE: readonly [Band, number, number, number, number][] = [
  // band, effective wavelength nm, zero point (AB mag for 1 e-/s), extinction mag/airmass, dark sky mag/arcsec^2
  ['u', 367, 26.52, 0.47, 22.96],
  ['g', 482, 28.51, 0.21, 22.26],
  ['r', 622, 28.36, 0.13, 21.2],
  ['i', 754, 28.17, 0.1, 20.48],
  ['z', 869, 27.78, 0.07, 19.6],
  ['y', 971, 26.82, 0.17, 18.61],
];

/** AB magnitude of 1 nJy: m = 31.4 - 2.5 log10(f / nJy). */
export const AB_MAG_OF_ONE_NANOJANSKY = 31.4;

export function nanojanskyFromAbMag(mag: number): number {
  return 10 ** ((AB_MAG_OF_ONE_NANOJANSKY - mag) / 2.5);
}

export function abMagFromNanojansky(flux: number): number {
  return AB_MAG_OF_ONE_NANOJANSKY - 2.5 * Math.log10(flux);
}

function filterDescription([band, wavelength, zeroPoint, extinction, sky]: (typeof FILTER_TABLE)[number]) {
  return Object.freeze({
    kind: 'filter',
    physicalFilter: `MC-${band}`,
    band,
    effectiveWavelengthNm: wavelength,
    nJyPerElectronPerSecond: nanojanskyFromAbMag(zeroPoint),
    extinctionPerAirmass: extinction,
    darkSkyMagPerArcsec2: sky,
  } satisfies FilterDescription);
}

/**
 * Detectors on a near-square grid centred on the optical axis, grouped into 3x3 rafts. Electronic properties vary a
 * little from detector to detector by a fixed rule (not by the survey seed): the camera is the same in every survey.
 */
function detectorDescription(id: number, columns: number, rows: number, size: number): DetectorDescription {
  const column = id % columns;
  const row = Math.floor(id / columns);
  const pitchMm = (size + DETECTOR_GAP) * PIXEL_SIZE_MM;
  const raft = `R${Math.floor(row / SENSORS_PER_RAFT_SIDE)}${Math.floor(column / SENSORS_PER_RAFT_SIDE)}`;
  const nameInRaft = `S${row % SENSORS_PER_RAFT_SIDE}${column % SENSORS_PER_RAFT_SIDE}`;
  const gain = 1.4 + 0.05 * (id % 5);
  const biasLevel = 1000 + 15 * (id % 7);
  return Object.freeze({
    kind: 'detector',
    id,
    fullName: `${raft}_${nameInRaft}`,
    raft,
    nameInRaft,
    purpose: 'SCIENCE',
    serial: `MC-${String(id).padStart(4, '0')}`,
    focalPlaneXMm: (column - (columns - 1) / 2) * pitchMm,
    focalPlaneYMm: (row - (rows - 1) / 2) * pitchMm,
    width: size,
    height: size,
    overscanColumns: OVERSCAN_COLUMNS,
    gain,
    readNoise: 4.5 + 0.25 * (id % 3),
    biasLevel,
    fullWell: FULL_WELL,
    saturation: Math.floor(biasLevel + FULL_WELL / gain) - SATURATION_MARGIN_ADU,
  } satisfies DetectorDescription);
}

/** The MeridianCam description for a given number and size of detectors. */
export function meridianCam(layout: CameraLayout): InstrumentDescription {
  const { detectorCount, detectorSize } = layout;
  const columns = Math.ceil(Math.sqrt(detectorCount));
  const rows = Math.ceil(detectorCount / columns);
  const detectors = Array.from({ length: detectorCount }, (_, id) =>
    detectorDescription(id, columns, rows, detectorSize),
  );
  return Object.freeze({
    kind: 'instrument',
    name: 'MeridianCam',
    telescope: 'Meridian Simulated Telescope',
    version: 1,
    pixelSizeMm: PIXEL_SIZE_MM,
    plateScaleArcsecPerMm: PLATE_SCALE_ARCSEC_PER_MM,
    pixelScaleArcsec: PIXEL_SIZE_MM * PLATE_SCALE_ARCSEC_PER_MM,
    radialDistortionPerPixel2: 2e-11,
    // Cerro Pachon, where the Rubin Observatory stands.
    site: Object.freeze({ longitudeDeg: -70.7494, latitudeDeg: -30.2444, elevationM: 2663 }),
    filters: Object.freeze(FILTER_TABLE.map(filterDescription)),
    detectors: Object.freeze(detectors),
  });
}

export function filterForBand(instrument: InstrumentDescription, band: Band): FilterDescription {
  const filter = instrument.filters.find((f) => f.band === band);
  if (!filter)
    throw meridianError('INVALID_ARGUMENT', `MeridianCam has no filter for band ${band}`, { band });
  return filter;
}

/** Telescope pointing: boresight (degrees) and rotation (sky position angle of the pixel +y axis, east of north). */
export interface Pointing {
  readonly ra: number;
  readonly dec: number;
  readonly rotationDeg: number;
}

/** 0-based position of the optical axis in the detector's pixel coordinates (usually outside the detector). */
export function opticalAxisPixel(instrument: InstrumentDescription, detector: DetectorDescription) {
  const pixelsPerMm = 1 / instrument.pixelSizeMm;
  return {
    x: (detector.width - 1) / 2 - detector.focalPlaneXMm * pixelsPerMm,
    y: (detector.height - 1) / 2 - detector.focalPlaneYMm * pixelsPerMm,
  };
}

/**
 * The detector's TAN-SIP WCS. Every detector shares the tangent point (the boresight), the CD matrix and the
 * distortion; only CRPIX (the optical axis in the detector's pixels) differs. The radial distortion
 * r -> r (1 + k r^2) is undone, to first order, by A = -k (u^3 + u v^2), B = -k (u^2 v + v^3) on pixel offsets (u, v)
 * (off by 3 k^2 r^5: 0.002 pixel at r = 4450, k = 2e-11); the simulator's truth has the exact fit.
 */
export function detectorWcs(
  instrument: InstrumentDescription,
  detector: DetectorDescription,
  pointing: Pointing,
): TanSipWcs {
  const axis = opticalAxisPixel(instrument, detector);
  const scale = instrument.pixelScaleArcsec / 3600;
  const theta = (pointing.rotationDeg * Math.PI) / 180;
  const cos = Math.cos(theta);
  const sin = Math.sin(theta);
  const k = instrument.radialDistortionPerPixel2;
  return makeTanSipWcs({
    crpix: [axis.x + 1, axis.y + 1],
    crval: [pointing.ra, pointing.dec],
    // +y points at position angle theta (east of north); +x at theta - 90 deg: north up and east left at theta = 0.
    cd: [
      [-scale * cos, scale * sin],
      [scale * sin, scale * cos],
    ],
    sip: {
      a: sipPolynomial(3, [
        [3, 0, -k],
        [1, 2, -k],
      ]),
      b: sipPolynomial(3, [
        [2, 1, -k],
        [0, 3, -k],
      ]),
    },
  });
}

/** Electrons collected in `exposureTime` seconds from a source of `fluxNanojansky` at the given airmass. */
export function electronsFromFlux(
  filter: FilterDescription,
  fluxNanojansky: number,
  exposureTime: number,
  airmass: number,
): number {
  const transmission = 10 ** (-0.4 * filter.extinctionPerAirmass * (airmass - 1));
  return (fluxNanojansky / filter.nJyPerElectronPerSecond) * exposureTime * transmission;
}

/** Radius of the focal plane's corners from the optical axis, pixels: the scale of the vignetting pattern. */
export function focalPlaneRadiusPixels(instrument: InstrumentDescription): number {
  let radius = 0;
  for (const d of instrument.detectors) {
    const halfDiagonal = Math.hypot(d.width, d.height) / 2;
    const centre = Math.hypot(d.focalPlaneXMm, d.focalPlaneYMm) / instrument.pixelSizeMm;
    radius = Math.max(radius, centre + halfDiagonal);
  }
  return radius;
}

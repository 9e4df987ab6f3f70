/**
 * From the sky to the detectors: which truth objects land on which detector of an exposure, where (pixels, through
 * the exposure's true mapping: true pointing and optical distortion, true-wcs.ts), how many electrons they give
 * (after the atmosphere and the cloud), and galaxy shapes turned into the pixel frame.
 */

import {
  type DetectorDescription,
  electronsFromFlux,
  filterForBand,
  type InstrumentDescription,
  opticalAxisPixel,
} from '../obs/index.js';
import type { ExposureRecord } from './cadence.js';
import { cloudTransmission, type ExposureTruth } from './conditions.js';
import { ellipseShape, type Scene } from './render.js';
import { TrueFocalPlane } from './true-wcs.js';
import { fluxAt, TRUTH_TYPE, type TruthCatalog } from './truth.js';

/** Sources this far outside a detector (pixels) are still rendered: their wings fall on it. */
const EDGE_MARGIN = 40;

interface SceneBuilder {
  readonly px: number[];
  readonly py: number[];
  readonly pe: number[];
  readonly gx: number[];
  readonly gy: number[];
  readonly bulge: number[];
  readonly disk: number[];
  readonly bulgeShape: number[];
  readonly diskShape: number[];
}

function emptyBuilder(): SceneBuilder {
  return { px: [], py: [], pe: [], gx: [], gy: [], bulge: [], disk: [], bulgeShape: [], diskShape: [] };
}

function freeze(b: SceneBuilder): Scene {
  return {
    kind: 'scene',
    points: {
      kind: 'points',
      x: Float64Array.from(b.px),
      y: Float64Array.from(b.py),
      electrons: Float64Array.from(b.pe),
    },
    galaxies: {
      kind: 'galaxies',
      x: Float64Array.from(b.gx),
      y: Float64Array.from(b.gy),
      bulgeElectrons: Float64Array.from(b.bulge),
      diskElectrons: Float64Array.from(b.disk),
      bulgeShape: Float64Array.from(b.bulgeShape),
      diskShape: Float64Array.from(b.diskShape),
    },
  };
}

/** Cosine of the angular radius within which objects may fall on some detector of the focal plane. */
function fieldCosine(instrument: InstrumentDescription): number {
  let radiusPixels = 0;
  for (const d of instrument.detectors) {
    const centre = Math.hypot(d.focalPlaneXMm, d.focalPlaneYMm) / instrument.pixelSizeMm;
    radiusPixels = Math.max(radiusPixels, centre + Math.hypot(d.width, d.height) / 2 + EDGE_MARGIN);
  }
  // 10% extra covers the distortion and galaxy extents.
  const radiusDeg = (1.1 * radiusPixels * instrument.pixelScaleArcsec) / 3600 + 0.005;
  return Math.cos((radiusDeg * Math.PI) / 180);
}

/**
 * Scenes for the given detectors of one exposure, in the same order, as the exposure's truth (`conditions`) says
 * the sky is seen: true pointing, distortion, cloud.
 */
export function buildScenes(
  instrument: InstrumentDescription,
  exposure: ExposureRecord,
  detectors: readonly DetectorDescription[],
  truth: TruthCatalog,
  conditions: ExposureTruth,
): Scene[] {
  const builders = detectors.map(emptyBuilder);
  if (detectors.length === 0) return [];
  const filter = filterForBand(instrument, exposure.band);
  const focalPlane = new TrueFocalPlane(instrument, conditions);
  const transmission = cloudTransmission(conditions);
  const axes = detectors.map((d) => opticalAxisPixel(instrument, d));
  const middle = exposure.mjdStart + exposure.exposureTime / 2 / 86400;
  const rad = Math.PI / 180;
  const cosLimit = fieldCosine(instrument);
  const sinDec0 = Math.sin(conditions.trueDec * rad);
  const cosDec0 = Math.cos(conditions.trueDec * rad);
  const scale = instrument.pixelScaleArcsec;
  const rotation = conditions.trueRotationDeg * rad;

  for (let i = 0; i < truth.count; i++) {
    const dec = truth.dec[i] * rad;
    const cosSeparation =
      Math.sin(dec) * sinDec0 + Math.cos(dec) * cosDec0 * Math.cos((truth.ra[i] - conditions.trueRa) * rad);
    if (cosSeparation < cosLimit) continue;
    const flux = fluxAt(truth, i, exposure.band, middle);
    if (!(flux > 0)) continue;
    // Every detector sees the same focal plane through its own pixel origin (the optical axis in its pixels).
    const { x: u, y: v } = focalPlane.skyToFocalPlane(truth.ra[i], truth.dec[i]);
    const electrons = electronsFromFlux(filter, flux, exposure.exposureTime, exposure.airmass) * transmission;
    const isGalaxy = truth.truthType[i] === TRUTH_TYPE.galaxy;
    const extent = isGalaxy ? (5 * truth.diskHalfLightArcsec[i]) / scale : 0;
    detectors.forEach((d, k) => {
      const x = u + axes[k].x;
      const y = v + axes[k].y;
      const margin = EDGE_MARGIN + extent;
      if (x < -margin || y < -margin || x > d.width - 1 + margin || y > d.height - 1 + margin) return;
      const b = builders[k];
      if (!isGalaxy) {
        b.px.push(x);
        b.py.push(y);
        b.pe.push(electrons);
        return;
      }
      const bulgeFraction = truth.bulgeToTotal[exposure.band][i];
      // Angle of the major axis from pixel +x towards +y: +y lies at PA = rotation and +x at PA = rotation - 90 deg
      // (the CD matrix in instrument.ts), so PA increases with the pixel angle.
      const angle = truth.positionAngleDeg[i] * rad - rotation + Math.PI / 2;
      b.gx.push(x);
      b.gy.push(y);
      b.bulge.push(electrons * bulgeFraction);
      b.disk.push(electrons * (1 - bulgeFraction));
      b.bulgeShape.push(
        ...ellipseShape(truth.bulgeHalfLightArcsec[i] / scale, truth.bulgeAxisRatio[i], angle),
      );
      b.diskShape.push(...ellipseShape(truth.diskHalfLightArcsec[i] / scale, truth.diskAxisRatio[i], angle));
    });
  }
  return builders.map(freeze);
}

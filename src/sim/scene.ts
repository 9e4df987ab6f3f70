/**
 * From the sky to the detectors: which truth objects land on which detector of an exposure, where (pixels, through
 * the detector's TAN-SIP WCS), how many electrons they give, and galaxy shapes turned into the pixel frame.
 */

import { skyToPixel } from '../formats/index.js';
import {
  type DetectorDescription,
  detectorWcs,
  electronsFromFlux,
  filterForBand,
  type InstrumentDescription,
  opticalAxisPixel,
} from '../obs/index.js';
import type { ExposureRecord } from './cadence.js';
import { ellipseShape, type Scene } from './render.js';
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

/** Scenes for the given detectors of one exposure, in the same order. */
export function buildScenes(
  instrument: InstrumentDescription,
  exposure: ExposureRecord,
  detectors: readonly DetectorDescription[],
  truth: TruthCatalog,
): Scene[] {
  const builders = detectors.map(emptyBuilder);
  if (detectors.length === 0) return [];
  const filter = filterForBand(instrument, exposure.band);
  const pointing = { ra: exposure.ra, dec: exposure.dec, rotationDeg: exposure.rotationDeg };
  const reference = detectors[0];
  const referenceWcs = detectorWcs(instrument, reference, pointing);
  const referenceAxis = opticalAxisPixel(instrument, reference);
  const axes = detectors.map((d) => opticalAxisPixel(instrument, d));
  const middle = exposure.mjdStart + exposure.exposureTime / 2 / 86400;
  const rad = Math.PI / 180;
  const cosLimit = fieldCosine(instrument);
  const sinDec0 = Math.sin(exposure.dec * rad);
  const cosDec0 = Math.cos(exposure.dec * rad);
  const scale = instrument.pixelScaleArcsec;
  const rotation = exposure.rotationDeg * rad;

  for (let i = 0; i < truth.count; i++) {
    const dec = truth.dec[i] * rad;
    const cosSeparation =
      Math.sin(dec) * sinDec0 + Math.cos(dec) * cosDec0 * Math.cos((truth.ra[i] - exposure.ra) * rad);
    if (cosSeparation < cosLimit) continue;
    const flux = fluxAt(truth, i, exposure.band, middle);
    if (!(flux > 0)) continue;
    const position = skyToPixel(referenceWcs, truth.ra[i], truth.dec[i]);
    // All detectors share the WCS except CRPIX, so offsets from the optical axis are the same for every detector.
    const u = position.x - referenceAxis.x;
    const v = position.y - referenceAxis.y;
    const electrons = electronsFromFlux(filter, flux, exposure.exposureTime, exposure.airmass);
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

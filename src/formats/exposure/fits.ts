/**
 * Exposures as multi-extension FITS, laid out like LSST's: an empty primary HDU holding the metadata, then the
 * IMAGE (BITPIX -32), MASK (BITPIX 32, one MP_<PLANE> keyword per plane giving its bit) and VARIANCE (-32) image
 * extensions, each with the WCS keywords, then three header-only extensions VISITINFO, PHOTOCALIB and PSF whose
 * keywords hold those objects. Everything but the pixels lives in headers, so every component except the three
 * planes is read from the header scan alone.
 *
 * The WCS in the file maps the FITS array's pixels (CRPIX is shifted by xy0), so FITS readers such as astropy get
 * the right sky positions; LTV1/LTV2 (IRAF's convention, also written by LSST) record -xy0 so that a sub-image
 * comes back at its parent position.
 */

import { meridianError } from '../../errors.js';
import {
  type CardValue,
  type FitsFile,
  type FitsHeader,
  type HduSpec,
  type HeaderCard,
  headerNumber,
  headerString,
  headerValue,
  type ImageArray,
  readFits,
  type TanSipWcs,
  valueCard,
  wcsFromHeader,
  wcsToCards,
  writeFits,
} from '../index.js';
import {
  type Box2I,
  box2i,
  boxContains,
  describeBox,
  Exposure,
  ImageF,
  Mask,
  type Observatory,
  type PhotoCalib,
  type PolynomialDoubleGaussianPsf,
  type Psf,
  type VisitInfo,
  visitInfo,
} from './model.js';
import { polynomialDoubleGaussianPsf, polynomialTermCount } from './psf-model.js';

/** Version of this layout, in the primary header as MRDEXPV; readers accept this and older versions. */
export const EXPOSURE_FITS_VERSION = 1;

/** Keywords the FITS writer computes, or that this layout owns; never kept as metadata. */
const RESERVED = new Set([
  'SIMPLE',
  'BITPIX',
  'NAXIS',
  'NAXIS1',
  'NAXIS2',
  'NAXIS3',
  'EXTEND',
  'BSCALE',
  'BZERO',
  'BLANK',
  'PCOUNT',
  'GCOUNT',
  'XTENSION',
  'EXTNAME',
  'CHECKSUM',
  'DATASUM',
  'MRDEXPV',
]);

/** Header cards minus the structural ones: what a reader should treat as metadata. */
export function metadataCards(header: FitsHeader): HeaderCard[] {
  return header.filter((c) => !(c.kind === 'value' && RESERVED.has(c.keyword)));
}

/** Components that come from headers alone. */
export const HEADER_COMPONENTS = [
  'wcs',
  'psf',
  'photoCalib',
  'visitInfo',
  'metadata',
  'bbox',
  'dimensions',
] as const;
export type HeaderComponent = (typeof HEADER_COMPONENTS)[number];
export const PLANE_COMPONENTS = ['image', 'mask', 'variance'] as const;
export type PlaneComponent = (typeof PLANE_COMPONENTS)[number];

// ---- writing --------------------------------------------------------------------------------------------------

/** The WCS of a FITS array whose first pixel is parent pixel (x0, y0). */
export function shiftWcs(wcs: TanSipWcs, dx: number, dy: number): TanSipWcs {
  return Object.freeze({ ...wcs, crpix: [wcs.crpix[0] + dx, wcs.crpix[1] + dy] as const });
}

function planeCards(exposure: Exposure): HeaderCard[] {
  const { x0, y0 } = exposure.bbox;
  const cards: HeaderCard[] = [
    valueCard('LTV1', -x0, 'minus the parent x of the first pixel'),
    valueCard('LTV2', -y0, 'minus the parent y of the first pixel'),
  ];
  if (exposure.wcs !== null) cards.push(...wcsToCards(shiftWcs(exposure.wcs, -x0, -y0)));
  return cards;
}

function optional(keyword: string, value: CardValue | undefined, comment: string): HeaderCard[] {
  return value === null || value === undefined ? [] : [valueCard(keyword, value, comment)];
}

function visitInfoCards(v: VisitInfo | null): HeaderCard[] {
  if (v === null) return [valueCard('HASVISIT', false, 'no visit information')];
  return [
    valueCard('HASVISIT', true),
    ...optional('EXPID', v.exposureId, 'exposure id'),
    ...optional('EXPTIME', v.exposureTime, '[s] exposure time'),
    ...optional('DARKTIME', v.darkTime, '[s] dark time'),
    ...(v.date === null
      ? []
      : [valueCard('DATE-OBS', v.date, 'exposure start'), valueCard('TIMESYS', 'TAI')]),
    ...optional('BORE-RA', v.boresightRaDec?.[0], '[deg] boresight RA'),
    ...optional('BORE-DEC', v.boresightRaDec?.[1], '[deg] boresight Dec'),
    ...optional('ROTANGLE', v.boresightRotAngle, '[deg] position angle of +y, E of N'),
    ...optional('AIRMASS', v.airmass, ''),
    ...optional('ZENITH', v.zenithAngle, '[deg] zenith angle'),
    ...optional('OBS-LONG', v.observatory?.longitudeDeg, '[deg] observatory longitude, east positive'),
    ...optional('OBS-LAT', v.observatory?.latitudeDeg, '[deg] observatory latitude'),
    ...optional('OBS-ELEV', v.observatory?.elevationM, '[m] observatory elevation'),
    ...optional('INSTRUME', v.instrument, ''),
  ];
}

function photoCalibCards(p: PhotoCalib | null): HeaderCard[] {
  if (p === null) return [valueCard('HASCALIB', false, 'no photometric calibration')];
  return [
    valueCard('HASCALIB', true),
    valueCard('CALMEAN', p.calibrationMean, '[nJy/count] flux = counts * CALMEAN'),
    valueCard('CALERR', p.calibrationErr, '[nJy/count] uncertainty of CALMEAN'),
  ];
}

function psfCards(psf: Psf | null): HeaderCard[] {
  if (psf === null) return [valueCard('PSFTYPE', 'NONE')];
  if (psf.kind === 'gaussian') {
    return [valueCard('PSFTYPE', 'GAUSSIAN'), valueCard('PSFSIG1', psf.sigma, '[pixel] Gaussian sigma')];
  }
  if (psf.kind === 'polynomialDoubleGaussian') return polynomialPsfCards(psf);
  return [
    valueCard('PSFTYPE', 'DOUBLEGAUSSIAN'),
    valueCard('PSFSIG1', psf.sigma1, '[pixel] sigma of the core'),
    valueCard('PSFSIG2', psf.sigma2, '[pixel] sigma of the wing'),
    valueCard('PSFRATIO', psf.ratio, 'peak of the wing / peak of the core'),
  ];
}

/**
 * PSFTYPE POLYDOUBLEGAUSSIAN: the round summary (PSFSIG1/2, PSFRATIO), the order, the box (PSFBX0, PSFBY0, PSFBW,
 * PSFBH) and the core moment coefficients PSFXX<k>, PSFYY<k>, PSFXY<k> (k = 0 .. terms − 1, see psf-model.ts).
 */
function polynomialPsfCards(psf: PolynomialDoubleGaussianPsf): HeaderCard[] {
  const coefficients = (prefix: string, values: readonly number[], what: string) =>
    values.map((v, k) => valueCard(`${prefix}${k}`, v, k === 0 ? `[pixel^2] ${what} polynomial` : ''));
  return [
    valueCard('PSFTYPE', 'POLYDOUBLEGAUSSIAN'),
    valueCard('PSFSIG1', psf.sigma1, '[pixel] core sigma at the box centre'),
    valueCard('PSFSIG2', psf.sigma2, '[pixel] wing sigma at the box centre'),
    valueCard('PSFRATIO', psf.ratio, 'peak of the wing / peak of the core'),
    valueCard('PSFORDER', psf.order, 'total degree of the core moment polynomials'),
    valueCard('PSFBX0', psf.bbox.x0, 'polynomial box first parent x'),
    valueCard('PSFBY0', psf.bbox.y0, 'polynomial box first parent y'),
    valueCard('PSFBW', psf.bbox.width, 'polynomial box width'),
    valueCard('PSFBH', psf.bbox.height, 'polynomial box height'),
    ...coefficients('PSFXX', psf.coreIxx, 'core ixx'),
    ...coefficients('PSFYY', psf.coreIyy, 'core iyy'),
    ...coefficients('PSFXY', psf.coreIxy, 'core ixy'),
  ];
}

/** The HDU list of an exposure (exported for tests and for writers that add HDUs). */
export function exposureHdus(exposure: Exposure): HduSpec[] {
  const shape = [exposure.width, exposure.height];
  const plane = planeCards(exposure);
  // Names longer than 5 characters become HIERARCH cards (the FITS library does that for keywords over 8).
  const maskPlanes = Object.entries(exposure.mask.planes).map(([name, bit]) =>
    valueCard(`MP_${name}`, bit, 'mask plane bit'),
  );
  return [
    {
      kind: 'image',
      cards: [
        valueCard('MRDEXPV', EXPOSURE_FITS_VERSION, 'Meridian exposure layout version'),
        ...exposure.metadata,
      ],
    },
    { kind: 'image', name: 'IMAGE', data: exposure.image.array, shape, cards: plane },
    { kind: 'image', name: 'MASK', data: exposure.mask.array, shape, cards: [...plane, ...maskPlanes] },
    exposure.variance === null
      ? { kind: 'image', name: 'VARIANCE', cards: plane }
      : { kind: 'image', name: 'VARIANCE', data: exposure.variance.array, shape, cards: plane },
    { kind: 'image', name: 'VISITINFO', cards: visitInfoCards(exposure.visitInfo) },
    { kind: 'image', name: 'PHOTOCALIB', cards: photoCalibCards(exposure.photoCalib) },
    { kind: 'image', name: 'PSF', cards: psfCards(exposure.psf) },
  ];
}

/** Write an exposure (atomically: a temporary file renamed into place) with DATASUM/CHECKSUM. */
export async function writeExposure(path: string, exposure: Exposure): Promise<void> {
  await writeFits(path, exposureHdus(exposure), { checksum: true });
}

// ---- reading --------------------------------------------------------------------------------------------------

function invalid(fits: FitsFile, why: string): Error {
  return meridianError('FITS_INVALID', `${fits.path}: not a Meridian exposure file: ${why}`, {
    file: fits.path,
  });
}

function requireHdu(fits: FitsFile, name: string) {
  const hdu = fits.hdus.find((h) => h.name === name);
  if (hdu === undefined) throw invalid(fits, `no ${name} extension`);
  return hdu;
}

function checkVersion(fits: FitsFile): void {
  const version = headerNumber(fits.hdus[0]!.header, 'MRDEXPV');
  if (version === undefined) throw invalid(fits, 'no MRDEXPV keyword in the primary header');
  if (version > EXPOSURE_FITS_VERSION) {
    throw meridianError(
      'SCHEMA_VERSION',
      `${fits.path} has exposure layout version ${version}; this Meridian reads up to ${EXPOSURE_FITS_VERSION}`,
      { file: fits.path },
    );
  }
}

/** The parent box of the planes, from the IMAGE header (NAXISn and LTVn). */
export function bboxFromHeader(header: FitsHeader): Box2I {
  const width = headerNumber(header, 'NAXIS1') ?? 0;
  const height = headerNumber(header, 'NAXIS2') ?? 0;
  // 0 - v, not -v: a zero offset must be +0 so that boxes compare equal.
  return box2i(
    0 - (headerNumber(header, 'LTV1') ?? 0),
    0 - (headerNumber(header, 'LTV2') ?? 0),
    width,
    height,
  );
}

/** The WCS in parent coordinates, or null when the header has none. */
export function parentWcsFromHeader(header: FitsHeader): TanSipWcs | null {
  if (headerValue(header, 'CTYPE1') === undefined) return null;
  const box = bboxFromHeader(header);
  return shiftWcs(wcsFromHeader(header), box.x0, box.y0);
}

function num(header: FitsHeader, keyword: string): number | null {
  return headerNumber(header, keyword) ?? null;
}

function visitInfoFromHeader(header: FitsHeader): VisitInfo | null {
  if (headerValue(header, 'HASVISIT') === false) return null;
  const ra = num(header, 'BORE-RA');
  const dec = num(header, 'BORE-DEC');
  const lon = num(header, 'OBS-LONG');
  const lat = num(header, 'OBS-LAT');
  const elev = num(header, 'OBS-ELEV');
  const observatory: Observatory | null =
    lon === null || lat === null ? null : { longitudeDeg: lon, latitudeDeg: lat, elevationM: elev ?? 0 };
  return visitInfo({
    exposureId: num(header, 'EXPID'),
    exposureTime: num(header, 'EXPTIME'),
    darkTime: num(header, 'DARKTIME'),
    date: headerString(header, 'DATE-OBS') ?? null,
    boresightRaDec: ra === null || dec === null ? null : [ra, dec],
    boresightRotAngle: num(header, 'ROTANGLE'),
    airmass: num(header, 'AIRMASS'),
    zenithAngle: num(header, 'ZENITH'),
    observatory,
    instrument: headerString(header, 'INSTRUME') ?? null,
  });
}

function photoCalibFromHeader(header: FitsHeader): PhotoCalib | null {
  const mean = num(header, 'CALMEAN');
  if (headerValue(header, 'HASCALIB') === false || mean === null) return null;
  return Object.freeze({
    kind: 'photoCalib',
    calibrationMean: mean,
    calibrationErr: num(header, 'CALERR') ?? 0,
  });
}

function psfFromHeader(fits: FitsFile, header: FitsHeader): Psf | null {
  const type = headerString(header, 'PSFTYPE') ?? 'NONE';
  const need = (k: string) => {
    const v = num(header, k);
    if (v === null) throw invalid(fits, `PSF extension lacks ${k}`);
    return v;
  };
  switch (type) {
    case 'NONE':
      return null;
    case 'GAUSSIAN':
      return Object.freeze({ kind: 'gaussian', sigma: need('PSFSIG1') });
    case 'DOUBLEGAUSSIAN':
      return Object.freeze({
        kind: 'doubleGaussian',
        sigma1: need('PSFSIG1'),
        sigma2: need('PSFSIG2'),
        ratio: need('PSFRATIO'),
      });
    case 'POLYDOUBLEGAUSSIAN': {
      const order = need('PSFORDER');
      if (!Number.isInteger(order) || order < 0 || order > 6)
        throw invalid(fits, `PSFORDER ${order} is not an integer 0..6`);
      const terms = polynomialTermCount(order);
      const coefficients = (prefix: string) => Array.from({ length: terms }, (_, k) => need(`${prefix}${k}`));
      const sigma1 = need('PSFSIG1');
      try {
        return polynomialDoubleGaussianPsf({
          order,
          bbox: box2i(need('PSFBX0'), need('PSFBY0'), need('PSFBW'), need('PSFBH')),
          coreIxx: coefficients('PSFXX'),
          coreIyy: coefficients('PSFYY'),
          coreIxy: coefficients('PSFXY'),
          wingScale: need('PSFSIG2') / sigma1,
          ratio: need('PSFRATIO'),
        });
      } catch (err) {
        throw invalid(fits, `bad polynomial PSF: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    default:
      throw invalid(fits, `unknown PSFTYPE ${type}`);
  }
}

function maskPlanesFromHeader(header: FitsHeader): Record<string, number> {
  const planes: Record<string, number> = {};
  for (const card of header) {
    if (card.kind === 'value' && card.keyword.startsWith('MP_') && typeof card.value === 'number') {
      planes[card.keyword.slice(3)] = card.value;
    }
  }
  return planes;
}

/** Opens an exposure file (headers only) and checks its layout version. */
export async function openExposureFits(source: string | FitsFile): Promise<FitsFile> {
  const fits = typeof source === 'string' ? await readFits(source) : source;
  checkVersion(fits);
  return fits;
}

/** One header-only component; reads no pixel data. */
export function readHeaderComponent(fits: FitsFile, component: HeaderComponent): unknown {
  const imageHeader = requireHdu(fits, 'IMAGE').header;
  switch (component) {
    case 'wcs':
      return parentWcsFromHeader(imageHeader);
    case 'bbox':
      return bboxFromHeader(imageHeader);
    case 'dimensions': {
      const b = bboxFromHeader(imageHeader);
      return Object.freeze({ kind: 'extent2i', width: b.width, height: b.height });
    }
    case 'metadata':
      return Object.freeze(metadataCards(fits.hdus[0]!.header));
    case 'visitInfo':
      return visitInfoFromHeader(requireHdu(fits, 'VISITINFO').header);
    case 'photoCalib':
      return photoCalibFromHeader(requireHdu(fits, 'PHOTOCALIB').header);
    case 'psf':
      return psfFromHeader(fits, requireHdu(fits, 'PSF').header);
  }
}

/** Resolve the `bbox` read parameter against the stored box; `origin: 'LOCAL'` means relative to the first pixel. */
export function resolveReadBox(stored: Box2I, bbox: unknown, origin: unknown = 'PARENT'): Box2I | null {
  if (bbox === undefined || bbox === null) return null;
  const b = bbox as Partial<Box2I>;
  if (typeof b !== 'object' || ![b.x0, b.y0, b.width, b.height].every((v) => Number.isInteger(v))) {
    throw meridianError(
      'INVALID_ARGUMENT',
      'bbox parameter must be {x0, y0, width, height} with integer values',
    );
  }
  if (origin !== 'PARENT' && origin !== 'LOCAL') {
    throw meridianError(
      'INVALID_ARGUMENT',
      `origin parameter must be 'PARENT' or 'LOCAL', got ${String(origin)}`,
    );
  }
  const box =
    origin === 'LOCAL'
      ? box2i(b.x0! + stored.x0, b.y0! + stored.y0, b.width!, b.height!)
      : box2i(b.x0!, b.y0!, b.width!, b.height!);
  if (!boxContains(stored, box)) {
    throw meridianError(
      'INVALID_ARGUMENT',
      `bbox ${describeBox(box)} is not inside the image ${describeBox(stored)}`,
      {
        stored,
        requested: box,
      },
    );
  }
  return box;
}

function toFloat32(data: ImageArray): Float32Array {
  if (data instanceof Float32Array) return data;
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = Number(data[i]);
  return out;
}

function toInt32(data: ImageArray): Int32Array {
  if (data instanceof Int32Array) return data;
  const out = new Int32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = Number(data[i]);
  return out;
}

/** Pixels of one HDU inside `box` (parent coordinates), or all of them. */
export async function readPlanePixels(
  fits: FitsFile,
  hdu: number | string,
  stored: Box2I,
  box: Box2I | null,
): Promise<ImageArray> {
  if (box === null) return (await fits.readImage(hdu)).data;
  return (
    await fits.readImageSection(hdu, {
      x0: box.x0 - stored.x0,
      y0: box.y0 - stored.y0,
      width: box.width,
      height: box.height,
    })
  ).data;
}

/** One pixel plane of an exposure file, optionally cut to `box`. */
export async function readPlane(
  fits: FitsFile,
  plane: PlaneComponent,
  box: Box2I | null,
): Promise<ImageF | Mask | null> {
  const name = plane.toUpperCase();
  const hdu = requireHdu(fits, name);
  const stored = bboxFromHeader(requireHdu(fits, 'IMAGE').header);
  const target = box ?? stored;
  if (plane === 'variance' && hdu.dataSize === 0) return null;
  const data = await readPlanePixels(fits, name, stored, box);
  if (plane === 'mask') return new Mask(toInt32(data), target, maskPlanesFromHeader(hdu.header));
  return new ImageF(toFloat32(data), target);
}

export interface ExposureReadOptions {
  /** Sub-image to read, parent coordinates unless `origin` is 'LOCAL'. */
  readonly bbox?: Box2I | { x0: number; y0: number; width: number; height: number };
  readonly origin?: 'PARENT' | 'LOCAL';
}

/** Read a whole exposure, or the part inside `bbox` (only those pixels are read from disk). */
export async function readExposure(
  source: string | FitsFile,
  options: ExposureReadOptions = {},
): Promise<Exposure> {
  const fits = await openExposureFits(source);
  const stored = bboxFromHeader(requireHdu(fits, 'IMAGE').header);
  const box = resolveReadBox(stored, options.bbox, options.origin ?? 'PARENT');
  return new Exposure({
    image: (await readPlane(fits, 'image', box)) as ImageF,
    mask: (await readPlane(fits, 'mask', box)) as Mask,
    variance: (await readPlane(fits, 'variance', box)) as ImageF | null,
    wcs: readHeaderComponent(fits, 'wcs') as TanSipWcs | null,
    psf: readHeaderComponent(fits, 'psf') as Psf | null,
    photoCalib: readHeaderComponent(fits, 'photoCalib') as PhotoCalib | null,
    visitInfo: readHeaderComponent(fits, 'visitInfo') as VisitInfo | null,
    metadata: readHeaderComponent(fits, 'metadata') as HeaderCard[],
  });
}

/**
 * FITS formatters for the Exposure storage class.
 * - `meridian.ExposureFormatter`: Meridian's multi-extension Exposure files (src/formats/exposure).
 * - `meridian.RawFormatter`: a camera raw as written (one image HDU), read into an Exposure: image = the stored
 *   counts as floats (overscan included), an empty mask, no variance, WCS and visit info from the header.
 * - `meridian.FitsImageFormatter`: any single-HDU FITS image (master bias, flat) read the same way.
 * Header components (wcs, visitInfo, bbox, ...) are answered from the header scan without reading pixels; the
 * `bbox` read parameter reads only the requested section.
 */

import { meridianError } from '../../errors.js';
import {
  type bboxFromHeader,
  box2i,
  Exposure,
  type FitsFile,
  type FitsHeader,
  HEADER_COMPONENTS,
  type HeaderComponent,
  headerNumber,
  headerString,
  headerValue,
  type ImageArray,
  ImageF,
  Mask,
  metadataCards,
  openExposureFits,
  PLANE_COMPONENTS,
  type PlaneComponent,
  readExposure,
  readFits,
  readHeaderComponent,
  readPlane,
  readPlanePixels,
  resolveReadBox,
  type VisitInfo,
  visitInfo,
  wcsFromHeader,
  writeExposure,
} from '../../formats/index.js';
import type { Formatter, ReadOptions } from '../storage/formatter.js';
import type { StorageClass } from '../storage/storage-class.js';
import { formatTai, Timespan } from '../time/index.js';

const EXPOSURE_COMPONENTS: readonly string[] = [...PLANE_COMPONENTS, ...HEADER_COMPONENTS];

function checkParameters(parameters: Record<string, unknown> | undefined): {
  bbox?: unknown;
  origin?: unknown;
} {
  for (const key of Object.keys(parameters ?? {})) {
    if (key !== 'bbox' && key !== 'origin') {
      throw meridianError(
        'INVALID_ARGUMENT',
        `unknown read parameter '${key}' for an Exposure (bbox, origin)`,
      );
    }
  }
  return parameters ?? {};
}

function unknownComponent(component: string): Error {
  return meridianError('COMPONENT_UNKNOWN', `an Exposure has no component '${component}'`, {
    component,
    validComponents: EXPOSURE_COMPONENTS,
  });
}

/** `meridian.ExposureFormatter`: Exposure objects as multi-extension FITS (`.fits`). */
export class ExposureFormatter implements Formatter {
  readonly name = 'meridian.ExposureFormatter';
  readonly extension = '.fits';
  readonly readableComponents = EXPOSURE_COMPONENTS;

  async write(obj: unknown, path: string, storageClass: StorageClass): Promise<void> {
    if (!(obj instanceof Exposure)) {
      throw meridianError('INVALID_ARGUMENT', `a ${storageClass.name} dataset must be an Exposure object`);
    }
    await writeExposure(path, obj);
  }

  async read(path: string, options: ReadOptions): Promise<unknown> {
    const params = checkParameters(options.parameters);
    const fits = await openExposureFits(path);
    const component = options.component ?? null;
    if (component === null) return readExposure(fits, params as never);
    if ((HEADER_COMPONENTS as readonly string[]).includes(component)) {
      return readHeaderComponent(fits, component as HeaderComponent);
    }
    if ((PLANE_COMPONENTS as readonly string[]).includes(component)) {
      const stored = readHeaderComponent(fits, 'bbox') as ReturnType<typeof bboxFromHeader>;
      return readPlane(
        fits,
        component as PlaneComponent,
        resolveReadBox(stored, params.bbox, params.origin ?? 'PARENT'),
      );
    }
    throw unknownComponent(component);
  }
}

/** Exposure start in TAI ISO form from a DATE-OBS on the scale TIMESYS names (UTC when absent). */
function taiDate(header: FitsHeader): string | null {
  const date = headerString(header, 'DATE-OBS');
  if (date === undefined) return null;
  const scale = (headerString(header, 'TIMESYS') ?? 'UTC').trim().toLowerCase() === 'tai' ? 'tai' : 'utc';
  return formatTai(Timespan.fromIso(date, null, scale).begin!);
}

/** VisitInfo from camera header keywords (the MeridianCam set; unknown keywords give null fields). */
export function visitInfoFromRawHeader(header: FitsHeader): VisitInfo {
  const num = (k: string) => headerNumber(header, k) ?? null;
  const ra = num('RA');
  const dec = num('DEC');
  return visitInfo({
    exposureId: num('EXPID'),
    exposureTime: num('EXPTIME'),
    darkTime: num('DARKTIME'),
    date: taiDate(header),
    boresightRaDec: ra === null || dec === null ? null : [ra, dec],
    boresightRotAngle: num('ROTPA'),
    airmass: num('AIRMASS'),
    zenithAngle: num('ZENITH'),
    instrument: headerString(header, 'INSTRUME') ?? null,
  });
}

function toFloat32(data: ImageArray): Float32Array {
  if (data instanceof Float32Array) return data;
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = Number(data[i]);
  return out;
}

/** Reads a single-HDU FITS image as an Exposure; the image is the whole array as stored (parent origin 0, 0). */
export class FitsImageFormatter implements Formatter {
  readonly name: string = 'meridian.FitsImageFormatter';
  readonly extension = '.fits';
  readonly readableComponents = EXPOSURE_COMPONENTS;

  async write(_obj: unknown, _path: string, storageClass: StorageClass): Promise<void> {
    throw meridianError(
      'NOT_IMPLEMENTED',
      `${this.name} only reads files as the camera wrote them; put ${storageClass.name} datasets with meridian.ExposureFormatter`,
    );
  }

  protected visitInfo(header: FitsHeader): VisitInfo | null {
    return headerValue(header, 'EXPTIME') === undefined ? null : visitInfoFromRawHeader(header);
  }

  private headerComponent(fits: FitsFile, component: HeaderComponent): unknown {
    const header = fits.hdus[0]!.header;
    const box = box2i(0, 0, headerNumber(header, 'NAXIS1') ?? 0, headerNumber(header, 'NAXIS2') ?? 0);
    switch (component) {
      case 'wcs':
        return headerValue(header, 'CTYPE1') === undefined ? null : wcsFromHeader(header);
      case 'bbox':
        return box;
      case 'dimensions':
        return Object.freeze({ kind: 'extent2i', width: box.width, height: box.height });
      case 'metadata':
        return Object.freeze(metadataCards(header));
      case 'visitInfo':
        return this.visitInfo(header);
      case 'psf':
      case 'photoCalib':
        return null;
    }
  }

  async read(path: string, options: ReadOptions): Promise<unknown> {
    const params = checkParameters(options.parameters);
    const fits = await readFits(path);
    const component = options.component ?? null;
    if (component !== null && (HEADER_COMPONENTS as readonly string[]).includes(component)) {
      return this.headerComponent(fits, component as HeaderComponent);
    }
    if (component !== null && !(PLANE_COMPONENTS as readonly string[]).includes(component)) {
      throw unknownComponent(component);
    }
    const stored = this.headerComponent(fits, 'bbox') as ReturnType<typeof box2i>;
    const box = resolveReadBox(stored, params.bbox, params.origin ?? 'PARENT') ?? stored;
    if (component === 'mask') return Mask.zeros(box);
    if (component === 'variance') return null;
    const image = new ImageF(toFloat32(await readPlanePixels(fits, 0, stored, box)), box);
    if (component === 'image') return image;
    return new Exposure({
      image,
      wcs: this.headerComponent(fits, 'wcs') as never,
      visitInfo: this.visitInfo(fits.hdus[0]!.header),
      metadata: metadataCards(fits.hdus[0]!.header),
    });
  }
}

/** `meridian.RawFormatter`: camera raws; the visit info is always translated from the header. */
export class RawFormatter extends FitsImageFormatter {
  override readonly name = 'meridian.RawFormatter';

  protected override visitInfo(header: FitsHeader): VisitInfo {
    return visitInfoFromRawHeader(header);
  }
}

/**
 * The MeridianCam header translator (obs_base's `ObservationInfo` role): a raw's primary header becomes the
 * butler's exposure record, its day_obs and group records and the raw's data ID. Every keyword it needs is checked
 * here, so that a malformed raw is reported with its file and keyword before anything is written.
 */

import { Timespan } from '../butler/index.js';
import { isMeridianError, meridianError } from '../errors.js';
import {
  type Box2I,
  box2i,
  type FitsHeader,
  headerValue,
  readFits,
  type TanSipWcs,
  wcsFromHeader,
} from '../formats/index.js';

export const INSTRUMENT_NAME = 'MeridianCam';

const NS_PER_SECOND = 1_000_000_000;

/** What ingest needs from one raw. Records use the butler's field names (config/dimensions.yaml). */
export interface RawTranslation {
  readonly kind: 'rawTranslation';
  readonly file: string;
  readonly dataId: { readonly instrument: string; readonly exposure: number; readonly detector: number };
  readonly exposure: Readonly<Record<string, unknown>>;
  readonly dayObs: Readonly<Record<string, unknown>>;
  readonly group: Readonly<Record<string, unknown>>;
  /** Imaging area (DATASEC) in 0-based pixels, for the detector's sky polygon. */
  readonly dataSection: Box2I;
  readonly wcs: TanSipWcs;
}

function rawInvalid(
  file: string,
  message: string,
  details: Record<string, unknown> = {},
  cause?: unknown,
): Error {
  return meridianError('RAW_INVALID', `${file}: ${message}`, { file, ...details }, cause);
}

class HeaderReader {
  constructor(
    readonly file: string,
    readonly header: FitsHeader,
  ) {}

  private raw(keyword: string): unknown {
    const v = headerValue(this.header, keyword);
    if (v === undefined || v === null) {
      throw rawInvalid(this.file, `header keyword ${keyword} is missing`, { keyword });
    }
    return v;
  }

  string(keyword: string): string {
    const v = this.raw(keyword);
    if (typeof v !== 'string' || v.trim() === '') {
      throw rawInvalid(this.file, `header keyword ${keyword} must be a non-empty string, got ${String(v)}`, {
        keyword,
      });
    }
    return v.trim();
  }

  number(keyword: string): number {
    const v = this.raw(keyword);
    const n = typeof v === 'bigint' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isFinite(n)) {
      throw rawInvalid(this.file, `header keyword ${keyword} must be a number, got ${String(v)}`, {
        keyword,
      });
    }
    return n;
  }

  integer(keyword: string): number {
    const v = this.raw(keyword);
    const n =
      typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : typeof v === 'bigint' ? Number(v) : v;
    if (typeof n !== 'number' || !Number.isSafeInteger(n)) {
      throw rawInvalid(this.file, `header keyword ${keyword} must be an integer, got ${String(v)}`, {
        keyword,
      });
    }
    return n;
  }

  optionalNumber(keyword: string): number | null {
    return headerValue(this.header, keyword) === undefined ? null : this.number(keyword);
  }
}

/** A FITS section `[x1:x2,y1:y2]` (1-based, inclusive) as a 0-based box. */
function parseSection(reader: HeaderReader, keyword: string): Box2I {
  const text = reader.string(keyword);
  const m = /^\[(\d+):(\d+),(\d+):(\d+)\]$/.exec(text.replace(/\s/g, ''));
  if (!m)
    throw rawInvalid(reader.file, `header keyword ${keyword} is not a section [x1:x2,y1:y2]: ${text}`, {
      keyword,
    });
  const [x1, x2, y1, y2] = m.slice(1).map(Number) as [number, number, number, number];
  if (x2 < x1 || y2 < y1)
    throw rawInvalid(reader.file, `header keyword ${keyword} is an empty section: ${text}`, { keyword });
  return box2i(x1 - 1, y1 - 1, x2 - x1 + 1, y2 - y1 + 1);
}

/** Timespan of observing day YYYYMMDD: from 12:00 UTC on that date to 12:00 UTC the next day (Rubin's day_obs). */
export function dayObsTimespan(dayObs: number): Timespan {
  const y = Math.floor(dayObs / 10000);
  const m = Math.floor(dayObs / 100) % 100;
  const d = dayObs % 100;
  const iso = (date: Date) => `${date.toISOString().slice(0, 10)}T12:00:00`;
  const start = new Date(Date.UTC(y, m - 1, d));
  const next = new Date(Date.UTC(y, m - 1, d + 1));
  return Timespan.fromIso(iso(start), iso(next), 'utc');
}

/** Translate one raw's primary header. Throws RAW_INVALID naming the file and the keyword at fault. */
export function translateRawHeader(
  file: string,
  header: FitsHeader,
  instrument = INSTRUMENT_NAME,
): RawTranslation {
  const h = new HeaderReader(file, header);
  const camera = h.string('INSTRUME');
  if (camera !== instrument) {
    throw rawInvalid(file, `INSTRUME is '${camera}', not ${instrument}`, { keyword: 'INSTRUME' });
  }
  const exposureId = h.integer('EXPID');
  const dayObs = h.integer('DAYOBS');
  if (!(dayObs >= 19000101 && dayObs <= 99991231)) {
    throw rawInvalid(file, `DAYOBS ${dayObs} is not a YYYYMMDD date`, { keyword: 'DAYOBS' });
  }
  const obsId = h.string('OBSID');
  const exposureTime = h.number('EXPTIME');
  const dateObs = h.string('DATE-OBS');
  const timesys = (headerValue(header, 'TIMESYS') ?? 'UTC').toString().trim().toLowerCase();
  let begin: bigint;
  try {
    begin = Timespan.fromIso(dateObs, null, timesys === 'tai' ? 'tai' : 'utc').begin!;
  } catch (err) {
    throw rawInvalid(file, `DATE-OBS '${dateObs}' is not an ISO date-time`, { keyword: 'DATE-OBS' }, err);
  }
  const observationType = h.string('OBSTYPE').toLowerCase();
  let wcs: TanSipWcs;
  try {
    wcs = wcsFromHeader(header);
  } catch (err) {
    const why = isMeridianError(err) ? err.message : String(err);
    throw rawInvalid(file, `no usable WCS: ${why}`, { keyword: 'CTYPE1' }, err);
  }
  const exposure = {
    instrument,
    id: exposureId,
    obs_id: obsId,
    physical_filter: h.string('FILTER'),
    group: obsId,
    day_obs: dayObs,
    exposure_time: exposureTime,
    dark_time: h.optionalNumber('DARKTIME') ?? exposureTime,
    observation_type: observationType,
    seq_num: h.integer('SEQNUM'),
    tracking_ra: h.optionalNumber('RA'),
    tracking_dec: h.optionalNumber('DEC'),
    sky_angle: h.optionalNumber('ROTPA'),
    zenith_angle: h.optionalNumber('ZENITH'),
    airmass: h.optionalNumber('AIRMASS'),
    can_see_sky: observationType === 'science',
    timespan: new Timespan(begin, begin + BigInt(Math.round(exposureTime * NS_PER_SECOND))),
  };
  return Object.freeze({
    kind: 'rawTranslation',
    file,
    dataId: Object.freeze({ instrument, exposure: exposureId, detector: h.integer('DETECTOR') }),
    exposure: Object.freeze(exposure),
    dayObs: Object.freeze({ instrument, id: dayObs, timespan: dayObsTimespan(dayObs) }),
    group: Object.freeze({ instrument, name: obsId }),
    dataSection: parseSection(h, 'DATASEC'),
    wcs,
  });
}

/** Read a raw's headers (not its pixels) and translate them; unreadable or truncated files are RAW_INVALID. */
export async function translateRawFile(file: string, instrument = INSTRUMENT_NAME): Promise<RawTranslation> {
  let header: FitsHeader;
  try {
    const fits = await readFits(file);
    if (fits.hdus[0]!.kind !== 'image' || fits.hdus[0]!.dataSize === 0) {
      throw rawInvalid(file, 'the primary HDU holds no image');
    }
    header = fits.hdus[0]!.header;
  } catch (err) {
    if (isMeridianError(err, 'RAW_INVALID')) throw err;
    const why = isMeridianError(err) ? err.message : String(err);
    throw rawInvalid(file, `cannot read it as FITS: ${why}`, {}, err);
  }
  return translateRawHeader(file, header, instrument);
}

import { meridianError } from '../../errors.js';
import {
  type CalendarDate,
  dayNumberFromDate,
  daysInMonth,
  isLeapYear,
  NS_PER_SECOND,
  roundDiv,
} from './calendar.js';
import { dayEndsWithLeapSecond } from './leapSeconds.js';
import { assertScale, type TimeScale, taiFromDayAndNs } from './scales.js';
import { type Decimal, mjdToTai, parseDecimal } from './tai.js';

/**
 * Time strings as written inside the `T'...'` literal of a butler `where` expression, following daf_butler's rules
 * (`parserYacc.py`, `_parseTimeString`): `[format/]value[/scale]`, the format guessed from the value when absent
 * (a number is an MJD; `YYYY-MM-DD hh:mm:ss` iso; with `T` isot; a leading `+` fits; `YYYY:DDD:...` yday), the scale
 * defaulting to UTC for calendar formats and unix seconds, TT for cxcsec and TAI for MJD/JD.
 */

export type TimeFormat = 'iso' | 'isot' | 'fits' | 'yday' | 'mjd' | 'jd' | 'unix' | 'cxcsec';
export const TIME_FORMATS: readonly TimeFormat[] = [
  'iso',
  'isot',
  'fits',
  'yday',
  'mjd',
  'jd',
  'unix',
  'cxcsec',
];

const TIME_OF_DAY = String.raw`(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d*))?)?`;
const CALENDAR_PATTERNS: Readonly<Record<'iso' | 'isot' | 'fits' | 'yday', RegExp>> = {
  iso: new RegExp(String.raw`^(\d{4})-(\d{1,2})-(\d{1,2})(?: +${TIME_OF_DAY})?$`),
  isot: new RegExp(String.raw`^(\d{4})-(\d{1,2})-(\d{1,2})(?:[Tt]${TIME_OF_DAY})?$`),
  fits: /^([+-]?\d{4,5})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2})(?:\.(\d*))?)?$/,
  yday: /^(\d{4}):(\d{3})(?::(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d*))?)?)?$/,
};
const NUMBER_PATTERN = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

const DEFAULT_SCALE: Readonly<Record<TimeFormat, TimeScale>> = {
  iso: 'utc',
  isot: 'utc',
  fits: 'utc',
  yday: 'utc',
  unix: 'utc',
  cxcsec: 'tt',
  mjd: 'tai',
  jd: 'tai',
};

function invalid(text: string, reason: string): Error {
  return meridianError('INVALID_ARGUMENT', `Invalid time "${text}": ${reason}`, { value: text, reason });
}

/** Parse the contents of a `T'...'` literal to a butler time (TAI ns). Errors are `INVALID_ARGUMENT`. */
export function parseTimeLiteral(text: string): bigint {
  // Stringified timezone-aware Python datetimes end in +00:00; UTC is the only zone accepted, as upstream.
  const trimmed = text.trim().replace(/(\+00:00|Z)(?=\/|$)/, '');
  const parts = trimmed.split('/');
  let format: string | undefined;
  let value: string;
  let scale: string | undefined;
  if (parts.length === 1) {
    value = parts[0]!;
  } else if (parts.length === 2) {
    // `fmt/value` or `value/scale`: a format name is letters, a value starts with a digit, sign or dot.
    if (/^[a-z_]+$/i.test(parts[0]!)) [format, value] = parts as [string, string];
    else [value, scale] = parts as [string, string];
  } else if (parts.length === 3) {
    [format, value, scale] = parts as [string, string, string];
  } else {
    throw invalid(text, 'expected [format/]value[/scale]');
  }
  const resolvedFormat = format === undefined ? guessFormat(text, value) : assertFormat(text, format);
  const resolvedScale = scale === undefined ? DEFAULT_SCALE[resolvedFormat] : scaleOf(text, scale);
  return parseTimeValue(value, resolvedFormat, resolvedScale, text);
}

/** Parse an ISO 8601 date-time (`YYYY-MM-DD[ T]hh:mm:ss[.fffffffff]`, or a date alone) on an explicit scale. */
export function parseIsoTime(text: string, scale: TimeScale): bigint {
  const value = text.trim();
  return parseTimeValue(value, /[Tt]/.test(value) ? 'isot' : 'iso', scale, text);
}

function assertFormat(text: string, format: string): TimeFormat {
  const lower = format.toLowerCase();
  if ((TIME_FORMATS as readonly string[]).includes(lower)) return lower as TimeFormat;
  throw invalid(text, `unknown time format "${format}"; use one of ${TIME_FORMATS.join(', ')}`);
}

function scaleOf(text: string, scale: string): TimeScale {
  try {
    return assertScale(scale);
  } catch {
    throw invalid(text, `unknown time scale "${scale}"; use tai, utc or tt`);
  }
}

function guessFormat(text: string, value: string): TimeFormat {
  if (NUMBER_PATTERN.test(value)) return 'mjd';
  if (value.startsWith('+')) return 'fits';
  if (/^\d+:\d+/.test(value)) return 'yday';
  if (/^\d+-\d+-\d+/.test(value)) return /[Tt]/.test(value) ? 'isot' : 'iso';
  throw invalid(
    text,
    'the format cannot be guessed; write an ISO time (2020-03-30 12:20:33), an MJD (58938.515) ' +
      'or give the format explicitly (mjd/58938.515/tai)',
  );
}

function parseTimeValue(value: string, format: TimeFormat, scale: TimeScale, text: string): bigint {
  switch (format) {
    case 'mjd':
    case 'jd':
    case 'unix':
    case 'cxcsec':
      return parseNumericTime(value, format, scale, text);
    case 'yday':
      return parseYday(value, scale, text);
    default:
      return parseCalendar(value, format, scale, text);
  }
}

/** Start of Chandra X-ray Center seconds: 1998-01-01T00:00:00 TT. */
const CXCSEC_EPOCH_DAY = dayNumberFromDate({ year: 1998, month: 1, day: 1 });

function parseNumericTime(
  value: string,
  format: 'mjd' | 'jd' | 'unix' | 'cxcsec',
  scale: TimeScale,
  text: string,
): bigint {
  const decimal = NUMBER_PATTERN.test(value) ? parseDecimal(value) : null;
  if (decimal === null) throw invalid(text, `"${value}" is not a number, as the ${format} format needs`);
  if (format === 'mjd') return mjdToTai(decimal, scale);
  if (format === 'jd') {
    // MJD = JD − 2400000.5
    const mjd: Decimal = {
      numerator: decimal.numerator * 10n - 24_000_005n * decimal.denominator,
      denominator: decimal.denominator * 10n,
    };
    return mjdToTai(mjd, scale);
  }
  if (format === 'cxcsec') {
    if (scale !== 'tt')
      throw invalid(text, 'cxcsec counts TT seconds from 1998-01-01; omit the scale or give tt');
    return taiFromDayAndNs(
      CXCSEC_EPOCH_DAY,
      roundDiv(decimal.numerator * NS_PER_SECOND, decimal.denominator),
      'tt',
    );
  }
  if (scale !== 'utc') {
    throw invalid(
      text,
      'unix seconds count from 1970-01-01 UTC ignoring leap seconds; omit the scale or give utc',
    );
  }
  // POSIX seconds: 86400 per day, so whole days and seconds into the day separate exactly.
  const ns = roundDiv(decimal.numerator * NS_PER_SECOND, decimal.denominator);
  const nsPerDay = 86_400n * NS_PER_SECOND;
  const dayNumber = Number(ns >= 0n ? ns / nsPerDay : (ns - nsPerDay + 1n) / nsPerDay);
  return taiFromDayAndNs(dayNumber, ns - BigInt(dayNumber) * nsPerDay, 'utc');
}

interface TimeOfDayFields {
  readonly hour: string | undefined;
  readonly minute: string | undefined;
  readonly second: string | undefined;
  readonly fraction: string | undefined;
}

function parseCalendar(
  value: string,
  format: 'iso' | 'isot' | 'fits',
  scale: TimeScale,
  text: string,
): bigint {
  const m = CALENDAR_PATTERNS[format].exec(value);
  if (m === null)
    throw invalid(text, `"${value}" does not match the ${format} format (${formatExample(format)})`);
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12) throw invalid(text, `month ${month} is not in 1..12`);
  if (day < 1 || day > daysInMonth(year, month))
    throw invalid(text, `day ${day} does not exist in ${year}-${month}`);
  return instantOf(
    { year, month, day },
    { hour: m[4], minute: m[5], second: m[6], fraction: m[7] },
    scale,
    text,
  );
}

function parseYday(value: string, scale: TimeScale, text: string): bigint {
  const m = CALENDAR_PATTERNS.yday.exec(value);
  if (m === null) throw invalid(text, `"${value}" does not match the yday format (${formatExample('yday')})`);
  const year = Number(m[1]);
  const dayOfYear = Number(m[2]);
  if (dayOfYear < 1 || dayOfYear > (isLeapYear(year) ? 366 : 365)) {
    throw invalid(text, `day of year ${dayOfYear} does not exist in ${year}`);
  }
  const dayNumber = dayNumberFromDate({ year, month: 1, day: 1 }) + dayOfYear - 1;
  return instantOfDay(dayNumber, { hour: m[3], minute: m[4], second: m[5], fraction: m[6] }, scale, text);
}

function formatExample(format: TimeFormat): string {
  switch (format) {
    case 'iso':
      return 'for example 2020-03-30 12:20:33.5';
    case 'isot':
      return 'for example 2020-03-30T12:20:33.5';
    case 'fits':
      return 'for example 2020-03-30T12:20:33.5';
    case 'yday':
      return 'for example 2020:090:12:20:33.5';
    default:
      return 'a decimal number';
  }
}

function instantOf(date: CalendarDate, time: TimeOfDayFields, scale: TimeScale, text: string): bigint {
  return instantOfDay(dayNumberFromDate(date), time, scale, text);
}

function instantOfDay(dayNumber: number, time: TimeOfDayFields, scale: TimeScale, text: string): bigint {
  const hour = Number(time.hour ?? 0);
  const minute = Number(time.minute ?? 0);
  const second = Number(time.second ?? 0);
  if (hour > 23) throw invalid(text, `hour ${hour} is not in 0..23`);
  if (minute > 59) throw invalid(text, `minute ${minute} is not in 0..59`);
  if (second > 60 || (second === 60 && !isLeapSecond(dayNumber, hour, minute, scale))) {
    throw invalid(text, `second ${second} is not in 0..59 (60 only during a UTC leap second, at 23:59:60)`);
  }
  const fraction = time.fraction ?? '';
  // Digits beyond the ninth are rounded to the nearest nanosecond.
  const fractionNs =
    fraction === '' ? 0n : roundDiv(BigInt(fraction) * NS_PER_SECOND, 10n ** BigInt(fraction.length));
  const nsOfDay = BigInt(hour * 3600 + minute * 60 + second) * NS_PER_SECOND + fractionNs;
  return taiFromDayAndNs(dayNumber, nsOfDay, scale);
}

function isLeapSecond(dayNumber: number, hour: number, minute: number, scale: TimeScale): boolean {
  return scale === 'utc' && hour === 23 && minute === 59 && dayEndsWithLeapSecond(dayNumber);
}

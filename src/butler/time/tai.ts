import { meridianError } from '../../errors.js';
import { floorDiv, MJD_OF_DAY_ZERO, NS_PER_DAY, roundDiv } from './calendar.js';
import { calendarFieldsOf, dayAndNsFromTai, dayLengthNs, type TimeScale, taiFromDayAndNs } from './scales.js';

/**
 * Public conversions of butler times: bigint nanoseconds on the TAI scale since 1970-01-01T00:00:00 TAI.
 */

const NS_PER_MS = 1_000_000n;

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

/**
 * ISO 8601 text of a butler time with nanosecond precision, e.g. `2020-03-30T12:20:33.123456789`, on the TAI
 * scale (default) or UTC (where a leap second reads as `23:59:60.xxx`). The scale is not written into the text.
 */
export function formatTai(ns: bigint, scale: TimeScale = 'tai'): string {
  const f = calendarFieldsOf(dayAndNsFromTai(ns, scale));
  if (f.year < 0 || f.year > 9999) {
    throw meridianError(
      'INVALID_ARGUMENT',
      `Time ${ns} ns TAI is outside the years 0..9999 that ISO text can show`,
      {
        ns: String(ns),
      },
    );
  }
  return (
    `${pad(f.year, 4)}-${pad(f.month, 2)}-${pad(f.day, 2)}T` +
    `${pad(f.hour, 2)}:${pad(f.minute, 2)}:${pad(f.second, 2)}.${pad(f.nanosecond, 9)}`
  );
}

/** Butler time of a JavaScript `Date` (a POSIX UTC instant with millisecond precision). */
export function taiFromDate(date: Date): bigint {
  const ms = date.getTime();
  if (!Number.isFinite(ms))
    throw meridianError('INVALID_ARGUMENT', 'Invalid Date cannot be converted to TAI');
  // POSIX time counts 86400 s per day, so the day and the ms within it fall out directly.
  const msBig = BigInt(ms);
  const dayNumber = Number(msBig >= 0n ? msBig / 86_400_000n : (msBig - 86_399_999n) / 86_400_000n);
  const msOfDay = msBig - BigInt(dayNumber) * 86_400_000n;
  return taiFromDayAndNs(dayNumber, msOfDay * NS_PER_MS, 'utc');
}

/**
 * The `Date` of a butler time (rounded down to the millisecond). A `Date` cannot show a leap second, so instants
 * inside 23:59:60 UTC map to 23:59:59.999.
 */
export function dateFromTai(ns: bigint): Date {
  const { dayNumber, nsOfDay } = dayAndNsFromTai(ns, 'utc');
  const lastMsOfDay = 86_399_999n;
  let msOfDay = nsOfDay / NS_PER_MS;
  if (msOfDay > lastMsOfDay) msOfDay = lastMsOfDay;
  return new Date(dayNumber * 86_400_000 + Number(msOfDay));
}

/** The current time as a butler time (millisecond resolution of the system clock). */
export function nowTai(): bigint {
  return taiFromDate(new Date());
}

/** A decimal number as an exact fraction `numerator / denominator` (denominator a power of ten). */
export interface Decimal {
  readonly numerator: bigint;
  readonly denominator: bigint;
}

const DECIMAL_PATTERN = /^([+-]?)(\d+)(?:\.(\d*))?$|^([+-]?)\.(\d+)$/;

/** Parse decimal text exactly (no binary floating point), e.g. `58938.515` → 58938515/1000. */
export function parseDecimal(text: string): Decimal | null {
  const m = DECIMAL_PATTERN.exec(text.trim());
  if (m === null) return null;
  const sign = m[1] ?? m[4] ?? '';
  const whole = m[2] ?? '0';
  const fraction = m[3] ?? m[5] ?? '';
  const denominator = 10n ** BigInt(fraction.length);
  const magnitude = BigInt(whole) * denominator + BigInt(fraction === '' ? '0' : fraction);
  return { numerator: sign === '-' ? -magnitude : magnitude, denominator };
}

function decimalOf(value: number | string | Decimal): Decimal {
  if (typeof value === 'object') return value;
  const text = typeof value === 'number' ? numberToPlainText(value) : value;
  const decimal = parseDecimal(text);
  if (decimal === null)
    throw meridianError('INVALID_ARGUMENT', `"${text}" is not a decimal number`, { value: text });
  return decimal;
}

function numberToPlainText(value: number): string {
  if (!Number.isFinite(value)) throw meridianError('INVALID_ARGUMENT', `${value} is not a finite number`);
  // The shortest decimal that reads back as the same double is what the caller wrote (58938.515, not
  // 58938.514999…); only tiny or huge magnitudes print with an exponent, which the decimal parser does not take.
  const text = String(value);
  return /e/i.test(text) ? value.toFixed(20) : text;
}

/**
 * Butler time of a Modified Julian Date on `scale` (default TAI). Strings are converted exactly; numbers are
 * converted through their shortest decimal text (a double holds a present-day MJD to about 1 µs only).
 * On UTC, the fraction is of the actual day length (86401 s on a leap-second day), as in SOFA/ERFA quasi-JD.
 */
export function mjdToTai(mjd: number | string | Decimal, scale: TimeScale = 'tai'): bigint {
  const { numerator, denominator } = decimalOf(mjd);
  const mjdDay = floorDiv(numerator, denominator);
  const dayNumber = Number(mjdDay) - MJD_OF_DAY_ZERO;
  const remainder = numerator - mjdDay * denominator;
  const nsOfDay = roundDiv(remainder * dayLengthNs(dayNumber, scale), denominator);
  return taiFromDayAndNs(dayNumber, nsOfDay, scale);
}

/** Butler time of an MJD on the TAI scale. */
export function mjdTaiToNs(mjd: number | string): bigint {
  return mjdToTai(mjd, 'tai');
}

/** MJD (TAI) of a butler time, as a double (about 1 µs resolution near the present). */
export function nsToMjdTai(ns: bigint): number {
  const whole = ns / NS_PER_DAY;
  const rest = ns - whole * NS_PER_DAY;
  return Number(whole) + MJD_OF_DAY_ZERO + Number(rest) / Number(NS_PER_DAY);
}

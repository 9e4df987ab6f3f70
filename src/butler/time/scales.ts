import { meridianError } from '../../errors.js';
import { dateFromDayNumber, floorDiv, NS_PER_DAY, NS_PER_SECOND } from './calendar.js';
import { dayEndsWithLeapSecond, FIRST_UTC_DAY, taiMinusUtcOnDay } from './leapSeconds.js';

/**
 * Butler times are int64 nanoseconds on the TAI scale since 1970-01-01T00:00:00 TAI (the daf_butler convention).
 * This module converts between that count and (day, nanoseconds-of-day) on the TAI, UTC and TT scales.
 */

export type TimeScale = 'tai' | 'utc' | 'tt';
export const TIME_SCALES: readonly TimeScale[] = ['tai', 'utc', 'tt'];

/** TT = TAI + 32.184 s exactly (IAU 1991 definition of TT). */
const TT_MINUS_TAI_NS = 32_184_000_000n;

/** Length of a day on the given scale, in ns: 86400 s, except UTC days that end with a leap second (86401 s). */
export function dayLengthNs(dayNumber: number, scale: TimeScale): bigint {
  if (scale === 'utc' && dayEndsWithLeapSecond(dayNumber)) return NS_PER_DAY + NS_PER_SECOND;
  return NS_PER_DAY;
}

/** TAI ns of the start (00:00:00) of the given day on the given scale. */
export function dayStartTai(dayNumber: number, scale: TimeScale): bigint {
  const linear = BigInt(dayNumber) * NS_PER_DAY;
  switch (scale) {
    case 'tai':
      return linear;
    case 'tt':
      return linear - TT_MINUS_TAI_NS;
    case 'utc':
      return linear + BigInt(taiMinusUtcOnDay(dayNumber)) * NS_PER_SECOND;
  }
}

/**
 * TAI ns of an instant given as a day and nanoseconds into that day on `scale`. On a UTC leap-second day `nsOfDay`
 * may reach 86401 s; other overflows are the caller's responsibility to reject.
 */
export function taiFromDayAndNs(dayNumber: number, nsOfDay: bigint, scale: TimeScale): bigint {
  return dayStartTai(dayNumber, scale) + nsOfDay;
}

export interface DayAndNs {
  readonly dayNumber: number;
  /** May be ≥ 86400 s only on a UTC day ending with a leap second (the instant is then within 23:59:60). */
  readonly nsOfDay: bigint;
}

/** Split a TAI instant into (day, ns of day) on `scale`; the inverse of {@link taiFromDayAndNs}. */
export function dayAndNsFromTai(nsTai: bigint, scale: TimeScale): DayAndNs {
  if (scale !== 'utc') {
    const linear = scale === 'tt' ? nsTai + TT_MINUS_TAI_NS : nsTai;
    const dayNumber = Number(floorDiv(linear, NS_PER_DAY));
    return { dayNumber, nsOfDay: linear - BigInt(dayNumber) * NS_PER_DAY };
  }
  // Guess the UTC day with the current offset, then step to the neighbouring day if the guess was off by the
  // (at most one-second) difference across a leap second.
  let dayNumber = Number(floorDiv(nsTai - 37n * NS_PER_SECOND, NS_PER_DAY));
  if (dayNumber < FIRST_UTC_DAY) dayNumber = Number(floorDiv(nsTai - 10n * NS_PER_SECOND, NS_PER_DAY));
  for (;;) {
    const start = dayStartTai(dayNumber, 'utc');
    if (nsTai < start) {
      dayNumber -= 1;
      continue;
    }
    const nsOfDay = nsTai - start;
    if (nsOfDay >= dayLengthNs(dayNumber, 'utc')) {
      dayNumber += 1;
      continue;
    }
    return { dayNumber, nsOfDay };
  }
}

export function assertScale(scale: string): TimeScale {
  const lower = scale.toLowerCase();
  if ((TIME_SCALES as readonly string[]).includes(lower)) return lower as TimeScale;
  throw meridianError(
    'INVALID_ARGUMENT',
    `Unknown time scale "${scale}"; use one of ${TIME_SCALES.join(', ')}`,
    {
      scale,
    },
  );
}

/** Calendar fields of a (day, ns) pair, for formatting. Seconds may be 60 during a UTC leap second. */
export function calendarFieldsOf(day: DayAndNs): {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  nanosecond: number;
} {
  const date = dateFromDayNumber(day.dayNumber);
  let seconds = day.nsOfDay / NS_PER_SECOND;
  const nanosecond = Number(day.nsOfDay - seconds * NS_PER_SECOND);
  // 86400..86400.999 s into a leap-second day reads as 23:59:60.
  const leap = seconds >= 86_400n;
  if (leap) seconds = 86_399n;
  const s = Number(seconds);
  return {
    ...date,
    hour: Math.floor(s / 3600),
    minute: Math.floor((s % 3600) / 60),
    second: leap ? 60 : s % 60,
    nanosecond,
  };
}

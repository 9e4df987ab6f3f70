import { meridianError } from '../../errors.js';
import { dayNumberFromDate } from './calendar.js';

/**
 * TAI−UTC in whole seconds, with the UTC date from which each value applies. Source: IERS Bulletin C and the IERS
 * `Leap_Second.dat` / NIST `leap-seconds.list` files; the last leap second was inserted at the end of 2016-12-31.
 * Before 1972-01-01 TAI−UTC was not a whole number of seconds (UTC used rate offsets), so UTC times earlier than
 * that are rejected rather than converted with a wrong offset.
 */
const LEAP_SECOND_TABLE: readonly (readonly [year: number, month: number, taiMinusUtc: number])[] = [
  [1972, 1, 10],
  [1972, 7, 11],
  [1973, 1, 12],
  [1974, 1, 13],
  [1975, 1, 14],
  [1976, 1, 15],
  [1977, 1, 16],
  [1978, 1, 17],
  [1979, 1, 18],
  [1980, 1, 19],
  [1981, 7, 20],
  [1982, 7, 21],
  [1983, 7, 22],
  [1985, 7, 23],
  [1988, 1, 24],
  [1990, 1, 25],
  [1991, 1, 26],
  [1992, 7, 27],
  [1993, 7, 28],
  [1994, 7, 29],
  [1996, 1, 30],
  [1997, 7, 31],
  [1999, 1, 32],
  [2006, 1, 33],
  [2009, 1, 34],
  [2012, 7, 35],
  [2015, 7, 36],
  [2017, 1, 37],
];

interface LeapEntry {
  /** First UTC day (days since 1970-01-01) on which the offset applies. */
  readonly fromDay: number;
  readonly taiMinusUtc: number;
}

const ENTRIES: readonly LeapEntry[] = LEAP_SECOND_TABLE.map(([year, month, taiMinusUtc]) => ({
  fromDay: dayNumberFromDate({ year, month, day: 1 }),
  taiMinusUtc,
}));

/** First UTC day (1972-01-01) for which UTC can be converted to TAI. */
export const FIRST_UTC_DAY = ENTRIES[0]!.fromDay;

/** The latest leap second in the table, as a UTC date string, for messages and documentation. */
export const LEAP_SECOND_TABLE_END = '2017-01-01 (TAI−UTC = 37 s)';

function entryIndexForDay(dayNumber: number): number {
  if (dayNumber < FIRST_UTC_DAY) {
    throw meridianError(
      'INVALID_ARGUMENT',
      'UTC times before 1972-01-01 cannot be converted to TAI (TAI−UTC was not a whole number of seconds); ' +
        "give the time on the TAI scale instead, for example T'iso/1971-06-01 00:00:00/tai'",
      { firstUtcDate: '1972-01-01' },
    );
  }
  let index = 0;
  while (index + 1 < ENTRIES.length && ENTRIES[index + 1]!.fromDay <= dayNumber) index++;
  return index;
}

/** TAI−UTC in seconds during the given UTC day (including its leap second, if it has one). */
export function taiMinusUtcOnDay(dayNumber: number): number {
  return ENTRIES[entryIndexForDay(dayNumber)]!.taiMinusUtc;
}

/** True when the UTC day ends with an inserted leap second (23:59:60), i.e. the day has 86401 SI seconds. */
export function dayEndsWithLeapSecond(dayNumber: number): boolean {
  const index = entryIndexForDay(dayNumber);
  const next = ENTRIES[index + 1];
  return next !== undefined && next.fromDay === dayNumber + 1;
}

export { dateFromDayNumber, dayNumberFromDate, NS_PER_DAY, NS_PER_SECOND } from './calendar.js';
export { dayEndsWithLeapSecond, LEAP_SECOND_TABLE_END, taiMinusUtcOnDay } from './leapSeconds.js';
export { parseIsoTime, parseTimeLiteral, TIME_FORMATS, type TimeFormat } from './parseTime.js';
export { TIME_SCALES, type TimeScale } from './scales.js';
export { dateFromTai, formatTai, mjdTaiToNs, mjdToTai, nowTai, nsToMjdTai, taiFromDate } from './tai.js';
export {
  Timespan,
  type TimespanColumns,
  type TimespanJson,
  UNBOUNDED_BEGIN_NS,
  UNBOUNDED_END_NS,
} from './timespan.js';

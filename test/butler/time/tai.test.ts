import { describe, expect, it } from 'vitest';
import {
  dateFromDayNumber,
  dateFromTai,
  dayNumberFromDate,
  formatTai,
  mjdTaiToNs,
  nowTai,
  nsToMjdTai,
  parseTimeLiteral,
  taiFromDate,
  taiMinusUtcOnDay,
} from '../../../src/butler/time/index.js';

describe('calendar day numbers', () => {
  it.each([
    [{ year: 1970, month: 1, day: 1 }, 0],
    [{ year: 2000, month: 3, day: 1 }, 11_017],
    [{ year: 1969, month: 12, day: 31 }, -1],
    [{ year: 1, month: 1, day: 1 }, -719_162],
    [{ year: 2100, month: 3, day: 1 }, 47_541],
  ])('%j ↔ %i', (date, dayNumber) => {
    expect(dayNumberFromDate(date)).toBe(dayNumber);
    expect(dateFromDayNumber(dayNumber)).toEqual(date);
  });
});

describe('TAI−UTC table', () => {
  it.each([
    ['1972-01-01', 10],
    ['1972-06-30', 10],
    ['1972-07-01', 11],
    ['1980-01-06', 19], // GPS epoch: GPS = TAI − 19 s
    ['2016-12-31', 36],
    ['2017-01-01', 37],
    ['2030-01-01', 37],
  ])('%s: %i s', (date, offset) => {
    const [year, month, day] = date.split('-').map(Number) as [number, number, number];
    expect(taiMinusUtcOnDay(dayNumberFromDate({ year, month, day }))).toBe(offset);
  });
});

describe('formatTai', () => {
  it('writes ISO with nanoseconds on TAI and on UTC', () => {
    const ns = parseTimeLiteral('2020-03-30 12:20:33.123456789');
    expect(formatTai(ns)).toBe('2020-03-30T12:21:10.123456789');
    expect(formatTai(ns, 'utc')).toBe('2020-03-30T12:20:33.123456789');
  });

  it('shows the leap second as 23:59:60 on UTC', () => {
    expect(formatTai(1_483_228_836_500_000_000n, 'utc')).toBe('2016-12-31T23:59:60.500000000');
    expect(formatTai(1_483_228_836_999_999_999n, 'utc')).toBe('2016-12-31T23:59:60.999999999');
    expect(formatTai(1_483_228_837_000_000_000n, 'utc')).toBe('2017-01-01T00:00:00.000000000');
    expect(formatTai(1_483_228_835_999_999_999n, 'utc')).toBe('2016-12-31T23:59:59.999999999');
  });

  it('round-trips through parseTimeLiteral at ns precision on both scales', () => {
    for (const ns of [
      0n,
      1n,
      63_072_010_000_000_000n,
      1_483_228_836_123_456_789n,
      4_102_444_800_000_000_001n,
    ]) {
      expect(parseTimeLiteral(`${formatTai(ns)}/tai`)).toBe(ns);
      if (ns >= 63_072_010_000_000_000n) expect(parseTimeLiteral(formatTai(ns, 'utc'))).toBe(ns);
    }
  });

  it('formats times before 1970 on TAI and refuses UTC before 1972', () => {
    expect(formatTai(-1n)).toBe('1969-12-31T23:59:59.999999999');
    expect(() => formatTai(0n, 'utc')).toThrow(/before 1972/);
  });
});

describe('Date conversions', () => {
  it('taiFromDate adds TAI−UTC', () => {
    expect(taiFromDate(new Date('2017-01-01T00:00:00Z'))).toBe(1_483_228_837_000_000_000n);
    expect(taiFromDate(new Date('2020-03-30T12:20:33.123Z'))).toBe(1_585_570_870_123_000_000n);
  });

  it('dateFromTai inverts it, clamping the leap second to 23:59:59.999', () => {
    expect(dateFromTai(1_585_570_870_123_456_789n).toISOString()).toBe('2020-03-30T12:20:33.123Z');
    expect(dateFromTai(1_483_228_836_500_000_000n).toISOString()).toBe('2016-12-31T23:59:59.999Z');
  });

  it('rejects an invalid Date', () => {
    expect(() => taiFromDate(new Date('nope'))).toThrow(/Invalid Date/);
  });

  it('nowTai lies between two clock readings', () => {
    const before = taiFromDate(new Date());
    const now = nowTai();
    const after = taiFromDate(new Date());
    expect(now >= before && now <= after).toBe(true);
  });
});

describe('MJD', () => {
  it('mjdTaiToNs / nsToMjdTai', () => {
    expect(mjdTaiToNs(40_587)).toBe(0n);
    expect(mjdTaiToNs('58938.515')).toBe(1_585_570_896_000_000_000n);
    expect(mjdTaiToNs(58_938.515)).toBe(1_585_570_896_000_000_000n);
    expect(nsToMjdTai(1_585_570_896_000_000_000n)).toBeCloseTo(58_938.515, 9);
    expect(nsToMjdTai(-43_200_000_000_000n)).toBe(40_586.5);
  });
});

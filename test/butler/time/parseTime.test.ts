import { describe, expect, it } from 'vitest';
import { formatTai, parseIsoTime, parseTimeLiteral } from '../../../src/butler/time/index.js';
import type { MeridianError } from '../../../src/errors.js';

// Expected values were computed with astropy 6 (Time(...).tai minus Time('1970-01-01', scale='tai'), in ns); where
// astropy goes through a double the last few ns differ and the exact decimal value is used instead.
describe('parseTimeLiteral: guessed formats and default scales', () => {
  it.each([
    ['2020-03-30 12:20:33', 1_585_570_870_000_000_000n], // iso, utc
    ['2020-03-30T12:20:33', 1_585_570_870_000_000_000n], // isot, utc
    ['+2020-03-30T12:20:33', 1_585_570_870_000_000_000n], // fits, utc
    ['2020:090:12:20:33', 1_585_570_870_000_000_000n], // yday, utc
    ['58938.515', 1_585_570_896_000_000_000n], // mjd, tai
    ['2020-03-30 12:20', 1_585_570_837_000_000_000n], // hh:mm only
    ['2020-03-30', 1_585_526_437_000_000_000n], // date only
    ['1972-01-01 00:00:00', 63_072_010_000_000_000n], // first UTC day: TAI−UTC = 10 s
    ['1999-01-01T00:00:00', 915_148_832_000_000_000n],
    ['2023-11-14 22:13:20.123456789', 1_700_000_037_123_456_789n],
  ])('%s', (text, ns) => {
    expect(parseTimeLiteral(text)).toBe(ns);
  });
});

describe('parseTimeLiteral: explicit format and scale', () => {
  it.each([
    ['mjd/58938.515', 1_585_570_896_000_000_000n],
    ['mjd/58938.515/tai', 1_585_570_896_000_000_000n],
    ['58938.515/utc', 1_585_570_933_000_000_000n],
    ['MJD/58938.515/UTC', 1_585_570_933_000_000_000n],
    ['jd/2458938.5', 1_585_526_400_000_000_000n],
    ['iso/2020-03-30 12:20:33/tai', 1_585_570_833_000_000_000n],
    ['isot/2020-03-30T12:20:33/tt', 1_585_570_800_816_000_000n], // TT = TAI + 32.184 s
    ['2020-03-30 12:20:33/tt', 1_585_570_800_816_000_000n],
    ['fits/2020-03-30T12:20:33', 1_585_570_870_000_000_000n],
    ['yday/2020:090:12:20:33/tai', 1_585_570_833_000_000_000n],
    ['unix/1700000000', 1_700_000_037_000_000_000n],
    ['unix/1483228800', 1_483_228_837_000_000_000n],
    ['2020-03-30 12:20:33+00:00', 1_585_570_870_000_000_000n],
    ['cxcsec/63072064.184', 946_684_832_000_000_000n], // 2000-01-01T00:01:04.184 TT = 00:00:00 UTC
    ['+02020-03-30', 1_585_526_437_000_000_000n], // fits, signed five-digit year
    ['isot/2020-03-30', 1_585_526_437_000_000_000n],
    ['2020:123:12:20/tai', 1_588_422_000_000_000_000n], // day 123 of 2020 is May 2
  ])('%s', (text, ns) => {
    expect(parseTimeLiteral(text)).toBe(ns);
  });

  it('converts MJD strings exactly, without binary floating point', () => {
    // 0.000000000011574074 d = 1 µs to the ns; a double cannot hold 58938 + that to the ns.
    expect(parseTimeLiteral('mjd/58938.000000000011574074')).toBe(1_585_526_400_000_001_000n);
  });

  it('keeps nanosecond precision and rounds digits beyond the ninth', () => {
    expect(
      parseTimeLiteral('2020-01-01T00:00:00.000000001/tai') - parseTimeLiteral('2020-01-01T00:00:00/tai'),
    ).toBe(1n);
    expect(parseTimeLiteral('2020-01-01T00:00:00.0000000015/tai') % 10n).toBe(2n);
    expect(parseTimeLiteral('2020-01-01T00:00:00.1/tai') % 1_000_000_000n).toBe(100_000_000n);
  });
});

describe('leap seconds', () => {
  it('accepts 23:59:60 on a day that ends with a leap second and orders it correctly', () => {
    const before = parseTimeLiteral('2016-12-31 23:59:59.999999999');
    const leap = parseTimeLiteral('2016-12-31 23:59:60');
    const leapHalf = parseTimeLiteral('2016-12-31 23:59:60.5');
    const after = parseTimeLiteral('2017-01-01 00:00:00');
    expect(leap - before).toBe(1n);
    expect(leapHalf).toBe(1_483_228_836_500_000_000n);
    expect(after - leap).toBe(1_000_000_000n);
    expect(parseTimeLiteral('2015-06-30 23:59:60')).toBe(1_435_708_835_000_000_000n);
  });

  it('counts the leap second in elapsed time across the boundary', () => {
    const span = parseTimeLiteral('2017-01-01 00:00:00') - parseTimeLiteral('2016-12-31 23:59:59');
    expect(span).toBe(2_000_000_000n);
  });

  it('rejects 23:59:60 on other days and on the TAI scale', () => {
    expect(() => parseTimeLiteral('2016-06-30 23:59:60')).toThrow(/second 60/);
    expect(() => parseTimeLiteral('2016-12-31 23:59:60/tai')).toThrow(/second 60/);
    expect(() => parseTimeLiteral('2016-12-31 12:00:60')).toThrow(/second 60/);
  });

  it('maps a UTC MJD fraction onto the 86401-second day (quasi-JD, as ERFA)', () => {
    // 0.99999 × 86401 s = 86400.136 s: inside 23:59:60 (astropy: 2016-12-31 23:59:60.136).
    const ns = parseTimeLiteral('mjd/57753.99999/utc');
    expect(formatTai(ns, 'utc')).toBe('2016-12-31T23:59:60.135990000');
  });

  it('rejects UTC before 1972 but accepts the same calendar time on TAI', () => {
    const err = (() => {
      try {
        parseTimeLiteral('1971-12-31 23:59:59');
      } catch (e) {
        return e as MeridianError;
      }
      throw new Error('no error');
    })();
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.message).toMatch(/before 1972-01-01/);
    expect(parseTimeLiteral('iso/1970-01-01 00:00:00/tai')).toBe(0n);
    expect(parseTimeLiteral('1969-12-31 23:59:59/tai')).toBe(-1_000_000_000n);
  });
});

describe('invalid times', () => {
  it.each([
    ['2020-13-01', /month 13/],
    ['2021-02-29', /day 29 does not exist/],
    ['2020-01-01 24:00:00', /hour 24/],
    ['2020-01-01 12:60:00', /minute 60/],
    ['2020:367', /day of year 367/],
    ['yesterday', /cannot be guessed/],
    ['mjd/abc', /not a number/],
    ['xyz/58938', /unknown time format "xyz"/],
    ['58938.5/gps', /unknown time scale "gps"/],
    ['unix/1700000000/tai', /unix seconds/],
    ['isot/2020-03-30 12:00:00', /does not match the isot format/],
    ['a/b/c/d', /expected \[format\/\]value\[\/scale\]/],
    // upstream _parseTimeString failures
    ['', /cannot be guessed/],
    ['123.456e10', /cannot be guessed/],
    ['123.456/mai-tai', /unknown time scale/],
    ['2020-03-01 00', /does not match the iso format/],
    ['2020-03-01T', /does not match the isot format/],
    ['2020:100:12', /does not match the yday format/],
    ['cxcsec/1/utc', /cxcsec counts TT seconds/],
  ])('%s', (text, message) => {
    expect(() => parseTimeLiteral(text)).toThrow(message);
  });
});

describe('parseIsoTime', () => {
  it('reads ISO text on the given scale', () => {
    expect(parseIsoTime('2020-03-30T12:20:33', 'tai')).toBe(1_585_570_833_000_000_000n);
    expect(parseIsoTime('2020-03-30 12:20:33', 'utc')).toBe(1_585_570_870_000_000_000n);
  });
});

import { describe, expect, it } from 'vitest';
import { Timespan, UNBOUNDED_BEGIN_NS, UNBOUNDED_END_NS } from '../../../src/butler/time/index.js';
import type { MeridianError } from '../../../src/errors.js';

// Four instants a < b < c < d, one nanosecond apart at the edges to check precision.
const a = 1_000_000_000_000_000_000n;
const b = a + 1n;
const c = a + 2n;
const d = a + 3n;
const span = (begin: bigint | null, end: bigint | null) => new Timespan(begin, end);

describe('construction', () => {
  it('rejects end before begin with INVALID_ARGUMENT', () => {
    try {
      span(b, a);
      throw new Error('no error');
    } catch (err) {
      expect((err as MeridianError).code).toBe('INVALID_ARGUMENT');
    }
  });

  it('allows empty (begin == end) and unbounded sides', () => {
    expect(span(a, a).isEmpty).toBe(true);
    expect(span(null, null).isEmpty).toBe(false);
    expect(span(null, a).isEmpty).toBe(false);
    expect(Timespan.empty().isEmpty).toBe(true);
  });

  it('is frozen', () => {
    expect(Object.isFrozen(span(a, b))).toBe(true);
  });

  it('fromIso reads TAI by default, UTC on request', () => {
    const tai = Timespan.fromIso('2020-01-01T00:00:00', '2020-01-02');
    expect(tai.begin).toBe(1_577_836_800_000_000_000n);
    expect(tai.end).toBe(1_577_923_200_000_000_000n);
    const utc = Timespan.fromIso('2020-01-01T00:00:00', null, 'utc');
    expect(utc.begin).toBe(1_577_836_837_000_000_000n);
    expect(utc.end).toBeNull();
  });
});

describe('overlaps truth table (half-open)', () => {
  it.each([
    ['[a,b) vs [b,c): touching ends do not overlap', span(a, b), span(b, c), false],
    ['[a,c) vs [b,d): partial overlap', span(a, c), span(b, d), true],
    ['[a,d) vs [b,c): containment', span(a, d), span(b, c), true],
    ['[a,b) vs [c,d): disjoint', span(a, b), span(c, d), false],
    ['[a,b) vs itself', span(a, b), span(a, b), true],
    ['(-∞,∞) vs [a,b)', span(null, null), span(a, b), true],
    ['(-∞,∞) vs (-∞,∞)', span(null, null), span(null, null), true],
    ['(-∞,b) vs [b,∞): touching', span(null, b), span(b, null), false],
    ['(-∞,c) vs [b,∞)', span(null, c), span(b, null), true],
    ['(-∞,a) vs (-∞,b)', span(null, a), span(null, b), true],
    ['[a,a) empty vs [a,d)', span(a, a), span(a, d), false],
    ['[b,b) empty inside [a,d)', span(b, b), span(a, d), false],
    ['empty vs (-∞,∞)', span(b, b), span(null, null), false],
    ['empty vs itself', span(b, b), span(b, b), false],
  ])('%s', (_name, x, y, expected) => {
    expect(x.overlaps(y)).toBe(expected);
    expect(y.overlaps(x)).toBe(expected);
  });
});

describe('contains', () => {
  it('includes begin, excludes end, to the nanosecond', () => {
    const s = span(b, c);
    expect([s.contains(a), s.contains(b), s.contains(c)]).toEqual([false, true, false]);
  });

  it('handles unbounded sides', () => {
    expect(span(null, b).contains(UNBOUNDED_BEGIN_NS)).toBe(true);
    expect(span(null, b).contains(b)).toBe(false);
    expect(span(b, null).contains(UNBOUNDED_END_NS)).toBe(true);
  });

  it('an empty timespan contains nothing', () => {
    expect(span(b, b).contains(b)).toBe(false);
  });
});

describe('union and intersection', () => {
  it('union is the hull of both, gap included', () => {
    expect(span(a, b).union(span(c, d)).toJSON()).toEqual(span(a, d).toJSON());
    expect(span(null, b).union(span(a, c)).toJSON()).toEqual(span(null, c).toJSON());
    expect(span(a, b).union(span(c, null)).toJSON()).toEqual(span(a, null).toJSON());
  });

  it('an empty timespan is the identity of union', () => {
    expect(span(a, b).union(span(d, d)).equals(span(a, b))).toBe(true);
    expect(span(d, d).union(span(a, b)).equals(span(a, b))).toBe(true);
  });

  it('intersection of overlapping spans', () => {
    expect(span(a, c).intersection(span(b, d)).toJSON()).toEqual(span(b, c).toJSON());
    expect(span(null, c).intersection(span(b, null)).toJSON()).toEqual(span(b, c).toJSON());
    expect(span(null, null).intersection(span(a, b)).toJSON()).toEqual(span(a, b).toJSON());
  });

  it('intersection of disjoint or touching spans is empty', () => {
    expect(span(a, b).intersection(span(c, d)).isEmpty).toBe(true);
    expect(span(a, b).intersection(span(b, c)).isEmpty).toBe(true);
  });

  it('all empty timespans are equal; others compare by bounds', () => {
    expect(span(a, a).equals(span(d, d))).toBe(true);
    expect(span(a, b).equals(span(a, b))).toBe(true);
    expect(span(a, b).equals(span(a, c))).toBe(false);
    expect(span(null, b).equals(span(a, b))).toBe(false);
  });
});

describe('serialisation', () => {
  it('toJSON writes decimal strings and null, and fromJSON reads them back', () => {
    const s = span(a, null);
    expect(JSON.stringify(s)).toBe('{"begin":"1000000000000000000","end":null}');
    const back = Timespan.fromJSON(JSON.parse(JSON.stringify(s)));
    expect(back.begin).toBe(a);
    expect(back.end).toBeNull();
  });

  it('fromJSON rejects non-integer strings', () => {
    expect(() => Timespan.fromJSON({ begin: '1.5', end: null })).toThrow(/decimal string/);
  });

  it('columns: two nullable BIGINT values', () => {
    expect(span(null, c).toColumns()).toEqual({ timespan_begin: null, timespan_end: c });
    expect(Timespan.fromColumns({ timespan_begin: a, timespan_end: null }).equals(span(a, null))).toBe(true);
  });

  it('toString is readable', () => {
    expect(span(0n, null).toString()).toBe('[1970-01-01T00:00:00.000000000, +∞) TAI');
  });
});

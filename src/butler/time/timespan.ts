import { meridianError } from '../../errors.js';
import { parseIsoTime } from './parseTime.js';
import type { TimeScale } from './scales.js';
import { formatTai } from './tai.js';

/**
 * Smallest and largest int64 values. Not butler times themselves: they stand in for an unbounded begin/end where a
 * comparison needs a number, e.g. `COALESCE(timespan_end, 9223372036854775807)` in SQL.
 */
export const UNBOUNDED_BEGIN_NS = -(2n ** 63n);
export const UNBOUNDED_END_NS = 2n ** 63n - 1n;

/** The two BIGINT columns a timespan is stored in; NULL means unbounded on that side. */
export interface TimespanColumns {
  readonly timespan_begin: bigint | null;
  readonly timespan_end: bigint | null;
}

/** JSON form: decimal strings of TAI nanoseconds (bigint is not JSON-safe), null for unbounded. */
export interface TimespanJson {
  readonly begin: string | null;
  readonly end: string | null;
}

/**
 * A half-open interval `[begin, end)` of butler times (TAI ns), as daf_butler's `Timespan`. `null` on either side
 * means unbounded. `begin == end` is an empty timespan: legal, contains nothing and overlaps nothing; all empty
 * timespans are equal to each other.
 */
export class Timespan {
  readonly begin: bigint | null;
  readonly end: bigint | null;

  constructor(begin: bigint | null, end: bigint | null) {
    if (begin !== null && end !== null && end < begin) {
      throw meridianError('INVALID_ARGUMENT', `Timespan end (${end}) is before its begin (${begin})`, {
        begin: String(begin),
        end: String(end),
      });
    }
    this.begin = begin;
    this.end = end;
    Object.freeze(this);
  }

  /** The timespan containing every time. */
  static unbounded(): Timespan {
    return new Timespan(null, null);
  }

  /** An empty timespan (at the butler time origin; where an empty timespan sits has no meaning). */
  static empty(): Timespan {
    return new Timespan(0n, 0n);
  }

  /** Build from ISO 8601 strings (`2020-03-30T12:20:33.5`, or a date alone) on `scale`; null for unbounded. */
  static fromIso(begin: string | null, end: string | null, scale: TimeScale = 'tai'): Timespan {
    return new Timespan(
      begin === null ? null : parseIsoTime(begin, scale),
      end === null ? null : parseIsoTime(end, scale),
    );
  }

  static fromJSON(json: TimespanJson): Timespan {
    return new Timespan(nsFromJson(json.begin, 'begin'), nsFromJson(json.end, 'end'));
  }

  static fromColumns(columns: TimespanColumns): Timespan {
    return new Timespan(columns.timespan_begin, columns.timespan_end);
  }

  get isEmpty(): boolean {
    return this.begin !== null && this.begin === this.end;
  }

  /** True when `t` is in `[begin, end)`. */
  contains(t: bigint): boolean {
    return (this.begin === null || this.begin <= t) && (this.end === null || t < this.end);
  }

  /** True when the two timespans share at least one instant (never for an empty timespan). */
  overlaps(other: Timespan): boolean {
    if (this.isEmpty || other.isEmpty) return false;
    return beginOf(this) < endOf(other) && beginOf(other) < endOf(this);
  }

  /**
   * The smallest timespan containing both (daf_butler's `union`); it also covers any gap between them. An empty
   * timespan contributes nothing.
   */
  union(other: Timespan): Timespan {
    if (this.isEmpty) return other;
    if (other.isEmpty) return this;
    const begin = this.begin === null || other.begin === null ? null : min(this.begin, other.begin);
    const end = this.end === null || other.end === null ? null : max(this.end, other.end);
    return new Timespan(begin, end);
  }

  /** The instants in both; empty when they do not overlap. */
  intersection(other: Timespan): Timespan {
    if (!this.overlaps(other)) return Timespan.empty();
    const begin =
      this.begin === null ? other.begin : other.begin === null ? this.begin : max(this.begin, other.begin);
    const end = this.end === null ? other.end : other.end === null ? this.end : min(this.end, other.end);
    return new Timespan(begin, end);
  }

  equals(other: Timespan): boolean {
    if (this.isEmpty || other.isEmpty) return this.isEmpty && other.isEmpty;
    return this.begin === other.begin && this.end === other.end;
  }

  toJSON(): TimespanJson {
    return {
      begin: this.begin === null ? null : String(this.begin),
      end: this.end === null ? null : String(this.end),
    };
  }

  toColumns(): TimespanColumns {
    return { timespan_begin: this.begin, timespan_end: this.end };
  }

  /** Human-readable `[2020-01-01T00:00:00.000000000, 2020-01-02T00:00:00.000000000) TAI`, `-∞`/`+∞` if unbounded. */
  toString(): string {
    const begin = this.begin === null ? '-∞' : formatTai(this.begin);
    const end = this.end === null ? '+∞' : formatTai(this.end);
    return `[${begin}, ${end}) TAI`;
  }
}

function beginOf(span: Timespan): bigint {
  return span.begin ?? UNBOUNDED_BEGIN_NS;
}

function endOf(span: Timespan): bigint {
  return span.end ?? UNBOUNDED_END_NS;
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

function max(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

function nsFromJson(value: string | null, side: string): bigint | null {
  if (value === null) return null;
  if (typeof value !== 'string' || !/^-?\d+$/.test(value)) {
    throw meridianError(
      'INVALID_ARGUMENT',
      `Timespan ${side} must be a decimal string of TAI nanoseconds or null`,
      {
        [side]: value,
      },
    );
  }
  return BigInt(value);
}

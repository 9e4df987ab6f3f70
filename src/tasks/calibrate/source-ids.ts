/**
 * Ids of detector-visits and of the sources measured on them (the DRP contract): `ccdVisitId = visit * 1000 +
 * detector` and `sourceId = ccdVisitId * 2^32 + i`, i the 0-based row in the detector's src catalog.
 *
 * That sourceId fits in a signed 64-bit integer only while ccdVisitId < 2^31, i.e. for visits below about two
 * million (DP0.2's and the simulated catalogs' visits). The simulated camera numbers its exposures as Rubin does,
 * `dayObs * 100000 + seqNum` (about 2·10^12), whose ccdVisitIds (~2·10^15) leave only 12 bits for the row. For
 * those we pack the visit compactly instead, as Rubin's own id packers do: days since 2020-01-01 instead of the
 * date, and tag the id with bit 62 so the two layouts never collide:
 *
 *   ccdVisitId < 2^30:  sourceId = ccdVisitId · 2^32 + i                         (i < 2^32; ids < 2^62)
 *   otherwise:          sourceId = 2^62 + ((days · 10^5 + seqNum) · 1000 + detector) · 2^23 + i   (i < 2^23)
 *
 * The compact layout covers day_obs 2020-01-01 to 2035-01-19 and 8,388,608 sources per detector.
 */
import { meridianError } from '../../errors.js';

/** ccdVisitId = visit · CCD_VISIT_FACTOR + detector (the focal plane has at most 189 detectors). */
export const CCD_VISIT_FACTOR = 1000;
const STANDARD_INDEX_BITS = 32n;
const STANDARD_MAX_CCD_VISIT = 2n ** 30n;
const COMPACT_TAG = 2n ** 62n;
const COMPACT_INDEX_BITS = 23n;
const COMPACT_MAX_CCD_VISIT = 2n ** 39n;
const SEQ_FACTOR = 100_000;
const EPOCH_MS = Date.UTC(2020, 0, 1);
const DAY_MS = 86_400_000;

/** visit · 1000 + detector, as a number (exact: below 2^53 for every visit id Meridian makes). */
export function ccdVisitIdOf(visit: number, detector: number): number {
  if (
    !Number.isSafeInteger(visit) ||
    visit < 0 ||
    !Number.isInteger(detector) ||
    detector < 0 ||
    detector >= 1000
  ) {
    throw meridianError('INVALID_ARGUMENT', `no ccdVisitId for visit ${visit} detector ${detector}`);
  }
  const id = visit * CCD_VISIT_FACTOR + detector;
  if (!Number.isSafeInteger(id)) {
    throw meridianError('INVALID_ARGUMENT', `visit ${visit} is too large for a ccdVisitId`);
  }
  return id;
}

/** Days since 2020-01-01 of a YYYYMMDD day_obs, or null when it is not a valid date from then on. */
function daysSinceEpoch(dayObs: number): number | null {
  const year = Math.floor(dayObs / 10_000);
  const month = Math.floor(dayObs / 100) % 100;
  const day = dayObs % 100;
  const ms = Date.UTC(year, month - 1, day);
  const date = new Date(ms);
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day)
    return null;
  return ms < EPOCH_MS ? null : Math.round((ms - EPOCH_MS) / DAY_MS);
}

/** The packed ccdVisit of the compact layout, or null when the visit is not `dayObs · 10^5 + seqNum`. */
function compactCcdVisit(ccdVisitId: number): bigint | null {
  const detector = ccdVisitId % CCD_VISIT_FACTOR;
  const visit = Math.floor(ccdVisitId / CCD_VISIT_FACTOR);
  const days = daysSinceEpoch(Math.floor(visit / SEQ_FACTOR));
  if (days === null) return null;
  const packed = (BigInt(days) * BigInt(SEQ_FACTOR) + BigInt(visit % SEQ_FACTOR)) * 1000n + BigInt(detector);
  return packed < COMPACT_MAX_CCD_VISIT ? packed : null;
}

/** A function giving the sourceId of row i of a detector-visit's catalog (see the module comment). */
export function sourceIdMaker(ccdVisitId: number): (index: number) => bigint {
  const ccd = BigInt(ccdVisitId);
  if (ccd < STANDARD_MAX_CCD_VISIT) {
    const base = ccd << STANDARD_INDEX_BITS;
    return (index) => base + BigInt(checkedIndex(index, STANDARD_INDEX_BITS));
  }
  const packed = compactCcdVisit(ccdVisitId);
  if (packed === null) {
    throw meridianError(
      'INVALID_ARGUMENT',
      `ccdVisitId ${ccdVisitId} is too large for a 64-bit sourceId and its visit is not dayObs * 100000 + seqNum (2020-2035)`,
    );
  }
  const base = COMPACT_TAG + (packed << COMPACT_INDEX_BITS);
  return (index) => base + BigInt(checkedIndex(index, COMPACT_INDEX_BITS));
}

function checkedIndex(index: number, bits: bigint): number {
  if (!Number.isInteger(index) || index < 0 || BigInt(index) >= 1n << bits) {
    throw meridianError(
      'INVALID_ARGUMENT',
      `source index ${index} does not fit the ${bits}-bit row field of a sourceId`,
    );
  }
  return index;
}

/** The ccdVisitId and row of a sourceId made by `sourceIdMaker` (its inverse). */
export function decodeSourceId(sourceId: bigint): { ccdVisitId: number; index: number } {
  if (sourceId < 0n || sourceId >= 2n ** 63n) {
    throw meridianError('INVALID_ARGUMENT', `${sourceId} is not a 64-bit sourceId`);
  }
  if (sourceId < COMPACT_TAG) {
    return {
      ccdVisitId: Number(sourceId >> STANDARD_INDEX_BITS),
      index: Number(sourceId & ((1n << STANDARD_INDEX_BITS) - 1n)),
    };
  }
  const rest = sourceId - COMPACT_TAG;
  const packed = Number(rest >> COMPACT_INDEX_BITS);
  const detector = packed % 1000;
  const compactVisit = Math.floor(packed / 1000);
  const days = Math.floor(compactVisit / SEQ_FACTOR);
  const date = new Date(EPOCH_MS + days * DAY_MS);
  const dayObs = date.getUTCFullYear() * 10_000 + (date.getUTCMonth() + 1) * 100 + date.getUTCDate();
  const visit = dayObs * SEQ_FACTOR + (compactVisit % SEQ_FACTOR);
  return {
    ccdVisitId: visit * CCD_VISIT_FACTOR + detector,
    index: Number(rest & ((1n << COMPACT_INDEX_BITS) - 1n)),
  };
}

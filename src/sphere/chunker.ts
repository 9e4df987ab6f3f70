/**
 * Qserv-style partitioning of the sphere into chunks and sub-chunks (facts: shared/reference/qserv_tap.md §1.1,
 * from lsst/qserv doc/ingest/data/partitioning.rst and src/partition/Chunker.cc; the code here is our own).
 *
 * Stripes of height H = 180/numStripes, numbered from the south; each stripe is cut into chunks of equal
 * longitude width, as many as fit while points in the stripe separated by a chunk width stay ≥ H apart
 * (`segments`). Sub-stripes and sub-chunks repeat this within a chunk.
 * chunkId = 2·numStripes·stripe + chunk; subChunkId = maxSubChunksPerChunk·subStripeInStripe + subChunk.
 */
import { meridianError } from '../errors.js';
import { normalizeLonDeg } from './angle.js';
import { Box, maxLonOffsetDeg } from './box.js';
import { boxDistanceRangeRad } from './edges.js';
import type { Region } from './region.js';
import { DISJOINT } from './relationship.js';
import { UnitVector3 } from './vector.js';

const ARCSEC = 1 / 3600;

/**
 * Number of equal longitude segments for a latitude band [latMin, latMax] such that two points on its most polar
 * latitude φ, one segment apart in longitude, are at least `width` degrees apart. From the spherical law of
 * cosines, cos d = sin²φ + cos²φ cos Δλ, so the segment must be Δλ ≥ acos((cos w − sin²φ) / cos²φ).
 */
export function segments(latMinDeg: number, latMaxDeg: number, widthDeg: number): number {
  const lat = Math.max(Math.abs(latMinDeg), Math.abs(latMaxDeg));
  if (lat > 90 - ARCSEC) return 1;
  if (widthDeg >= 180) return 1;
  const w = Math.max(widthDeg, ARCSEC);
  const phi = (lat * Math.PI) / 180;
  const sinPhi = Math.sin(phi);
  const cos2 = Math.cos(phi) ** 2;
  const cosDLon = (Math.cos((w * Math.PI) / 180) - sinPhi * sinPhi) / cos2;
  const dLon = Math.acos(Math.max(-1, Math.min(1, cosDLon)));
  if (!(dLon > 0)) return 1;
  return Math.max(1, Math.floor((2 * Math.PI) / dLon));
}

export interface ChunkLocation {
  readonly chunkId: number;
  readonly subChunkId: number;
}

/** One sub-stripe of a partitioning, as `Chunker.subStripeLayout()` lists it. */
export interface SubStripeLayout {
  /** Global sub-stripe index, 0 = southernmost. */
  readonly subStripe: number;
  readonly stripe: number;
  /** Chunks in the sub-stripe's stripe. */
  readonly chunks: number;
  readonly subChunksPerChunk: number;
  /** Latitude edges exactly as `subChunkBox` computes them. */
  readonly latMinDeg: number;
  readonly latMaxDeg: number;
}

export class Chunker {
  readonly numStripes: number;
  readonly numSubStripesPerStripe: number;
  readonly overlapDeg: number;
  readonly stripeHeightDeg: number;
  readonly subStripeHeightDeg: number;
  /** Largest number of sub-chunks per sub-stripe in any chunk (the subChunkId stride). */
  readonly maxSubChunksPerChunk: number;
  private readonly chunksPerStripe: number[];
  /** Per global sub-stripe: sub-chunks per chunk along it. */
  private readonly subChunksPerChunk: number[];

  /**
   * Validation as Qserv's: ≥ 1 stripe and sub-stripe, overlap in [0, 10]°, overlap ≤ the sub-stripe height, and
   * overlap ≤ every sub-chunk width measured as a longitude offset at the sub-stripe's most polar latitude.
   */
  constructor(numStripes: number, numSubStripesPerStripe: number, overlapDeg: number) {
    const bad = (msg: string) =>
      meridianError('GEOMETRY_INVALID', msg, { numStripes, numSubStripesPerStripe, overlapDeg });
    if (!Number.isInteger(numStripes) || numStripes < 1) throw bad(`numStripes must be an integer >= 1`);
    if (!Number.isInteger(numSubStripesPerStripe) || numSubStripesPerStripe < 1) {
      throw bad(`numSubStripesPerStripe must be an integer >= 1`);
    }
    if (!(overlapDeg >= 0 && overlapDeg <= 10))
      throw bad(`overlap must be in [0, 10] degrees, got ${overlapDeg}`);
    this.numStripes = numStripes;
    this.numSubStripesPerStripe = numSubStripesPerStripe;
    this.overlapDeg = overlapDeg;
    this.stripeHeightDeg = 180 / numStripes;
    const numSubStripes = numStripes * numSubStripesPerStripe;
    this.subStripeHeightDeg = 180 / numSubStripes;
    if (overlapDeg > this.subStripeHeightDeg) {
      throw bad(
        `the overlap radius ${overlapDeg}° is greater than the sub-stripe height ${this.subStripeHeightDeg}°`,
      );
    }
    this.chunksPerStripe = [];
    this.subChunksPerChunk = [];
    let maxSub = 0;
    for (let s = 0; s < numStripes; s++) {
      const nChunks = segments(this.stripeLatMin(s), this.stripeLatMax(s), this.stripeHeightDeg);
      this.chunksPerStripe.push(nChunks);
      for (let j = 0; j < numSubStripesPerStripe; j++) {
        const ss = s * numSubStripesPerStripe + j;
        const latMin = this.subStripeLatMin(ss);
        const latMax = this.subStripeLatMax(ss);
        const nSub = Math.max(1, Math.floor(segments(latMin, latMax, this.subStripeHeightDeg) / nChunks));
        this.subChunksPerChunk.push(nSub);
        maxSub = Math.max(maxSub, nSub);
        const subChunkWidth = 360 / (nSub * nChunks);
        const alpha = maxLonOffsetDeg(overlapDeg, Math.max(Math.abs(latMin), Math.abs(latMax)));
        if (alpha > subChunkWidth) {
          throw bad(
            `the overlap radius ${overlapDeg}° is greater than the sub-chunk width in sub-stripe ${ss}`,
          );
        }
      }
    }
    this.maxSubChunksPerChunk = maxSub;
    Object.freeze(this);
  }

  private stripeLatMin(stripe: number): number {
    return stripe * this.stripeHeightDeg - 90;
  }

  private stripeLatMax(stripe: number): number {
    return stripe === this.numStripes - 1 ? 90 : (stripe + 1) * this.stripeHeightDeg - 90;
  }

  /** Number of chunks in a stripe (0 = southernmost). */
  chunksInStripe(stripe: number): number {
    return this.chunksPerStripe[stripe];
  }

  /**
   * Every sub-stripe, south to north, for code that partitions outside this class (vectorised SQL at ingest) and
   * must reproduce its grid.
   */
  subStripeLayout(): SubStripeLayout[] {
    const out: SubStripeLayout[] = [];
    for (let ss = 0; ss < this.subChunksPerChunk.length; ss++) {
      const stripe = Math.floor(ss / this.numSubStripesPerStripe);
      out.push({
        subStripe: ss,
        stripe,
        chunks: this.chunksPerStripe[stripe],
        subChunksPerChunk: this.subChunksPerChunk[ss],
        latMinDeg: this.subStripeLatMin(ss),
        latMaxDeg: this.subStripeLatMax(ss),
      });
    }
    return out;
  }

  private stripeOf(decDeg: number): number {
    return Math.min(this.numStripes - 1, Math.max(0, Math.floor((decDeg + 90) / this.stripeHeightDeg)));
  }

  private subStripeOf(decDeg: number): number {
    const n = this.numStripes * this.numSubStripesPerStripe;
    return Math.min(n - 1, Math.max(0, Math.floor((decDeg + 90) / this.subStripeHeightDeg)));
  }

  /** The chunk and sub-chunk of a position (ra any value, dec in [-90, 90]). */
  locate(raDeg: number, decDeg: number): ChunkLocation {
    if (!Number.isFinite(raDeg) || !(decDeg >= -90 && decDeg <= 90)) {
      throw meridianError('GEOMETRY_INVALID', `invalid position ra=${raDeg} dec=${decDeg}`, {
        raDeg,
        decDeg,
      });
    }
    const ra = normalizeLonDeg(raDeg);
    // Arithmetic first, then a correction step so that the (closed) boxes from chunkBox/subChunkBox, whose edges
    // are computed by multiplication, always contain the point despite rounding.
    let stripe = this.stripeOf(decDeg);
    if (decDeg < this.stripeLatMin(stripe) && stripe > 0) stripe--;
    else if (decDeg > this.stripeLatMax(stripe) && stripe < this.numStripes - 1) stripe++;
    const nChunks = this.chunksPerStripe[stripe];
    let chunk = segmentOf(ra, nChunks);
    const base = 2 * this.numStripes * stripe;
    // A point on a chunk edge must land in a chunk whose box (edges rounded differently) contains it.
    if (!this.chunkBox(base + chunk).containsLon(ra)) {
      for (const c of [chunk - 1, chunk + 1, (chunk + 1) % nChunks, (chunk - 1 + nChunks) % nChunks]) {
        if (c >= 0 && c < nChunks && this.chunkBox(base + c).containsLon(ra)) {
          chunk = c;
          break;
        }
      }
    }
    const nsps = this.numSubStripesPerStripe;
    let subStripe = Math.min(stripe * nsps + nsps - 1, Math.max(stripe * nsps, this.subStripeOf(decDeg)));
    if (decDeg < this.subStripeLatMin(subStripe) && subStripe > stripe * nsps) subStripe--;
    else if (decDeg > this.subStripeLatMax(subStripe) && subStripe < stripe * nsps + nsps - 1) subStripe++;
    const nSub = this.subChunksPerChunk[subStripe];
    const subRow = this.maxSubChunksPerChunk * (subStripe - stripe * nsps);
    let subChunk = Math.min(nSub - 1, Math.max(0, segmentOf(ra, nChunks * nSub) - chunk * nSub));
    if (!this.subChunkBox(base + chunk, subRow + subChunk).containsLon(ra)) {
      for (const sc of [subChunk - 1, subChunk + 1]) {
        if (sc >= 0 && sc < nSub && this.subChunkBox(base + chunk, subRow + sc).containsLon(ra)) {
          subChunk = sc;
          break;
        }
      }
    }
    return { chunkId: base + chunk, subChunkId: subRow + subChunk };
  }

  // Sub-stripe edges that coincide with stripe edges take the stripe's value, so sub-chunk boxes nest exactly.
  private subStripeLatMin(ss: number): number {
    const nsps = this.numSubStripesPerStripe;
    return ss % nsps === 0 ? this.stripeLatMin(ss / nsps) : ss * this.subStripeHeightDeg - 90;
  }

  private subStripeLatMax(ss: number): number {
    const nsps = this.numSubStripesPerStripe;
    return (ss + 1) % nsps === 0
      ? this.stripeLatMax((ss + 1) / nsps - 1)
      : (ss + 1) * this.subStripeHeightDeg - 90;
  }

  private decodeChunk(chunkId: number): { stripe: number; chunk: number } {
    const stripe = Math.floor(chunkId / (2 * this.numStripes));
    const chunk = chunkId - stripe * 2 * this.numStripes;
    if (
      !Number.isInteger(chunkId) ||
      stripe < 0 ||
      stripe >= this.numStripes ||
      chunk >= this.chunksPerStripe[stripe]
    ) {
      throw meridianError('GEOMETRY_INVALID', `${chunkId} is not a valid chunk id for ${this.describe()}`, {
        chunkId,
      });
    }
    return { stripe, chunk };
  }

  isValidChunkId(chunkId: number): boolean {
    if (!Number.isInteger(chunkId) || chunkId < 0) return false;
    const stripe = Math.floor(chunkId / (2 * this.numStripes));
    return stripe < this.numStripes && chunkId - stripe * 2 * this.numStripes < this.chunksPerStripe[stripe];
  }

  chunkBox(chunkId: number): Box {
    const { stripe, chunk } = this.decodeChunk(chunkId);
    const width = 360 / this.chunksPerStripe[stripe];
    const lonMax = chunk === this.chunksPerStripe[stripe] - 1 ? 360 : (chunk + 1) * width;
    return Box.fromDegrees(chunk * width, this.stripeLatMin(stripe), lonMax, this.stripeLatMax(stripe));
  }

  subChunkBox(chunkId: number, subChunkId: number): Box {
    const { stripe, chunk } = this.decodeChunk(chunkId);
    const subStripeInStripe = Math.floor(subChunkId / this.maxSubChunksPerChunk);
    const subChunk = subChunkId - subStripeInStripe * this.maxSubChunksPerChunk;
    const ss = stripe * this.numSubStripesPerStripe + subStripeInStripe;
    if (
      !Number.isInteger(subChunkId) ||
      subChunkId < 0 ||
      subStripeInStripe >= this.numSubStripesPerStripe ||
      subChunk >= this.subChunksPerChunk[ss]
    ) {
      throw meridianError(
        'GEOMETRY_INVALID',
        `${subChunkId} is not a valid sub-chunk id of chunk ${chunkId}`,
        {
          chunkId,
          subChunkId,
        },
      );
    }
    const nChunks = this.chunksPerStripe[stripe];
    const nSub = this.subChunksPerChunk[ss];
    const width = 360 / (nChunks * nSub);
    const first = chunk * nSub + subChunk;
    // Edges shared with the chunk take the chunk's value, so sub-chunk boxes nest exactly.
    const chunkWidth = 360 / nChunks;
    const lonMin = subChunk === 0 ? chunk * chunkWidth : first * width;
    const lonMax =
      subChunk === nSub - 1 ? (chunk === nChunks - 1 ? 360 : (chunk + 1) * chunkWidth) : (first + 1) * width;
    return Box.fromDegrees(lonMin, this.subStripeLatMin(ss), lonMax, this.subStripeLatMax(ss));
  }

  /** Sub-chunk ids of a chunk, in order. */
  subChunks(chunkId: number): number[] {
    const { stripe } = this.decodeChunk(chunkId);
    const out: number[] = [];
    for (let j = 0; j < this.numSubStripesPerStripe; j++) {
      const nSub = this.subChunksPerChunk[stripe * this.numSubStripesPerStripe + j];
      for (let k = 0; k < nSub; k++) out.push(j * this.maxSubChunksPerChunk + k);
    }
    return out;
  }

  /** Every chunk id, in increasing order. */
  allChunks(): number[] {
    const out: number[] = [];
    for (let s = 0; s < this.numStripes; s++) {
      for (let c = 0; c < this.chunksPerStripe[s]; c++) out.push(2 * this.numStripes * s + c);
    }
    return out;
  }

  /** Chunks whose box, dilated by `marginDeg`, may intersect the region (conservative superset), sorted. */
  chunksIntersecting(region: Region, marginDeg = 0): number[] {
    if (!(marginDeg >= 0)) {
      throw meridianError('GEOMETRY_INVALID', `margin must be >= 0, got ${marginDeg}`, { marginDeg });
    }
    const bbox = region.boundingBox().dilatedBy(marginDeg);
    const out: number[] = [];
    const sMin = this.stripeOf(bbox.latMinDeg);
    const sMax = this.stripeOf(bbox.latMaxDeg);
    for (let s = sMin; s <= sMax; s++) {
      const n = this.chunksPerStripe[s];
      for (const c of chunkRangeForLon(bbox, n)) {
        const id = 2 * this.numStripes * s + c;
        const box = this.chunkBox(id).dilatedBy(marginDeg);
        if (!(box.relate(region) & DISJOINT)) out.push(id);
      }
    }
    return out.sort((a, b) => a - b);
  }

  /**
   * Chunks other than the point's own whose overlap zone holds the point: the point is within overlapDeg
   * (great-circle distance) of the chunk's box. Qserv's partitioner stores a slightly larger halo (a box dilated in
   * longitude at its polar edge); this exact definition is the subset that near-neighbour joins need.
   */
  overlapChunks(raDeg: number, decDeg: number): number[] {
    const home = this.locate(raDeg, decDeg).chunkId;
    if (this.overlapDeg === 0) return [];
    const p = UnitVector3.fromLonLat(raDeg, decDeg);
    const limit = (this.overlapDeg * Math.PI) / 180;
    const near = Box.fromDegrees(raDeg, decDeg, raDeg, decDeg).dilatedBy(this.overlapDeg);
    const out: number[] = [];
    for (let s = this.stripeOf(near.latMinDeg); s <= this.stripeOf(near.latMaxDeg); s++) {
      for (const c of chunkRangeForLon(near, this.chunksPerStripe[s])) {
        const id = 2 * this.numStripes * s + c;
        if (id === home) continue;
        if (boxDistanceRangeRad(p, this.chunkBox(id)).min <= limit) out.push(id);
      }
    }
    return out.sort((a, b) => a - b);
  }

  /** Same for sub-chunks: every (chunk, sub-chunk) other than the point's own within overlapDeg of the point. */
  overlapSubChunks(raDeg: number, decDeg: number): ChunkLocation[] {
    const home = this.locate(raDeg, decDeg);
    if (this.overlapDeg === 0) return [];
    const p = UnitVector3.fromLonLat(raDeg, decDeg);
    const limit = (this.overlapDeg * Math.PI) / 180;
    const near = Box.fromDegrees(raDeg, decDeg, raDeg, decDeg).dilatedBy(this.overlapDeg);
    const out: ChunkLocation[] = [];
    const numSubStripes = this.numStripes * this.numSubStripesPerStripe;
    const ssMin = this.subStripeOf(near.latMinDeg);
    const ssMax = this.subStripeOf(near.latMaxDeg);
    for (let ss = ssMin; ss <= Math.min(ssMax, numSubStripes - 1); ss++) {
      const stripe = Math.floor(ss / this.numSubStripesPerStripe);
      const nChunks = this.chunksPerStripe[stripe];
      const nSub = this.subChunksPerChunk[ss];
      for (const g of chunkRangeForLon(near, nChunks * nSub)) {
        const chunk = Math.floor(g / nSub);
        const loc = {
          chunkId: 2 * this.numStripes * stripe + chunk,
          subChunkId:
            this.maxSubChunksPerChunk * (ss - stripe * this.numSubStripesPerStripe) + (g - chunk * nSub),
        };
        if (loc.chunkId === home.chunkId && loc.subChunkId === home.subChunkId) continue;
        if (boxDistanceRangeRad(p, this.subChunkBox(loc.chunkId, loc.subChunkId)).min <= limit) out.push(loc);
      }
    }
    return out.sort((a, b) => a.chunkId - b.chunkId || a.subChunkId - b.subChunkId);
  }

  private describe(): string {
    return `Chunker(${this.numStripes}, ${this.numSubStripesPerStripe}, ${this.overlapDeg})`;
  }
}

/**
 * Index of the segment of n equal longitude segments holding ra ∈ [0, 360), consistent with the segment edges
 * k · (360 / n) that the box methods compute.
 */
function segmentOf(ra: number, n: number): number {
  const width = 360 / n;
  let k = Math.min(n - 1, Math.floor((ra * n) / 360));
  if (ra < k * width && k > 0) k--;
  else if (k < n - 1 && ra > (k + 1) * width) k++;
  return k;
}

/** Indices of the n equal longitude segments that the box's longitude interval touches. */
function chunkRangeForLon(box: Box, n: number): number[] {
  if (box.isFullLon || n === 1) return Array.from({ length: n }, (_, i) => i);
  const width = 360 / n;
  // One extra segment on each side: boundaries are closed and floor() can round either way at an edge.
  const first = Math.floor(box.lonMinDeg / width) - 1;
  const span = Math.floor((box.lonMinDeg + box.lonWidthDeg) / width) + 1 - first;
  if (span + 1 >= n) return Array.from({ length: n }, (_, i) => i);
  const out: number[] = [];
  for (let k = 0; k <= span; k++) out.push((((first + k) % n) + n) % n);
  return out;
}

/**
 * A "rings" skymap after lsst/skymap's RingsSkyMap: the sphere is cut into `numRings` latitude rings of height
 * 180/(numRings + 1) degrees between two polar caps (each half a ring high). Tract 0 is the south cap, tracts
 * are then numbered ring by ring from the south and eastwards from longitude 0 within a ring, and the last
 * tract is the north cap. Ring i holds floor(2π cos δ / h) + 1 tracts, δ being its edge nearest the equator and
 * h the ring height in radians, so tracts are at most about h wide. A tract's inner region is its lon/lat box
 * (a full-longitude cap for the polar tracts); inner regions tile the sphere. Tract centres are at the middle of
 * their boxes (the poles for the caps).
 */
import { createHash } from 'node:crypto';
import { meridianError } from '../errors.js';
import { normalizeLonDeg } from './angle.js';
import { Box } from './box.js';
import type { Region } from './region.js';
import { DISJOINT } from './relationship.js';
import { buildTract, type PatchInfo, type TractInfo } from './tract.js';
import { UnitVector3 } from './vector.js';

export type { PatchInfo, PixelBox, TractInfo } from './tract.js';

export interface RingsSkyMapConfig {
  numRings: number;
  tractOverlapDeg: number;
  pixelScaleArcsec: number;
  patchInnerDimensions: [number, number];
  patchBorder: number;
  tractBuilder?: 'legacy';
}

/** Boundary samples per box edge when sizing a tract's pixel grid. */
const EDGE_SAMPLES = 32;

export class RingsSkyMap {
  readonly name: string;
  readonly config: Readonly<Required<RingsSkyMapConfig>>;
  readonly tractCount: number;
  /** Ring height in degrees. */
  readonly ringSizeDeg: number;
  /** Number of tracts in each ring, south to north. */
  readonly tractsPerRing: readonly number[];
  private readonly firstTractOfRing: number[];
  private readonly tractCache: (TractInfo | undefined)[];
  private readonly ringExtents: ({ latMin: number; latMax: number; halfLonWidth: number } | undefined)[] = [];

  constructor(name: string, config: RingsSkyMapConfig) {
    const bad = (msg: string) => meridianError('GEOMETRY_INVALID', `skymap "${name}": ${msg}`, { ...config });
    if (!Number.isInteger(config.numRings) || config.numRings < 1)
      throw bad('numRings must be an integer >= 1');
    if (!(config.tractOverlapDeg >= 0)) throw bad('tractOverlapDeg must be >= 0');
    if (!(config.pixelScaleArcsec > 0)) throw bad('pixelScaleArcsec must be > 0');
    const dims = config.patchInnerDimensions;
    if (!Array.isArray(dims) || dims.length !== 2 || !dims.every((d) => Number.isInteger(d) && d > 0)) {
      throw bad('patchInnerDimensions must be two positive integers');
    }
    if (!Number.isInteger(config.patchBorder) || config.patchBorder < 0)
      throw bad('patchBorder must be an integer >= 0');
    if ((config.tractBuilder ?? 'legacy') !== 'legacy')
      throw bad(`unknown tractBuilder ${config.tractBuilder}`);
    this.name = name;
    this.config = Object.freeze({
      numRings: config.numRings,
      tractOverlapDeg: config.tractOverlapDeg,
      pixelScaleArcsec: config.pixelScaleArcsec,
      patchInnerDimensions: [dims[0], dims[1]] as [number, number],
      patchBorder: config.patchBorder,
      tractBuilder: 'legacy' as const,
    });
    this.ringSizeDeg = 180 / (config.numRings + 1);
    const ringSizeRad = Math.PI / (config.numRings + 1);
    const perRing: number[] = [];
    this.firstTractOfRing = [];
    let next = 1;
    for (let i = 0; i < config.numRings; i++) {
      const start = this.ringLatMin(i);
      const stop = this.ringLatMax(i);
      const nearEquator = (Math.min(Math.abs(start), Math.abs(stop)) * Math.PI) / 180;
      const n = Math.floor((2 * Math.PI * Math.cos(nearEquator)) / ringSizeRad) + 1;
      perRing.push(n);
      this.firstTractOfRing.push(next);
      next += n;
    }
    this.tractsPerRing = Object.freeze(perRing);
    this.tractCount = next + 1;
    this.tractCache = new Array(this.tractCount).fill(undefined);
  }

  private ringLatMin(ring: number): number {
    return (ring + 0.5) * this.ringSizeDeg - 90;
  }

  private ringLatMax(ring: number): number {
    return ring === this.config.numRings - 1
      ? 90 - 0.5 * this.ringSizeDeg
      : (ring + 1.5) * this.ringSizeDeg - 90;
  }

  /** SHA-1 (hex) of the canonical configuration, as stored in the registry's skymap record. */
  hash(): string {
    const c = this.config;
    const canonical = JSON.stringify({
      kind: 'rings',
      numRings: c.numRings,
      tractOverlapDeg: c.tractOverlapDeg,
      pixelScaleArcsec: c.pixelScaleArcsec,
      patchInnerDimensions: c.patchInnerDimensions,
      patchBorder: c.patchBorder,
      tractBuilder: c.tractBuilder,
      raStartDeg: 0,
    });
    return createHash('sha1').update(canonical).digest('hex');
  }

  /** Ring index and position in ring of a tract, or undefined for the polar caps. */
  private ringOf(id: number): { ring: number; k: number } | undefined {
    if (id === 0 || id === this.tractCount - 1) return undefined;
    let lo = 0;
    let hi = this.config.numRings - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.firstTractOfRing[mid] <= id) lo = mid;
      else hi = mid - 1;
    }
    return { ring: lo, k: id - this.firstTractOfRing[lo] };
  }

  private innerBox(id: number): Box {
    const capLat = 90 - 0.5 * this.ringSizeDeg;
    if (id === 0) return Box.fromDegrees(0, -90, 360, -capLat);
    if (id === this.tractCount - 1) return Box.fromDegrees(0, capLat, 360, 90);
    const { ring, k } = this.ringOf(id)!;
    const width = 360 / this.tractsPerRing[ring];
    const lonMin = normalizeLonDeg((k - 0.5) * width);
    return Box.fromDegrees(lonMin, this.ringLatMin(ring), lonMin + width, this.ringLatMax(ring));
  }

  tract(id: number): TractInfo {
    if (!Number.isInteger(id) || id < 0 || id >= this.tractCount) {
      throw meridianError(
        'GEOMETRY_INVALID',
        `tract ${id} not in skymap "${this.name}" (0..${this.tractCount - 1})`,
        {
          skymap: this.name,
          tract: id,
        },
      );
    }
    const cached = this.tractCache[id];
    if (cached !== undefined) return cached;
    const box = this.innerBox(id);
    let center: UnitVector3;
    const boundary: UnitVector3[] = [];
    if (box.isFullLon) {
      const north = box.latMaxDeg >= 90;
      center = UnitVector3.fromLonLat(0, north ? 90 : -90);
      const edgeLat = north ? box.latMinDeg : box.latMaxDeg;
      for (let i = 0; i < 4 * EDGE_SAMPLES; i++)
        boundary.push(UnitVector3.fromLonLat((360 * i) / (4 * EDGE_SAMPLES), edgeLat));
    } else {
      const ring = this.ringOf(id)!;
      const latCenter = ring.ring * this.ringSizeDeg + this.ringSizeDeg - 90;
      center = UnitVector3.fromLonLat((ring.k * 360) / this.tractsPerRing[ring.ring], latCenter);
      const lon0 = box.lonMinDeg;
      const w = box.lonWidthDeg;
      for (let i = 0; i <= EDGE_SAMPLES; i++) {
        const f = i / EDGE_SAMPLES;
        boundary.push(UnitVector3.fromLonLat(lon0 + f * w, box.latMinDeg));
        boundary.push(UnitVector3.fromLonLat(lon0 + f * w, box.latMaxDeg));
        const lat = box.latMinDeg + f * (box.latMaxDeg - box.latMinDeg);
        boundary.push(UnitVector3.fromLonLat(lon0, lat));
        boundary.push(UnitVector3.fromLonLat(lon0 + w, lat));
      }
    }
    const t = buildTract(id, center, box, boundary, this.config);
    this.tractCache[id] = t;
    return t;
  }

  *tracts(): Iterable<TractInfo> {
    for (let i = 0; i < this.tractCount; i++) yield this.tract(i);
  }

  /** The tract whose inner region contains the position (exactly one owner for every point on the sphere). */
  findTract(lonDeg: number, latDeg: number): TractInfo {
    if (!Number.isFinite(lonDeg) || !(latDeg >= -90 && latDeg <= 90)) {
      throw meridianError('GEOMETRY_INVALID', `invalid position lon=${lonDeg} lat=${latDeg}`, {
        lonDeg,
        latDeg,
      });
    }
    const capLat = 90 - 0.5 * this.ringSizeDeg;
    if (latDeg < -capLat) return this.tract(0);
    if (latDeg > capLat) return this.tract(this.tractCount - 1);
    const guessRing = Math.min(this.config.numRings - 1, Math.floor((latDeg + capLat) / this.ringSizeDeg));
    // Rounding at ring and tract boundaries can put the arithmetic guess one step off; the boxes decide.
    for (const ring of [guessRing, guessRing - 1, guessRing + 1]) {
      if (ring < 0 || ring >= this.config.numRings) continue;
      const n = this.tractsPerRing[ring];
      const guess = Math.floor(normalizeLonDeg(lonDeg) / (360 / n) + 0.5) % n;
      for (const k of [guess, (guess + n - 1) % n, (guess + 1) % n]) {
        const id = this.firstTractOfRing[ring] + k;
        if (this.innerBox(id).containsLonLat(lonDeg, latDeg)) return this.tract(id);
      }
    }
    return latDeg < 0 ? this.tract(0) : this.tract(this.tractCount - 1);
  }

  /**
   * Tracts whose outer region may intersect the region, each with the patches whose outer region may intersect
   * it (conservative, as `relate`), in tract then patch order.
   */
  findTractPatchList(region: Region): { tract: TractInfo; patches: PatchInfo[] }[] {
    const bbox = region.boundingBox();
    const candidates: number[] = [0];
    for (let ring = 0; ring < this.config.numRings; ring++) {
      const ext = this.ringOuterExtent(ring);
      if (bbox.latMaxDeg < ext.latMin || bbox.latMinDeg > ext.latMax) continue;
      const n = this.tractsPerRing[ring];
      for (let k = 0; k < n; k++) {
        if (ext.halfLonWidth < 180) {
          const lon = (k * 360) / n;
          const tractBox = Box.fromDegrees(
            lon - ext.halfLonWidth,
            ext.latMin,
            lon + ext.halfLonWidth,
            ext.latMax,
          );
          if (tractBox.relate(bbox) & DISJOINT) continue;
        }
        candidates.push(this.firstTractOfRing[ring] + k);
      }
    }
    candidates.push(this.tractCount - 1);
    const out: { tract: TractInfo; patches: PatchInfo[] }[] = [];
    for (const id of candidates) {
      const tract = this.tract(id);
      if (tract.outerRegion.relate(region) & DISJOINT) continue;
      const patches: PatchInfo[] = [];
      for (const p of tract.patches()) if (!(p.outerRegion.relate(region) & DISJOINT)) patches.push(p);
      if (patches.length > 0) out.push({ tract, patches });
    }
    return out;
  }

  /**
   * Latitude range and longitude half-width (about the tract centre) of the outer regions of a ring's tracts. All
   * tracts of a ring are the same grid rotated about the pole, so the first tract stands for all of them.
   */
  private ringOuterExtent(ring: number): { latMin: number; latMax: number; halfLonWidth: number } {
    let ext = this.ringExtents[ring];
    if (ext === undefined) {
      const b = this.tract(this.firstTractOfRing[ring]).outerRegion.boundingBox();
      const pad = 1e-9;
      ext = {
        latMin: b.latMinDeg - pad,
        latMax: b.latMaxDeg + pad,
        halfLonWidth: b.isFullLon ? 180 : b.lonWidthDeg / 2 + pad,
      };
      this.ringExtents[ring] = ext;
    }
    return ext;
  }
}

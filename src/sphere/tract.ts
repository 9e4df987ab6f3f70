/**
 * Tracts and patches of a skymap. A tract is a TAN tangent-plane pixel grid centred on the tract centre (x
 * increasing to the west, y to the north, as on a sky image), covering the tract's inner region plus the tract
 * overlap, and cut into nx × ny patches of `patchInnerDimensions` pixels; each patch's outer box adds
 * `patchBorder` pixels on every side, clipped to the tract. Pixel coordinates are 0-based with pixel centres at
 * integers, so a bbox {x0, width} spans x0 − 0.5 … x0 + width − 0.5; the WCS `crpix` is FITS 1-based.
 */
import { meridianError } from '../errors.js';
import type { Box } from './box.js';
import { ConvexPolygon } from './convex-polygon.js';
import { TanWcs, type TanWcsParams } from './tan-wcs.js';
import type { UnitVector3 } from './vector.js';

export interface PixelBox {
  readonly x0: number;
  readonly y0: number;
  readonly width: number;
  readonly height: number;
}

export interface PatchInfo {
  /** Sequential index y · nx + x. */
  readonly index: number;
  readonly x: number;
  readonly y: number;
  readonly innerBBox: PixelBox;
  readonly outerBBox: PixelBox;
  readonly innerRegion: ConvexPolygon;
  readonly outerRegion: ConvexPolygon;
}

export interface TractInfo {
  readonly id: number;
  readonly center: UnitVector3;
  /** The part of the sky this tract alone owns; inner regions of all tracts tile the sphere. */
  readonly innerRegion: ConvexPolygon | Box;
  /** The whole pixel grid on the sky (inner region plus overlap plus rounding up to whole patches). */
  readonly outerRegion: ConvexPolygon;
  readonly wcs: TanWcsParams;
  readonly bbox: PixelBox;
  readonly numPatches: [number, number];
  patch(index: number): PatchInfo;
  patchAt(x: number, y: number): PatchInfo;
  patches(): Iterable<PatchInfo>;
  /** The patch whose inner region contains the position; GEOMETRY_INVALID outside the tract's pixel grid. */
  findPatch(lonDeg: number, latDeg: number): PatchInfo;
  skyToPixel(lonDeg: number, latDeg: number): [number, number];
  pixelToSky(x: number, y: number): [number, number];
}

export interface TractGridConfig {
  readonly pixelScaleArcsec: number;
  readonly patchInnerDimensions: readonly [number, number];
  readonly patchBorder: number;
  readonly tractOverlapDeg: number;
}

/**
 * Builds a tract: the grid is the smallest whole number of patches, symmetric about the centre, that covers the
 * projected inner region (sampled along its boundary) grown by the tract overlap and one pixel of slack.
 */
export function buildTract(
  id: number,
  center: UnitVector3,
  innerRegion: ConvexPolygon | Box,
  boundary: readonly UnitVector3[],
  grid: TractGridConfig,
): TractInfo {
  const scaleDeg = grid.pixelScaleArcsec / 3600;
  const probe = new TanWcs({
    crvalDeg: [center.lonDeg(), center.latDeg()],
    crpix: [1, 1],
    cdDeg: [
      [-scaleDeg, 0],
      [0, scaleDeg],
    ],
  });
  let hx = 0;
  let hy = 0;
  for (const v of boundary) {
    const std = probe.project(v);
    if (std === undefined) {
      throw meridianError(
        'GEOMETRY_INVALID',
        `tract ${id} is too large for a TAN projection (use more rings)`,
        { id },
      );
    }
    hx = Math.max(hx, Math.abs(std[0]));
    hy = Math.max(hy, Math.abs(std[1]));
  }
  const [pw, ph] = grid.patchInnerDimensions;
  const marginPx = grid.tractOverlapDeg / scaleDeg + 1;
  const nx = Math.max(1, Math.ceil((2 * (hx / scaleDeg + marginPx)) / pw));
  const ny = Math.max(1, Math.ceil((2 * (hy / scaleDeg + marginPx)) / ph));
  const width = nx * pw;
  const height = ny * ph;
  const wcs = new TanWcs({
    crvalDeg: [center.lonDeg(), center.latDeg()],
    crpix: [width / 2 + 0.5, height / 2 + 0.5],
    cdDeg: [
      [-scaleDeg, 0],
      [0, scaleDeg],
    ],
  });
  return new GridTract(id, center, innerRegion, wcs, { x0: 0, y0: 0, width, height }, [nx, ny], grid);
}

function pixelBoxPolygon(wcs: TanWcs, b: PixelBox): ConvexPolygon {
  const x0 = b.x0 - 0.5;
  const y0 = b.y0 - 0.5;
  const x1 = b.x0 + b.width - 0.5;
  const y1 = b.y0 + b.height - 0.5;
  return ConvexPolygon.fromVectors([
    wcs.pixelToVector(x0, y0),
    wcs.pixelToVector(x1, y0),
    wcs.pixelToVector(x1, y1),
    wcs.pixelToVector(x0, y1),
  ]);
}

class GridTract implements TractInfo {
  readonly outerRegion: ConvexPolygon;
  readonly wcs: TanWcsParams;
  private readonly patchCache = new Map<number, PatchInfo>();

  constructor(
    readonly id: number,
    readonly center: UnitVector3,
    readonly innerRegion: ConvexPolygon | Box,
    private readonly tan: TanWcs,
    readonly bbox: PixelBox,
    readonly numPatches: [number, number],
    private readonly grid: TractGridConfig,
  ) {
    this.wcs = tan.params;
    this.outerRegion = pixelBoxPolygon(tan, bbox);
    Object.freeze(this.bbox);
    Object.freeze(this.numPatches);
  }

  patch(index: number): PatchInfo {
    const [nx, ny] = this.numPatches;
    if (!Number.isInteger(index) || index < 0 || index >= nx * ny) {
      throw meridianError(
        'GEOMETRY_INVALID',
        `patch index ${index} out of range [0, ${nx * ny}) in tract ${this.id}`,
        {
          tract: this.id,
          index,
        },
      );
    }
    let p = this.patchCache.get(index);
    if (p === undefined) {
      p = this.makePatch(index % nx, Math.floor(index / nx));
      this.patchCache.set(index, p);
    }
    return p;
  }

  patchAt(x: number, y: number): PatchInfo {
    const [nx, ny] = this.numPatches;
    if (!Number.isInteger(x) || !Number.isInteger(y) || x < 0 || y < 0 || x >= nx || y >= ny) {
      throw meridianError(
        'GEOMETRY_INVALID',
        `patch (${x}, ${y}) out of range ${nx}×${ny} in tract ${this.id}`,
        {
          tract: this.id,
          x,
          y,
        },
      );
    }
    return this.patch(y * nx + x);
  }

  *patches(): Iterable<PatchInfo> {
    const [nx, ny] = this.numPatches;
    for (let i = 0; i < nx * ny; i++) yield this.patch(i);
  }

  private makePatch(x: number, y: number): PatchInfo {
    const [pw, ph] = this.grid.patchInnerDimensions;
    const border = this.grid.patchBorder;
    const innerBBox = Object.freeze({ x0: x * pw, y0: y * ph, width: pw, height: ph });
    const ox0 = Math.max(this.bbox.x0, innerBBox.x0 - border);
    const oy0 = Math.max(this.bbox.y0, innerBBox.y0 - border);
    const ox1 = Math.min(this.bbox.x0 + this.bbox.width, innerBBox.x0 + pw + border);
    const oy1 = Math.min(this.bbox.y0 + this.bbox.height, innerBBox.y0 + ph + border);
    const outerBBox = Object.freeze({ x0: ox0, y0: oy0, width: ox1 - ox0, height: oy1 - oy0 });
    return Object.freeze({
      index: y * this.numPatches[0] + x,
      x,
      y,
      innerBBox,
      outerBBox,
      innerRegion: pixelBoxPolygon(this.tan, innerBBox),
      outerRegion: pixelBoxPolygon(this.tan, outerBBox),
    });
  }

  findPatch(lonDeg: number, latDeg: number): PatchInfo {
    const [x, y] = this.skyToPixel(lonDeg, latDeg);
    const [pw, ph] = this.grid.patchInnerDimensions;
    const [nx, ny] = this.numPatches;
    const px = Math.floor((x + 0.5) / pw);
    const py = Math.floor((y + 0.5) / ph);
    // Allow rounding at the grid's outer edge, nothing more.
    const slack = 1e-6;
    if (x + 0.5 < -slack || y + 0.5 < -slack || x + 0.5 > nx * pw + slack || y + 0.5 > ny * ph + slack) {
      throw meridianError('GEOMETRY_INVALID', `position (${lonDeg}, ${latDeg}) is outside tract ${this.id}`, {
        tract: this.id,
        lonDeg,
        latDeg,
      });
    }
    return this.patchAt(Math.min(nx - 1, Math.max(0, px)), Math.min(ny - 1, Math.max(0, py)));
  }

  skyToPixel(lonDeg: number, latDeg: number): [number, number] {
    return this.tan.skyToPixel(lonDeg, latDeg);
  }

  pixelToSky(x: number, y: number): [number, number] {
    return this.tan.pixelToSky(x, y);
  }
}

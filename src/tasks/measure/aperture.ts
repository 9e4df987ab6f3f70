/**
 * Circular-aperture photometry with the exact area of overlap between the circle and each pixel (a pixel half
 * inside the circle counts half), so that the flux of a uniform surface is exactly π r² times it at any centre and
 * radius. Pixels wholly inside have weight 1 and cost nothing; only the ring of boundary pixels evaluates the
 * closed-form area below. Errors: Var = Σ w² V over the variance plane.
 *
 * The Kron-like flux uses a circular aperture: the first-moment radius R1 = Σ r I / Σ I inside `kronSearchRadius`
 * (Kron 1980), the Kron radius R_K = max(R1, minKronRadius), and the flux inside 2.5 R_K (SExtractor's
 * FLUX_AUTO factor; for a Gaussian R1 = σ √(π/2) and the aperture holds 99.3% of the flux).
 */
import type { ImageF, Mask } from '../../formats/index.js';

/** ∫ (sqrt(r² − x²) − h) dx, the antiderivative used for the area of a circle above the line y = h. */
function chordIntegral(x: number, h: number, r: number): number {
  const s = Math.sqrt(Math.max(0, r * r - x * x));
  return 0.5 * (x * s + r * r * Math.asin(Math.max(-1, Math.min(1, x / r)))) - h * x;
}

/** Area of the part of the circle (centre 0, radius r) above y = h ≥ 0 and between x0 and x1. */
function areaAbove(x0: number, x1: number, h: number, r: number): number {
  if (h >= r) return 0;
  const s = Math.sqrt(r * r - h * h);
  const a = Math.max(-s, Math.min(s, x0));
  const b = Math.max(-s, Math.min(s, x1));
  return chordIntegral(b, h, r) - chordIntegral(a, h, r);
}

/** Exact area of the rectangle [x0, x1] × [y0, y1] inside the circle of radius r centred on the origin. */
export function circleRectangleOverlap(x0: number, x1: number, y0: number, y1: number, r: number): number {
  if (y0 < 0) {
    if (y1 <= 0) return circleRectangleOverlap(x0, x1, -y1, -y0, r);
    return circleRectangleOverlap(x0, x1, 0, -y0, r) + circleRectangleOverlap(x0, x1, 0, y1, r);
  }
  return areaAbove(x0, x1, y0, r) - areaAbove(x0, x1, y1, r);
}

/**
 * The area of the circle inside a horizontal strip [y0, y1] to the left of x, up to a constant: S(x). A pixel's
 * overlap is S(right edge) − S(left edge), and adjacent boundary pixels share an edge, so each boundary pixel costs
 * one evaluation instead of a full circleRectangleOverlap. S is the combination of chordIntegral terms (at most
 * three: the strip is split at y = 0) that circleRectangleOverlap would take. Each term is constant beyond the
 * chord's ends (x clamped to ±halfChord), so its value there is computed once per row: about half the edges of
 * boundary pixels fall beyond a chord and cost no arcsine. Plain fields, no arrays: a new row allocates nothing.
 */
class StripArea {
  private readonly r: number;
  private terms = 0;
  private h0 = 0;
  private h1 = 0;
  private h2 = 0;
  private coefficient0 = 0;
  private coefficient1 = 0;
  private coefficient2 = 0;
  private halfChord0 = 0;
  private halfChord1 = 0;
  private halfChord2 = 0;
  /** Each term's value at x ≥ halfChord and at x ≤ −halfChord. */
  private right0 = 0;
  private right1 = 0;
  private right2 = 0;
  private left0 = 0;
  private left1 = 0;
  private left2 = 0;
  private lastX = Number.NaN;
  private lastValue = 0;

  constructor(radius: number) {
    this.r = radius;
  }

  setRow(y0: number, y1: number): void {
    const r = this.r;
    if (y0 >= 0 || y1 <= 0) {
      const lower = y0 >= 0 ? y0 : -y1;
      const upper = y0 >= 0 ? y1 : -y0;
      this.terms = 2;
      this.h0 = lower;
      this.h1 = upper;
      this.coefficient0 = 1;
      this.coefficient1 = -1;
    } else {
      this.terms = 3;
      this.h0 = 0;
      this.h1 = -y0;
      this.h2 = y1;
      this.coefficient0 = 2;
      this.coefficient1 = -1;
      this.coefficient2 = -1;
    }
    this.halfChord0 = this.h0 >= r ? 0 : Math.sqrt(r * r - this.h0 * this.h0);
    this.halfChord1 = this.h1 >= r ? 0 : Math.sqrt(r * r - this.h1 * this.h1);
    this.halfChord2 = this.terms < 3 || this.h2 >= r ? 0 : Math.sqrt(r * r - this.h2 * this.h2);
    this.right0 = chordIntegral(this.halfChord0, this.h0, r);
    this.left0 = chordIntegral(-this.halfChord0, this.h0, r);
    this.right1 = chordIntegral(this.halfChord1, this.h1, r);
    this.left1 = chordIntegral(-this.halfChord1, this.h1, r);
    if (this.terms === 3) {
      this.right2 = chordIntegral(this.halfChord2, this.h2, r);
      this.left2 = chordIntegral(-this.halfChord2, this.h2, r);
    }
    this.lastX = Number.NaN;
  }

  /** Area of the circle in the current strip between x = a and x = b (a < b). */
  between(a: number, b: number): number {
    const left = a === this.lastX ? this.lastValue : this.at(a);
    const right = this.at(b);
    this.lastX = b;
    this.lastValue = right;
    return right - left;
  }

  private at(x: number): number {
    const r = this.r;
    let sum = 0;
    if (this.h0 < r)
      sum += this.coefficient0 * this.term(x, this.h0, this.halfChord0, this.left0, this.right0);
    if (this.h1 < r)
      sum += this.coefficient1 * this.term(x, this.h1, this.halfChord1, this.left1, this.right1);
    if (this.terms === 3 && this.h2 < r)
      sum += this.coefficient2 * this.term(x, this.h2, this.halfChord2, this.left2, this.right2);
    return sum;
  }

  private term(x: number, h: number, halfChord: number, left: number, right: number): number {
    if (x >= halfChord) return right;
    if (x <= -halfChord) return left;
    return chordIntegral(x, h, this.r);
  }
}

export interface ApertureFlux {
  /** Image units × pixels (e.g. electrons): Σ w I. */
  readonly flux: number;
  readonly fluxErr: number;
  /** Σ w: the area inside the image and unmasked, pixels². Less than π r² when truncated. */
  readonly area: number;
  /** The aperture ran off the image or over excluded (masked or NaN) pixels. */
  readonly truncated: boolean;
}

/**
 * Flux inside a circle of radius r (pixels) centred on (x, y) (parent pixels; a pixel's centre is at its integer
 * coordinates). Pixels whose mask has a bit of `excludedBits` (or NaN) are left out and mark it truncated.
 */
export function apertureFlux(
  image: ImageF,
  variance: ImageF | null,
  mask: Mask | null,
  x: number,
  y: number,
  radius: number,
  excludedBits = 0,
): ApertureFlux {
  const { x0, y0, width, height } = image.bbox;
  const cx = x - x0;
  const cy = y - y0;
  const pixels = image.array;
  const vars = variance?.array ?? null;
  const maskArray = mask?.array ?? null;
  // A pixel is wholly inside when its farthest corner is, wholly outside when its nearest point is outside.
  const innerLimit = (radius - Math.SQRT1_2) ** 2;
  const outerLimit = (radius + Math.SQRT1_2) ** 2;
  const xLo = Math.floor(cx - radius - 0.5);
  const xHi = Math.ceil(cx + radius + 0.5);
  const yLo = Math.floor(cy - radius - 0.5);
  const yHi = Math.ceil(cy + radius + 0.5);
  // Sums in a small array, not in variables captured by the closure below: V8 would move captured variables
  // into a heap context and slow down every access in the tight loop.
  const sums = new Float64Array(4); // flux, area, Σ w² V, truncated (0/1)
  const strip = new StripArea(radius);
  const addPixel = (px: number, py: number, w: number) => {
    if (px < 0 || py < 0 || px >= width || py >= height) {
      sums[3] = 1;
      return;
    }
    const i = py * width + px;
    const v = pixels[i];
    if (Number.isNaN(v) || (maskArray !== null && (maskArray[i] & excludedBits) !== 0)) {
      sums[3] = 1;
      return;
    }
    sums[0] += w * v;
    sums[1] += w;
    if (vars !== null) sums[2] += w * w * vars[i];
  };
  for (let py = yLo; py <= yHi; py++) {
    const dy = py - cy;
    const dy2 = dy * dy;
    if (dy2 >= outerLimit) continue;
    // Per row: the pixels that can touch the circle, and among them the span wholly inside it.
    const outerHalf = Math.sqrt(outerLimit - dy2);
    const first = Math.max(xLo, Math.ceil(cx - outerHalf));
    const last = Math.min(xHi, Math.floor(cx + outerHalf));
    const innerHalf = radius > Math.SQRT1_2 && dy2 <= innerLimit ? Math.sqrt(innerLimit - dy2) : -1;
    const innerFirst = innerHalf < 0 ? last + 1 : Math.max(first, Math.ceil(cx - innerHalf));
    const innerLast = innerHalf < 0 ? last : Math.min(last, Math.floor(cx + innerHalf));
    strip.setRow(dy - 0.5, dy + 0.5);
    for (let px = first; px < innerFirst; px++) {
      const w = strip.between(px - cx - 0.5, px - cx + 0.5);
      if (w > 0) addPixel(px, py, w);
    }
    if (py >= 0 && py < height && innerFirst >= 0 && innerLast < width) {
      // The common case, a span wholly inside the image: a tight loop without the per-pixel bounds tests.
      const row = py * width;
      let spanFlux = 0;
      let spanArea = 0;
      let spanVariance = 0;
      for (let i = row + innerFirst; i <= row + innerLast; i++) {
        const v = pixels[i];
        if (Number.isNaN(v) || (maskArray !== null && (maskArray[i] & excludedBits) !== 0)) {
          sums[3] = 1;
          continue;
        }
        spanFlux += v;
        spanArea += 1;
        if (vars !== null) spanVariance += vars[i];
      }
      sums[0] += spanFlux;
      sums[1] += spanArea;
      sums[2] += spanVariance;
    } else {
      for (let px = innerFirst; px <= innerLast; px++) addPixel(px, py, 1);
    }
    for (let px = Math.max(innerLast + 1, innerFirst); px <= last; px++) {
      const w = strip.between(px - cx - 0.5, px - cx + 0.5);
      if (w > 0) addPixel(px, py, w);
    }
  }
  return {
    flux: sums[0],
    fluxErr: vars === null ? Number.NaN : Math.sqrt(sums[2]),
    area: sums[1],
    truncated: sums[3] !== 0,
  };
}

export interface KronFlux extends ApertureFlux {
  /** R_K, pixels. */
  readonly kronRadius: number;
  /** The first moment was not positive (no flux): R_K fell back to the minimum. */
  readonly radiusFailed: boolean;
}

/** Kron-like flux at (x, y): first-moment radius inside `searchRadius`, flux inside 2.5 R_K (circular). */
export function kronFlux(
  image: ImageF,
  variance: ImageF | null,
  mask: Mask | null,
  x: number,
  y: number,
  searchRadius: number,
  minKronRadius: number,
  excludedBits = 0,
): KronFlux {
  const { x0, y0, width, height } = image.bbox;
  const cx = x - x0;
  const cy = y - y0;
  const pixels = image.array;
  const maskArray = mask?.array ?? null;
  const r2max = searchRadius * searchRadius;
  let sumI = 0;
  let sumRI = 0;
  const xLo = Math.max(0, Math.floor(cx - searchRadius));
  const xHi = Math.min(width - 1, Math.ceil(cx + searchRadius));
  const yLo = Math.max(0, Math.floor(cy - searchRadius));
  const yHi = Math.min(height - 1, Math.ceil(cy + searchRadius));
  for (let py = yLo; py <= yHi; py++) {
    const dy = py - cy;
    const row = py * width;
    for (let px = xLo; px <= xHi; px++) {
      const dx = px - cx;
      const d2 = dx * dx + dy * dy;
      if (d2 > r2max) continue;
      const v = pixels[row + px];
      if (Number.isNaN(v) || (maskArray !== null && (maskArray[row + px] & excludedBits) !== 0)) continue;
      sumI += v;
      sumRI += Math.sqrt(d2) * v;
    }
  }
  const firstMoment = sumI > 0 ? sumRI / sumI : Number.NaN;
  const radiusFailed = !(firstMoment > 0);
  const kronRadius = radiusFailed ? minKronRadius : Math.max(minKronRadius, firstMoment);
  const aperture = apertureFlux(image, variance, mask, x, y, 2.5 * kronRadius, excludedBits);
  return { ...aperture, kronRadius, radiusFailed };
}

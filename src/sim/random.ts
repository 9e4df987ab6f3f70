/**
 * Deterministic random numbers for the simulator: xoshiro128** (Blackman & Vigna 2018, "Scrambled linear
 * pseudorandom number generators") seeded through splitmix32-style mixing. Every stream is named by integers
 * (survey seed, purpose, exposure, detector, ...), so a detector renders the same pixels whichever thread or order
 * it is rendered in.
 */

/** Mix 32 bits (the finaliser of MurmurHash3, Appleby 2011): a bijection with good avalanche. */
function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Fold a list of non-negative integers (any size up to 2^53) into one 32-bit stream key. */
export function streamKey(parts: readonly number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) {
    const low = part % 0x100000000;
    const high = Math.floor(part / 0x100000000);
    h = mix32(h ^ mix32(low + 0x6a09e667));
    h = mix32(h ^ mix32(high + 0xbb67ae85));
  }
  return h;
}

/** Purposes of random streams; distinct numbers keep the streams independent. */
export const STREAM = Object.freeze({
  cadence: 1,
  stars: 2,
  galaxies: 3,
  supernovae: 4,
  refcat: 5,
  pixelResponse: 6,
  biasStructure: 7,
  exposureNoise: 8,
  cosmicRays: 9,
  benchmark: 10,
  /** Per exposure: pointing error, cloud extinction and the PSF field (conditions.ts). */
  conditions: 11,
  /** Per detector: bad columns and hot pixels (detector-effects.ts). */
  defects: 12,
});

export class Random {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /** A generator for the stream named by these integers (e.g. `[seed, STREAM.exposureNoise, exposure, detector]`). */
  constructor(parts: readonly number[]) {
    let x = streamKey(parts);
    const next = () => {
      x = (x + 0x9e3779b9) >>> 0;
      return mix32(x);
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  uniform(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform in [lo, hi). */
  between(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }

  /** Integer in [0, n). */
  integer(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /**
   * Standard normal by the ziggurat method (Marsaglia & Tsang 2000, "The Ziggurat Method for Generating Random
   * Variables", J. Stat. Softw. 5(8)), 128 layers. One 32-bit draw gives the layer (7 bits), the sign (1 bit) and a
   * 24-bit abscissa, so layer and value are independent (the flaw of the original noted by Doornik 2005).
   */
  normal(): number {
    for (;;) {
      const u = this.nextUint32();
      const layer = u & 127;
      const j = u >>> 8;
      const x = j * ZIGGURAT.w[layer];
      const sign = u & 128 ? -1 : 1;
      if (j < ZIGGURAT.k[layer]) return sign * x;
      if (layer === 0) {
        // The base strip's tail beyond R (Marsaglia 1964).
        let tail: number;
        let y: number;
        do {
          tail = -Math.log(1 - this.uniform()) / ZIGGURAT_R;
          y = -Math.log(1 - this.uniform());
        } while (y + y < tail * tail);
        return sign * (ZIGGURAT_R + tail);
      }
      const f = ZIGGURAT.f;
      if (f[layer] + this.uniform() * (f[layer - 1] - f[layer]) < Math.exp(-0.5 * x * x)) return sign * x;
    }
  }

  /**
   * Poisson deviate: exact (Knuth's multiplication method) below a mean of 30, otherwise the normal approximation
   * rounded to an integer, whose error at such means is far below the read noise of the detector.
   */
  poisson(mean: number): number {
    if (!(mean > 0)) return 0;
    if (mean >= 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * this.normal()));
    const limit = Math.exp(-mean);
    let k = 0;
    let p = this.uniform();
    while (p > limit) {
      k++;
      p *= this.uniform();
    }
    return k;
  }

  /** Exponential deviate with the given mean. */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.uniform());
  }
}

/** Right edge of the ziggurat's base layer and the area of each layer, for 128 layers (Marsaglia & Tsang 2000). */
const ZIGGURAT_R = 3.442619855899;
const ZIGGURAT_AREA = 9.91256303526217e-3;
const ABSCISSA_SCALE = 2 ** 24;

/** k: acceptance thresholds on the 24-bit abscissa; w: abscissa scale per layer; f: density at layer edges. */
const ZIGGURAT = (() => {
  const k = new Uint32Array(128);
  const w = new Float64Array(128);
  const f = new Float64Array(128);
  let d = ZIGGURAT_R;
  let t = d;
  const q = ZIGGURAT_AREA / Math.exp(-0.5 * d * d);
  k[0] = Math.floor((d / q) * ABSCISSA_SCALE);
  k[1] = 0;
  w[0] = q / ABSCISSA_SCALE;
  w[127] = d / ABSCISSA_SCALE;
  f[0] = 1;
  f[127] = Math.exp(-0.5 * d * d);
  for (let i = 126; i >= 1; i--) {
    d = Math.sqrt(-2 * Math.log(ZIGGURAT_AREA / d + Math.exp(-0.5 * d * d)));
    k[i + 1] = Math.floor((d / t) * ABSCISSA_SCALE);
    t = d;
    f[i] = Math.exp(-0.5 * d * d);
    w[i] = d / ABSCISSA_SCALE;
  }
  return { k, w, f };
})();

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

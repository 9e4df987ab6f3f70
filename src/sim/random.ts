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
});

export class Random {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spareNormal = 0;
  private hasSpare = false;

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

  /** Standard normal, Marsaglia's polar method (no trigonometry; the second value is kept for the next call). */
  normal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spareNormal;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * this.uniform() - 1;
      v = 2 * this.uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const factor = Math.sqrt((-2 * Math.log(s)) / s);
    this.spareNormal = v * factor;
    this.hasSpare = true;
    return u * factor;
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

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

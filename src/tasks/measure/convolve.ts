/**
 * Separable Gaussian smoothing, the matched filter of detection: for a background-limited point source the
 * signal-to-noise of the smoothed image is highest at the source when the kernel is the PSF (a Gaussian of the
 * PSF's σ is close enough for the near-Gaussian PSFs we meet). Two 1-d passes cost 2(2h+1) multiply-adds per
 * pixel instead of (2h+1)², and the kernel's symmetry halves the multiplies again (k_j (a_{i−j} + a_{i+j})). The
 * horizontal pass streams into a ring of 2h+1 rows that the vertical pass reads while it is still in cache.
 *
 * Borders: the kernel is renormalised over the pixels that exist, so a flat background stays flat to the edge; the
 * smoothed noise there is higher, which `smoothedNoiseFactor` does not model, so detection marks a border of
 * `kernelHalfWidth` pixels with EDGE instead of trusting it fully (as LSST does). NaN pixels count as missing:
 * lines holding one take a slower path that renormalises around them.
 */
import { meridianError } from '../../errors.js';
import { ImageF } from '../../formats/index.js';
import { WASM_BYTES } from './simd/convolve-wasm.js';

/**
 * A normalised 1-d Gaussian of σ pixels truncated at ±`truncation`σ (rounded up to whole pixels): at 3σ the
 * matched filter loses 0.3% of its signal-to-noise and each pass is two taps shorter than at 4σ.
 */
export function gaussianKernel1d(sigmaPixels: number, truncation = 3): Float64Array {
  if (!(sigmaPixels > 0) || !Number.isFinite(sigmaPixels)) {
    throw meridianError(
      'INVALID_ARGUMENT',
      `Gaussian kernel σ must be a positive number of pixels, got ${sigmaPixels}`,
    );
  }
  const half = Math.max(1, Math.ceil(truncation * sigmaPixels));
  const kernel = new Float64Array(2 * half + 1);
  let sum = 0;
  for (let i = -half; i <= half; i++) {
    const v = Math.exp((-0.5 * i * i) / (sigmaPixels * sigmaPixels));
    kernel[i + half] = v;
    sum += v;
  }
  for (let i = 0; i < kernel.length; i++) kernel[i] /= sum;
  return kernel;
}

/**
 * σ of white noise of unit σ after smoothing with the separable kernel k⊗k: sqrt(Σk²)² = Σ k² (the 2-d kernel's
 * root sum of squares). A detection threshold of N σ on the smoothed image is N × this × the pixel σ.
 */
export function smoothedNoiseFactor(kernel: Float64Array): number {
  let sum2 = 0;
  for (const k of kernel) sum2 += k * k;
  return sum2;
}

/**
 * Convolve `image` with kernel ⊗ kernel (a new image on the same box; NaN pixels count as missing). The interior
 * runs as WebAssembly SIMD (simd/convolve.wat, float32 sums) where the runtime has it, unless `simd` is false
 * (the float64 JavaScript path, which tests hold it to). `out` (width × height floats, every one overwritten)
 * saves allocating the result.
 */
export function convolveSeparable(
  image: ImageF,
  kernel: Float64Array,
  options: { readonly simd?: boolean; readonly out?: Float32Array } = {},
): ImageF {
  const { width, height } = image;
  const half = (kernel.length - 1) >> 1;
  if (options.out !== undefined && options.out.length !== width * height) {
    throw meridianError(
      'INVALID_ARGUMENT',
      `the output buffer holds ${options.out.length} pixels, not ${width * height}`,
    );
  }
  const out = options.out ?? new Float32Array(width * height);
  const simd = options.simd !== false && half <= SIMD_MAX_HALF ? simdModule() : null;
  const complete =
    simd !== null
      ? convolveStreamingSimd(simd, image.array, out, width, height, kernel, half)
      : convolveStreaming(image.array, out, width, height, kernel, half);
  if (!complete) convolveWithMissingRows(image.array, out, width, height, kernel, half);
  return new ImageF(out, image.bbox);
}

/** Whether convolveSeparable can use its WebAssembly SIMD path on this runtime. */
export function convolveSimdAvailable(): boolean {
  return simdModule() !== null;
}

/** The kernel's taps c0 … c_half sit at the start of the module's memory, the ring's row table after them. */
const SIMD_MAX_HALF = 63;
const SIMD_ROW_TABLE = 4 * (SIMD_MAX_HALF + 1);
const SIMD_RING = SIMD_ROW_TABLE + 4 * (2 * SIMD_MAX_HALF + 1) + 4;

/** The part of the WebAssembly global used here (Node's type definitions for Node 20 do not declare it). */
interface WasmRuntime {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { readonly exports: unknown };
}
type WasmModule = { readonly kind?: 'wasmModule' };

let compiled: WasmModule | null | undefined;

/** The compiled module, once per process; null when this runtime has no WebAssembly SIMD. */
function simdModule(): WasmModule | null {
  if (compiled === undefined) {
    const wasm = (globalThis as { WebAssembly?: WasmRuntime }).WebAssembly;
    try {
      compiled = wasm?.validate(WASM_BYTES) ? new wasm.Module(WASM_BYTES) : null;
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

interface SimdExports {
  readonly memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  row(input: number, output: number, n: number, half: number): number;
  column(rows: number, half: number, output: number, width: number): void;
}

/**
 * convolveStreaming with the interior of both passes in WebAssembly: the ring of horizontally smoothed rows lives
 * in the module's memory; each input row is copied in, each output row copied out. Borders, the top and bottom
 * rows and rows with NaN go through the same JavaScript as convolveStreaming. Returns false as it does.
 */
function convolveStreamingSimd(
  module: WasmModule,
  input: Float32Array,
  out: Float32Array,
  width: number,
  height: number,
  kernel: Float64Array,
  half: number,
): boolean {
  const ringRows = 2 * half + 1;
  const rowBytes = 4 * width;
  // Rows start on 16-byte boundaries (the vector loads do not need it, but aligned ones are cheaper).
  const stride = Math.ceil(rowBytes / 16) * 16;
  const inputRow = SIMD_RING + ringRows * stride;
  const outputRow = inputRow + stride;
  const bytes = outputRow + stride;
  const { Instance } = (globalThis as unknown as { WebAssembly: WasmRuntime }).WebAssembly;
  const simd = new Instance(module, {}).exports as SimdExports;
  const pages = Math.ceil(bytes / 65536) - simd.memory.buffer.byteLength / 65536;
  if (pages > 0) simd.memory.grow(pages);
  const f32 = new Float32Array(simd.memory.buffer);
  const i32 = new Int32Array(simd.memory.buffer);
  for (let k = 0; k <= half; k++) f32[k] = kernel[half + k];
  const line = new Float64Array(width);
  const valid = new Float64Array(width);
  const accumulator = new Float64Array(width);
  const ringStart = (row: number) => SIMD_RING + (row % ringRows) * stride;
  let computed = 0;
  for (let y = 0; y < height; y++) {
    const lo = Math.max(0, y - half);
    const hi = Math.min(height - 1, y + half);
    for (; computed <= hi; computed++) {
      const target = ringStart(computed);
      const targetIndex = target >> 2;
      const inStart = computed * width;
      f32.set(input.subarray(inStart, inStart + width), inputRow >> 2);
      let hasNaN = simd.row(inputRow, target, width, half) !== 0;
      for (let i = 0; i < Math.min(half, width); i++) {
        convolveRowEnd(input, inStart, f32, targetIndex, width, kernel, half, i);
        if (width - 1 - i >= half)
          convolveRowEnd(input, inStart, f32, targetIndex, width, kernel, half, width - 1 - i);
        hasNaN ||= Number.isNaN(f32[targetIndex + i]) || Number.isNaN(f32[targetIndex + width - 1 - i]);
      }
      if (!hasNaN) continue;
      if (!redoRowAroundNaN(input, inStart, width, kernel, half, line, valid, f32, targetIndex)) return false;
    }
    const row = y * width;
    if (y >= half && y < height - half) {
      for (let k = 0; k < ringRows; k++) i32[(SIMD_ROW_TABLE >> 2) + k] = ringStart(y - half + k);
      simd.column(SIMD_ROW_TABLE, half, outputRow, width);
      out.set(f32.subarray(outputRow >> 2, (outputRow >> 2) + width), row);
      continue;
    }
    renormalisedEdgeRow(f32, (j) => ringStart(j) >> 2, y, lo, hi, kernel, half, accumulator, out, row, width);
  }
  return true;
}

/**
 * The usual path: each row's horizontal pass goes into a ring of 2h + 1 rows, and each output row is the vertical
 * pass over the ring. The ring (a few hundred kB) stays in cache and no image-sized intermediate is allocated.
 * Returns false, having written only part of `out`, when a horizontal row is still NaN (an input row with no valid
 * pixel within reach): the caller then takes the general path.
 */
function convolveStreaming(
  input: Float32Array,
  out: Float32Array,
  width: number,
  height: number,
  kernel: Float64Array,
  half: number,
): boolean {
  const ringRows = 2 * half + 1;
  const ring = new Float32Array(ringRows * width);
  const line = new Float64Array(width);
  const valid = new Float64Array(width);
  const accumulator = new Float64Array(width);
  const centre = kernel[half];
  const paddedKernel = paddedHalfKernel(kernel, half);
  const rowOffsets = new Int32Array(2 * UNROLLED_HALF + 1);
  let computed = 0;
  for (let y = 0; y < height; y++) {
    const lo = Math.max(0, y - half);
    const hi = Math.min(height - 1, y + half);
    for (; computed <= hi; computed++) {
      const target = (computed % ringRows) * width;
      convolveCompleteRow(input, computed * width, ring, target, width, kernel, half, paddedKernel);
      if (!lineHasNaN(ring, target, width, 1)) continue;
      // A NaN propagates into the outputs near it: only then is the row redone around the missing pixels.
      if (!redoRowAroundNaN(input, computed * width, width, kernel, half, line, valid, ring, target))
        return false;
    }
    const row = y * width;
    if (y >= half && y < height - half) {
      if (half <= UNROLLED_HALF) {
        for (let k = -UNROLLED_HALF; k <= UNROLLED_HALF; k++) {
          // Taps beyond the kernel read the middle row with a zero coefficient.
          const source = Math.abs(k) <= half ? y + k : y;
          rowOffsets[k + UNROLLED_HALF] = (source % ringRows) * width;
        }
        convolveColumnsUnrolled(ring, rowOffsets, paddedKernel, accumulator, out, row, width);
        continue;
      }
      // Wider kernels: two symmetric pairs of rows per sweep into a Float64 row.
      const middle = (y % ringRows) * width;
      for (let x = 0; x < width; x++) accumulator[x] = centre * ring[middle + x];
      let k = 1;
      for (; k + 1 <= half; k += 2) {
        const c1 = kernel[half + k];
        const c2 = kernel[half + k + 1];
        const above1 = ((y - k) % ringRows) * width;
        const below1 = ((y + k) % ringRows) * width;
        const above2 = ((y - k - 1) % ringRows) * width;
        const below2 = ((y + k + 1) % ringRows) * width;
        for (let x = 0; x < width; x++) {
          accumulator[x] +=
            c1 * (ring[above1 + x] + ring[below1 + x]) + c2 * (ring[above2 + x] + ring[below2 + x]);
        }
      }
      for (; k <= half; k++) {
        const c = kernel[half + k];
        const above = ((y - k) % ringRows) * width;
        const below = ((y + k) % ringRows) * width;
        for (let x = 0; x < width; x++) accumulator[x] += c * (ring[above + x] + ring[below + x]);
      }
      for (let x = 0; x < width; x++) out[row + x] = accumulator[x];
      continue;
    }
    renormalisedEdgeRow(
      ring,
      (j) => (j % ringRows) * width,
      y,
      lo,
      hi,
      kernel,
      half,
      accumulator,
      out,
      row,
      width,
    );
  }
  return true;
}

/**
 * A ring row that came out NaN, redone from the input row with its missing pixels left out (renormalised around
 * them); false when it is still NaN (no valid pixel within reach), for the general path.
 */
function redoRowAroundNaN(
  input: Float32Array,
  inStart: number,
  width: number,
  kernel: Float64Array,
  half: number,
  line: Float64Array,
  valid: Float64Array,
  ring: Float32Array,
  target: number,
): boolean {
  for (let x = 0; x < width; x++) {
    const v = input[inStart + x];
    const ok = !Number.isNaN(v);
    line[x] = ok ? v : 0;
    valid[x] = ok ? 1 : 0;
  }
  convolveLine(line, valid, width, kernel, half, ring, target, 1);
  return !lineHasNaN(ring, target, width, 1);
}

/**
 * Output row y within `half` of the top or bottom: the vertical pass over the ring rows lo..hi that exist (where
 * `ringRow(j)` starts), renormalised over their taps.
 */
function renormalisedEdgeRow(
  ring: Float32Array,
  ringRow: (j: number) => number,
  y: number,
  lo: number,
  hi: number,
  kernel: Float64Array,
  half: number,
  accumulator: Float64Array,
  out: Float32Array,
  row: number,
  width: number,
): void {
  let weight = 0;
  for (let j = lo; j <= hi; j++) weight += kernel[j - y + half];
  accumulator.fill(0);
  for (let j = lo; j <= hi; j++) {
    const k = kernel[j - y + half] / weight;
    const source = ringRow(j);
    for (let x = 0; x < width; x++) accumulator[x] += k * ring[source + x];
  }
  for (let x = 0; x < width; x++) out[row + x] = accumulator[x];
}

/** The general path: a full horizontal pass, then columns renormalised around NaN. */
function convolveWithMissingRows(
  input: Float32Array,
  out: Float32Array,
  width: number,
  height: number,
  kernel: Float64Array,
  half: number,
): void {
  const horizontal = new Float32Array(width * height);
  const line = new Float64Array(Math.max(width, height));
  const valid = new Float64Array(Math.max(width, height));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = input[y * width + x];
      const ok = !Number.isNaN(v);
      line[x] = ok ? v : 0;
      valid[x] = ok ? 1 : 0;
    }
    convolveLine(line, valid, width, kernel, half, horizontal, y * width, 1);
  }
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) {
      const v = horizontal[y * width + x];
      const ok = !Number.isNaN(v);
      line[y] = ok ? v : 0;
      valid[y] = ok ? 1 : 0;
    }
    convolveLine(line, valid, height, kernel, half, out, x, width);
  }
}

function lineHasNaN(values: Float32Array, start: number, n: number, stride: number): boolean {
  for (let i = 0; i < n; i++) if (Number.isNaN(values[start + i * stride])) return true;
  return false;
}

/**
 * One complete row (no NaN) from input[inStart ..] to out[outStart ..]: a symmetric dot product in the interior,
 * renormalised sums within `half` of the ends.
 */
function convolveCompleteRow(
  input: Float32Array,
  inStart: number,
  out: Float32Array,
  outStart: number,
  n: number,
  kernel: Float64Array,
  half: number,
  paddedKernel: Float64Array,
): void {
  const centre = kernel[half];
  // Kernels up to 8 taps a side run fully unrolled (zero-padded) where all 8 neighbours exist: V8 runs the
  // unrolled sum about 3× faster than a loop over the taps. Elsewhere, the loop.
  const unrolled = half <= UNROLLED_HALF && n > 2 * UNROLLED_HALF;
  const loopPart = (lo: number, hi: number) => {
    for (let i = lo; i < hi; i++) {
      const m = inStart + i;
      let sum = centre * input[m];
      for (let k = 1; k <= half; k++) sum += kernel[half + k] * (input[m - k] + input[m + k]);
      out[outStart + i] = sum;
    }
  };
  if (unrolled) {
    convolveRowUnrolled(input, inStart, out, outStart, UNROLLED_HALF, n - UNROLLED_HALF, paddedKernel);
    loopPart(half, UNROLLED_HALF);
    loopPart(n - UNROLLED_HALF, n - half);
  } else loopPart(half, n - half);
  for (let i = 0; i < Math.min(half, n); i++) {
    convolveRowEnd(input, inStart, out, outStart, n, kernel, half, i);
    if (n - 1 - i >= half) convolveRowEnd(input, inStart, out, outStart, n, kernel, half, n - 1 - i);
  }
}

const UNROLLED_HALF = 8;

/** out[outStart + i] for i in [from, to): the symmetric kernel (half ≤ 8, zero-padded) written out tap by tap. */
function convolveRowUnrolled(
  input: Float32Array,
  inStart: number,
  out: Float32Array,
  outStart: number,
  from: number,
  to: number,
  c: Float64Array,
): void {
  const c0 = c[0];
  const c1 = c[1];
  const c2 = c[2];
  const c3 = c[3];
  const c4 = c[4];
  const c5 = c[5];
  const c6 = c[6];
  const c7 = c[7];
  const c8 = c[8];
  const shift = outStart - inStart;
  if (c8 === 0) {
    // Seven taps a side (σ up to 2.33 px at 3σ): the two zero taps cost 10% of the pass.
    for (let m = inStart + from; m < inStart + to; m++) {
      out[m + shift] =
        c0 * input[m] +
        c1 * (input[m - 1] + input[m + 1]) +
        c2 * (input[m - 2] + input[m + 2]) +
        c3 * (input[m - 3] + input[m + 3]) +
        c4 * (input[m - 4] + input[m + 4]) +
        c5 * (input[m - 5] + input[m + 5]) +
        c6 * (input[m - 6] + input[m + 6]) +
        c7 * (input[m - 7] + input[m + 7]);
    }
    return;
  }
  for (let m = inStart + from; m < inStart + to; m++) {
    out[m + shift] =
      c0 * input[m] +
      c1 * (input[m - 1] + input[m + 1]) +
      c2 * (input[m - 2] + input[m + 2]) +
      c3 * (input[m - 3] + input[m + 3]) +
      c4 * (input[m - 4] + input[m + 4]) +
      c5 * (input[m - 5] + input[m + 5]) +
      c6 * (input[m - 6] + input[m + 6]) +
      c7 * (input[m - 7] + input[m + 7]) +
      c8 * (input[m - 8] + input[m + 8]);
  }
}

/** The kernel's centre and right half, zero-padded to UNROLLED_HALF + 1 taps (half ≤ UNROLLED_HALF). */
function paddedHalfKernel(kernel: Float64Array, half: number): Float64Array {
  const c = new Float64Array(UNROLLED_HALF + 1);
  for (let k = 0; k <= Math.min(half, UNROLLED_HALF); k++) c[k] = kernel[half + k];
  return c;
}

/**
 * One output row of the vertical pass over the 17 ring rows (`rowOffsets[k + 8]` is where row y + k starts), in
 * two sweeps: rows y, y ± 1..4 into a Float64 row, then rows y ± 5..8 added on the way out. One sweep over all 17
 * rows is twice as slow (measured): V8 runs out of registers for 17 row offsets and 9 coefficients and spills in
 * the inner loop; two pair-by-pair sweeps of an accumulator row (the old way) read and write it too often.
 */
function convolveColumnsUnrolled(
  ring: Float32Array,
  rowOffsets: Int32Array,
  c: Float64Array,
  near: Float64Array,
  out: Float32Array,
  outStart: number,
  width: number,
): void {
  sumNearRows(ring, rowOffsets, c, near, width);
  addFarRows(ring, rowOffsets, c, near, out, outStart, width);
}

function sumNearRows(
  ring: Float32Array,
  rowOffsets: Int32Array,
  c: Float64Array,
  near: Float64Array,
  width: number,
): void {
  const c0 = c[0];
  const c1 = c[1];
  const c2 = c[2];
  const c3 = c[3];
  const c4 = c[4];
  const a4 = rowOffsets[4];
  const a3 = rowOffsets[5];
  const a2 = rowOffsets[6];
  const a1 = rowOffsets[7];
  const m = rowOffsets[8];
  const b1 = rowOffsets[9];
  const b2 = rowOffsets[10];
  const b3 = rowOffsets[11];
  const b4 = rowOffsets[12];
  for (let x = 0; x < width; x++) {
    near[x] =
      c0 * ring[m + x] +
      c1 * (ring[a1 + x] + ring[b1 + x]) +
      c2 * (ring[a2 + x] + ring[b2 + x]) +
      c3 * (ring[a3 + x] + ring[b3 + x]) +
      c4 * (ring[a4 + x] + ring[b4 + x]);
  }
}

function addFarRows(
  ring: Float32Array,
  rowOffsets: Int32Array,
  c: Float64Array,
  near: Float64Array,
  out: Float32Array,
  outStart: number,
  width: number,
): void {
  const c5 = c[5];
  const c6 = c[6];
  const c7 = c[7];
  const c8 = c[8];
  const a8 = rowOffsets[0];
  const a7 = rowOffsets[1];
  const a6 = rowOffsets[2];
  const a5 = rowOffsets[3];
  const b5 = rowOffsets[13];
  const b6 = rowOffsets[14];
  const b7 = rowOffsets[15];
  const b8 = rowOffsets[16];
  if (c8 === 0) {
    for (let x = 0; x < width; x++) {
      out[outStart + x] =
        near[x] +
        c5 * (ring[a5 + x] + ring[b5 + x]) +
        c6 * (ring[a6 + x] + ring[b6 + x]) +
        c7 * (ring[a7 + x] + ring[b7 + x]);
    }
    return;
  }
  for (let x = 0; x < width; x++) {
    out[outStart + x] =
      near[x] +
      c5 * (ring[a5 + x] + ring[b5 + x]) +
      c6 * (ring[a6 + x] + ring[b6 + x]) +
      c7 * (ring[a7 + x] + ring[b7 + x]) +
      c8 * (ring[a8 + x] + ring[b8 + x]);
  }
}

function convolveRowEnd(
  input: Float32Array,
  inStart: number,
  out: Float32Array,
  outStart: number,
  n: number,
  kernel: Float64Array,
  half: number,
  i: number,
): void {
  let sum = 0;
  let weight = 0;
  for (let j = Math.max(0, i - half); j <= Math.min(n - 1, i + half); j++) {
    const k = kernel[j - i + half];
    sum += k * input[inStart + j];
    weight += k;
  }
  out[outStart + i] = sum / weight;
}

/** One 1-d pass over a line with missing samples (valid = 0): renormalised over the valid ones. */
function convolveLine(
  line: Float64Array,
  valid: Float64Array,
  n: number,
  kernel: Float64Array,
  half: number,
  out: Float32Array,
  offset: number,
  stride: number,
): void {
  for (let i = 0; i < n; i++) {
    let sum = 0;
    let weight = 0;
    const lo = Math.max(0, i - half);
    const hi = Math.min(n - 1, i + half);
    for (let j = lo; j <= hi; j++) {
      const k = kernel[j - i + half] * valid[j];
      sum += k * line[j];
      weight += k;
    }
    out[offset + i * stride] = weight > 0 ? sum / weight : Number.NaN;
  }
}

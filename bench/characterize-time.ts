/**
 * Time of characterizeImage on one 4096×4096 detector (a script, not part of `npm run bench`):
 *
 *   npx tsc -p tsconfig.bench.json && node dist-bench/bench/characterize-time.js [size] [objects]
 *
 * The scene: a sky of 900 e⁻ with a gradient and Gaussian noise, 70% stars and 30% galaxies (the PSF widened by
 * 1–4 px²) with power-law fluxes, under a PSF whose core grows by 20% and turns elliptical across the detector (a
 * polynomialDoubleGaussian rendered at each object). Prints wall and CPU seconds per step and the PSF fit.
 */
import { box2i, Exposure, ImageF, Mask, polynomialDoubleGaussianPsf } from '../src/formats/index.js';
import { characterizeImage, psfModelImage } from '../src/tasks/index.js';

const size = Number(process.argv[2] ?? 4096);
const objects = Number(process.argv[3] ?? 5000);
const SKY = 900;

let state = 20261205;
const uniform = () => {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());

const bbox = box2i(0, 0, size, size);
const truePsf = polynomialDoubleGaussianPsf({
  order: 2,
  bbox,
  coreIxx: [2.3, 0.2, 0, 0.25, 0, 0.1],
  coreIyy: [2.2, 0, 0.15, 0.1, 0, 0.25],
  coreIxy: [0.05, 0, 0, 0, 0.1, 0],
  wingScale: 2,
  ratio: 0.1 / 0.9 / 4,
});
const pixels = new Float32Array(size * size);
for (let y = 0; y < size; y++)
  for (let x = 0; x < size; x++) pixels[y * size + x] = SKY + (20 * (x + y)) / size;
for (let i = 0; i < objects; i++) {
  const x = 10 + uniform() * (size - 20);
  const y = 10 + uniform() * (size - 20);
  const flux = 500 * (1 - uniform()) ** -1.2;
  const galaxy = uniform() < 0.3 ? 1 + 3 * uniform() : 0;
  const psf =
    galaxy === 0
      ? truePsf
      : polynomialDoubleGaussianPsf({
          ...truePsf,
          wingScale: 2,
          coreIxx: [truePsf.coreIxx[0] + galaxy, ...truePsf.coreIxx.slice(1)],
          coreIyy: [truePsf.coreIyy[0] + galaxy, ...truePsf.coreIyy.slice(1)],
        });
  const half = 20;
  const n = 2 * half + 1;
  const ix = Math.round(x);
  const iy = Math.round(y);
  const stamp = psfModelImage(psf, half, x - ix, y - iy, { x, y });
  for (let sy = 0; sy < n; sy++) {
    const py = iy - half + sy;
    if (py < 0 || py >= size) continue;
    for (let sx = 0; sx < n; sx++) {
      const px = ix - half + sx;
      if (px >= 0 && px < size) pixels[py * size + px] += flux * stamp[sy * n + sx];
    }
  }
}
const variance = new Float32Array(size * size);
for (let i = 0; i < pixels.length; i++) {
  variance[i] = Math.max(pixels[i], 0);
  pixels[i] += Math.sqrt(variance[i]) * normal();
}
const exposure = new Exposure({
  image: new ImageF(pixels, bbox),
  mask: Mask.zeros(bbox),
  variance: new ImageF(variance, bbox),
});

for (const run of ['warm-up', 'timed']) {
  const wall = performance.now();
  const cpu = process.cpuUsage();
  const result = characterizeImage(exposure, { initialFwhmPixels: 3.6 });
  const used = process.cpuUsage(cpu);
  const steps = Object.entries(result.timings)
    .map(([k, v]) => `${k} ${(v / 1000).toFixed(2)} s`)
    .join(', ');
  console.log(
    `${run}: ${size}×${size}, ${result.sources.count} sources: wall ${((performance.now() - wall) / 1000).toFixed(2)} s, ` +
      `CPU ${((used.user + used.system) / 1e6).toFixed(2)} s (${steps}); PSF from ${result.psf.usedResidual.count} stars, ` +
      `${result.psf.reservedResidual.count} reserved, residual median ${(100 * result.psf.reservedResidual.median).toFixed(2)}% ` +
      `rms ${(100 * result.psf.reservedResidual.rms).toFixed(2)}%`,
  );
}

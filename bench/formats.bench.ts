import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFits, writeFits } from '../src/formats/index.js';
import { benchmarkDetectorRender } from '../src/sim/index.js';
import { type BenchResult, percentile, timeIt } from './harness.js';

/**
 * FITS throughput on a 4096×4096 float32 image read from the page cache (target ≥ 1 GB/s), against reading the
 * same bytes with a plain `readFileSync`, and the simulator's rendering speed for one 4k×4k detector.
 */
export async function benchFormats(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-fits-bench-'));
  const results: BenchResult[] = [];
  try {
    const n = 4096;
    const data = new Float32Array(n * n);
    for (let i = 0; i < data.length; i++) data[i] = (i % 9973) * 0.5;
    const path = join(dir, 'image.fits');
    const writes: number[] = [];
    for (let i = 0; i < 5; i++) {
      rmSync(path, { force: true });
      writes.push(await timeIt(() => writeFits(path, [{ kind: 'image', data, shape: [n, n] }])));
    }
    const bytes = n * n * 4;
    const rawWrites: number[] = [];
    for (let i = 0; i < 5; i++) {
      rawWrites.push(await timeIt(async () => writeFileSync(join(dir, 'raw.bin'), Buffer.from(data.buffer))));
    }
    const reads: number[] = [];
    const rawReads: number[] = [];
    readFileSync(path); // warm the page cache
    for (let i = 0; i < 10; i++) {
      reads.push(
        await timeIt(async () => {
          const f = await readFits(path);
          f.readImage(0);
        }),
      );
      rawReads.push(await timeIt(async () => readFileSync(path)));
    }
    const gbps = (ms: number) => bytes / (ms / 1000) / 1e9;
    results.push({
      name: 'FITS read, 4096×4096 float32 from page cache (median)',
      value: gbps(percentile(reads, 50)),
      unit: 'GB/s',
      reference: gbps(percentile(rawReads, 50)),
      referenceName: 'readFileSync of the same file',
      target: 1,
      higherIsBetter: true,
    });
    results.push({
      name: 'FITS write, 4096×4096 float32 (median)',
      value: gbps(percentile(writes, 50)),
      unit: 'GB/s',
      reference: gbps(percentile(rawWrites, 50)),
      referenceName: 'writeFileSync of the raw bytes',
      higherIsBetter: true,
    });
    const render = await benchmarkDetectorRender({ detectorSize: 4096, sources: 5000 });
    results.push({
      name: 'simulator: render one 4096×4096 detector, 5000 sources',
      value: render.seconds,
      unit: 's',
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

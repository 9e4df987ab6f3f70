import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Butler, Timespan, verifyRepository } from '../butler/index.js';
import { Box, ConvexPolygon } from '../sphere/index.js';

/** Marker file: the demo only ever deletes directories it created itself. */
const MARKER = '.meridian-demo';

export interface DemoOptions {
  readonly workdir: string;
  readonly log: (line: string) => void;
}

/** Start from a clean slate in a directory the demo owns (running the demo twice works). */
export function prepareWorkdir(workdir: string, sub: string): string {
  const root = resolve(workdir);
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, MARKER), 'created by `meridian demo`; safe to delete\n');
  const dir = join(root, sub);
  if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  return dir;
}

/**
 * The butler part of the demo: make a repository, describe a tiny instrument, register dataset types, put and
 * get datasets through the public API, certify a calibration and show what the repository holds.
 */
export async function runButlerDemo(options: DemoOptions): Promise<void> {
  const { log } = options;
  const repo = prepareWorkdir(options.workdir, 'repo');
  log(`Creating a butler repository in ${repo}`);
  const butler = await Butler.create(repo);
  try {
    const reg = butler.registry;
    await reg.insertDimensionData('instrument', [
      {
        name: 'DemoCam',
        visit_max: 100000,
        exposure_max: 100000,
        detector_max: 4,
        class_name: 'meridian.DemoCam',
      },
    ]);
    await reg.insertDimensionData(
      'physical_filter',
      ['g', 'r', 'i'].map((b) => ({ instrument: 'DemoCam', name: `Demo-${b}`, band: b })),
    );
    await reg.insertDimensionData(
      'detector',
      [0, 1, 2, 3].map((id) => ({
        instrument: 'DemoCam',
        id,
        full_name: `S${id}`,
        raft: 'R0',
        purpose: 'SCIENCE',
      })),
    );
    await reg.insertDimensionData('day_obs', [{ instrument: 'DemoCam', id: 20260101 }]);
    const start = Timespan.fromIso('2026-01-01T03:00:00', null, 'utc').begin!;
    const visits = [0, 1, 2, 3, 4, 5].map((i) => ({
      instrument: 'DemoCam',
      id: 1000 + i,
      name: `v${1000 + i}`,
      physical_filter: `Demo-${['g', 'r', 'i'][i % 3]}`,
      day_obs: 20260101,
      exposure_time: 30,
      seeing: 0.6 + 0.1 * i,
      region: Box.fromDegrees(55.5 + 0.2 * i, -30.5, 56.5 + 0.2 * i, -29.5),
      timespan: new Timespan(
        start + BigInt(i) * 60_000_000_000n,
        start + BigInt(i) * 60_000_000_000n + 30_000_000_000n,
      ),
    }));
    await reg.insertDimensionData('visit', visits);
    for (const v of visits) {
      await reg.insertDimensionData(
        'visit_detector_region',
        [0, 1, 2, 3].map((d) => {
          const x0 = 55.5 + 0.2 * (v.id - 1000) + (d % 2) * 0.5;
          const y0 = -30.5 + Math.floor(d / 2) * 0.5;
          return {
            instrument: 'DemoCam',
            visit: v.id,
            detector: d,
            region: ConvexPolygon.fromLonLat([
              [x0, y0],
              [x0 + 0.5, y0],
              [x0 + 0.5, y0 + 0.5],
              [x0, y0 + 0.5],
            ]),
          };
        }),
      );
    }
    log('Registered instrument DemoCam: 3 filters, 4 detectors, 6 visits with sky regions');

    await butler.registerDatasetType('visitSummary', ['instrument', 'visit'], 'StructuredDataDict');
    await butler.registerDatasetType(
      'sourceCounts',
      ['instrument', 'visit', 'detector'],
      'StructuredDataList',
    );
    await butler.registerDatasetType('bias', ['instrument', 'detector'], 'StructuredDataDict', {
      isCalibration: true,
    });
    await butler.registerDatasetType('pipelineConfig', [], 'Config');
    log('Registered dataset types: visitSummary, sourceCounts, bias (calibration), pipelineConfig');

    const run = 'demo/run1';
    await butler.put(
      { pipeline: 'demo', version: 1, tasks: ['isr', 'calibrate'] },
      'pipelineConfig',
      {},
      { run },
    );
    for (const v of visits) {
      await butler.put(
        { visit: v.id, seeing: v.seeing, nSources: 1000 + (v.id % 7) },
        'visitSummary',
        { instrument: 'DemoCam', visit: v.id },
        { run },
      );
      for (const d of [0, 1, 2, 3]) {
        await butler.put(
          [v.id, d, (v.id * 7 + d * 13) % 100],
          'sourceCounts',
          { instrument: 'DemoCam', visit: v.id, detector: d },
          { run },
        );
      }
    }
    const calibRun = 'DemoCam/calib/run1';
    const biases = [];
    for (const d of [0, 1, 2, 3])
      biases.push(
        await butler.put(
          { level: 1000 + d, detector: d },
          'bias',
          { instrument: 'DemoCam', detector: d },
          { run: calibRun },
        ),
      );
    await reg.registerCollection('DemoCam/calib', 'CALIBRATION');
    await reg.certify('DemoCam/calib', biases, new Timespan(start - 86_400_000_000_000n, null));
    await reg.registerCollection('demo/defaults', 'CHAINED');
    await reg.setCollectionChain('demo/defaults', [run, 'DemoCam/calib']);
    log(
      `Put ${1 + visits.length * 5 + 4} datasets into ${run} and ${calibRun}; certified biases into DemoCam/calib`,
    );

    const summary = await butler.get(
      'visitSummary',
      { instrument: 'DemoCam', visit: 1002 },
      { collections: ['demo/defaults'] },
    );
    log(`get visitSummary(visit=1002) → ${JSON.stringify(summary)}`);
    const bias = await butler.get(
      'bias',
      { instrument: 'DemoCam', detector: 2, visit: 1003 },
      { collections: ['demo/defaults'] },
    );
    log(`get bias(detector=2) valid at visit 1003 → ${JSON.stringify(bias)}`);

    log('');
    log('Collections:');
    for (const c of await reg.queryCollections()) {
      const extra = c.type === 'CHAINED' ? ` → [${(await reg.getCollectionChain(c.name)).join(', ')}]` : '';
      log(`  ${c.name.padEnd(22)} ${c.type}${extra}`);
    }
    log('Datasets per type:');
    for (const dt of await reg.queryDatasetTypes()) {
      const n = (await reg.queryDatasets(dt.name, { collections: ['*'] })).length;
      log(`  ${dt.name.padEnd(16)} ${String(n).padStart(4)}  ${dt.dimensions}  ${dt.storageClass}`);
    }
    const inR = await reg.queryDatasets('sourceCounts', {
      collections: [run],
      where: "band = 'r' AND detector IN (0..1)",
    });
    log(`Query: sourceCounts where band = 'r' AND detector IN (0..1) → ${inR.length} datasets`);
    const overlapping = await reg.queryDataIds(['visit', 'detector'], {
      where: 'visit_detector_region.region OVERLAPS POINT(56.1, -29.9)',
    });
    log(
      `Query: detectors whose region contains (56.1, -29.9) → ${overlapping.map((d) => `visit ${d.values.visit}/det ${d.values.detector}`).join(', ')}`,
    );
    const report = await verifyRepository(butler);
    log(`Verify: ${report.datasets} datasets, ${report.files} files, ${report.problems.length} problems`);
  } finally {
    await butler.close();
  }
}

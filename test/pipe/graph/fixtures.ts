import { join } from 'node:path';
import { type Butler, Timespan } from '../../../src/butler/index.js';
import {
  AddTask,
  CalibrateTask,
  type ResolvedPipeline,
  resolvePipeline,
  type TaskEntry,
  TaskRegistry,
} from '../../../src/pipe/index.js';
import { Box, HtmPixelization } from '../../../src/sphere/index.js';
import { dropSchema, makeRepo, tempDir } from '../../butler/api/helpers.js';

export const tasks = new TaskRegistry().register(AddTask, CalibrateTask);

export const EXPOSURES = [100, 101, 110, 111] as const;
export const DETECTORS = [1, 2, 3, 4] as const;

/** The reference-catalog shards put in the repository: every HTM7 trixel over the visits' sky (ra 9..13). */
export function refcatShards(): number[] {
  const out: number[] = [];
  for (const r of new HtmPixelization(7).envelope(Box.fromDegrees(9, -1, 13, 1)))
    for (let p = r.begin; p < r.end; p++) out.push(p);
  return out;
}

export interface PipelineRepo {
  readonly butler: Butler;
  readonly root: string;
  cleanup(): Promise<void>;
}

/**
 * The registry test data (Cam1: 4 detectors, exposures 100/101 in visit 1 at 20:00, 110/111 in visit 2 at
 * 21:00) with `raw_value` for every exposure × detector (value = exposure + detector) in `raw/run`; `bias_value`
 * per detector certified twice in `calib` (run `calib/a` valid until 20:30, value 1; `calib/b` from 20:30,
 * value 2); `refcat_value` shards in `refcats`; the chain `inputs` = raw/run, calib, refcats.
 */
export async function pipelineRepo(backend: 'sqlite' | 'postgresql' = 'sqlite'): Promise<PipelineRepo> {
  const dir = tempDir('meridian-qgbuild-');
  const butler = await makeRepo(join(dir.path, 'repo'), backend);
  await butler.registerDatasetType('raw_value', ['instrument', 'exposure', 'detector'], 'StructuredDataDict');
  await butler.registerDatasetType('bias_value', ['instrument', 'detector'], 'StructuredDataDict', {
    isCalibration: true,
  });
  await butler.registerDatasetType('refcat_value', ['htm7'], 'StructuredDataDict');
  for (const exposure of EXPOSURES)
    for (const detector of DETECTORS)
      await butler.put(
        { value: exposure + detector },
        'raw_value',
        { instrument: 'Cam1', exposure, detector },
        { run: 'raw/run' },
      );
  await butler.registry.registerCollection('calib', 'CALIBRATION');
  for (const [run, value, range] of [
    ['calib/a', 1, ['2021-01-01T00:00:00', '2021-09-09T20:30:00']],
    ['calib/b', 2, ['2021-09-09T20:30:00', null]],
  ] as const) {
    const refs = [];
    for (const detector of DETECTORS)
      refs.push(await butler.put({ value }, 'bias_value', { instrument: 'Cam1', detector }, { run }));
    await butler.registry.certify('calib', refs, Timespan.fromIso(range[0], range[1]));
  }
  for (const htm7 of refcatShards())
    await butler.put({ value: htm7 }, 'refcat_value', { htm7 }, { run: 'refcats' });
  await butler.registry.registerCollection('inputs', 'CHAINED');
  await butler.registry.setCollectionChain('inputs', ['raw/run', 'calib', 'refcats']);
  return {
    butler,
    root: join(dir.path, 'repo'),
    async cleanup() {
      await dropSchema(butler);
      await butler.close();
      dir.cleanup();
    },
  };
}

export function pipeline(butler: Butler, entries: readonly TaskEntry[]): ResolvedPipeline {
  return resolvePipeline(entries, tasks, { universe: butler.universe });
}

/** calibrate (per exposure × detector, bias + refcat) → perVisit (AddTask per visit, all calibrated of the visit). */
export function calibrateThenVisit(butler: Butler, perVisit: Record<string, unknown> = {}): ResolvedPipeline {
  return pipeline(butler, [
    { label: 'calibrate', taskName: CalibrateTask.name },
    {
      label: 'perVisit',
      taskName: AddTask.name,
      config: {
        dimensions: ['instrument', 'visit'],
        inputDimensions: ['instrument', 'exposure', 'detector'],
        inputMultiple: true,
        connections: { inputName: 'calibrated', outputName: 'visit_sum' },
        ...perVisit,
      },
    },
  ]);
}

/**
 * What an earlier run of the test `calibrate` task leaves for one exposure × detector: its `calibrate_metadata` (the
 * mark of a finished quantum) and its `calibrated` output, in `run`. Returns the `calibrated` ref.
 */
export async function putFinishedCalibrate(
  butler: Butler,
  dataId: Readonly<Record<string, string | number>>,
  run: string,
  value: number,
) {
  await butler.registerDatasetType(
    'calibrate_metadata',
    ['instrument', 'exposure', 'detector'],
    'TaskMetadata',
  );
  await butler.registerDatasetType(
    'calibrated',
    ['instrument', 'exposure', 'detector'],
    'StructuredDataDict',
  );
  await butler.put({ done: true }, 'calibrate_metadata', dataId, { run });
  return butler.put({ value }, 'calibrated', dataId, { run });
}

/**
 * Planning a graph build before any data-ID query: the pipeline's dataset types as the repository defines them,
 * which overall inputs constrain the query, the union of all dimensions, and whether the output run exists.
 */
import type { Butler, DatasetType, DimensionGroup } from '../../butler/index.js';
import { isMeridianError, meridianError } from '../../errors.js';
import type { ResolvedPipeline } from '../model.js';

export interface BuildPlan {
  /** Pipeline dataset types that the repository has registered, as it defines them. */
  readonly registered: ReadonlyMap<string, DatasetType>;
  /** Overall inputs joined into the data-ID query (their existence in the input collections). */
  readonly constraining: readonly string[];
  /** Every task's and (non-init, non-prerequisite) dataset type's dimensions. */
  readonly unionGroup: DimensionGroup;
  readonly outputRunExists: boolean;
}

export async function planBuild(
  butler: Butler,
  pipeline: ResolvedPipeline,
  options: {
    readonly outputRun: string;
    readonly datasetQueryConstraint?: 'all' | 'off' | readonly string[];
  },
): Promise<BuildPlan> {
  const universe = butler.universe;
  const names = new Set(pipeline.datasetTypes.map((t) => t.name));
  const registered = new Map<string, DatasetType>();
  for (const dt of await butler.registry.queryDatasetTypes())
    if (names.has(dt.name)) registered.set(dt.name, dt);
  for (const t of pipeline.datasetTypes) {
    const dt = registered.get(t.name);
    if (dt === undefined) continue;
    const mine = universe.group(t.dimensions);
    if (!dt.dimensions.equals(mine) || dt.isCalibration !== t.isCalibration) {
      throw meridianError(
        'PIPELINE_INVALID',
        `dataset type ${t.name} is ${mine}${t.isCalibration ? ' (calibration)' : ''} in the pipeline but ${dt.dimensions}${dt.isCalibration ? ' (calibration)' : ''} in the repository`,
        { datasetType: t.name },
      );
    }
  }
  const overallInputs = pipeline.datasetTypes.filter(
    (t) => !t.isInit && t.producer === null && !t.isPrerequisite,
  );
  const deferred = new Set<string>();
  for (const task of pipeline.tasks)
    for (const c of task.connections)
      if (c.kind === 'input' && c.deferGraphConstraint) deferred.add(c.datasetType);
  const constraint = options.datasetQueryConstraint ?? 'all';
  let constraining: string[];
  if (constraint === 'off') constraining = [];
  else if (constraint === 'all')
    constraining = overallInputs.filter((t) => !deferred.has(t.name)).map((t) => t.name);
  else {
    const inputNames = new Set(overallInputs.map((t) => t.name));
    for (const n of constraint) {
      if (!inputNames.has(n)) {
        throw meridianError(
          'INVALID_ARGUMENT',
          `--dataset-query-constraint names ${n}, which is not an overall input of the pipeline (${[...inputNames].join(', ') || 'none'})`,
          { datasetType: n },
        );
      }
    }
    constraining = [...constraint];
  }
  const unregistered = constraining.filter((n) => !registered.has(n));
  if (unregistered.length > 0) {
    throw meridianError(
      'QGRAPH_EMPTY',
      `no quanta: the input dataset type${unregistered.length > 1 ? 's' : ''} ${unregistered.join(', ')} ${unregistered.length > 1 ? 'are' : 'is'} not registered in the repository, so no data ID has one`,
      { missing: unregistered },
    );
  }
  const dims = new Set<string>();
  for (const task of pipeline.tasks) for (const d of task.dimensions) dims.add(d);
  for (const t of pipeline.datasetTypes)
    if (!t.isInit && !t.isPrerequisite) for (const d of t.dimensions) dims.add(d);
  // A region lookup for an exposure-based quantum uses the region of the exposure's visit: bring the visit in.
  for (const task of pipeline.tasks) {
    const regional = task.connections.some((c) => c.kind === 'prerequisite' && c.lookup?.kind === 'region');
    if (regional && task.dimensions.includes('exposure') && !task.dimensions.includes('visit'))
      dims.add('visit');
  }
  let outputRunExists = true;
  try {
    const type = await butler.registry.getCollectionType(options.outputRun);
    if (type !== 'RUN') {
      throw meridianError(
        'COLLECTION_TYPE',
        `the output run ${options.outputRun} is a ${type} collection, not a RUN`,
        {
          name: options.outputRun,
        },
      );
    }
  } catch (err) {
    if (!isMeridianError(err, 'COLLECTION_UNKNOWN')) throw err;
    outputRunExists = false;
  }
  return { registered, constraining, unionGroup: universe.group(dims), outputRunExists };
}

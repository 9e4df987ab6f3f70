/**
 * Small tasks for testing the framework (and for `pipetask` demos): they move `{ value: number }` objects
 * (StructuredDataDict) around, and between them use every connection kind, `multiple`, `minimum`, deferred loads,
 * prerequisites (a calibration by validity range, reference-catalog shards by region), init-inputs and -outputs,
 * and NoWorkFound at build and run time. Each can be told to fail on chosen data IDs in the ways a real task
 * fails (throw, exit the process, blow its memory, hang).
 */
import { z } from 'zod';
import type { DataCoordinate, DatasetRef } from '../../butler/index.js';
import { meridianError } from '../../errors.js';
import { type Connections, InitInput, InitOutput, Input, Output, PrerequisiteInput } from '../connections.js';
import {
  type DeferredDatasetHandle,
  defineTask,
  noWorkFound,
  type QuantumContext,
  type TaskRegistry,
} from '../task.js';

const dataIdSelection = z.record(z.string(), z.union([z.string(), z.number()]));

/** How a test task misbehaves on the quanta whose data ID matches `where` (all quanta when `where` is empty). */
const failureSchema = z
  .object({
    mode: z.enum(['none', 'throw', 'exit', 'memory', 'hang', 'noWork']).default('none'),
    where: dataIdSelection.default({}),
  })
  .default({ mode: 'none', where: {} });

export type TestFailure = z.output<typeof failureSchema>;

function matches(dataId: DataCoordinate, where: Readonly<Record<string, string | number>>): boolean {
  return Object.entries(where).every(([k, v]) => dataId.values[k] === v);
}

/** Misbehave as configured (the executor must turn each into a failed quantum, or noWork into a success). */
async function maybeFail(ctx: QuantumContext<{ failure: TestFailure }>): Promise<void> {
  const { mode, where } = ctx.config.failure;
  if (mode === 'none' || !matches(ctx.dataId, where)) return;
  switch (mode) {
    case 'throw':
      throw meridianError('INVALID_ARGUMENT', `test failure requested for ${ctx.label} ${ctx.dataId}`);
    case 'noWork':
      throw noWorkFound(`no work requested for ${ctx.label} ${ctx.dataId}`);
    case 'exit':
      process.exit(3);
      break;
    case 'memory': {
      const hog: Buffer[] = [];
      for (;;) hog.push(Buffer.alloc(64 * 1024 * 1024, 1));
    }
    case 'hang':
      await new Promise<void>((resolve) => {
        ctx.signal.addEventListener('abort', () => resolve(), { once: true });
      });
      throw meridianError('ABORTED', `${ctx.label} ${ctx.dataId} was stopped while hanging`);
  }
}

function numericValue(obj: unknown): number {
  const v = (obj as { value?: unknown } | null)?.value;
  if (typeof v !== 'number')
    throw meridianError('INVALID_ARGUMENT', 'a test task input has no numeric `value`');
  return v;
}

async function sumInputs(loaded: unknown): Promise<number> {
  const items = Array.isArray(loaded) ? loaded : [loaded];
  let total = 0;
  for (const item of items) {
    const obj = isDeferred(item) ? await item.get() : item;
    total += numericValue(obj);
  }
  return total;
}

function isDeferred(x: unknown): x is DeferredDatasetHandle {
  return (
    typeof x === 'object' && x !== null && 'ref' in x && typeof (x as { get?: unknown }).get === 'function'
  );
}

const addConfig = z.object({
  /** The quantum dimensions (and the output's). */
  dimensions: z.array(z.string()).default(['instrument', 'detector']),
  /** The input's dimensions, when they differ (more dimensions than the quantum need `inputMultiple`). */
  inputDimensions: z.array(z.string()).nullable().default(null),
  inputMultiple: z.boolean().default(false),
  minimum: z.number().int().min(1).default(1),
  deferLoad: z.boolean().default(false),
  deferGraphConstraint: z.boolean().default(false),
  addend: z.number().default(1),
  /** Read an init-input of this dataset type (another task's init-output) and add its `value`. */
  initInputName: z.string().nullable().default(null),
  /** Write an init-output `<outputName>_schema` holding `{ value: addend }`. */
  writeSchema: z.boolean().default(false),
  /** Quanta whose data ID matches any of these are dropped at build time with NoWorkFound (adjustQuantum). */
  noWorkAtBuild: z.array(dataIdSelection).default([]),
  failure: failureSchema,
});

/** output.value = sum(input values) + addend (+ init-input value). */
export const AddTask = defineTask({
  name: 'meridian.pipe.testing.AddTask',
  doc: 'Adds `addend` to the sum of its input values; the general-purpose test task.',
  config: addConfig,
  templates: { inputName: 'add_input', outputName: 'add_output' },
  dimensions: (c) => c.dimensions,
  connections: (c): Connections => ({
    input: Input({
      name: '{inputName}',
      storageClass: 'StructuredDataDict',
      dimensions: c.inputDimensions ?? c.dimensions,
      multiple: c.inputMultiple,
      minimum: c.minimum,
      deferLoad: c.deferLoad,
      deferGraphConstraint: c.deferGraphConstraint,
    }),
    output: Output({ name: '{outputName}', storageClass: 'StructuredDataDict', dimensions: c.dimensions }),
    ...(c.initInputName === null
      ? {}
      : { initInput: InitInput({ name: c.initInputName, storageClass: 'StructuredDataDict' }) }),
    ...(c.writeSchema
      ? { schema: InitOutput({ name: '{outputName}_schema', storageClass: 'StructuredDataDict' }) }
      : {}),
  }),
  adjustQuantum(quantum, config) {
    if (config.noWorkAtBuild.some((sel) => matches(quantum.dataId, sel))) {
      throw noWorkFound(`${quantum.label}: no work for ${quantum.dataId} (noWorkAtBuild)`);
    }
  },
  initOutputs({ config }) {
    return config.writeSchema ? { schema: { value: config.addend } } : {};
  },
  async runQuantum(ctx) {
    await maybeFail(ctx);
    const inputs = await ctx.getInputs();
    const extra = ctx.config.initInputName === null ? 0 : numericValue(ctx.initInputs.initInput);
    const value = (await sumInputs(inputs.input)) + ctx.config.addend + extra;
    ctx.addMetadata('inputCount', ctx.inputRefs.input?.length ?? 0);
    await ctx.putOutputs({ output: { value } });
  },
});

const calibrateConfig = z.object({
  dimensions: z.array(z.string()).default(['instrument', 'exposure', 'detector']),
  /** Also read the reference-catalog shards overlapping the quantum's region. */
  useRefcat: z.boolean().default(true),
  failure: failureSchema,
});

/**
 * output.value = input.value - calib.value + (number of refcat shards). The prerequisites are a calibration
 * (dimensions {instrument, detector}, certified with a validity range) and reference-catalog shards ({htm7}).
 */
export const CalibrateTask = defineTask({
  name: 'meridian.pipe.testing.CalibrateTask',
  doc: 'Subtracts a certified calibration and counts the reference-catalog shards over the quantum.',
  config: calibrateConfig,
  templates: {
    inputName: 'raw_value',
    calibName: 'bias_value',
    refcatName: 'refcat_value',
    outputName: 'calibrated',
  },
  dimensions: (c) => c.dimensions,
  connections: (c): Connections => ({
    input: Input({ name: '{inputName}', storageClass: 'StructuredDataDict', dimensions: c.dimensions }),
    calib: PrerequisiteInput({
      name: '{calibName}',
      storageClass: 'StructuredDataDict',
      dimensions: ['instrument', 'detector'],
      isCalibration: true,
    }),
    ...(c.useRefcat
      ? {
          refcat: PrerequisiteInput({
            name: '{refcatName}',
            storageClass: 'StructuredDataDict',
            dimensions: ['htm7'],
            multiple: true,
            deferLoad: true,
          }),
        }
      : {}),
    output: Output({ name: '{outputName}', storageClass: 'StructuredDataDict', dimensions: c.dimensions }),
  }),
  async runQuantum(ctx) {
    await maybeFail(ctx);
    const inputs = await ctx.getInputs();
    const refcatShards: readonly DatasetRef[] = ctx.inputRefs.refcat ?? [];
    const value = numericValue(inputs.input) - numericValue(inputs.calib) + refcatShards.length;
    await ctx.putOutputs({ output: { value } });
  },
});

export function registerTasks(registry: TaskRegistry): void {
  registry.register(AddTask, CalibrateTask);
}

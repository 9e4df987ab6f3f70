/**
 * `IsrTask` (DRP step1 label `isr`): raw → postISRCCD per (instrument, exposure, detector), with the certified
 * bias, flat (of the exposure's physical filter) and defects as prerequisites. The algorithm is `runIsr` (isr.ts);
 * this file is the pipeline wiring.
 */
import type { Exposure } from '../../formats/index.js';
import { defineTask, Input, Output, PrerequisiteInput } from '../../pipe/index.js';
import { IsrConfigSchema, runIsr } from './isr.js';

export const IsrTask = defineTask({
  name: 'meridian.tasks.isr.IsrTask',
  doc: 'Instrument signature removal: overscan, bias, gain, flat, saturation and bleed trails, defects, variance.',
  config: IsrConfigSchema,
  templates: { rawName: 'raw', outputName: 'postISRCCD' },
  dimensions: ['instrument', 'exposure', 'detector'],
  connections: (c) => ({
    ccdExposure: Input({
      name: '{rawName}',
      storageClass: 'Exposure',
      dimensions: ['instrument', 'exposure', 'detector'],
      doc: 'The raw as the camera wrote it (overscan included, ADU).',
    }),
    ...(c.doBias
      ? {
          bias: PrerequisiteInput({
            name: 'bias',
            storageClass: 'Exposure',
            dimensions: ['instrument', 'detector'],
            isCalibration: true,
          }),
        }
      : {}),
    ...(c.doFlat
      ? {
          flat: PrerequisiteInput({
            name: 'flat',
            storageClass: 'Exposure',
            dimensions: ['instrument', 'detector', 'physical_filter'],
            isCalibration: true,
          }),
        }
      : {}),
    ...(c.doDefect
      ? {
          defects: PrerequisiteInput({
            name: 'defects',
            storageClass: 'StructuredDataDict',
            dimensions: ['instrument', 'detector'],
            isCalibration: true,
          }),
        }
      : {}),
    outputExposure: Output({
      name: '{outputName}',
      storageClass: 'ExposureF',
      dimensions: ['instrument', 'exposure', 'detector'],
      doc: 'Image in electrons with mask and variance, the raw WCS and visit info, header plus ISR cards.',
    }),
  }),
  async runQuantum(ctx) {
    const inputs = await ctx.getInputs();
    const started = performance.now();
    const { exposure, summary } = runIsr(
      inputs.ccdExposure as Exposure,
      {
        bias: (inputs.bias as Exposure | undefined) ?? null,
        flat: (inputs.flat as Exposure | undefined) ?? null,
        defects: inputs.defects ?? null,
      },
      ctx.config,
    );
    const seconds = (performance.now() - started) / 1000;
    ctx.log.info(
      `${exposure.width}x${exposure.height} in ${seconds.toFixed(2)} s: overscan ${summary.overscanLevels
        .map((v) => (v === null ? 'none' : v.toFixed(1)))
        .join(
          '/',
        )} ADU, ${summary.saturatedPixels} SAT, ${summary.badPixels} BAD, ${summary.interpolatedPixels} interpolated`,
    );
    ctx.addMetadata('isr', { ...summary, seconds });
    await ctx.putOutputs({ outputExposure: exposure });
  },
});

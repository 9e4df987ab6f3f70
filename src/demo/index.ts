import { type DemoOptions, runButlerDemo } from './butler-demo.js';
import { runCatalogDemo } from './catalog-demo.js';
import { runDrpDemo } from './drp-demo.js';
import { runPipelineDemo } from './pipeline-demo.js';
import { runSurveyDemo } from './survey-demo.js';

export type { DemoOptions } from './butler-demo.js';

/** The whole demonstration, one part per milestone that has landed. */
export async function runDemo(options: DemoOptions): Promise<void> {
  const t0 = Date.now();
  options.log('== Meridian demo, part 1: the Data Butler ==');
  await runButlerDemo(options);
  options.log('');
  options.log('== Meridian demo, part 2: a simulated survey in the butler ==');
  await runSurveyDemo(options);
  options.log('');
  options.log('== Meridian demo, part 3: a pipeline over the survey (pipetask qgraph, run, report) ==');
  await runPipelineDemo(options);
  options.log('');
  options.log(
    '== Meridian demo, part 4: data release processing (DRP steps 1-2), QA against truth, the Source table ==',
  );
  await runDrpDemo(options);
  options.log('');
  options.log('== Meridian demo, part 5: a DP0.1-style catalog in the partitioned catalog database ==');
  await runCatalogDemo(options);
  options.log('');
  options.log(
    `Demo finished in ${((Date.now() - t0) / 1000).toFixed(1)} s. Everything it made is in ${options.workdir}.`,
  );
}

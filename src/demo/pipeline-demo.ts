import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Butler } from '../butler/index.js';
import { meridianError } from '../errors.js';
import {
  aggregateGraph,
  buildQuantumGraphFile,
  executeGraph,
  executionSummaryLine,
  formatReport,
  loadPipeline,
  loadTaskRegistry,
  openQuantumGraph,
  reportGraph,
} from '../pipe/index.js';
import type { DemoOptions } from './butler-demo.js';

/** `pipelines/<name>` of the package, found by walking up from this module (src/ or dist/). */
export function packagePipeline(name: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'pipelines', name);
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw meridianError('FILE_NOT_FOUND', `cannot find pipelines/${name} in the Meridian package`);
}

/**
 * The pipeline part of the demo, on the survey repository the survey part made: load `pipelines/demo.yaml`, build
 * its quantum graph from a data query, run it with two worker processes through the quantum-backed butler, merge
 * the outputs into the registry and show `pipetask report` and what the tasks measured. The same steps as
 *   pipetask qgraph -b REPO -p pipelines/demo.yaml -i MeridianCam/raw/all,MeridianCam/calib -o demo/stats -q G
 *   pipetask run -b REPO -g G -j 2 && pipetask report REPO G
 */
export async function runPipelineDemo(options: DemoOptions): Promise<void> {
  const { log } = options;
  const repo = join(resolve(options.workdir), 'survey-repo');
  const graphPath = join(resolve(options.workdir), 'demo-stats.mqg');
  const taskModules = [new URL('../tasks/index.js', import.meta.url).href];
  const registry = await loadTaskRegistry(taskModules);
  const butler = await Butler.open(repo, { writeable: true });
  try {
    const pipelineFile = packagePipeline('demo.yaml');
    const pipeline = await loadPipeline(pipelineFile, { registry, universe: butler.universe });
    const resolved = pipeline.resolve();
    log(`$ pipetask qgraph -p pipelines/demo.yaml -i MeridianCam/raw/all,MeridianCam/calib -o demo/stats`);
    const built = await buildQuantumGraphFile(butler, resolved, graphPath, {
      tasks: registry,
      inputCollections: ['MeridianCam/raw/all', 'MeridianCam/calib'],
      output: 'demo/stats',
      outputRun: 'demo/stats/run1',
    });
    for (const [label, s] of Object.entries(built.summary)) log(`  ${label.padEnd(16)} ${s.quanta} quanta`);
    log(`  graph: ${built.header.nQuanta} quanta, ${built.header.nDatasets} datasets, saved to ${graphPath}`);

    log('$ pipetask run -j 2   (two worker processes; jobs write files, never the registry)');
    const source = await openQuantumGraph(graphPath, butler.universe);
    try {
      const summary = await executeGraph(source, { repo, taskModules, processes: 2 });
      log(`  ${executionSummaryLine(summary)}`);
      const merged = await aggregateGraph(butler, source);
      log(`  merged into ${source.header.outputRun}: ${merged.datasetsInserted} datasets inserted`);
      log('$ pipetask report');
      const report = await reportGraph(source, repo, { execution: summary });
      for (const line of formatReport(report).trimEnd().split('\n')) log(`  ${line}`);
    } finally {
      await source.close();
    }

    log('What the tasks measured (exposureSummary, from the registry):');
    const refs = await butler.registry.queryDatasets('exposureSummary', { collections: ['demo/stats'] });
    log('  exposure        band  detectors  sky (e-)  sky noise (e-)  read noise (e-)');
    for (const ref of refs.sort(
      (a, b) => Number(a.dataId.values.exposure) - Number(b.dataId.values.exposure),
    )) {
      const s = (await butler.get(ref)) as {
        exposure: number;
        band: string | null;
        detectors: number;
        meanSkyLevel: number;
        meanSkyNoise: number;
        meanReadNoise: number;
      };
      log(
        `  ${String(s.exposure).padEnd(14)}  ${String(s.band ?? '').padEnd(4)}  ${String(s.detectors).padStart(9)}  ${s.meanSkyLevel.toFixed(0).padStart(8)}  ${s.meanSkyNoise.toFixed(1).padStart(14)}  ${s.meanReadNoise.toFixed(2).padStart(15)}`,
      );
    }
  } finally {
    await butler.close();
  }
}

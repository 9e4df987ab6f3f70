import { join, resolve } from 'node:path';
import { Butler } from '../butler/index.js';
import { Catalog } from '../catalog/index.js';
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
import { qaSummaryLines, runQa } from '../qa/index.js';
import { ingestButlerCatalogs } from '../release/index.js';
import type { DemoOptions } from './butler-demo.js';
import { packagePipeline } from './pipeline-demo.js';

/** The collections a DRP run reads: raws, certified calibrations, the reference catalogue and the sky map. */
export const DRP_INPUT_COLLECTIONS = [
  'MeridianCam/raw/all',
  'MeridianCam/calib',
  'refcats/the_monster_refcat',
  'skymaps',
] as const;

/**
 * The processing part of the demo, on the survey repository of part 2: steps 1 and 2 of `pipelines/DRP.yaml` (ISR,
 * PSF characterization, astrometric and photometric calibration, Source tables; visit summaries, CcdVisit and Visit
 * tables, isolated stars, the global photometric calibration), then the QA against the simulator's truth and the
 * Source/CcdVisit/Visit tables into a new partitioned catalog. The same steps as
 *   pipetask run -b REPO -p pipelines/DRP.yaml -i <inputs> -o demo/drp -j 2
 *   meridian qa REPO --collections demo/drp --truth SIM --out QA
 *   meridian catalog ingest-butler CATALOG --repo REPO --collections demo/drp
 */
export async function runDrpDemo(options: DemoOptions): Promise<void> {
  const { log } = options;
  const workdir = resolve(options.workdir);
  const repo = join(workdir, 'survey-repo');
  const simDir = join(workdir, 'sim');
  const taskModules = [new URL('../tasks/index.js', import.meta.url).href];
  const registry = await loadTaskRegistry(taskModules);
  const butler = await Butler.open(repo, { writeable: true });
  try {
    const pipeline = await loadPipeline(packagePipeline('DRP.yaml'), { registry, universe: butler.universe });
    for (const step of ['step1', 'step2']) {
      const graphPath = join(workdir, `drp-${step}.mqg`);
      log(
        `$ pipetask qgraph -p pipelines/DRP.yaml#${step} -i ${DRP_INPUT_COLLECTIONS.join(',')} -o demo/drp`,
      );
      const built = await buildQuantumGraphFile(butler, pipeline.select([step]).resolve(), graphPath, {
        tasks: registry,
        inputCollections:
          step === 'step1' ? [...DRP_INPUT_COLLECTIONS] : ['demo/drp', ...DRP_INPUT_COLLECTIONS],
        output: 'demo/drp',
        outputRun: `demo/drp/${step}`,
      });
      const perTask = Object.entries(built.summary).map(([label, s]) => `${label} ${s.quanta}`);
      log(`  ${built.header.nQuanta} quanta (${perTask.join(', ')})`);
      log(`$ pipetask run -g drp-${step}.mqg -j 2`);
      const source = await openQuantumGraph(graphPath, butler.universe);
      try {
        const summary = await executeGraph(source, { repo, taskModules, processes: 2 });
        log(`  ${executionSummaryLine(summary)}`);
        const merged = await aggregateGraph(butler, source);
        log(`  merged into ${source.header.outputRun}: ${merged.datasetsInserted} datasets inserted`);
        const report = await reportGraph(source, repo, { execution: summary });
        for (const line of formatReport(report).trimEnd().split('\n')) log(`  ${line}`);
      } finally {
        await source.close();
      }
    }

    const qaDir = join(workdir, 'qa');
    log(`$ meridian qa survey-repo --collections demo/drp --truth sim --out qa`);
    const qa = await runQa({ butler, collections: ['demo/drp'], truthDir: simDir, outDir: qaDir });
    for (const line of qaSummaryLines(qa, qaDir)) log(`  ${line}`);
  } finally {
    await butler.close();
  }

  const catalogDir = join(workdir, 'drp-catalog');
  log(`$ meridian catalog ingest-butler drp-catalog --repo survey-repo --collections demo/drp`);
  const loaded = await ingestButlerCatalogs({ catalogDir, repo, collections: ['demo/drp'] });
  for (const t of loaded.tables)
    log(`  ${t.table}: ${t.rows} rows from ${t.datasets} ${t.datasetType} datasets`);
  const catalog = await Catalog.open(catalogDir);
  try {
    const adql =
      'SELECT TOP 5 s.sourceId, s.coord_ra, s.coord_dec, s.band, s.psfFlux, v.seeing FROM Source AS s ' +
      'JOIN CcdVisit AS v ON v.ccdVisitId = s.ccdVisitId WHERE s.detect_isPrimary = 1 AND s.psfFlux > 0 ' +
      'ORDER BY s.psfFlux DESC';
    log(`ADQL on the processed release: ${adql}`);
    const result = await catalog.query(adql);
    for (const row of result.rows) log(`  ${row.map((v) => String(v)).join('  ')}`);
  } finally {
    await catalog.close();
  }
}

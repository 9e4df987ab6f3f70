/**
 * `meridian catalog ingest-butler DB --repo REPO --collections …`: the command over `ingestButlerCatalogs` of
 * src/release (which finds the pipeline's table outputs with the butler and loads them with the catalog).
 */
import type { Command } from 'commander';
import { DRP_SCHEMA_PATH, ingestButlerCatalogs, type TableLoad } from '../release/index.js';
import { printJson } from './common/json.js';
import { appendCommaSeparated } from './common/list-options.js';
import { withProgress } from './common/progress.js';

function describeLoad(load: TableLoad, dryRun: boolean): string {
  if (load.status === 'no datasets') return `${load.table}: no ${load.datasetType} datasets, skipped`;
  const files = (n: number) => `${n} file${n === 1 ? '' : 's'}`;
  const skipped =
    load.alreadyLoadedFiles.length > 0 ? `; ${files(load.alreadyLoadedFiles.length)} already loaded` : '';
  if (load.status === 'already loaded') {
    const which = load.datasets === 1 ? 'its one file' : `all ${files(load.datasets)}`;
    return `${load.table}: ${load.datasetType}, ${which} already loaded, nothing to do`;
  }
  const verb = dryRun ? 'would load' : `loaded in transaction ${load.transactionId}`;
  return `${load.table}: ${load.datasetType}, ${verb}: ${files(load.newFiles.length)}${skipped} (${load.rows} rows in all ${files(load.datasets)})`;
}

export function registerCatalogIngestButler(catalog: Command): void {
  catalog
    .command('ingest-butler')
    .description(
      "load the pipeline's Source, CcdVisit and Visit tables (sourceTable_visit or sourceTable, ccdVisitTable, visitTable) from a butler repository into DB",
    )
    .argument('<DB>', 'catalog database directory (created from --schema when absent or empty)')
    .requiredOption('--repo <REPO>', 'butler repository')
    .requiredOption(
      '--collections <names>',
      'collections to load from, searched in order (comma-separated, repeatable)',
      appendCommaSeparated,
    )
    .option('--schema <file>', 'schema YAML for a new catalog', DRP_SCHEMA_PATH)
    .option('--dry-run', 'check and list what would be loaded; write nothing')
    .option('--drop-extra-columns', 'load files with columns the table lacks, dropping those columns')
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      `
One transaction per table; a file already loaded is skipped, so a re-run of the same collections loads nothing twice.

Examples:
  meridian catalog ingest-butler ./cat --repo ./repo --collections u/me/drp --dry-run
  meridian catalog ingest-butler ./cat --repo ./repo --collections u/me/drp --json`,
    )
    .action(
      async (
        dir: string,
        o: {
          repo: string;
          collections: string[];
          schema: string;
          dryRun?: boolean;
          dropExtraColumns?: boolean;
          json?: boolean;
        },
      ) => {
        const result = await withProgress((reporter) =>
          ingestButlerCatalogs({
            catalogDir: dir,
            repo: o.repo,
            collections: o.collections,
            schemaPath: o.schema,
            dryRun: o.dryRun,
            dropExtraColumns: o.dropExtraColumns,
            onProgress: reporter.update,
          }),
        );
        if (o.json) return printJson(result);
        if (result.created) console.log(`created catalog ${dir} from ${o.schema}`);
        for (const load of result.tables) console.log(describeLoad(load, result.dryRun));
      },
    );
}

import type { Command } from 'commander';
import type { DatasetRef } from '../../butler/index.js';
import { meridianError } from '../../errors.js';
import { confirmOrRefuse } from '../common/confirm.js';
import { appendCommaSeparated } from '../common/list-options.js';
import { printTable } from '../common/table.js';
import { withButler } from './open.js';
import {
  addDatasetsOption,
  addWhereOptions,
  type QueryCliOptions,
  queryDatasetRefs,
} from './query-options.js';

/** `butler prune-datasets`: purge, unstore or disassociate datasets, with upstream's argument rules. */

interface PruneCliOptions extends QueryCliOptions {
  disassociate?: string[];
  purge?: string;
  unstore?: boolean;
  dryRun?: boolean;
  confirm: boolean;
  quiet?: boolean;
}

function refRows(refs: readonly DatasetRef[]) {
  return refs.map((r) => ({ type: r.datasetType.name, run: r.run, id: r.id, dataId: r.dataId.toString() }));
}

/** Upstream's argument rules, checked before anything is read or written. */
function validatePruneArguments(collections: readonly string[], opts: PruneCliOptions): void {
  const disassociate = opts.disassociate ?? [];
  if (opts.purge !== undefined && disassociate.length > 0) {
    throw meridianError('INVALID_ARGUMENT', '--purge and --disassociate cannot be used together');
  }
  if (collections.length === 0) {
    throw meridianError('INVALID_ARGUMENT', 'give at least one collection to prune datasets from');
  }
  if (opts.purge === undefined && disassociate.length === 0 && !opts.unstore) {
    throw meridianError(
      'INVALID_ARGUMENT',
      'nothing to do: pass --purge RUN, --unstore or --disassociate TAG',
    );
  }
  if (opts.purge !== undefined && !collections.includes(opts.purge)) {
    throw meridianError(
      'INVALID_ARGUMENT',
      `--purge ${opts.purge}: the RUN must also be one of the collections (${collections.join(', ')})`,
    );
  }
}

export function registerPruneCommands(program: Command): void {
  const cmd = program
    .command('prune-datasets')
    .description(
      'Remove datasets: --purge (registry and files), --unstore (files only) or --disassociate (from TAGs).',
    )
    .argument('<repo>', 'Repository directory')
    .argument('[collections...]', 'Collections to search for the datasets');
  addDatasetsOption(cmd);
  addWhereOptions(cmd);
  cmd
    .option(
      '--find-all',
      'Take every matching dataset, not only the first found per data ID in collection order',
    )
    .option(
      '--disassociate <tags>',
      'Remove the datasets from these TAGGED collections (repeatable)',
      appendCommaSeparated,
    )
    .option(
      '--purge <run>',
      'Delete the datasets completely (implies --unstore); RUN must be among the collections',
    )
    .option('--unstore', 'Delete the files of the datasets but keep them in the registry')
    .option('--dry-run', 'Show what would be removed and change nothing')
    .option('--no-confirm', 'Do not ask for confirmation (needed when stdin is not a terminal)')
    .option('--quiet', 'Print nothing when successful')
    .addHelpText(
      'after',
      `
Examples:
  butler prune-datasets ./repo run1 --purge run1 --datasets metrics --dry-run
  butler prune-datasets ./repo run1 --purge run1 --datasets metrics --where "visit = 3" --no-confirm
  butler prune-datasets ./repo u/me/tag --disassociate u/me/tag --find-all --no-confirm`,
    )
    .action(async (repo: string, collections: string[], opts: PruneCliOptions) => {
      validatePruneArguments(collections, opts);
      const disassociate = opts.disassociate ?? [];
      await withButler(repo, opts.dryRun ? 'read' : 'write', async (butler) => {
        if (opts.purge !== undefined) await butler.registry.collections.getRun(opts.purge);
        for (const tag of disassociate) {
          if ((await butler.registry.getCollectionType(tag)) !== 'TAGGED') {
            throw meridianError('COLLECTION_TYPE', `--disassociate ${tag}: not a TAGGED collection`, {
              name: tag,
            });
          }
        }
        const refs = await queryDatasetRefs(
          butler,
          opts.datasets ?? [],
          { ...opts, collections },
          !opts.findAll,
        );
        if (refs.length === 0) {
          if (!opts.quiet) process.stdout.write('No datasets found; nothing to prune.\n');
          return;
        }
        const action =
          opts.purge !== undefined
            ? 'purge'
            : disassociate.length > 0
              ? `disassociate from ${disassociate.join(', ')}`
              : 'unstore';
        if (opts.dryRun) {
          printTable(refRows(refs), ['type', 'run', 'id', 'dataId']);
          process.stdout.write(`Dry run: would ${action} ${refs.length} dataset(s); nothing was changed.\n`);
          return;
        }
        if (!opts.quiet) printTable(refRows(refs), ['type', 'run', 'id', 'dataId']);
        if (!(await confirmOrRefuse(`${action} ${refs.length} dataset(s)?`, opts))) {
          process.stdout.write('Aborted; nothing removed.\n');
          return;
        }
        await butler.pruneDatasets(refs, {
          purge: opts.purge !== undefined,
          unstore: opts.unstore || opts.purge !== undefined,
          disassociate,
        });
        if (!opts.quiet) process.stdout.write(`Done: ${action} ${refs.length} dataset(s).\n`);
      });
    });
}

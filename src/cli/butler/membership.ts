import type { Command } from 'commander';
import { Timespan } from '../../butler/index.js';
import { meridianError } from '../../errors.js';
import { withButler } from './open.js';
import {
  addCollectionsOption,
  addDatasetsOption,
  addWhereOptions,
  type QueryCliOptions,
  queryDatasetRefs,
} from './query-options.js';

/** Collection membership commands: certify-calibrations, associate, disassociate. */

function registerCertify(program: Command): void {
  program
    .command('certify-calibrations')
    .description(
      'Certify the calibration datasets of one type found in a collection into a CALIBRATION collection.',
    )
    .argument('<repo>', 'Repository directory')
    .argument('<input_collection>', 'Collection to take the datasets from (RUN, TAGGED or CHAINED)')
    .argument('<output_collection>', 'CALIBRATION collection (created if missing)')
    .argument('<dataset_type>', 'Calibration dataset type, e.g. bias')
    .option('--begin-date <iso>', 'Start of the validity range, ISO-8601 TAI (default: unbounded)')
    .option('--end-date <iso>', 'End of the validity range (exclusive), ISO-8601 TAI (default: unbounded)')
    .option(
      '--search-all-inputs',
      'Take every dataset in a CHAINED input, not only the first found per data ID',
    )
    .addHelpText(
      'after',
      `
Examples:
  butler certify-calibrations ./repo Cam1/calib/run1 Cam1/calib bias --begin-date 2021-01-01T00:00:00 --end-date 2022-01-01T00:00:00
  butler certify-calibrations ./repo Cam1/calib/run2 Cam1/calib flat --begin-date 2022-01-01`,
    )
    .action(
      async (
        repo: string,
        input: string,
        output: string,
        datasetType: string,
        opts: { beginDate?: string; endDate?: string; searchAllInputs?: boolean },
      ) => {
        const timespan = Timespan.fromIso(opts.beginDate ?? null, opts.endDate ?? null, 'tai');
        await withButler(repo, 'write', async (butler) => {
          const refs = await butler.registry.queryDatasets(datasetType, {
            collections: [input],
            findFirst: !(opts.searchAllInputs ?? false),
          });
          if (refs.length === 0) {
            throw meridianError('DATASET_NOT_FOUND', `no ${datasetType} datasets in collection '${input}'`, {
              datasetType,
              collection: input,
            });
          }
          await butler.registry.transaction(async () => {
            await butler.registry.registerCollection(output, 'CALIBRATION');
            await butler.registry.certify(output, refs, timespan);
          });
          process.stdout.write(
            `Certified ${refs.length} ${datasetType} dataset(s) into ${output} for ${timespan}.\n`,
          );
        });
      },
    );
}

function addSelection(cmd: Command, collectionsHelp: string): Command {
  addDatasetsOption(cmd);
  addCollectionsOption(cmd, collectionsHelp);
  addWhereOptions(cmd);
  return cmd.option('--find-first', 'Only the first dataset per data ID, searching the collections in order');
}

function registerAssociate(program: Command): void {
  const cmd = program
    .command('associate')
    .description('Add datasets to a TAGGED collection (created if missing).')
    .argument('<repo>', 'Repository directory')
    .argument('<collection>', 'TAGGED collection');
  addSelection(cmd, 'Collections to search for the datasets')
    .addHelpText(
      'after',
      `
Examples:
  butler associate ./repo u/me/best --datasets calexp --collections run1 --where "visit IN (1, 2)"`,
    )
    .action(async (repo: string, collection: string, opts: QueryCliOptions) => {
      await withButler(repo, 'write', async (butler) => {
        const refs = await queryDatasetRefs(butler, opts.datasets ?? [], opts, opts.findFirst ?? false);
        await butler.registry.transaction(async () => {
          await butler.registry.registerCollection(collection, 'TAGGED');
          await butler.registry.associate(collection, refs);
        });
        process.stdout.write(`Associated ${refs.length} dataset(s) with ${collection}.\n`);
      });
    });
}

function registerDisassociate(program: Command): void {
  const cmd = program
    .command('disassociate')
    .description('Remove datasets from a TAGGED collection (they stay in their RUNs).')
    .argument('<repo>', 'Repository directory')
    .argument('<collection>', 'TAGGED collection');
  addSelection(cmd, 'Collections to search for the datasets (default: the TAGGED collection)')
    .addHelpText(
      'after',
      `
Examples:
  butler disassociate ./repo u/me/best --datasets calexp --where "visit = 2"`,
    )
    .action(async (repo: string, collection: string, opts: QueryCliOptions) => {
      await withButler(repo, 'write', async (butler) => {
        const search = { ...opts, collections: opts.collections ?? [collection] };
        const refs = await queryDatasetRefs(butler, opts.datasets ?? [], search, opts.findFirst ?? false);
        await butler.registry.disassociate(collection, refs);
        process.stdout.write(`Disassociated ${refs.length} dataset(s) from ${collection}.\n`);
      });
    });
}

export function registerMembershipCommands(program: Command): void {
  registerCertify(program);
  registerAssociate(program);
  registerDisassociate(program);
}

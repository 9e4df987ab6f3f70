import type { Command } from 'commander';
import type { DatasetType } from '../../butler/index.js';
import { printJson } from '../common/json.js';
import { appendCommaSeparated } from '../common/list-options.js';
import { printTable } from '../common/table.js';
import { withButler } from './open.js';
import { addJsonOption } from './query-options.js';

/** Dataset type commands: register-dataset-type, remove-dataset-type, query-dataset-types. */

function registerRegister(program: Command): void {
  program
    .command('register-dataset-type')
    .description('Register a new dataset type (a no-op if the same definition is already registered).')
    .argument('<repo>', 'Repository directory')
    .argument('<name>', 'Dataset type name (letters, digits, underscores)')
    .argument(
      '<storage_class>',
      'Storage class, e.g. StructuredDataDict (see config-dump --subset storageClasses)',
    )
    .argument('[dimensions...]', 'Dimensions of its data IDs, e.g. instrument visit detector')
    .option('--is-calibration', 'Datasets of this type can be certified in CALIBRATION collections')
    .addHelpText(
      'after',
      `
Examples:
  butler register-dataset-type ./repo metrics StructuredDataDict instrument visit
  butler register-dataset-type ./repo bias StructuredDataDict instrument detector --is-calibration`,
    )
    .action(
      async (
        repo: string,
        name: string,
        storageClass: string,
        dimensions: string[],
        opts: { isCalibration?: boolean },
      ) => {
        await withButler(repo, 'write', async (butler) => {
          const created = await butler.registerDatasetType(name, dimensions, storageClass, {
            isCalibration: opts.isCalibration ?? false,
          });
          process.stdout.write(
            created
              ? `Registered dataset type ${name}.\n`
              : `Dataset type ${name} is already registered with this definition; nothing changed.\n`,
          );
        });
      },
    );
}

function registerRemove(program: Command): void {
  program
    .command('remove-dataset-type')
    .description('Remove dataset types that have no datasets.')
    .argument('<repo>', 'Repository directory')
    .argument('<names...>', 'Dataset type names or globs (quote globs for the shell)')
    .addHelpText(
      'after',
      `
Examples:
  butler remove-dataset-type ./repo metrics
  butler remove-dataset-type ./repo 'test_*'`,
    )
    .action(async (repo: string, names: string[]) => {
      await withButler(repo, 'write', async (butler) => {
        const types = await butler.registry.queryDatasetTypes(names);
        if (types.length === 0) {
          process.stdout.write(`No dataset types match ${names.join(' ')}; nothing removed.\n`);
          return;
        }
        await butler.registry.transaction(async () => {
          for (const dt of types) await butler.registry.removeDatasetType(dt.name);
        });
        process.stdout.write(`Removed dataset type(s): ${types.map((t) => t.name).join(', ')}\n`);
      });
    });
}

function datasetTypeRow(dt: DatasetType) {
  return {
    name: dt.name,
    dimensions: [...dt.dimensions.names],
    storageClass: dt.storageClass,
    isCalibration: dt.isCalibration,
  };
}

function registerQuery(program: Command): void {
  addJsonOption(
    program
      .command('query-dataset-types')
      .description('List registered dataset types.')
      .argument('<repo>', 'Repository directory')
      .argument('[globs...]', 'Names or globs to match (default: all)')
      .option('-v, --verbose', 'Also show dimensions, storage class and whether it is a calibration')
      .option(
        '--collections <names>',
        'Only types with datasets in these collections (comma-separated, repeatable; globs allowed)',
        appendCommaSeparated,
      ),
  )
    .addHelpText(
      'after',
      `
Examples:
  butler query-dataset-types ./repo
  butler query-dataset-types ./repo 'raw*' -v --collections Cam1/raw/all`,
    )
    .action(
      async (
        repo: string,
        globs: string[],
        opts: { verbose?: boolean; collections?: string[]; json?: boolean },
      ) => {
        await withButler(repo, 'read', async (butler) => {
          let types = await butler.registry.queryDatasetTypes(globs);
          if (opts.collections !== undefined) {
            const present = new Set<string>();
            for (const c of await butler.registry.queryCollections(opts.collections)) {
              for (const name of await butler.registry.collectionSummary(c.name)) present.add(name);
            }
            types = types.filter((t) => present.has(t.name));
          }
          const rows = types.map(datasetTypeRow);
          if (opts.json) return printJson(rows);
          const columns = opts.verbose
            ? [
                'name',
                'dimensions',
                { key: 'storageClass', header: 'storageClass' },
                { key: 'isCalibration', header: 'isCalibration' },
              ]
            : ['name'];
          printTable(rows, columns, 'No dataset types found.');
        });
      },
    );
}

export function registerDatasetTypeCommands(program: Command): void {
  registerRegister(program);
  registerRemove(program);
  registerQuery(program);
}

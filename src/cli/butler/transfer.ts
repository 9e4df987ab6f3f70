import { join } from 'node:path';
import { type Command, Option } from 'commander';
import {
  type Butler,
  exportDatasets,
  importDatasets,
  TRANSFER_MODES,
  type TransferMode,
  transferFrom,
} from '../../butler/index.js';
import { withButler } from './open.js';
import {
  addCollectionsOption,
  addDatasetsOption,
  addWhereOptions,
  type QueryCliOptions,
  queryDatasetRefs,
} from './query-options.js';

/** Moving datasets between repositories and out of them: transfer-datasets, export, import, retrieve-artifacts. */

const COPY_MODES = ['copy', 'link', 'symlink', 'hardlink'] as const;
type CopyMode = (typeof COPY_MODES)[number];

function transferOption(modes: readonly string[], fallback: string): Option {
  return new Option('-t, --transfer <mode>', 'How files are transferred').choices(modes).default(fallback);
}

function registerTransferDatasets(program: Command): void {
  const cmd = program
    .command('transfer-datasets')
    .description('Copy datasets, with their dimension records and files, from one repository to another.')
    .argument('<source>', 'Source repository directory')
    .argument('<dest>', 'Destination repository directory')
    .argument('[globs...]', 'Dataset type names or globs (default: all)');
  addCollectionsOption(cmd, 'Collections to search in the source');
  addWhereOptions(cmd);
  cmd
    .option('--find-first', 'Only the first dataset per data ID, searching the collections in order')
    .addOption(transferOption(COPY_MODES, 'copy'))
    .option('--register-dataset-types', 'Register dataset types missing in the destination')
    .option('--transfer-dimensions', 'Copy the dimension records the datasets need (default)')
    .option('--no-transfer-dimensions', 'Do not copy dimension records (they must exist in the destination)')
    .option('--dry-run', 'Report what would be transferred and change nothing')
    .option(
      '--allow-outside-source-root',
      "Also transfer files the source's records place outside its datastore (files it ingested with -t direct)",
    )
    .addHelpText(
      'after',
      `
Datasets keep their IDs; those the destination already has are skipped, so an interrupted transfer can be re-run.
A source record naming a file outside the source datastore is refused (PATH_TRAVERSAL) unless
--allow-outside-source-root is given.

Examples:
  butler transfer-datasets ./site2 ./repo --collections u/me/run1 --register-dataset-types
  butler transfer-datasets ./site2 ./repo calexp --collections u/me/run1 --where "visit = 5" --dry-run`,
    )
    .action(
      async (
        source: string,
        dest: string,
        globs: string[],
        opts: QueryCliOptions & {
          transfer: CopyMode;
          registerDatasetTypes?: boolean;
          transferDimensions?: boolean;
          dryRun?: boolean;
          allowOutsideSourceRoot?: boolean;
        },
      ) => {
        await withButler(source, 'read', async (from) => {
          const refs = await queryDatasetRefs(from, globs, opts, opts.findFirst ?? false);
          await withButler(dest, 'write', async (to, signal) => {
            const result = await transferFrom(to, from, refs, {
              signal,
              transfer: opts.transfer,
              registerDatasetTypes: opts.registerDatasetTypes ?? false,
              transferDimensions: opts.transferDimensions ?? true,
              dryRun: opts.dryRun ?? false,
              allowOutsideSourceRoot: opts.allowOutsideSourceRoot ?? false,
            });
            if (opts.dryRun) {
              process.stdout.write(
                `Dry run: would transfer ${result.transferred.length} dataset(s), skip ${result.skipped} already present; nothing was changed.\n`,
              );
              return;
            }
            process.stdout.write(
              `Transferred ${result.transferred.length} dataset(s), skipped ${result.skipped} already present.\n`,
            );
          });
        });
      },
    );
}

function registerExport(program: Command): void {
  const cmd = program
    .command('export')
    .description(
      'Write a YAML export file of datasets (and copy their files with --directory). Not in upstream butler.',
    );
  cmd.argument('<repo>', 'Repository directory').argument('<file>', 'Export file to write (YAML)');
  addDatasetsOption(cmd);
  addCollectionsOption(
    cmd,
    'Collections to export datasets from; TAGGED, CALIBRATION and CHAINED ones are exported too',
  );
  addWhereOptions(cmd);
  cmd
    .option('--directory <dir>', 'Copy the dataset files here (paths in the file become relative to it)')
    .addOption(transferOption(['copy', 'link', 'symlink'], 'copy'))
    .addHelpText(
      'after',
      `
Without --directory the export file records the absolute paths of the files in REPO; importing such a file
needs \`butler import --allow-outside-export-dir\`.

Examples:
  butler export ./repo out/export.yaml --collections run1 --directory out
  butler import ./other out`,
    )
    .action(
      async (
        repo: string,
        file: string,
        opts: QueryCliOptions & { directory?: string; transfer: 'copy' | 'link' | 'symlink' },
      ) => {
        await withButler(repo, 'read', async (butler) => {
          const refs = await queryDatasetRefs(butler, opts.datasets ?? [], opts, false);
          const named =
            opts.collections === undefined ? [] : await butler.registry.queryCollections(opts.collections);
          const result = await exportDatasets(butler, file, refs, {
            directory: opts.directory,
            transfer: opts.transfer,
            collections: named.filter((c) => c.type !== 'RUN').map((c) => c.name),
          });
          process.stdout.write(
            `Exported ${result.datasets} dataset(s) and ${result.files} file(s) to ${file}.\n`,
          );
        });
      },
    );
}

function registerImport(program: Command): void {
  program
    .command('import')
    .description('Import datasets, dimension records and collections from an export directory.')
    .argument('<repo>', 'Repository directory')
    .argument('<directory>', 'Directory holding the export file and the files it names')
    .option('--export-file <file>', 'Export file (default: DIRECTORY/export.yaml)')
    .addOption(transferOption(TRANSFER_MODES, 'copy'))
    .option('--skip-dimensions', 'Do not import dimension records (they must exist already)')
    .option(
      '--allow-outside-export-dir',
      'Also read files the export file places outside DIRECTORY (absolute paths, .., links out of it)',
    )
    .addHelpText(
      'after',
      `
Re-importing the same file is a no-op (datasets keep their IDs). A file path in the export file that leaves
DIRECTORY (absolute, with .., or through a symbolic link) is refused (PATH_TRAVERSAL) before anything is
written, unless --allow-outside-export-dir is given: an export file made without --directory names absolute paths.

Examples:
  butler import ./repo ./exported
  butler import ./repo ./exported --export-file ./exported/calibs.yaml -t symlink`,
    )
    .action(
      async (
        repo: string,
        directory: string,
        opts: {
          exportFile?: string;
          transfer: string;
          skipDimensions?: boolean;
          allowOutsideExportDir?: boolean;
        },
      ) => {
        await withButler(repo, 'write', async (butler, signal) => {
          const result = await importDatasets(butler, opts.exportFile ?? join(directory, 'export.yaml'), {
            signal,
            directory,
            transfer: opts.transfer as TransferMode,
            skipDimensions: opts.skipDimensions ?? false,
            allowOutsideExportDirectory: opts.allowOutsideExportDir ?? false,
          });
          process.stdout.write(
            `Imported ${result.datasets} dataset(s), skipped ${result.skipped} already present.\n`,
          );
        });
      },
    );
}

function registerRetrieveArtifacts(program: Command): void {
  const cmd = program
    .command('retrieve-artifacts')
    .description('Copy (or link) the files of datasets out of the repository into a directory.')
    .argument('<repo>', 'Repository directory')
    .argument('<dest>', 'Destination directory');
  addDatasetsOption(cmd);
  addCollectionsOption(cmd, 'Collections to search');
  addWhereOptions(cmd);
  cmd
    .option('--find-first', 'Only the first dataset per data ID, searching the collections in order')
    .addOption(transferOption(COPY_MODES, 'copy'))
    .option('--preserve-path', 'Keep the datastore directory layout under DEST (default)')
    .option('--no-preserve-path', 'Put every file directly in DEST')
    .option('--clobber', 'Overwrite existing files in DEST')
    .option('--no-clobber', 'Refuse to overwrite existing files (default)')
    .addHelpText(
      'after',
      `
Examples:
  butler retrieve-artifacts ./repo ./out --collections run1 --datasets metrics
  butler retrieve-artifacts ./repo ./out --collections run1 --no-preserve-path --clobber`,
    )
    .action(
      async (
        repo: string,
        dest: string,
        opts: QueryCliOptions & { transfer: CopyMode; preservePath?: boolean; clobber?: boolean },
      ) => {
        await withButler(repo, 'read', async (butler: Butler) => {
          const refs = await queryDatasetRefs(butler, opts.datasets ?? [], opts, opts.findFirst ?? false);
          const paths = await butler.retrieveArtifacts(refs, dest, {
            transfer: opts.transfer,
            preservePath: opts.preservePath ?? true,
            clobber: opts.clobber ?? false,
          });
          for (const p of paths) process.stdout.write(`${p}\n`);
          process.stdout.write(`Number of artifacts retrieved into destination ${dest}: ${paths.length}\n`);
        });
      },
    );
}

export function registerTransferCommands(program: Command): void {
  registerTransferDatasets(program);
  registerExport(program);
  registerImport(program);
  registerRetrieveArtifacts(program);
}

import { type Command, Option } from 'commander';
import type { FileDataset, IdGenerationMode, TransferMode } from '../../butler/index.js';
import { TRANSFER_MODES } from '../../butler/index.js';
import { isMeridianError, meridianError } from '../../errors.js';
import { caseInsensitiveChoice } from '../common/choices.js';
import { parseDataIds } from '../common/key-values.js';
import { appendValue } from '../common/list-options.js';
import { readIngestTable } from './ingest-table.js';
import { withButler } from './open.js';

/** `butler ingest-files`: register existing files listed in a CSV/ECSV table as datasets. */

const ID_MODES: readonly IdGenerationMode[] = ['UNIQUE', 'DATAID_TYPE', 'DATAID_TYPE_RUN'];
/** Transfer modes for putting existing files into the datastore (every mode it has); the obs commands use it too. */
export const INGEST_TRANSFER_MODES: readonly TransferMode[] = TRANSFER_MODES;
interface IngestCliOptions {
  formatter?: string;
  idGenerationMode: IdGenerationMode;
  dataId?: string[];
  prefix?: string;
  transfer: TransferMode;
}

export function registerIngestCommands(program: Command): void {
  program
    .command('ingest-files')
    .description(
      'Ingest files listed in a table as datasets of one type into a RUN (no dimension records are made).',
    )
    .argument('<repo>', 'Repository directory')
    .argument('<dataset_type>', 'Registered dataset type of the files')
    .argument('<run>', 'Output RUN collection (created if missing)')
    .argument('<table_file>', 'CSV or ECSV table: first column the file path, then one column per dimension')
    .option('--formatter <name>', 'Formatter to read the files with (default: from the storage class)')
    .option(
      '--id-generation-mode <mode>',
      'Dataset IDs: UNIQUE (random), DATAID_TYPE or DATAID_TYPE_RUN (deterministic)',
      caseInsensitiveChoice(ID_MODES),
      'UNIQUE' as IdGenerationMode,
    )
    .option(
      '--data-id <k=v,...>',
      'Dimension values shared by every file, e.g. instrument=Cam1 (repeatable)',
      appendValue,
    )
    .option(
      '--prefix <dir>',
      'Directory that relative paths are relative to (default: the table file directory)',
    )
    .addOption(
      new Option('-t, --transfer <mode>', 'How files get into the datastore')
        .choices(INGEST_TRANSFER_MODES)
        .default('auto'),
    )
    .addHelpText(
      'after',
      `
The whole table is ingested in one transaction: if any row fails, nothing is ingested.

Example table (files.csv):
  file,instrument,detector
  bias_1.json,Cam1,1
  bias_2.json,Cam1,2

Examples:
  butler ingest-files ./repo bias Cam1/calib/run1 files.csv -t copy
  butler ingest-files ./repo bias Cam1/calib/run1 files.ecsv --data-id instrument=Cam1 --id-generation-mode DATAID_TYPE_RUN`,
    )
    .action(
      async (repo: string, datasetType: string, run: string, tableFile: string, opts: IngestCliOptions) => {
        const table = readIngestTable(tableFile, { prefix: opts.prefix });
        const shared = parseDataIds(opts.dataId);
        await withButler(repo, 'write', async (butler, signal) => {
          const dt = await butler.registry.getDatasetType(datasetType);
          const files: FileDataset[] = [];
          for (const row of table.rows) {
            for (const [k, v] of Object.entries(shared)) {
              if (k in row.dataId && row.dataId[k] !== v) {
                throw meridianError(
                  'DATA_ID_INCONSISTENT',
                  `${tableFile}, line ${row.line}: ${k}=${row.dataId[k]} contradicts --data-id ${k}=${v}`,
                  { file: tableFile, line: row.line, key: k },
                );
              }
            }
            const dataId = { ...shared, ...row.dataId };
            // Check each row's data ID here so that an error can name the table line.
            try {
              await butler.registry.expandDataId(dataId, dt.dimensions);
            } catch (err) {
              if (!isMeridianError(err)) throw err;
              throw meridianError(err.code, `${tableFile}, line ${row.line}: ${err.message}`, {
                ...err.details,
                file: tableFile,
                line: row.line,
              });
            }
            files.push({ path: row.path, refs: [{ datasetType, dataId }], formatter: opts.formatter });
          }
          // One transaction inside Butler.ingest (the RUN too): a failed or interrupted ingest leaves nothing, and
          // a 'move' removes its sources only after that transaction has committed.
          const refs = await butler.ingest(files, {
            run,
            transfer: opts.transfer,
            idGenerationMode: opts.idGenerationMode,
            signal,
          });
          process.stdout.write(`Ingested ${refs.length} file(s) as ${datasetType} into ${run}.\n`);
        });
      },
    );
}

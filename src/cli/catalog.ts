/**
 * `meridian catalog create | ingest | transaction | query | stats | compare`: thin commander commands over the
 * Catalog library (each parses, calls one library function, prints).
 */

import { readFile } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import {
  Catalog,
  type CompareProgress,
  compareCatalogs,
  createCatalog,
  formatResult,
  ingestDirectory,
  type OpenCatalogOptions,
  type OutputFormat,
  outputFormats,
} from '../catalog/index.js';
import { meridianError } from '../errors.js';
import { registerCatalogIngestButler } from './catalog-ingest-butler.js';
import { printJson } from './common/json.js';
import { parseNonNegativeInteger, parseNumber, parsePositiveNumber } from './common/number-options.js';
import { withFlagWords } from './common/option-names.js';
import { withProgress } from './common/progress.js';

async function withCatalog<T>(
  dir: string,
  use: (catalog: Catalog) => Promise<T>,
  options: OpenCatalogOptions = {},
): Promise<T> {
  const catalog = await Catalog.open(dir, options);
  try {
    return await use(catalog);
  } finally {
    await catalog.close();
  }
}

/** The text of an ADQL file, or of stdin for `-`. */
async function readQueryFile(file: string): Promise<string> {
  if (file !== '-') {
    try {
      return await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw meridianError('FILE_NOT_FOUND', `no query file ${file}`, { path: file }, err);
      }
      throw err;
    }
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer | string));
  return Buffer.concat(chunks).toString('utf8');
}

export function registerCatalogCommands(program: Command): Command {
  const catalog = program.command('catalog').description('the partitioned catalog database (Qserv-style)');

  catalog
    .command('create')
    .description('create an empty catalog database in DIR from a schema YAML file')
    .argument('<DIR>', 'directory for the catalog database (must be empty or absent)')
    .requiredOption('--schema <file>', 'schema YAML, e.g. config/catalog/dp02.yaml')
    .addOption(
      new Option('--engine <kind>', 'storage engine').choices(['duckdb', 'postgres']).default('duckdb'),
    )
    .option('--workers <urls>', 'PostgreSQL worker URLs, comma-separated (with --engine postgres)')
    .option('--stripes <n>', 'number of latitude stripes', parseNonNegativeInteger, 85)
    .option('--substripes <n>', 'sub-stripes per stripe', parseNonNegativeInteger, 12)
    .option('--overlap <deg>', 'overlap radius in degrees', parseNumber, 0.01667)
    .action(
      async (
        dir: string,
        o: {
          schema: string;
          engine: 'duckdb' | 'postgres';
          workers?: string;
          stripes: number;
          substripes: number;
          overlap: number;
        },
        command: Command,
      ) => {
        if (o.engine === 'postgres' && !o.workers) {
          // A usage error found after parsing: command.error prints it like commander's own (exit status 2).
          command.error('error: --engine postgres needs --workers URL[,URL...]', {
            exitCode: 2,
            code: 'commander.usageError',
          });
        }
        // The chunker's parameters are named as the library spells them; the user typed --stripes/--substripes.
        const flags = { numStripes: '--stripes', numSubStripesPerStripe: '--substripes' };
        const created = await withFlagWords(flags, () =>
          createCatalog(dir, o.schema, {
            engine:
              o.engine === 'postgres'
                ? { kind: 'postgres', workers: (o.workers ?? '').split(',').filter(Boolean) }
                : { kind: 'duckdb' },
            partitioning: {
              numStripes: o.stripes,
              numSubStripesPerStripe: o.substripes,
              overlapDeg: o.overlap,
            },
          }),
        );
        await created.close();
        console.log(
          `created catalog ${created.schema.name} in ${dir} (${o.engine}, ${o.stripes}/${o.substripes}, overlap ${o.overlap}°)`,
        );
      },
    );

  catalog
    .command('ingest')
    .description('contribute CSV/TSV/Parquet files to TABLE, in a new transaction committed at the end')
    .argument('<DIR>', 'catalog database directory')
    .argument('<TABLE>', 'table name from the schema')
    .argument('<FILES...>', 'files to contribute')
    .option(
      '--transaction-id <id>',
      'contribute into this open transaction instead (commit it with `catalog transaction commit`)',
      parseNonNegativeInteger,
    )
    .action(async (dir: string, table: string, files: string[], o: { transactionId?: number }) => {
      const result = await withProgress((reporter) =>
        withCatalog(dir, (c) =>
          c.ingestFiles(table, files, { transactionId: o.transactionId, onProgress: reporter.update }),
        ),
      );
      if (result.alreadyCommitted) {
        console.log(`already loaded by transaction ${result.transactionId}; nothing to do`);
        return;
      }
      for (const c of result.contributions)
        console.log(`${c.path}: ${c.rows} rows into ${c.table} (${c.overlapRows} overlap rows)`);
      console.log(
        `transaction ${result.transactionId} ${o.transactionId === undefined ? 'committed' : 'still open'}`,
      );
    });

  catalog
    .command('ingest-dir')
    .description(
      'ingest every table found in SOURCE (SOURCE/<Table>/*.parquet or SOURCE/<Table>.csv), one transaction per table',
    )
    .argument('<DIR>', 'catalog database directory')
    .argument('<SOURCE>', 'directory of catalog files, e.g. the output of `meridian sim catalogs`')
    .action(async (dir: string, source: string) => {
      await withProgress((reporter) =>
        withCatalog(dir, (c) =>
          ingestDirectory(c, source, (line) => reporter.println(line), { onProgress: reporter.update }),
        ),
      );
    });

  registerCatalogIngestButler(catalog);

  const transaction = catalog
    .command('transaction')
    .description('begin, commit or abort an ingest transaction')
    .addHelpText(
      'after',
      `
A transaction groups contributions (\`catalog ingest --transaction-id ID\`) so that queries see all of them or
none: begin one, contribute files, then commit it (or abort it to drop what was staged).

Example:
  ID=$(meridian catalog transaction begin ./cat)
  meridian catalog ingest ./cat Object obj-1.parquet --transaction-id $ID
  meridian catalog ingest ./cat Object obj-2.parquet --transaction-id $ID
  meridian catalog transaction commit ./cat $ID`,
    );
  transaction
    .command('begin')
    .description('open a new ingest transaction and print its ID (on stdout, alone, for scripts)')
    .argument('<DIR>', 'catalog database directory')
    .addHelpText('after', '\nExample:\n  ID=$(meridian catalog transaction begin ./cat)')
    .action(async (dir: string) => console.log(await withCatalog(dir, (c) => c.beginTransaction())));
  transaction
    .command('commit')
    .description('publish every contribution of the open transaction ID to queries, all at once')
    .argument('<DIR>', 'catalog database directory')
    .argument('<ID>', 'transaction id', parseNonNegativeInteger)
    .addHelpText('after', '\nExample:\n  meridian catalog transaction commit ./cat 3')
    .action(async (dir: string, id: number) => {
      await withCatalog(dir, (c) => c.commitTransaction(id));
      console.log(`transaction ${id} committed`);
    });
  transaction
    .command('abort')
    .description('drop the staged contributions of the open transaction ID; it can no longer be committed')
    .argument('<DIR>', 'catalog database directory')
    .argument('<ID>', 'transaction id', parseNonNegativeInteger)
    .addHelpText('after', '\nExample:\n  meridian catalog transaction abort ./cat 3')
    .action(async (dir: string, id: number) => {
      await withCatalog(dir, (c) => c.abortTransaction(id));
      console.log(`transaction ${id} aborted`);
    });

  catalog
    .command('query')
    .description('run an ADQL query, given as an argument or read from a file (-f FILE, or -f - for stdin)')
    .argument('<DIR>', 'catalog database directory')
    .argument('[ADQL]', 'the query (or use -f)')
    .option('-f, --file <file>', 'read the query from FILE; - reads it from stdin')
    .addOption(new Option('--format <format>', 'output format').choices(outputFormats).default('table'))
    .option(
      '--maxrec <n>',
      'return at most N rows (the rest is reported as overflow)',
      parseNonNegativeInteger,
    )
    .option('--timeout <seconds>', 'cancel the query after this many seconds', parsePositiveNumber)
    .addHelpText(
      'after',
      `
Examples:
  meridian catalog query ./cat "SELECT TOP 10 objectId, coord_ra FROM Object"
  meridian catalog query ./cat -f query.adql --format csv
  generate-query | meridian catalog query ./cat -f -`,
    )
    .action(
      async (
        dir: string,
        adqlArgument: string | undefined,
        o: { file?: string; format: OutputFormat; maxrec?: number; timeout?: number },
        command: Command,
      ) => {
        if ((adqlArgument === undefined) === (o.file === undefined)) {
          command.error('error: give the query either as the ADQL argument or with -f FILE, not both', {
            exitCode: 2,
            code: 'commander.usageError',
          });
        }
        const adql = adqlArgument ?? (await readQueryFile(o.file ?? '-'));
        await withCatalog(dir, async (c) => {
          const result = await c.query(adql, {
            maxRows: o.maxrec,
            timeoutMs: o.timeout === undefined ? undefined : o.timeout * 1000,
          });
          process.stdout.write(formatResult(result, o.format, c.schema));
        });
      },
    );

  catalog
    .command('stats')
    .description('tables, row counts per table and chunk, transactions')
    .argument('<DIR>', 'catalog database directory')
    .option('--json', 'print as JSON')
    .action(async (dir: string, o: { json?: boolean }) => {
      const stats = await withCatalog(dir, (c) => c.stats());
      if (o.json) return printJson(stats);
      const p = stats.partitioning;
      console.log(
        `${stats.schema}: ${stats.engine}, ${stats.workers} worker(s), ${p.numStripes}/${p.numSubStripesPerStripe} overlap ${p.overlapDeg}°`,
      );
      for (const t of stats.tables) {
        console.log(
          `  ${t.name.padEnd(26)} ${t.role.padEnd(9)} ${String(t.rows).padStart(12)} rows  ${String(t.chunks).padStart(6)} chunks  ${String(t.overlapRows).padStart(10)} overlap rows`,
        );
      }
      const open = stats.transactions.filter((t) => t.state === 'started').map((t) => t.id);
      console.log(
        `  transactions: ${stats.transactions.length}${open.length > 0 ? ` (open: ${open.join(', ')})` : ''}`,
      );
    });

  catalog
    .command('compare')
    .description(
      'compare two catalog databases (any engines): counts and digests per chunk, differing rows by key',
    )
    .argument('<A>', 'first catalog database directory')
    .argument('<B>', 'second catalog database directory')
    .option('--json', 'print the full report as JSON')
    .option(
      '--max-differences <n>',
      'differences listed per chunk; the rest are counted',
      parseNonNegativeInteger,
    )
    .option(
      '--memory-limit <size>',
      "DuckDB memory limit of each embedded catalog while comparing, e.g. 512MB (DuckDB's size syntax)",
      '512MB',
    )
    .action(
      async (
        dirA: string,
        dirB: string,
        o: { json?: boolean; maxDifferences?: number; memoryLimit: string },
      ) => {
        // Progress through the shared reporter: on a terminal's stderr only.
        const toUpdate = (p: CompareProgress) =>
          p.phase === 'digests'
            ? { phase: `digests of ${p.table}`, done: p.tableIndex - 1, total: p.tableCount, unit: 'tables' }
            : {
                phase: `rows of differing chunks of ${p.table}`,
                done: (p.chunkIndex ?? 1) - 1,
                total: p.chunkCount,
                unit: 'chunks',
              };
        const open = { memoryLimit: o.memoryLimit };
        const report = await withProgress((reporter) =>
          withCatalog(
            dirA,
            (a) =>
              withCatalog(
                dirB,
                (b) =>
                  compareCatalogs(a, b, {
                    onProgress: (p) => reporter.update(toUpdate(p)),
                    maxDifferencesPerChunk: o.maxDifferences,
                  }),
                open,
              ),
            open,
          ),
        );
        if (o.json) printJson(report);
        else {
          for (const t of report.tables) {
            console.log(`${t.equal ? 'same     ' : 'DIFFERENT'} ${t.table}: ${t.rowsA} / ${t.rowsB} rows`);
            for (const chunk of t.chunks) {
              const kinds = new Map<string, string[]>();
              for (const d of chunk.differences) kinds.set(d.kind, [...(kinds.get(d.kind) ?? []), d.key]);
              const summary = [...kinds].map(
                ([k, keys]) =>
                  `${k} ${keys.length} (${keys.slice(0, 5).join(', ')}${keys.length > 5 ? ', …' : ''})`,
              );
              if (chunk.omittedDifferences > 0) summary.push(`${chunk.omittedDifferences} more not listed`);
              console.log(
                `    chunk ${chunk.chunkId}: ${chunk.rowsA} / ${chunk.rowsB} rows; ${summary.join('; ')}`,
              );
            }
          }
          for (const name of report.unmatchedTables) console.log(`DIFFERENT ${name}: in one catalog only`);
        }
        if (!report.equal) process.exitCode = 1;
      },
    );

  return catalog;
}

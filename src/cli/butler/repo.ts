import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { stringify as stringifyYaml } from 'yaml';
import { Butler, FileTemplates, migrateRepository, verifyRepository } from '../../butler/index.js';
import { meridianError } from '../../errors.js';
import { printJson } from '../common/json.js';
import { printTable } from '../common/table.js';
import { withButler } from './open.js';
import { addJsonOption } from './query-options.js';

/** Repository-level commands: create, config-dump, verify. */

const CONFIG_SUBSETS = ['registry', 'datastore', 'dimensions', 'storageClasses'] as const;

function registerCreate(program: Command): void {
  program
    .command('create')
    .description('Create an empty butler repository (SQLite registry by default, or PostgreSQL).')
    .argument('<repo>', 'Directory for the new repository (must be missing or empty)')
    .option(
      '--registry-db <url>',
      'Registry database: postgresql://user@host:port/db (default: SQLite file in REPO)',
    )
    .option('--postgres <url>', 'Same as --registry-db')
    .option('--namespace <name>', 'PostgreSQL schema for this repository (default: meridian)')
    .option('--checksum', 'Record a blake2b-512 checksum of every stored file')
    .addHelpText(
      'after',
      `
Examples:
  butler create ./repo
  butler create ./repo --registry-db postgresql://butler@localhost:5432/meridian --namespace dp0`,
    )
    .action(
      async (
        repo: string,
        opts: { registryDb?: string; postgres?: string; namespace?: string; checksum?: boolean },
      ) => {
        if (
          opts.registryDb !== undefined &&
          opts.postgres !== undefined &&
          opts.registryDb !== opts.postgres
        ) {
          throw meridianError(
            'INVALID_ARGUMENT',
            '--registry-db and --postgres give different URLs; pass one',
          );
        }
        const db = opts.registryDb ?? opts.postgres;
        if (opts.namespace !== undefined && db === undefined) {
          throw meridianError('INVALID_ARGUMENT', '--namespace needs a PostgreSQL --registry-db URL');
        }
        const butler = await Butler.create(repo, {
          registry: db === undefined ? undefined : { db, namespace: opts.namespace },
          checksum: opts.checksum ?? false,
        });
        try {
          const where = db === undefined ? 'SQLite registry' : `registry ${redactPassword(db)}`;
          const ns = butler.config.registry.namespace;
          process.stdout.write(
            `Created butler repository at ${butler.root} (${where}${ns ? `, namespace ${ns}` : ''})\n`,
          );
        } finally {
          await butler.close();
        }
      },
    );
}

/** A database URL without its password, for printing. */
function redactPassword(url: string): string {
  return url.replace(/^(\w+:\/\/[^:/@]+):[^@]*@/, '$1:***@');
}

function registerConfigDump(program: Command): void {
  addJsonOption(
    program
      .command('config-dump')
      .description('Print the resolved repository configuration (YAML, or JSON with --json).')
      .argument('<repo>', 'Repository directory')
      .addOption(new Option('--subset <part>', 'Print only one part').choices(CONFIG_SUBSETS)),
  )
    .addHelpText(
      'after',
      `
Examples:
  butler config-dump ./repo
  butler config-dump ./repo --subset dimensions --json`,
    )
    .action(async (repo: string, opts: { subset?: (typeof CONFIG_SUBSETS)[number]; json?: boolean }) => {
      await withButler(repo, 'read', async (butler) => {
        const config: Record<string, unknown> = {
          meridian_butler: butler.config.meridian_butler,
          root: butler.root,
          registry: { ...butler.config.registry, url: butler.registry.database.displayUrl },
          datastore: {
            cls: 'FileDatastore',
            root: resolve(butler.root),
            checksum: butler.config.datastore.checksum,
            templates: { default: FileTemplates.DEFAULT, ...(butler.config.datastore.templates ?? {}) },
          },
          dimensions: butler.universe.toJSON(),
          storageClasses: butler.storageClasses.toConfig(),
        };
        const out = opts.subset === undefined ? config : { [opts.subset]: config[opts.subset] };
        if (opts.json) printJson(out);
        else process.stdout.write(stringifyYaml(out, { lineWidth: 0 }));
      });
    });
}

function registerVerify(program: Command): void {
  addJsonOption(
    program
      .command('verify')
      .description(
        'Compare registry and datastore: missing files, wrong sizes or checksums, orphan files, datasets without files.',
      )
      .argument('<repo>', 'Repository directory')
      .option(
        '--checksum',
        'Also recompute checksums of files that have one recorded (slow for large files)',
      ),
  )
    .addHelpText(
      'after',
      `
Exit status is 1 when any problem other than 'unstored' (a dataset deliberately without a file) is found.

Examples:
  butler verify ./repo
  butler verify ./repo --checksum --json`,
    )
    .action(async (repo: string, opts: { checksum?: boolean; json?: boolean }) => {
      await withButler(repo, 'read', async (butler) => {
        const report = await verifyRepository(butler, { checksum: opts.checksum ?? false });
        const serious = report.problems.filter((p) => p.kind !== 'unstored').length;
        const unstored = report.problems.length - serious;
        const summary =
          `Checked ${report.datasets} datasets and ${report.files} files: ` +
          (report.problems.length === 0
            ? 'no problems.'
            : `${serious} problem(s)${unstored > 0 ? `, ${unstored} dataset(s) without files (unstored)` : ''}.`);
        if (opts.json) {
          printJson({
            datasets: report.datasets,
            files: report.files,
            problems: report.problems.map((p) => ({
              kind: p.kind,
              datasetId: p.datasetId ?? null,
              path: p.path,
              detail: p.detail,
            })),
          });
          process.stderr.write(`${summary}\n`);
        } else {
          if (report.problems.length > 0) {
            printTable(report.problems, [
              { key: 'kind', header: 'problem' },
              { key: 'datasetId', header: 'dataset id' },
              'path',
              'detail',
            ]);
          }
          process.stdout.write(`${summary}\n`);
        }
        if (serious > 0) process.exitCode = 1;
      });
    });
}

function registerMigrate(program: Command): void {
  addJsonOption(
    program
      .command('migrate')
      .description("Bring a repository's registry schema to this Meridian's version (one transaction).")
      .argument('<repo>', 'Repository directory'),
  )
    .addHelpText(
      'after',
      `
Other commands refuse a registry that needs this (error SCHEMA_VERSION). Back the repository up first; running
it again does nothing.

Examples:
  butler migrate ./repo`,
    )
    .action(async (repo: string, opts: { json?: boolean }) => {
      const { from, to } = await migrateRepository(repo);
      if (opts.json) printJson({ from, to, migrated: from !== to });
      else if (from === to) console.log(`The registry of ${repo} is already at schema version ${to}.`);
      else console.log(`Migrated the registry of ${repo} from schema version ${from} to ${to}.`);
    });
}

export function registerRepoCommands(program: Command): void {
  registerCreate(program);
  registerConfigDump(program);
  registerVerify(program);
  registerMigrate(program);
}

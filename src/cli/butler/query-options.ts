import type { Command } from 'commander';
import type { Butler, DatasetRef } from '../../butler/index.js';
import { meridianError } from '../../errors.js';
import { parseBind, parseDataIds } from '../common/key-values.js';
import { appendCommaSeparated, appendValue } from '../common/list-options.js';

/** The query options several commands share (`--collections`, `--where`, `--bind`, ...), as commander gives them. */
export interface QueryCliOptions {
  readonly collections?: string[];
  readonly datasets?: string[];
  readonly where?: string;
  readonly bind?: string[];
  readonly dataId?: string[];
  readonly findFirst?: boolean;
  readonly findAll?: boolean;
  readonly orderBy?: string[];
  readonly limit?: number;
  readonly offset?: number;
  readonly json?: boolean;
}

export function addCollectionsOption(cmd: Command, what = 'Collections to search'): Command {
  return cmd.option(
    '--collections <names>',
    `${what} (comma-separated, repeatable; globs allowed unless the search is ordered)`,
    appendCommaSeparated,
  );
}

export function addWhereOptions(cmd: Command): Command {
  return cmd
    .option('--where <expr>', 'Query expression, e.g. "instrument = \'Cam1\' AND visit > 5"')
    .option(
      '--bind <name=value>',
      'Value for a :name in --where (repeatable; integers become numbers)',
      appendValue,
    )
    .option('--data-id <k=v,...>', 'Restrict to this data ID (repeatable)', appendValue);
}

export function addDatasetsOption(cmd: Command): Command {
  return cmd.option(
    '--datasets <globs>',
    'Dataset types (names or globs; comma-separated, repeatable)',
    appendCommaSeparated,
  );
}

export function addJsonOption(cmd: Command): Command {
  return cmd.option('--json', 'Print a JSON document on stdout instead of a table');
}

/** The library query options from the shared CLI options. */
export function queryOptions(opts: QueryCliOptions) {
  return {
    where: opts.where ?? null,
    bind: parseBind(opts.bind),
    dataId: parseDataIds(opts.dataId),
    orderBy: opts.orderBy,
    limit: opts.limit ?? null,
    offset: opts.offset ?? null,
  };
}

/** Datasets of the given types (all when none) in the collections, as `query-datasets` and its kin select them. */
export function queryDatasetRefs(
  butler: Butler,
  datasetTypes: readonly string[],
  opts: QueryCliOptions,
  findFirst: boolean,
): Promise<DatasetRef[]> {
  if (findFirst && (opts.collections ?? []).length === 0) {
    throw meridianError(
      'INVALID_ARGUMENT',
      '--find-first needs --collections: an ordered list of collections (no globs)',
    );
  }
  return butler.registry.queryDatasets(datasetTypes, {
    collections: opts.collections ?? [],
    findFirst,
    ...queryOptions(opts),
  });
}

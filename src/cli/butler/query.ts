import type { Command } from 'commander';
import {
  type Butler,
  type DatasetRef,
  type DimensionRecord,
  type DimensionUniverse,
  formatTai,
  type Timespan,
} from '../../butler/index.js';
import { encodeRegion, type Region } from '../../sphere/index.js';
import { printJson } from '../common/json.js';
import { appendCommaSeparated } from '../common/list-options.js';
import { parseNonNegativeInteger } from '../common/number-options.js';
import { formatTable, printTable } from '../common/table.js';
import { withButler } from './open.js';
import {
  addCollectionsOption,
  addDatasetsOption,
  addJsonOption,
  addWhereOptions,
  type QueryCliOptions,
  queryDatasetRefs,
  queryOptions,
} from './query-options.js';

/** Query commands: query-datasets, query-data-ids, query-dimension-records. */

function addOrderAndLimit(cmd: Command, withOffset: boolean): Command {
  cmd
    .option(
      '--order-by <fields>',
      "Sort by dimensions or fields, '-' for descending, e.g. -visit,detector (comma-separated, repeatable)",
      appendCommaSeparated,
    )
    .option('--limit <n>', 'Return at most N results', parseNonNegativeInteger);
  if (withOffset)
    cmd.option('--offset <n>', 'Skip the first N results (use with --order-by)', parseNonNegativeInteger);
  return cmd;
}

/** Absolute file path of each dataset (the first stored file for disassembled ones), null when unstored. */
async function datasetPaths(
  butler: Butler,
  refs: readonly DatasetRef[],
): Promise<Map<string, string | null>> {
  const stored = await butler.registry.stored.get(refs.map((r) => r.id));
  const out = new Map<string, string | null>();
  for (const ref of refs) {
    const infos = stored.get(ref.id) ?? [];
    const info = infos.find((i) => i.component === null) ?? infos[0];
    out.set(ref.id, info === undefined ? null : butler.datastore.absolutePath(info));
  }
  return out;
}

function registerQueryDatasets(program: Command): void {
  const cmd = program
    .command('query-datasets')
    .description('List datasets, one table per dataset type.')
    .argument('<repo>', 'Repository directory')
    .argument('[globs...]', 'Dataset type names or globs (default: all)');
  addCollectionsOption(cmd, 'Collections to search (default: all)');
  addWhereOptions(cmd);
  cmd
    .option(
      '--find-first',
      'Only the first dataset per data ID, searching the collections in order (no globs)',
    )
    .option('--show-uri', 'Also show the path of each dataset file');
  addOrderAndLimit(cmd, false);
  addJsonOption(cmd)
    .addHelpText(
      'after',
      `
Examples:
  butler query-datasets ./repo --collections run1
  butler query-datasets ./repo 'raw*' --collections Cam1/defaults --find-first --where "detector IN (1..3)"
  butler query-datasets ./repo calexp --collections run1 --where "visit = :v" --bind v=42 --show-uri --json`,
    )
    .action(async (repo: string, globs: string[], opts: QueryCliOptions & { showUri?: boolean }) => {
      await withButler(repo, 'read', async (butler) => {
        let refs = await queryDatasetRefs(butler, globs, opts, opts.findFirst ?? false);
        if (opts.limit !== undefined) refs = refs.slice(0, opts.limit);
        const paths = opts.showUri ? await datasetPaths(butler, refs) : undefined;
        if (opts.json) {
          printJson(
            refs.map((r) => ({
              type: r.datasetType.name,
              run: r.run,
              id: r.id,
              dataId: { ...r.dataId.required },
              ...(paths ? { uri: paths.get(r.id) } : {}),
            })),
          );
          return;
        }
        if (refs.length === 0) {
          process.stdout.write('No datasets found.\n');
          return;
        }
        const byType = new Map<string, DatasetRef[]>();
        for (const r of refs) {
          const list = byType.get(r.datasetType.name) ?? [];
          list.push(r);
          byType.set(r.datasetType.name, list);
        }
        const tables: string[] = [];
        for (const [type, group] of byType) {
          const dims = group[0]!.datasetType.dimensions.required;
          const rows = group.map((r) => ({
            type,
            run: r.run,
            id: r.id,
            ...Object.fromEntries(dims.map((d) => [`dim:${d}`, r.dataId.values[d]])),
            uri: paths?.get(r.id) ?? (paths ? '(no file)' : undefined),
          }));
          const columns = [
            'type',
            'run',
            'id',
            ...dims.map((d) => ({ key: `dim:${d}`, header: d })),
            ...(paths ? ['uri'] : []),
          ];
          tables.push(formatTable(rows, columns));
        }
        process.stdout.write(`${tables.join('\n\n')}\n`);
      });
    });
}

function registerQueryDataIds(program: Command): void {
  const cmd = program
    .command('query-data-ids')
    .description(
      'List data IDs for the given dimensions that have dimension records (and datasets, with --datasets).',
    )
    .argument('<repo>', 'Repository directory')
    .argument('<dimensions...>', 'Dimensions of the data IDs, e.g. visit detector');
  addDatasetsOption(cmd);
  addCollectionsOption(cmd, 'Collections to search for --datasets');
  addWhereOptions(cmd);
  addOrderAndLimit(cmd, true);
  addJsonOption(cmd)
    .addHelpText(
      'after',
      `
Examples:
  butler query-data-ids ./repo exposure detector --where "instrument = 'Cam1' AND exposure.observation_type = 'science'"
  butler query-data-ids ./repo visit --datasets calexp --collections run1 --order-by -visit --limit 10 --json`,
    )
    .action(async (repo: string, dimensions: string[], opts: QueryCliOptions) => {
      await withButler(repo, 'read', async (butler) => {
        const coords = await butler.registry.queryDataIds(dimensions, {
          datasets: opts.datasets,
          collections: opts.collections,
          ...queryOptions(opts),
        });
        const names = butler.universe.group(dimensions).names;
        const rows = coords.map((c) =>
          Object.fromEntries(names.filter((n) => c.values[n] !== undefined).map((n) => [n, c.values[n]])),
        );
        if (opts.json) printJson(rows);
        else
          printTable(
            rows,
            [...names].filter((n) => rows.length === 0 || n in rows[0]!),
            'No data IDs found.',
          );
      });
    });
}

function isRegion(value: unknown): value is Region {
  return typeof value === 'object' && value !== null && 'kind' in value;
}

function taiText(ns: bigint | null): string | null {
  return ns === null ? null : formatTai(ns);
}

/** A record as plain JSON: region as its encoded string, timespan as ISO TAI begin/end (null when unbounded). */
function recordToJson(rec: DimensionRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rec)) {
    if (k === 'region') out.region = isRegion(v) ? encodeRegion(v) : null;
    else if (k === 'timespan') {
      const t = v as Timespan | null | undefined;
      out.timespan = t ? { begin: taiText(t.begin), end: taiText(t.end) } : null;
    } else out[k] = v;
  }
  return out;
}

/** Table columns of an element: its table columns, then timespan begin/end and the region's shape. */
function recordColumns(universe: DimensionUniverse, element: string) {
  const el = universe.element(element);
  const columns: { key: string; header?: string }[] = el.tableColumns(universe).map((c) => ({ key: c.name }));
  if (el.temporal)
    columns.push(
      { key: 'timespan.begin', header: 'timespan.begin (TAI)' },
      { key: 'timespan.end', header: 'timespan.end (TAI)' },
    );
  if (el.spatial !== undefined && el.hasTable) columns.push({ key: 'region' });
  return columns;
}

function recordToRow(rec: DimensionRecord): Record<string, unknown> {
  const row: Record<string, unknown> = { ...rec };
  const t = rec.timespan;
  row['timespan.begin'] = t ? (taiText(t.begin) ?? '-inf') : undefined;
  row['timespan.end'] = t ? (taiText(t.end) ?? '+inf') : undefined;
  // The full encoding is long; the table shows only the shape (the JSON output has the encoded region).
  row.region = isRegion(rec.region) ? `(${rec.region.kind})` : undefined;
  return row;
}

function registerQueryDimensionRecords(program: Command): void {
  const cmd = program
    .command('query-dimension-records')
    .description(
      'List the records of a dimension element (instrument, detector, visit, visit_detector_region, ...).',
    )
    .argument('<repo>', 'Repository directory')
    .argument('<element>', 'Dimension element name');
  addDatasetsOption(cmd);
  addCollectionsOption(cmd, 'Collections to search for --datasets');
  addWhereOptions(cmd);
  addOrderAndLimit(cmd, true);
  addJsonOption(cmd)
    .addHelpText(
      'after',
      `
Timespans are printed as ISO-8601 TAI. Regions are abbreviated in the table and encoded in full with --json.

Examples:
  butler query-dimension-records ./repo detector --where "instrument = 'Cam1'"
  butler query-dimension-records ./repo visit --order-by visit --limit 5 --json`,
    )
    .action(async (repo: string, element: string, opts: QueryCliOptions) => {
      await withButler(repo, 'read', async (butler) => {
        const records = await butler.registry.queryDimensionRecords(element, {
          datasets: opts.datasets,
          collections: opts.collections,
          ...queryOptions(opts),
        });
        if (opts.json) printJson(records.map(recordToJson));
        else
          printTable(
            records.map(recordToRow),
            recordColumns(butler.universe, element),
            'No dimension records found.',
          );
      });
    });
}

export function registerQueryCommands(program: Command): void {
  registerQueryDatasets(program);
  registerQueryDataIds(program);
  registerQueryDimensionRecords(program);
}

import { type Command, InvalidArgumentError, Option } from 'commander';
import {
  type Butler,
  type CollectionRecord,
  type CollectionType,
  parseCollectionType,
} from '../../butler/index.js';
import { isMeridianError, meridianError } from '../../errors.js';
import { caseInsensitiveChoice } from '../common/choices.js';
import { confirmOrRefuse } from '../common/confirm.js';
import { printJson } from '../common/json.js';
import { printTable } from '../common/table.js';
import { withButler } from './open.js';
import { addJsonOption } from './query-options.js';

/** Collection commands: query-collections, collection-chain, remove-collections, remove-runs. */

const CHAIN_DISPLAYS = ['TABLE', 'TREE', 'FLATTEN', 'NO-CHILDREN'] as const;
type ChainDisplay = (typeof CHAIN_DISPLAYS)[number];
const CHAIN_MODES = ['redefine', 'extend', 'remove', 'prepend', 'pop'] as const;
type ChainMode = (typeof CHAIN_MODES)[number];

function collectCollectionType(value: string, previous: CollectionType[] | undefined): CollectionType[] {
  try {
    return [...(previous ?? []), parseCollectionType(value)];
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

interface CollectionTreeNode {
  name: string;
  type: CollectionType;
  children?: CollectionTreeNode[];
  datasetTypes?: string[];
}

async function treeOf(
  butler: Butler,
  rec: CollectionRecord,
  showTypes: boolean,
): Promise<CollectionTreeNode> {
  const node: CollectionTreeNode = { name: rec.name, type: rec.type };
  if (rec.type === 'CHAINED') {
    node.children = [];
    for (const child of await butler.registry.getCollectionChain(rec.name)) {
      node.children.push(await treeOf(butler, await butler.registry.collections.get(child), showTypes));
    }
  }
  if (showTypes) node.datasetTypes = await butler.registry.collectionSummary(rec.name);
  return node;
}

function treeRows(nodes: readonly CollectionTreeNode[], depth = 0): Record<string, unknown>[] {
  return nodes.flatMap((n) => [
    { name: `${'  '.repeat(depth)}${n.name}`, type: n.type, datasetTypes: n.datasetTypes },
    ...treeRows(n.children ?? [], depth + 1),
  ]);
}

function registerQueryCollections(program: Command): void {
  addJsonOption(
    program
      .command('query-collections')
      .description('List collections, with the children of CHAINED collections.')
      .argument('<repo>', 'Repository directory')
      .argument('[globs...]', 'Collection names or globs (default: all)')
      .option(
        '--collection-type <type>',
        'Only collections of this type: RUN, TAGGED, CHAINED, CALIBRATION (repeatable)',
        collectCollectionType,
      )
      .addOption(
        new Option('--chains <display>', `How to show chains: ${CHAIN_DISPLAYS.join(', ')}`)
          .argParser(caseInsensitiveChoice(CHAIN_DISPLAYS))
          .default('TREE'),
      )
      .option('-t, --show-dataset-types', 'Also list the dataset types present in each collection'),
  )
    .addHelpText(
      'after',
      `
TREE (default) indents the children of each chain under it; TABLE lists each chain's direct children beside it;
FLATTEN replaces chains by the non-chained collections they search, in order; NO-CHILDREN lists names only.

Examples:
  butler query-collections ./repo
  butler query-collections ./repo 'Cam1/*' --collection-type RUN --chains TABLE -t`,
    )
    .action(
      async (
        repo: string,
        globs: string[],
        opts: {
          collectionType?: CollectionType[];
          chains: ChainDisplay;
          showDatasetTypes?: boolean;
          json?: boolean;
        },
      ) => {
        await withButler(repo, 'read', async (butler) => {
          const showTypes = opts.showDatasetTypes ?? false;
          const types = opts.collectionType;
          let rows: Record<string, unknown>[];
          let json: unknown[];
          const columns = ['name', 'type'];
          if (opts.chains === 'FLATTEN') {
            const flat = await butler.registry.collections.flatten(
              await butler.registry.queryCollections(globs),
            );
            const selected = flat.filter((r) => types === undefined || types.includes(r.type));
            rows = [];
            for (const r of selected) {
              rows.push({
                name: r.name,
                type: r.type,
                ...(showTypes ? { datasetTypes: await butler.registry.collectionSummary(r.name) } : {}),
              });
            }
            json = rows;
          } else {
            const recs = await butler.registry.queryCollections(globs, types);
            const nodes: CollectionTreeNode[] = [];
            for (const r of recs) nodes.push(await treeOf(butler, r, showTypes));
            if (opts.chains === 'TREE') {
              rows = treeRows(nodes);
              json = nodes;
            } else if (opts.chains === 'TABLE') {
              columns.push('children');
              rows = nodes.flatMap((n) => {
                const children = (n.children ?? []).map((c) => c.name);
                const first = {
                  name: n.name,
                  type: n.type,
                  children: children[0],
                  datasetTypes: n.datasetTypes,
                };
                return [first, ...children.slice(1).map((c) => ({ children: c }))];
              });
              json = nodes.map((n) => ({
                name: n.name,
                type: n.type,
                children: (n.children ?? []).map((c) => c.name),
                ...(showTypes ? { datasetTypes: n.datasetTypes } : {}),
              }));
            } else {
              rows = nodes.map((n) => ({ name: n.name, type: n.type, datasetTypes: n.datasetTypes }));
              json = rows.map((r) => (showTypes ? r : { name: r.name, type: r.type }));
            }
          }
          if (showTypes) columns.push('datasetTypes');
          if (opts.json) printJson(json);
          else printTable(rows, columns, 'No collections found.');
        });
      },
    );
}

/** The chain after applying `mode` to `current` (upstream's redefine/extend/prepend/remove/pop semantics). */
export function applyChainMode(
  current: readonly string[],
  mode: ChainMode,
  args: readonly string[],
): string[] {
  switch (mode) {
    case 'redefine':
      return [...args];
    case 'extend':
      return [...current, ...args];
    case 'prepend':
      return [...args, ...current];
    case 'remove': {
      const missing = args.filter((a) => !current.includes(a));
      if (missing.length > 0) {
        throw meridianError(
          'INVALID_ARGUMENT',
          `not in the chain: ${missing.join(', ')} (chain is [${current.join(', ')}])`,
        );
      }
      return current.filter((c) => !args.includes(c));
    }
    case 'pop': {
      const indices = (args.length === 0 ? ['0'] : args).map((a) => {
        if (!/^-?\d+$/.test(a))
          throw meridianError('INVALID_ARGUMENT', `pop takes 0-based indices, got '${a}'`);
        const i = Number(a);
        // Negative indices count from the end, as Python's list.pop does upstream.
        const index = i < 0 ? current.length + i : i;
        if (index < 0 || index >= current.length) {
          throw meridianError(
            'INVALID_ARGUMENT',
            `index ${a} is out of range for a chain of ${current.length}`,
          );
        }
        return index;
      });
      return current.filter((_, i) => !indices.includes(i));
    }
  }
}

function registerCollectionChain(program: Command): void {
  program
    .command('collection-chain')
    .description('Define or change a CHAINED collection (created if missing).')
    .argument('<repo>', 'Repository directory')
    .argument('<parent>', 'The CHAINED collection')
    .argument('[children...]', 'Child collections, or 0-based indices for --mode pop (default 0)')
    .addOption(
      new Option(
        '--mode <mode>',
        'redefine: set the children; extend/prepend: add at the end/start; remove; pop',
      )
        .argParser(caseInsensitiveChoice(CHAIN_MODES, (s) => s.toLowerCase()))
        .default('redefine'),
    )
    .option('--flatten', 'Store the flattened list of non-chained collections instead of nested chains')
    .option('--doc <text>', 'Documentation string, used when the chain is created')
    .addHelpText(
      'after',
      `
Examples:
  butler collection-chain ./repo Cam1/defaults Cam1/raw/all Cam1/calib
  butler collection-chain ./repo Cam1/defaults --mode prepend u/me/run1
  butler collection-chain ./repo Cam1/defaults --mode pop 0`,
    )
    .action(
      async (
        repo: string,
        parent: string,
        children: string[],
        opts: { mode: ChainMode; flatten?: boolean; doc?: string },
      ) => {
        await withButler(repo, 'write', async (butler) => {
          const chain = await butler.registry.transaction(async () => {
            const existing = await butler.registry.collections.find(parent);
            if (existing === null) {
              if (opts.mode === 'remove' || opts.mode === 'pop') {
                throw meridianError(
                  'COLLECTION_UNKNOWN',
                  `chain '${parent}' does not exist; nothing to ${opts.mode}`,
                  {
                    name: parent,
                  },
                );
              }
              await butler.registry.registerCollection(parent, 'CHAINED', opts.doc);
            }
            const current = existing === null ? [] : await butler.registry.getCollectionChain(parent);
            await butler.registry.setCollectionChain(parent, applyChainMode(current, opts.mode, children), {
              flatten: opts.flatten ?? false,
            });
            return butler.registry.getCollectionChain(parent);
          });
          process.stdout.write(`${parent}: [${chain.join(', ')}]\n`);
        });
      },
    );
}

function registerRemoveRuns(program: Command): void {
  program
    .command('remove-runs')
    .description(
      'Remove RUN collections with all their datasets and files (first finishing any removal that was interrupted).',
    )
    .argument('<repo>', 'Repository directory')
    .argument('<collection_glob>', 'RUN collection name or glob')
    .option('--no-confirm', 'Do not ask for confirmation (needed when stdin is not a terminal)')
    .option('--force', 'Also remove the runs from the CHAINED collections that contain them')
    .addHelpText(
      'after',
      `
Runs are removed one at a time, each in its own transaction followed by the deletion of its files. If an earlier
remove-runs was interrupted after its runs were gone, running it again deletes the files it left (reporting 0
runs removed) instead of failing because nothing matches; a RUN name that does not exist is nothing to do.

Examples:
  butler remove-runs ./repo 'u/me/test_*' --no-confirm
  butler remove-runs ./repo u/me/run1 --no-confirm --force`,
    )
    .action(async (repo: string, glob: string, opts: { confirm: boolean; force?: boolean }) => {
      await withButler(repo, 'write', async (butler, signal) => {
        const runs = await butler.registry.queryCollections([glob], ['RUN']).catch((err: unknown) => {
          // Like `rm -f`: a RUN that is not there (maybe removed by an earlier, interrupted run of this
          // command) is nothing to do, so the same command can always be run again.
          if (isMeridianError(err) && err.code === 'COLLECTION_UNKNOWN') return [];
          throw err;
        });
        if (runs.length === 0) {
          // An interrupted earlier removal may have removed the runs and left their files in the trash.
          if ((await butler.registry.stored.trashCount()) > 0) {
            const deleted = await butler.emptyTrash({ signal });
            process.stdout.write(
              `No RUN collections match '${glob}'; finished an interrupted removal: deleted ${deleted} file(s) from the trash. Removed 0 RUN collection(s).\n`,
            );
            return;
          }
          process.stdout.write(`No RUN collections match '${glob}'; nothing removed.\n`);
          return;
        }
        const rows = [];
        for (const r of runs) {
          rows.push({
            run: r.name,
            datasets: (await butler.registry.queryDatasets('*', { collections: [r.name] })).length,
            parents: await butler.registry.getCollectionParentChains(r.name),
          });
        }
        printTable(rows, [
          'run',
          { key: 'datasets', align: 'right' },
          { key: 'parents', header: 'parent chains' },
        ]);
        const chained = rows.filter((r) => r.parents.length > 0);
        if (chained.length > 0 && !opts.force) {
          throw meridianError(
            'COLLECTION_IN_USE',
            `run(s) ${chained.map((r) => r.run).join(', ')} belong to CHAINED collections; pass --force to remove them from those chains`,
            { runs: chained.map((r) => r.run) },
          );
        }
        if (!(await confirmOrRefuse(`Remove ${runs.length} RUN collection(s) and their datasets?`, opts))) {
          process.stdout.write('Aborted; nothing removed.\n');
          return;
        }
        const removed = await butler.removeRuns(
          runs.map((r) => r.name),
          { unstore: true, unlinkFromChains: opts.force ?? false, signal },
        );
        process.stdout.write(`Removed ${runs.length} RUN collection(s) and ${removed} dataset(s).\n`);
      });
    });
}

function registerRemoveCollections(program: Command): void {
  program
    .command('remove-collections')
    .description('Remove TAGGED, CHAINED and CALIBRATION collections (datasets stay in their RUNs).')
    .argument('<repo>', 'Repository directory')
    .argument(
      '<collection_glob>',
      'Collection name or glob; matching RUN collections are skipped (use remove-runs)',
    )
    .option('--no-confirm', 'Do not ask for confirmation (needed when stdin is not a terminal)')
    .addHelpText(
      'after',
      `
Examples:
  butler remove-collections ./repo 'u/me/tagged_*' --no-confirm`,
    )
    .action(async (repo: string, glob: string, opts: { confirm: boolean }) => {
      await withButler(repo, 'write', async (butler) => {
        const matched = await butler.registry.queryCollections([glob]);
        const runs = matched.filter((r) => r.type === 'RUN');
        // Chains first, so that removing a chain frees the collections it held.
        const targets = matched
          .filter((r) => r.type !== 'RUN')
          .sort((a, b) => Number(b.type === 'CHAINED') - Number(a.type === 'CHAINED'));
        if (runs.length > 0) {
          process.stderr.write(
            `Skipping RUN collection(s) ${runs.map((r) => r.name).join(', ')}: use remove-runs.\n`,
          );
        }
        if (targets.length === 0) {
          process.stdout.write(`No non-RUN collections match '${glob}'; nothing removed.\n`);
          return;
        }
        printTable(targets, ['name', 'type']);
        if (!(await confirmOrRefuse(`Remove ${targets.length} collection(s)?`, opts))) {
          process.stdout.write('Aborted; nothing removed.\n');
          return;
        }
        await butler.registry.transaction(async () => {
          for (const t of targets) await butler.removeCollection(t.name);
        });
        process.stdout.write(`Removed ${targets.length} collection(s).\n`);
      });
    });
}

export function registerCollectionCommands(program: Command): void {
  registerQueryCollections(program);
  registerCollectionChain(program);
  registerRemoveRuns(program);
  registerRemoveCollections(program);
}

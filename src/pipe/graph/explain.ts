/**
 * Why the data-ID query gave no rows: it is run again in pieces — each constraining dataset type alone in the
 * input collections, the data query alone — and the message says which gave zero rows (or that each gives rows
 * and only their combination is empty), so the user knows what to widen.
 */
import type { Butler } from '../../butler/index.js';
import { isMeridianError, type MeridianError, meridianError } from '../../errors.js';
import type { BuildPlan } from './plan.js';

export async function explainEmptyQuery(
  butler: Butler,
  plan: BuildPlan,
  options: {
    readonly inputCollections: readonly string[];
    readonly where?: string | null;
    readonly bind?: Readonly<Record<string, unknown>>;
    readonly dataId?: Readonly<Record<string, unknown>>;
  },
): Promise<MeridianError> {
  const registry = butler.registry;
  const collections = options.inputCollections;
  const empty: string[] = [];
  const nonEmpty: string[] = [];
  const tryCount = async (what: string, run: () => Promise<unknown[]>) => {
    try {
      ((await run()).length === 0 ? empty : nonEmpty).push(what);
    } catch (err) {
      // A piece that cannot be run on its own (e.g. a where clause naming dimensions it does not enumerate).
      if (!isMeridianError(err)) throw err;
    }
  };
  for (const name of plan.constraining) {
    const dims = registry.universe.group(plan.registered.get(name)!.dimensions.names);
    await tryCount(`no ${name} datasets in the input collections ${collections.join(', ')}`, () =>
      registry.queryDataIds([...dims.names], { datasets: [name], collections, limit: 1 }),
    );
  }
  const hasQuery = (options.where ?? '') !== '' || Object.keys(options.dataId ?? {}).length > 0;
  if (hasQuery) {
    const described = [
      options.where ? `the data query '${options.where}'` : null,
      Object.keys(options.dataId ?? {}).length > 0 ? `the data ID ${JSON.stringify(options.dataId)}` : null,
    ]
      .filter((s) => s !== null)
      .join(' with ');
    await tryCount(`${described} matches no data IDs of ${plan.unionGroup}`, () =>
      registry.queryDataIds([...plan.unionGroup.names], {
        where: options.where ?? null,
        bind: options.bind,
        dataId: options.dataId as never,
        limit: 1,
      }),
    );
    for (const name of plan.constraining) {
      const dims = plan.registered.get(name)!.dimensions;
      await tryCount(`no ${name} datasets match ${described}`, () =>
        registry.queryDataIds([...dims.names], {
          datasets: [name],
          collections,
          where: options.where ?? null,
          bind: options.bind,
          dataId: options.dataId as never,
          limit: 1,
        }),
      );
    }
  }
  if (plan.constraining.length === 0 && !hasQuery) {
    empty.push(`there are no data IDs of ${plan.unionGroup} in the repository (no dimension records)`);
  }
  const pieces =
    empty.length > 0
      ? empty.join('; ')
      : `each input type and the data query give data IDs on their own, but not together (${[...plan.constraining, hasQuery ? 'the data query' : null].filter((x) => x !== null).join(' ∩ ')})`;
  return meridianError('QGRAPH_EMPTY', `the pipeline and data query give no quanta: ${pieces}`, {
    constraining: [...plan.constraining],
    where: options.where ?? null,
    zeroRows: empty,
  });
}

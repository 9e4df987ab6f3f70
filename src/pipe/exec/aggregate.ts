/**
 * The merge step (Rubin's `aggregate-graph` / `transfer-from-graph`): the only place execution writes the
 * registry. It registers the output RUN, the pipeline's output dataset types and (when the graph names one) the
 * CHAINED output collection, then imports in bulk the datasets of every quantum whose receipt says it succeeded,
 * with their datastore records, in one transaction per batch. Every step is idempotent (dataset IDs were fixed
 * when the graph was built; existing datasets and records are skipped), so the merge is safe to re-run and safe
 * after a kill at any point. Outputs of failed quanta are not imported: their files stay for `--clobber-outputs`
 * or `butler cleanup`. Provenance stays queryable as the `<label>_metadata` datasets.
 */
import type { Butler, DatasetRef, StoredFileInfo } from '../../butler/index.js';
import { meridianError } from '../../errors.js';
import type { QuantumGraphSource } from '../model.js';
import { isSuccess, type QuantumReceipt, ReceiptStore } from './receipts.js';

export interface AggregateOptions {
  readonly signal?: AbortSignal;
  /** Datasets per registry transaction (default 10,000). */
  readonly batchSize?: number;
  readonly onProgress?: (update: {
    readonly phase: 'merge';
    readonly done: number;
    readonly total: number;
    readonly unit: 'quanta';
  }) => void;
}

export interface AggregateSummary {
  readonly run: string;
  /** Quanta (and init quanta) whose outputs were merged (or were already). */
  readonly quantaMerged: number;
  /** Quanta left out: failed, or never ran. */
  readonly quantaNotMerged: number;
  /** Datasets inserted by this call. */
  readonly datasetsInserted: number;
  /** Datasets that the registry already had (an earlier merge). */
  readonly datasetsAlreadyPresent: number;
}

/** Receipts are read this many at a time (they are small files; reading them is most of a merge's I/O). */
const READ_CONCURRENCY = 32;

export async function aggregateGraph(
  butler: Butler,
  source: QuantumGraphSource,
  options: AggregateOptions = {},
): Promise<AggregateSummary> {
  const { header, pipeline } = source;
  const run = header.outputRun;
  const batchSize = options.batchSize ?? 10_000;
  const receipts = new ReceiptStore(butler.root, run);
  const registry = butler.registry;
  const checkAbort = () => {
    if (options.signal?.aborted) {
      throw meridianError(
        'ABORTED',
        `the merge of ${run} was interrupted; run it again to finish (it is idempotent)`,
      );
    }
  };

  await registry.transaction(async () => {
    await registry.registerRun(run);
    for (const dt of pipeline.datasetTypes) {
      if (dt.producer === null) continue;
      await butler.registerDatasetType(dt.name, dt.dimensions, dt.storageClass, {
        isCalibration: dt.isCalibration,
      });
    }
    if (header.output !== null) await updateOutputChain(butler, header.output, run, header.inputCollections);
  });

  let refs: DatasetRef[] = [];
  let infos: StoredFileInfo[] = [];
  let inserted = 0;
  let present = 0;
  const flush = async () => {
    if (refs.length === 0) return;
    checkAbort();
    const batchRefs = refs;
    const batchInfos = infos;
    refs = [];
    infos = [];
    await registry.transaction(async () => {
      const added = await registry.importDatasets(batchRefs, { skipExisting: true });
      await registry.stored.insert(batchInfos, { ignoreExisting: true });
      inserted += added.length;
      present += batchRefs.length - added.length;
    });
  };
  const take = async (receipt: QuantumReceipt | null, outputs: readonly DatasetRef[]) => {
    if (!isSuccess(receipt)) return false;
    const written = new Set(receipt!.outputs.map((o) => o.datasetId));
    for (const ref of outputs) if (written.has(ref.id)) refs.push(ref);
    infos.push(...receipt!.outputs);
    if (refs.length >= batchSize) await flush();
    return true;
  };

  let merged = 0;
  let notMerged = 0;
  for (const init of source.initQuanta) {
    const ok = await take(await receipts.readInit(init.label), Object.values(init.initOutputs).flat());
    if (ok) merged++;
  }
  const thin = source.thinQuanta();
  for (let i = 0; i < thin.length; i += READ_CONCURRENCY) {
    checkAbort();
    const ids = thin.slice(i, i + READ_CONCURRENCY).map((q) => q.id);
    const [quanta, found] = await Promise.all([
      source.readQuanta(ids),
      Promise.all(ids.map((id) => receipts.readQuantum(id))),
    ]);
    for (let k = 0; k < quanta.length; k++) {
      if (await take(found[k]!, Object.values(quanta[k]!.outputs).flat())) merged++;
      else notMerged++;
    }
    options.onProgress?.({
      phase: 'merge',
      done: Math.min(i + ids.length, thin.length),
      total: thin.length,
      unit: 'quanta',
    });
  }
  await flush();
  return Object.freeze({
    run,
    quantaMerged: merged,
    quantaNotMerged: notMerged,
    datasetsInserted: inserted,
    datasetsAlreadyPresent: present,
  });
}

/**
 * The CHAINED output collection: created as [run, ...inputs]; an existing one gets the run in front unless it
 * holds it already (pipetask's `--output` with a new `--output-run`, and bps's `--update-output-chain`).
 */
async function updateOutputChain(
  butler: Butler,
  output: string,
  run: string,
  inputs: readonly string[],
): Promise<void> {
  const registry = butler.registry;
  const created = await registry.registerCollection(output, 'CHAINED');
  if (created) {
    await registry.setCollectionChain(output, [run, ...inputs.filter((c) => c !== run)]);
    return;
  }
  const chain = await registry.getCollectionChain(output);
  if (!chain.includes(run)) await registry.setCollectionChain(output, [run, ...chain]);
}

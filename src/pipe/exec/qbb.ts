/**
 * The quantum-backed butler: a butler limited to one quantum, over the repository's datastore and never its
 * registry. It reads a dataset through the datastore record the job was handed (for inputs that existed before the
 * graph ran: the records the quantum graph carries; for inputs produced earlier in the graph: the records their
 * producing quantum left in its receipt) and writes outputs with the dataset IDs assigned when the graph was built,
 * keeping the records of what it wrote for the receipt and the later merge into the registry.
 */
import { type DatasetRef, type Datastore, type StoredFileInfo, toDatastoreRef } from '../../butler/index.js';
import { meridianError } from '../../errors.js';

export interface QuantumBackedButlerOptions {
  readonly datastore: Datastore;
  /** Every ref the quantum may read (inputs, prerequisites, init-inputs). */
  readonly readable: readonly DatasetRef[];
  /** Every ref the quantum may write (its predicted outputs or init-outputs). */
  readonly writable: readonly DatasetRef[];
  /** Datastore records of the readable datasets that exist, by dataset ID. */
  readonly records: ReadonlyMap<string, readonly StoredFileInfo[]>;
  /** What the quantum is, for messages ("isr {instrument: 'Cam', detector: 1}"). */
  readonly what: string;
}

export class QuantumBackedButler {
  readonly #datastore: Datastore;
  readonly #readable: ReadonlyMap<string, DatasetRef>;
  readonly #writable: ReadonlyMap<string, DatasetRef>;
  readonly #records: ReadonlyMap<string, readonly StoredFileInfo[]>;
  readonly #what: string;
  readonly #written = new Map<string, StoredFileInfo>();
  readonly #used = new Set<string>();

  constructor(options: QuantumBackedButlerOptions) {
    this.#datastore = options.datastore;
    this.#readable = new Map(options.readable.map((r) => [r.id, r]));
    this.#writable = new Map(options.writable.map((r) => [r.id, r]));
    this.#records = options.records;
    this.#what = options.what;
  }

  /** Whether the dataset can be read (it is declared and its file is known). */
  has(ref: DatasetRef): boolean {
    return this.#readable.has(ref.id) && (this.#records.get(ref.id)?.length ?? 0) > 0;
  }

  async get(
    ref: DatasetRef,
    options: { component?: string; parameters?: Readonly<Record<string, unknown>> } = {},
  ): Promise<unknown> {
    const declared = this.#readable.get(ref.id);
    if (declared === undefined) throw this.#undeclared('read', ref);
    const infos = this.#records.get(ref.id) ?? [];
    const component = options.component ?? null;
    const info = infos.find((i) => i.component === component) ?? infos.find((i) => i.component === null);
    if (info === undefined) {
      throw meridianError(
        'DATASET_NOT_FOUND',
        `${this.#what}: input ${declared.datasetType.name} ${declared.dataId} (${ref.id}) was not produced or is not stored`,
        { id: ref.id },
      );
    }
    this.#used.add(ref.id);
    return this.#datastore.get(info, toDatastoreRef(declared), {
      ...(options.component === undefined ? {} : { component: options.component }),
      ...(options.parameters === undefined ? {} : { parameters: { ...options.parameters } }),
    });
  }

  async put(obj: unknown, ref: DatasetRef): Promise<StoredFileInfo> {
    const declared = this.#writable.get(ref.id);
    if (declared === undefined) throw this.#undeclared('write', ref);
    if (this.#written.has(ref.id)) {
      throw meridianError(
        'DATASET_CONFLICT',
        `${this.#what}: output ${declared.datasetType.name} ${declared.dataId} was already put by this quantum`,
        { id: ref.id },
      );
    }
    const info = await this.#datastore.put(obj, toDatastoreRef(declared));
    await this.#datastore.finishIngest(info);
    this.#written.set(ref.id, info);
    return info;
  }

  /** Records of every file written so far, in write order. */
  written(): StoredFileInfo[] {
    return [...this.#written.values()];
  }

  /** IDs of the inputs actually read (a deferred input never loaded is not used). */
  used(): string[] {
    return [...this.#used];
  }

  #undeclared(action: 'read' | 'write', ref: DatasetRef) {
    return meridianError(
      'QUANTUM_UNDECLARED_DATASET',
      `${this.#what} tried to ${action} ${ref.datasetType.name} ${ref.dataId} (${ref.id}), which is not one of its ${action === 'read' ? 'inputs' : 'outputs'}`,
      { id: ref.id, datasetType: ref.datasetType.name },
    );
  }
}

/** Where a predicted dataset's file would be: enough of a record to test for it and to remove it. */
export function predictedFileInfo(datastore: Datastore, ref: DatasetRef): StoredFileInfo {
  return {
    datasetId: ref.id,
    path: datastore.predictPath(toDatastoreRef(ref)),
    formatter: '',
    storageClass: ref.datasetType.storageClass,
    component: null,
    checksum: null,
    fileSize: 0,
  };
}

/**
 * The data model shared by the three parts of `pipe/`: a pipeline resolved into tasks with concrete connections
 * (what `pipeline/` produces), and the quantum graph built from it (what `graph/` builds, writes and reads and
 * `exec/` runs). Plain frozen data; the JSON forms are what the graph file stores.
 */
import type { DataCoordinate, DatasetRef, StoredFileInfo } from '../butler/index.js';
import type { ConnectionKind, PrerequisiteLookup } from './connections.js';

/** One connection with templates filled and config overrides applied. */
export interface ResolvedConnection {
  /** Attribute name the task sees (`_config`, `_metadata`, `_log` for the automatic ones). */
  readonly attr: string;
  readonly kind: ConnectionKind;
  readonly datasetType: string;
  readonly storageClass: string;
  /** Empty for init-inputs/outputs. */
  readonly dimensions: readonly string[];
  readonly multiple: boolean;
  readonly minimum: number;
  readonly deferLoad: boolean;
  readonly deferGraphConstraint: boolean;
  readonly isCalibration: boolean;
  /** Prerequisites only. */
  readonly lookup: PrerequisiteLookup | null;
}

/** A task of a pipeline with its config validated and its connections resolved. */
export interface ResolvedTask {
  readonly label: string;
  /** Registry name of the task definition. */
  readonly taskName: string;
  /** The validated config (zod output), as JSON. */
  readonly config: Readonly<Record<string, unknown>>;
  /** SHA-256 hex of the canonical JSON of `config` (sorted keys). */
  readonly configHash: string;
  readonly dimensions: readonly string[];
  /** Declared connections plus the automatic `<label>_config` (initOutput), `<label>_metadata` and `<label>_log`. */
  readonly connections: readonly ResolvedConnection[];
}

/** A dataset type as the pipeline uses it. */
export interface PipelineDatasetType {
  readonly name: string;
  readonly storageClass: string;
  readonly dimensions: readonly string[];
  readonly isCalibration: boolean;
  readonly isInit: boolean;
  /** Label of the task that writes it, or null for an overall input. */
  readonly producer: string | null;
  readonly consumers: readonly string[];
  readonly isPrerequisite: boolean;
}

/** A pipeline ready for graph building: tasks in a topological order (producers before consumers). */
export interface ResolvedPipeline {
  readonly description: string;
  readonly instrument: string | null;
  readonly tasks: readonly ResolvedTask[];
  readonly datasetTypes: readonly PipelineDatasetType[];
}

/** A quantum in memory: everything a job needs to run it, with no registry. */
export interface PredictedQuantum {
  /** UUID. */
  readonly id: string;
  readonly label: string;
  /** Expanded (dimension records attached). */
  readonly dataId: DataCoordinate;
  /** Inputs and prerequisites by connection attribute; refs expanded. */
  readonly inputs: Readonly<Record<string, readonly DatasetRef[]>>;
  /** Outputs by connection attribute, with IDs assigned at build time; includes `_metadata` and `_log`. */
  readonly outputs: Readonly<Record<string, readonly DatasetRef[]>>;
  /** Datastore records of the inputs that already exist in the repository (not produced in the graph). */
  readonly datastoreRecords: readonly StoredFileInfo[];
}

/** Per task, once per run: init-inputs read and init-outputs (schemas, `<label>_config`) written. */
export interface PredictedInitQuantum {
  readonly label: string;
  readonly initInputs: Readonly<Record<string, readonly DatasetRef[]>>;
  readonly initOutputs: Readonly<Record<string, readonly DatasetRef[]>>;
  readonly datastoreRecords: readonly StoredFileInfo[];
}

export interface QuantumGraphHeader {
  /** Version of the file format. */
  readonly formatVersion: number;
  /** UUID of this graph build. */
  readonly graphId: string;
  readonly created: string;
  readonly user: string;
  readonly command: string;
  readonly inputCollections: readonly string[];
  readonly outputRun: string;
  /** The CHAINED output collection, when one was named. */
  readonly output: string | null;
  readonly dataQuery: string;
  /** `namespace:version` of the dimension universe. */
  readonly universe: string;
  readonly nQuanta: number;
  readonly nDatasets: number;
  readonly taskQuanta: Readonly<Record<string, number>>;
}

/** The predicted quantum graph. Edges are implied: a quantum depends on the quanta that output its inputs. */
export interface QuantumGraph {
  readonly header: QuantumGraphHeader;
  readonly pipeline: ResolvedPipeline;
  readonly initQuanta: readonly PredictedInitQuantum[];
  readonly quanta: readonly PredictedQuantum[];
}

/**
 * Read access to a saved graph without loading all of it: the header and pipeline and the (small) thin graph are
 * read at open; one quantum's inputs, outputs and datastore records are read on demand.
 */
export interface QuantumGraphSource {
  readonly header: QuantumGraphHeader;
  readonly pipeline: ResolvedPipeline;
  readonly initQuanta: readonly PredictedInitQuantum[];
  /** Quantum IDs with their task label and data ID values, in a topological order. */
  thinQuanta(): readonly {
    readonly id: string;
    readonly label: string;
    readonly dataId: Readonly<Record<string, string | number>>;
  }[];
  /** (predecessor, successor) quantum ID pairs. */
  edges(): readonly (readonly [string, string])[];
  readQuantum(id: string): Promise<PredictedQuantum>;
  readQuanta(ids: readonly string[]): Promise<PredictedQuantum[]>;
  close(): Promise<void>;
}

/** Final state of one quantum after a run, as `pipetask report` counts them. */
export type QuantumStatus = 'succeeded' | 'noWork' | 'skipped' | 'failed' | 'blocked' | 'unknown';

/** What the executor leaves next to a quantum's outputs (the `<label>_metadata` dataset holds it too). */
export interface ProvenanceRecord {
  readonly quantumId: string;
  readonly label: string;
  readonly taskName: string;
  readonly dataId: Readonly<Record<string, string | number>>;
  readonly configHash: string;
  readonly softwareVersion: string;
  readonly host: string;
  readonly pid: number;
  readonly start: string;
  readonly end: string;
  readonly cpuSeconds: number;
  readonly peakRssBytes: number;
  readonly status: QuantumStatus;
  /** Exit status: 0, or the error code / signal that ended the quantum. */
  readonly exit: {
    readonly code: string | null;
    readonly signal: string | null;
    readonly message: string | null;
  };
  readonly inputsUsed: readonly string[];
  readonly outputsWritten: readonly string[];
  readonly metadata: Readonly<Record<string, unknown>>;
}

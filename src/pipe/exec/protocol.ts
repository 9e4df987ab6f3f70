/**
 * Messages between the graph executor and its worker processes (child_process IPC, JSON). The executor sends the
 * run's context once, then one job at a time; the worker answers each job with its outcome. Everything is plain
 * JSON: quanta travel as PredictedQuantumJSON and are revived in the worker's copy of the dimension universe.
 */
import type { StoredFileInfo } from '../../butler/index.js';
import type { ResolvedPipeline } from '../model.js';
import type { PredictedInitQuantumJSON, PredictedQuantumJSON } from '../quantum-json.js';
import type { QuantumExecutionOptions, QuantumOutcome } from './single-quantum.js';

export interface WorkerSetup {
  readonly type: 'setup';
  readonly repo: string;
  readonly run: string;
  /** DimensionUniverse.toJSON() of the graph's universe. */
  readonly universe: unknown;
  readonly pipeline: ResolvedPipeline;
  readonly initQuanta: readonly PredictedInitQuantumJSON[];
  readonly taskModules: readonly string[];
  readonly options: QuantumExecutionOptions;
}

export type WorkerJob =
  | {
      readonly type: 'init';
      readonly label: string;
      readonly records: readonly StoredFileInfo[];
    }
  | {
      readonly type: 'quantum';
      readonly quantum: PredictedQuantumJSON;
      readonly records: readonly StoredFileInfo[];
    };

export type ParentMessage = WorkerSetup | WorkerJob | { readonly type: 'abort' };

export type WorkerMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'setup-failed'; readonly code: string | null; readonly message: string }
  | { readonly type: 'outcome'; readonly outcome: QuantumOutcome };

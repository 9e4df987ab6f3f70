/**
 * Connections: what a PipelineTask reads and writes, declared as data. A task's connections are a record from the
 * connection's attribute name (the key `runQuantum` sees) to one of the five kinds below; dataset type names may
 * hold `{template}` placeholders filled from the task's templates and the `connections.<attr>` /
 * `connections.<template>` config overrides.
 */

/** The five connection kinds of Rubin's pipe_base, with the same meaning. */
export type ConnectionKind = 'input' | 'prerequisite' | 'output' | 'initInput' | 'initOutput';

interface ConnectionCommon {
  /** Dataset type name, possibly with `{template}` placeholders. */
  readonly name: string;
  readonly storageClass: string;
  readonly doc?: string;
  /**
   * The task receives a list of datasets (needed when the dataset has more dimensions than the quantum, e.g. every
   * `{visit, detector}` calexp of a `{visit}` quantum).
   */
  readonly multiple?: boolean;
}

interface DimensionedCommon extends ConnectionCommon {
  /** The dataset type's dimensions (a list; a bare string is refused, which catches a forgotten array). */
  readonly dimensions: readonly string[];
  readonly isCalibration?: boolean;
}

export interface InputConnection extends DimensionedCommon {
  readonly kind: 'input';
  /** Fewest datasets this connection needs for the quantum to run (default 1; > 1 requires `multiple`). */
  readonly minimum?: number;
  /** Hand the task a deferred handle instead of the loaded object. */
  readonly deferLoad?: boolean;
  /** Leave this input out of the initial data-ID query of the graph builder. */
  readonly deferGraphConstraint?: boolean;
}

/** How a prerequisite input is found for a quantum at graph-build time. */
export type PrerequisiteLookup =
  /** Calibration: the dataset certified in a CALIBRATION collection whose validity range holds the quantum's time. */
  | { readonly kind: 'calibration' }
  /** Reference catalog shards: every dataset with dimension {htmN} whose trixel overlaps the quantum's region. */
  | { readonly kind: 'region' }
  /** Plain find-first lookup with the quantum's data ID (the default for non-calibration types). */
  | { readonly kind: 'dataId' };

export interface PrerequisiteConnection extends DimensionedCommon {
  readonly kind: 'prerequisite';
  readonly minimum?: number;
  readonly deferLoad?: boolean;
  /** Default: `calibration` when `isCalibration`, `region` for a single skypix dimension, else `dataId`. */
  readonly lookup?: PrerequisiteLookup;
}

export interface OutputConnection extends DimensionedCommon {
  readonly kind: 'output';
}

export interface InitInputConnection extends ConnectionCommon {
  readonly kind: 'initInput';
}

export interface InitOutputConnection extends ConnectionCommon {
  readonly kind: 'initOutput';
}

export type Connection =
  | InputConnection
  | PrerequisiteConnection
  | OutputConnection
  | InitInputConnection
  | InitOutputConnection;

/** A task's connections, keyed by attribute name. */
export type Connections = Readonly<Record<string, Connection>>;

export const Input = (c: Omit<InputConnection, 'kind'>): InputConnection => ({ kind: 'input', ...c });
export const PrerequisiteInput = (c: Omit<PrerequisiteConnection, 'kind'>): PrerequisiteConnection => ({
  kind: 'prerequisite',
  ...c,
});
export const Output = (c: Omit<OutputConnection, 'kind'>): OutputConnection => ({ kind: 'output', ...c });
export const InitInput = (c: Omit<InitInputConnection, 'kind'>): InitInputConnection => ({
  kind: 'initInput',
  ...c,
});
export const InitOutput = (c: Omit<InitOutputConnection, 'kind'>): InitOutputConnection => ({
  kind: 'initOutput',
  ...c,
});

/** Automatic per-task outputs, as in pipe_base: `<label>_config` (init-output), `<label>_metadata`, `<label>_log`. */
export const configDatasetTypeName = (label: string): string => `${label}_config`;
export const metadataDatasetTypeName = (label: string): string => `${label}_metadata`;
export const logDatasetTypeName = (label: string): string => `${label}_log`;

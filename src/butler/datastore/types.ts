/** What the datastore needs to know about a dataset: the Butler builds this from a resolved registry ref. */
export interface DatastoreRef {
  readonly id: string;
  readonly datasetType: { name: string; storageClass: string; dimensions: readonly string[] };
  readonly run: string;
  /** Required and implied dimension values, e.g. {instrument: 'MeridianCam', detector: 1, band: 'r'}. */
  readonly dataId: Readonly<Record<string, string | number>>;
  /** Dimension record fields for templates, keyed 'element.field' (e.g. 'exposure.obs_id', 'detector.full_name'). */
  readonly recordValues?: Readonly<Record<string, string | number>>;
  readonly component?: string | null;
}

/** One row of the registry table `file_datastore_records`: where a dataset's file is and how to read it. */
export interface StoredFileInfo {
  readonly datasetId: string;
  /** POSIX path relative to the datastore root, or an absolute path for a file ingested with 'direct'. */
  readonly path: string;
  readonly formatter: string;
  readonly storageClass: string;
  readonly component: string | null;
  /** 'blake2b512:<hex>' when the datastore records checksums, else null. */
  readonly checksum: string | null;
  readonly fileSize: number;
}

export const TRANSFER_MODES = [
  'auto',
  'copy',
  'move',
  'link',
  'hardlink',
  'symlink',
  'relsymlink',
  'direct',
] as const;
export type TransferMode = (typeof TRANSFER_MODES)[number];

export interface DatastoreConfig {
  /** Absolute directory holding the files. */
  root: string;
  /** Path templates keyed by 'default', a dataset type name, a dimensions key ('instrument+detector') or a storage class. */
  templates?: Record<string, string>;
  /** Record a blake2b-512 checksum of every file written or ingested (daf_butler's default is off). */
  checksum?: boolean;
}

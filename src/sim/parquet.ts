/**
 * The simulator's Parquet outputs (truth tables, reference-catalogue shards): column tables staged in
 * `formats/`'s `ParquetStage` and written sorted, so files are reproducible, with the simulator's format version in
 * the Parquet key-value metadata.
 */

import { type ParquetColumn, ParquetStage, type TableFilter } from '../formats/index.js';

export type { ParquetColumn } from '../formats/index.js';

export interface ColumnTable {
  readonly columns: readonly ParquetColumn[];
}

/** Version of the simulator's Parquet layouts (columns and units in docs/simulator.md). */
export const PARQUET_FORMAT_VERSION = 1;

export interface ExportOptions {
  /** Sort keys, most significant first. */
  readonly orderBy: readonly string[];
  /** Columns to write, in order; default all. */
  readonly columns?: readonly string[];
  readonly filters?: readonly TableFilter[];
}

/** A scratch in-memory database holding tables to export; close it when done. */
export class ParquetExporter {
  private constructor(private readonly stage: ParquetStage) {}

  static async open(): Promise<ParquetExporter> {
    // One thread: the export is small, and other work (rendering) owns the cores.
    return new ParquetExporter(await ParquetStage.open({ threads: 1 }));
  }

  /** Load a column table into a new table `name`. */
  async load(name: string, table: ColumnTable): Promise<void> {
    await this.stage.append(name, table.columns);
  }

  /** Write the selected rows of `table`, sorted, to a Parquet file. */
  async export(path: string, table: string, options: ExportOptions): Promise<void> {
    // The file-format version travels in the Parquet key-value metadata, as in the manifest.
    await this.stage.write(path, table, {
      ...options,
      keyValueMetadata: { meridian_sim_format: String(PARQUET_FORMAT_VERSION) },
    });
  }

  close(): void {
    this.stage.close();
  }
}

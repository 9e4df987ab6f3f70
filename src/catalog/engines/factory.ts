/** Chooses the engine named by the catalog configuration (STYLE.md habit 1: one factory per back-end family). */

import type { CatalogConfig } from '../catalog-config.js';
import type { CzarStore } from '../czar.js';
import type { CatalogEngine } from '../engine.js';
import { DuckdbEngine } from './duckdb/engine.js';
import { PostgresEngine } from './postgres/engine.js';

/**
 * `readOnly`: the engine serves a reader, which sees only what its czar store counts as committed (on DuckDB the
 * store and the rows are one file, so that holds already; PostgreSQL workers are filtered per transaction).
 */
export async function createEngine(
  config: CatalogConfig,
  store: CzarStore,
  options: { readonly readOnly?: boolean } = {},
): Promise<CatalogEngine> {
  switch (config.engine.kind) {
    case 'duckdb':
      return new DuckdbEngine(store.instance, store.connection);
    case 'postgres':
      return PostgresEngine.connect(
        config.engine.workers,
        store.instance,
        options.readOnly ? { schema: config.schema, visibility: await store.visibility() } : undefined,
      );
  }
}

/** What the TAP routes share: the catalog, the limits, the published metadata and the queries now running. */

import type { CatalogReader, TapSchemaRows } from '../../catalog/index.js';
import type { ServerLimits } from '../config.js';
import type { PublishedColumns } from './result-fields.js';

export interface TapContext {
  readonly catalog: CatalogReader;
  readonly limits: ServerLimits;
  /** TAP_SCHEMA rows (the catalog's tables and TAP_SCHEMA's own), computed once. */
  readonly tapSchema: TapSchemaRows;
  readonly publishedColumns: PublishedColumns;
  /** Controllers of the queries now running; shutting down aborts them. */
  readonly running: Set<AbortController>;
  /** Whether requests without a token are served (the capabilities then offer anonymous access besides Basic). */
  readonly allowAnonymous: boolean;
  /** Absolute URL of the TAP service root (`…/api/tap`) as the client reached it. */
  readonly serviceUrl: (request: { protocol: string; host: string }) => string;
}

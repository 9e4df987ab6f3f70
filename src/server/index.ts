/**
 * Meridian's HTTP services: the IVOA TAP 1.1 service over the catalog (sync queries, VOSI, DALI examples,
 * TAP_SCHEMA), the read-only Butler API (`/api/butler`, docs/butler-api.md), `/health`. `createApp` builds the Fastify app without listening; `startServer` listens. See docs/tap.md.
 */
export { type AppDependencies, BUTLER_PATH, createApp, TAP_PATH } from './app.js';
export { BUTLER_API_VERSION } from './butler/routes.js';
export type { ButlerApiOptionsInput } from './butler/service.js';
export {
  type ServerLimits,
  type ServerLimitsInput,
  type ServerListenInput,
  serverLimitsSchema,
} from './config.js';
export { closeOnSignals, type RunningServer, type ServeOptions, startServer } from './serve.js';
export type { AsyncJobOptions } from './tap/async.js';
export { resultFormats } from './tap/formats.js';
export type { ResultFormat, ResultWriter } from './tap/writers/result-writer.js';

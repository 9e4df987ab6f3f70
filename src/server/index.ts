/**
 * Meridian's HTTP services: the IVOA TAP 1.1 service over the catalog (sync queries, VOSI, DALI examples,
 * TAP_SCHEMA), `/health`, and the Portal's static files at `/portal` (docs/portal.md). `createApp` builds the
 * Fastify app without listening; `startServer` listens. See docs/tap.md.
 */
export { type AppDependencies, createApp, TAP_PATH } from './app.js';
export {
  type ServerLimits,
  type ServerLimitsInput,
  type ServerListenInput,
  serverLimitsSchema,
} from './config.js';
export { defaultPortalDir, PORTAL_PATH } from './portal.js';
export { closeOnSignals, type RunningServer, type ServeOptions, startServer } from './serve.js';
export type { AsyncJobOptions } from './tap/async.js';
export { resultFormats } from './tap/formats.js';
export type { ResultFormat, ResultWriter } from './tap/writers/result-writer.js';

/**
 * Meridian's HTTP services: the IVOA TAP 1.1 service over the catalog (sync queries, VOSI, DALI examples,
 * TAP_SCHEMA), the read-only Butler API (`/api/butler`, docs/butler-api.md), `/health`, token auth with scopes and
 * per-user limits, and the Portal's static files at `/portal` (docs/portal.md). `createApp` builds the Fastify app
 * without listening; `startServer` listens. See docs/tap.md, docs/butler-api.md and docs/auth.md.
 */
export { type AppDependencies, BUTLER_PATH, createApp, TAP_PATH } from './app.js';
export {
  type AuthOptions,
  declaredRoutes,
  type Principal,
  principalOf,
  type RouteDeclaration,
} from './auth/plugin.js';
export { ANONYMOUS_USER, type RouteScope, SCOPES, type Scope } from './auth/scopes.js';
export {
  DEFAULT_TOKEN_FILE,
  type NewToken,
  type NewTokenRequest,
  parseExpiry,
  type TokenInfo,
  TokenStore,
  type TokenStoreOptions,
} from './auth/token-store.js';
export { BUTLER_API_VERSION } from './butler/routes.js';
export type { ButlerApiOptionsInput } from './butler/service.js';
export {
  allowAnonymousFromEnv,
  type ServerLimits,
  type ServerLimitsInput,
  type ServerListenInput,
  serverLimitsSchema,
} from './config.js';
export { readServeConfigFile, type ServeConfigFile, type ServeLogLevel } from './config-file.js';
export { defaultPortalDir, PORTAL_PATH } from './portal.js';
export { closeOnSignals, type RunningServer, type ServeOptions, startServer } from './serve.js';
export type { AsyncJobOptions } from './tap/async.js';
export { resultFormats } from './tap/formats.js';
export type { ResultFormat, ResultWriter } from './tap/writers/result-writer.js';

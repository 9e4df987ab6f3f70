/**
 * Meridian's library surface. Each module is also its own entry point (`meridian/butler`, `meridian/catalog`,
 * `meridian/sim`, `meridian/obs`, `meridian/sphere`, `meridian/formats`, `meridian/pipe`, and the shared layers `meridian/db`
 * and `meridian/pool`); this one gathers them as namespaces.
 */
export * as butler from './butler/index.js';
export * as catalog from './catalog/index.js';
export * as db from './db/index.js';
export { ERROR_CODES, type ErrorCode, isMeridianError, MeridianError, meridianError } from './errors.js';
export * as formats from './formats/index.js';
export * as obs from './obs/index.js';
export * as pipe from './pipe/index.js';
export * as pool from './pool/index.js';
export * as sim from './sim/index.js';
export * as sphere from './sphere/index.js';

/** Meridian's library surface: each module's public API. */
export * as butler from './butler/index.js';
export * as db from './db/index.js';
export { ERROR_CODES, type ErrorCode, isMeridianError, MeridianError, meridianError } from './errors.js';
export * as formats from './formats/index.js';
export * as sphere from './sphere/index.js';

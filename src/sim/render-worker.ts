/**
 * The task module the render pool's worker threads load (see workers.ts): rendering and writing one raw. It stays
 * tiny so that a worker thread imports only what rendering needs.
 */

export { writeRaw } from './raw.js';

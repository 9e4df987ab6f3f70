export * from './connections.js';
export type * from './model.js';
export * from './task.js';

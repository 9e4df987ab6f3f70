export * from './connections.js';
export * from './graph/index.js';
export type * from './model.js';
export * from './pipeline/index.js';
export * from './quantum-json.js';
export * from './resolve.js';
export * from './task.js';
export {
  AddTask,
  CalibrateTask,
  registerTasks as registerTestingTasks,
  type TestFailure,
} from './testing/tasks.js';

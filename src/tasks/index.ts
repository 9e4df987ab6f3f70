/**
 * Meridian's science tasks. Each family lives in its own folder; `registerTasks` adds them all to a registry
 * (this module is one of `pipetask`'s default task modules).
 */
import type { TaskRegistry } from '../pipe/index.js';
import { CalibrateTask } from './calibrate/task.js';
import { CharacterizeImageTask } from './characterize/index.js';
import { IsrTask } from './isr/index.js';
import {
  ConsolidateSourceTableTask,
  TransformSourceTableTask,
  WriteSourceTableTask,
} from './sourcetable/tasks.js';
import { ExposureSummaryTask, RawStatisticsTask } from './stats/raw-statistics.js';
import { registerStep2Tasks } from './visit/index.js';

export * from './calibrate/index.js';
export * from './characterize/index.js';
export * from './isr/index.js';
export * from './measure/index.js';
export * from './sourcetable/index.js';
export {
  clippedStatistics,
  ExposureSummaryTask,
  measureRaw,
  parseFitsSection,
  type RawStatistics,
  RawStatisticsTask,
  robustStatistics,
} from './stats/raw-statistics.js';
export * from './visit/index.js';

export function registerTasks(registry: TaskRegistry): void {
  registry.register(RawStatisticsTask, ExposureSummaryTask, IsrTask);
  registry.register(
    CalibrateTask,
    WriteSourceTableTask,
    TransformSourceTableTask,
    ConsolidateSourceTableTask,
  );
  registerStep2Tasks(registry);
  registry.register(CharacterizeImageTask);
}

/**
 * Meridian's science tasks. Each family lives in its own folder; `registerTasks` adds them all to a registry
 * (this module is one of `pipetask`'s default task modules).
 */
import type { TaskRegistry } from '../pipe/index.js';
import { CharacterizeImageTask } from './characterize/index.js';
import { ExposureSummaryTask, RawStatisticsTask } from './stats/raw-statistics.js';

export * from './calibrate/index.js';
export * from './characterize/index.js';
export * from './measure/index.js';
export {
  clippedStatistics,
  ExposureSummaryTask,
  measureRaw,
  parseFitsSection,
  type RawStatistics,
  RawStatisticsTask,
  robustStatistics,
} from './stats/raw-statistics.js';

export function registerTasks(registry: TaskRegistry): void {
  registry.register(RawStatisticsTask, ExposureSummaryTask, CharacterizeImageTask);
}

import { Butler } from '../../butler/index.js';
import { type ProgressReporter, progressReporter } from '../common/progress.js';

/**
 * Open the repository for one command and always close it again (a PostgreSQL pool left open would keep the
 * process alive). Read-only unless the command writes. A write that waits for another process's registry lock
 * says so on stderr (on a terminal), through `reporter` when the command already draws progress.
 */
export async function withButler<T>(
  repo: string,
  access: 'read' | 'write',
  use: (butler: Butler) => Promise<T>,
  reporter: ProgressReporter = progressReporter(),
): Promise<T> {
  const butler = await Butler.open(repo, { writeable: access === 'write', onWait: reporter.waiting });
  try {
    return await use(butler);
  } finally {
    await butler.close();
  }
}

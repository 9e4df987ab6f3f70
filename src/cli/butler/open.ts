import { Butler } from '../../butler/index.js';
import { type ProgressReporter, progressReporter } from '../common/progress.js';
import { interruptible } from './interrupt.js';

/**
 * Open the repository for one command and always close it again (a PostgreSQL pool left open would keep the
 * process alive). Read-only unless the command writes. A write gets an AbortSignal that SIGINT/SIGTERM fires
 * (see interrupt.ts); the command passes it to the library call, which then rolls back cleanly. A write that waits
 * for another process's registry lock says so on stderr (on a terminal), through `reporter` when the command
 * already draws progress.
 */
export async function withButler<T>(
  repo: string,
  access: 'read' | 'write',
  use: (butler: Butler, signal: AbortSignal) => Promise<T>,
  reporter: ProgressReporter = progressReporter(),
): Promise<T> {
  const butler = await Butler.open(repo, { writeable: access === 'write', onWait: reporter.waiting });
  try {
    if (access === 'read') return await use(butler, new AbortController().signal);
    return await interruptible((signal) => use(butler, signal));
  } finally {
    await butler.close();
  }
}

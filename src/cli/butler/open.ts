import { Butler } from '../../butler/index.js';

/**
 * Open the repository for one command and always close it again (a PostgreSQL pool left open would keep the
 * process alive). Read-only unless the command writes.
 */
export async function withButler<T>(
  repo: string,
  access: 'read' | 'write',
  use: (butler: Butler) => Promise<T>,
): Promise<T> {
  const butler = await Butler.open(repo, { writeable: access === 'write' });
  try {
    return await use(butler);
  } finally {
    await butler.close();
  }
}

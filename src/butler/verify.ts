import type { Butler } from './butler.js';
import { BUTLER_CONFIG_FILE } from './config.js';

export interface VerifyProblem {
  readonly kind: 'missing' | 'size' | 'checksum' | 'orphan' | 'unstored';
  /** Dataset ID (absent for orphan files). */
  readonly datasetId?: string;
  readonly path: string;
  readonly detail: string;
}

export interface VerifyReport {
  readonly datasets: number;
  readonly files: number;
  readonly problems: readonly VerifyProblem[];
}

/**
 * Files the butler itself keeps in the repository root, never datasets; `.meridian/` holds the receipts pipeline
 * jobs leave for the merge (src/pipe/exec/receipts.ts).
 */
export function isBookkeeping(path: string): boolean {
  return (
    path === BUTLER_CONFIG_FILE ||
    /^gen3\.sqlite3(-wal|-shm|-journal)?$/.test(path) ||
    path.startsWith('.meridian/')
  );
}

/**
 * Compare registry and datastore: files recorded but missing, wrong size or (optionally) checksum, files in the
 * datastore that no record points to, and datasets without any file.
 */
export async function verifyRepository(
  butler: Butler,
  options: { checksum?: boolean } = {},
): Promise<VerifyReport> {
  const records = await butler.registry.stored.all();
  const problems: VerifyProblem[] = [];
  const known = new Set<string>();
  for (const info of records) {
    known.add(info.path);
    const result = await butler.datastore.verify(info, { checksum: options.checksum });
    if (!result.ok)
      problems.push({
        kind: result.problem,
        datasetId: info.datasetId,
        path: info.path,
        detail: result.detail,
      });
  }
  for await (const path of butler.datastore.walkArtifacts()) {
    if (known.has(path) || isBookkeeping(path)) continue;
    problems.push({ kind: 'orphan', path, detail: 'file is not referenced by any dataset' });
  }
  const withFiles = new Set(records.map((r) => r.datasetId));
  const all = await butler.registry.allDatasetIds();
  for (const id of all) {
    if (!withFiles.has(id))
      problems.push({ kind: 'unstored', datasetId: id, path: '', detail: 'dataset has no stored file' });
  }
  return { datasets: all.length, files: records.length, problems };
}

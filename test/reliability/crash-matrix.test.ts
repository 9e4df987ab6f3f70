/**
 * The crash matrix at test-suite size: each writer (raw ingest with copy and move, remove-runs, a put loop, catalog
 * ingest) is killed with SIGKILL at seeded random moments, and raw ingest is also interrupted with SIGINT (it must
 * roll back and exit 130); the same command run again must succeed and leave exactly what one uninterrupted run
 * leaves (butler verify clean, counts exact, nothing left after butler cleanup). `npm run fuzz -- --only crash` runs it at nightly
 * size. Needs dist/ (npm test builds it first).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { crashScenarios, runCrashMatrix } from '../../fuzz/crash.js';

const CHECKOUT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const root = mkdtempSync(join(tmpdir(), 'meridian-crash-'));
const ATTEMPTS = Number(process.env.MERIDIAN_CRASH_ATTEMPTS ?? 4);

if (!existsSync(join(CHECKOUT, 'dist', 'cli', 'butler.js'))) {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: CHECKOUT, stdio: 'inherit' });
}

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('crash matrix', () => {
  it.each(crashScenarios(CHECKOUT).map((s) => s.name))(
    '%s: killed and run again, nothing lost, duplicated, stuck or orphaned',
    async (name) => {
      const outcomes = await runCrashMatrix({
        root: join(root, name.replace(/\W+/g, '-')),
        checkout: CHECKOUT,
        attempts: ATTEMPTS,
        seed: 20261204,
        scenarios: [name],
      });
      expect(outcomes).toHaveLength(ATTEMPTS);
      expect(outcomes.filter((o) => o.problems.length > 0)).toEqual([]);
    },
    600_000,
  );
});

/** `startServer` with a repository: a missing repository fails at startup, before the catalog is opened. */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { startServer } from '../../../src/server/index.js';
import { expectCode } from '../../butler/api/helpers.js';

describe('startServer --repo', () => {
  it('refuses a directory that is not a butler repository with REPO_NOT_FOUND', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meridian-butlerapi-serve-'));
    try {
      await expectCode(
        startServer({ catalog: join(dir, 'no-catalog'), repo: join(dir, 'no-repo'), port: 0 }),
        'REPO_NOT_FOUND',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

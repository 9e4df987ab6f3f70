/** Butler and Catalog close at the end of an `await using` scope (STYLE rule 12). */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Butler } from '../../../src/butler/index.js';
import { Catalog } from '../../../src/catalog/index.js';
import { dp02SchemaYaml, temporaryDir } from '../../catalog/helpers.js';

describe('await using', () => {
  it('closes a Butler when its scope ends, so the registry can be reopened for writing', async () => {
    const tmp = temporaryDir('dispose');
    try {
      const repo = join(tmp.dir, 'repo');
      let closed: Butler;
      {
        await using butler = await Butler.create(repo);
        closed = butler;
        await butler.registry.registerRun('u/dispose/run');
      }
      await expect(closed.registry.queryCollections()).rejects.toThrow();
      await using again = await Butler.open(repo, { writeable: true });
      expect((await again.registry.queryCollections()).map((c) => c.name)).toContain('u/dispose/run');
    } finally {
      tmp.remove();
    }
  });

  it('closes a Catalog when its scope ends', async () => {
    const tmp = temporaryDir('dispose-catalog');
    try {
      const dir = join(tmp.dir, 'catalog');
      {
        await using catalog = await Catalog.create(dir, { schemaYaml: dp02SchemaYaml });
        expect((await catalog.query('SELECT COUNT(*) FROM Object')).rows[0][0]).toBe(0n);
      }
      // A closed catalog released its files: opening it again works.
      await using reopened = await Catalog.open(dir);
      expect((await reopened.query('SELECT COUNT(*) FROM Object')).rows[0][0]).toBe(0n);
    } finally {
      tmp.remove();
    }
  });
});

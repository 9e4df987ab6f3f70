/**
 * The catalog loads what `meridian sim catalogs` writes (DP0.2 names from config/catalog/dp02.yaml): every table,
 * in dependency order, and answers a cone, a light curve and a DIA light curve over it.
 */

import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Catalog, ingestDirectory } from '../../src/catalog/index.js';
import { simulateCatalogs } from '../../src/sim/catalogs/simulate.js';
import { dp02SchemaYaml, temporaryDir } from './helpers.js';

const tmp = temporaryDir('sim');
afterAll(() => tmp.remove());

describe('simulated DP0.1-style catalogs', () => {
  it('ingests every simulated table and queries them', async () => {
    const out = join(tmp.dir, 'sim');
    await simulateCatalogs({ outDir: out, objects: 2000, visits: 12, seed: 3 });
    const catalog = await Catalog.create(join(tmp.dir, 'cat'), { schemaYaml: dp02SchemaYaml });
    try {
      const loaded = await ingestDirectory(catalog, out);
      const tables = loaded.map((l) => l.table);
      expect(tables).toEqual(expect.arrayContaining(['Object', 'ForcedSource', 'CcdVisit', 'Visit']));
      const objects = loaded.find((l) => l.table === 'Object')?.rows ?? 0;
      expect(objects).toBeGreaterThan(100);
      const count = await catalog.query('SELECT COUNT(*) AS n FROM dp02_dc2_catalogs.Object');
      expect(Number(count.rows[0][0])).toBe(objects);
      const first = await catalog.query(
        'SELECT TOP 1 objectId, coord_ra, coord_dec FROM Object ORDER BY objectId',
      );
      const [id, ra, dec] = first.rows[0] as [bigint, number, number];
      const cone = await catalog.query(
        `SELECT objectId FROM Object WHERE CONTAINS(POINT('ICRS', coord_ra, coord_dec), CIRCLE('ICRS', ${ra}, ${dec}, 0.001)) = 1`,
      );
      expect(cone.rows.map((r) => r[0])).toContain(id);
      const curve = await catalog.query(
        `SELECT fs.psfFlux, cv.expMidptMJD FROM ForcedSource AS fs JOIN CcdVisit AS cv ON fs.ccdVisitId = cv.ccdVisitId WHERE fs.objectId = ${id}`,
      );
      const direct = await catalog.query(`SELECT COUNT(*) FROM ForcedSource WHERE objectId = ${id}`);
      expect(curve.rows.length).toBe(Number(direct.rows[0][0]));
      expect(curve.rows.length).toBeGreaterThan(0);
    } finally {
      await catalog.close();
    }
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Catalog, ingestDirectory } from '../catalog/index.js';
import { simulateCatalogs } from '../sim/index.js';
import { type DemoOptions, prepareWorkdir } from './butler-demo.js';

const EXAMPLES: readonly { title: string; adql: string }[] = [
  {
    title: 'How many objects, and how many are primary?',
    adql: 'SELECT COUNT(*) AS n, SUM(CASE WHEN detect_isPrimary = 1 THEN 1 ELSE 0 END) AS primaryObjects FROM dp02_dc2_catalogs.Object',
  },
  {
    title: 'Cone search: the five brightest objects within 0.1° of the field centre',
    adql: `SELECT TOP 5 objectId, coord_ra, coord_dec, scisql_nanojanskyToAbMag(r_psfFlux) AS r_mag
FROM dp02_dc2_catalogs.Object
WHERE CONTAINS(POINT('ICRS', coord_ra, coord_dec), CIRCLE('ICRS', {ra}, {dec}, 0.1)) = 1
ORDER BY r_psfFlux DESC`,
  },
  {
    title: 'Histogram of r magnitudes (GROUP BY over an expression)',
    adql: `SELECT FLOOR(scisql_nanojanskyToAbMag(r_psfFlux)) AS r_bin, COUNT(*) AS n
FROM dp02_dc2_catalogs.Object WHERE r_psfFlux > 0 GROUP BY FLOOR(scisql_nanojanskyToAbMag(r_psfFlux)) ORDER BY r_bin`,
  },
  {
    title: 'Light curve of one object (Object ⋈ ForcedSource ⋈ CcdVisit)',
    adql: `SELECT TOP 8 v.expMidptMJD, fs.band, fs.psfFlux, fs.psfFluxErr
FROM dp02_dc2_catalogs.ForcedSource AS fs
JOIN dp02_dc2_catalogs.CcdVisit AS v ON v.ccdVisitId = fs.ccdVisitId
WHERE fs.objectId = {objectId} ORDER BY v.expMidptMJD`,
  },
];

function schemaYaml(): string {
  return readFileSync(fileURLToPath(new URL('../../config/catalog/dp02.yaml', import.meta.url)), 'utf8');
}

/**
 * The catalog part of the demo: DP0.1-style catalogs from the catalog simulator, loaded into an embedded
 * partitioned catalog database (DuckDB), then a few example ADQL queries like the DP0.2 tutorials.
 */
export async function runCatalogDemo(options: DemoOptions): Promise<void> {
  const { log } = options;
  const simDir = prepareWorkdir(options.workdir, 'catalogs');
  const dbDir = prepareWorkdir(options.workdir, 'catalog-db');
  const ra = 62;
  const dec = -37;
  log(`Simulating DP0.1-style catalogs into ${simDir}`);
  const manifest = await simulateCatalogs({
    outDir: simDir,
    objects: 20_000,
    visits: 12,
    ra,
    dec,
    radiusDeg: 0.5,
    seed: 7,
  });
  const rows = Object.entries(manifest.tables)
    .map(([t, info]) => `${t} ${info.rows}`)
    .join(', ');
  log(`  ${rows} rows in ${manifest.seconds.toFixed(1)} s`);
  log(`Creating a partitioned catalog database (DuckDB, 85 stripes / 12 sub-stripes) in ${dbDir}`);
  const catalog = await Catalog.create(dbDir, { schemaYaml: schemaYaml() });
  try {
    const loaded = await ingestDirectory(catalog, simDir, (line) => log(`  ingest ${line}`));
    log(`  ${loaded.length} tables loaded in ${loaded.length} transactions`);
    let objectId = '0';
    for (const example of EXAMPLES) {
      const adql = example.adql
        .replace('{ra}', String(ra))
        .replace('{dec}', String(dec))
        .replace('{objectId}', objectId);
      log('');
      log(`-- ${example.title}`);
      log(adql.replace(/^/gm, '   '));
      const t0 = performance.now();
      const result = await catalog.query(adql, { maxRows: 1000 });
      const ms = performance.now() - t0;
      const names = result.columns.map((c) => c.name);
      const chunks =
        result.chunks === null ? 'all chunks' : `${result.chunks} chunk${result.chunks === 1 ? '' : 's'}`;
      log(`   → ${result.rows.length} row(s) in ${ms.toFixed(1)} ms (${chunks})`);
      log(`   ${names.join(' | ')}`);
      for (const row of result.rows.slice(0, 8)) log(`   ${row.map((v) => formatCell(v)).join(' | ')}`);
      if (names[0] === 'objectId' && result.rows[0]) objectId = String(result.rows[0][0]);
    }
  } finally {
    await catalog.close();
  }
  log('');
  log(
    `Try it yourself: npx meridian catalog query ${join(options.workdir, 'catalog-db')} "SELECT TOP 3 * FROM dp02_dc2_catalogs.Object"`,
  );
}

function formatCell(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toPrecision(7);
  if (v === null || v === undefined) return 'NULL';
  return String(v);
}

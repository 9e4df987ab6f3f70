/**
 * `meridian catalog ingest-butler`: a real butler repository holding fabricated DRP outputs (sourceTable_visit,
 * ccdVisitTable, visitTable with the contract's columns, written by the butler's Parquet formatter) loaded into a new
 * catalog, then read back through ADQL (a cone on Source, Source ⋈ CcdVisit, TAP_SCHEMA units); re-runs; bad input.
 */

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Butler } from '../../src/butler/index.js';
import { Catalog, type CatalogTable, parseCatalogSchema } from '../../src/catalog/index.js';
import { makeTable, type TableColumnValues } from '../../src/formats/index.js';
import { DRP_SCHEMA_PATH } from '../../src/release/index.js';
import { SOURCE_TABLE_FUNCTORS } from '../../src/tasks/index.js';
import { meridian, tempDir } from './helpers.js';

const drp = parseCatalogSchema(readFileSync(DRP_SCHEMA_PATH, 'utf8'));
const dp02Path = new URL('../../config/catalog/dp02.yaml', import.meta.url).pathname;
const tableOf = (name: string) => drp.tables.find((t) => t.name === name) as CatalogTable;

const INSTRUMENT = 'Cam';
const DETECTORS = [1, 2];
const SOURCES_PER_DETECTOR = 40;
const CENTRE = { ra: 55, dec: -30 };

interface FabricatedSource {
  readonly sourceId: bigint;
  readonly ra: number;
  readonly dec: number;
  readonly ccdVisitId: number;
}

/** A deterministic scatter of sources over about a degree around CENTRE, different for each visit. */
function sourcesOf(visit: number): FabricatedSource[] {
  const rows: FabricatedSource[] = [];
  for (const detector of DETECTORS) {
    const ccdVisitId = visit * 1000 + detector;
    for (let i = 0; i < SOURCES_PER_DETECTOR; i++) {
      const t = (i * 0.618034 + visit * 0.1 + detector * 0.37) % 1;
      const u = (i * 0.414214 + visit * 0.23) % 1;
      rows.push({
        sourceId: BigInt(ccdVisitId) * 2n ** 32n + BigInt(i),
        ra: CENTRE.ra - 0.5 + t + (detector - 1.5) * 0.02,
        dec: CENTRE.dec - 0.5 + u,
        ccdVisitId,
      });
    }
  }
  return rows;
}

/** Every column of the table, typed by the schema, with the given values and a filler for the rest. */
function contractTable(
  table: CatalogTable,
  length: number,
  values: Record<string, TableColumnValues>,
): ReturnType<typeof makeTable> {
  const columns: Record<string, TableColumnValues> = {};
  for (const column of table.columns) {
    const given = values[column.name];
    if (given !== undefined) columns[column.name] = given;
    else if (column.datatype === 'long') columns[column.name] = new BigInt64Array(length);
    else if (column.datatype === 'int') columns[column.name] = new Int32Array(length);
    else if (column.datatype === 'boolean') columns[column.name] = Array.from({ length }, () => false);
    else if (column.datatype === 'char' || column.datatype === 'string') {
      columns[column.name] = Array.from({ length }, () => 'r');
    } else columns[column.name] = Float64Array.from({ length }, (_, i) => 1000 + i);
  }
  return makeTable(columns);
}

function sourceTableVisit(visit: number) {
  const rows = sourcesOf(visit);
  return contractTable(tableOf('Source'), rows.length, {
    sourceId: BigInt64Array.from(rows.map((r) => r.sourceId)),
    coord_ra: Float64Array.from(rows.map((r) => r.ra)),
    coord_dec: Float64Array.from(rows.map((r) => r.dec)),
    ra: Float64Array.from(rows.map((r) => r.ra)),
    decl: Float64Array.from(rows.map((r) => r.dec)),
    ccdVisitId: BigInt64Array.from(rows.map((r) => BigInt(r.ccdVisitId))),
    visit: BigInt64Array.from(rows.map(() => BigInt(visit))),
    detector: Int32Array.from(rows.map((r) => r.ccdVisitId % 1000)),
    physical_filter: rows.map(() => 'Cam-R'),
  });
}

function ccdVisitTable(visits: readonly number[]) {
  const pairs = visits.flatMap((visit) => DETECTORS.map((detector) => ({ visit, detector })));
  return contractTable(tableOf('CcdVisit'), pairs.length, {
    ccdVisitId: BigInt64Array.from(pairs.map((p) => BigInt(p.visit * 1000 + p.detector))),
    visitId: BigInt64Array.from(pairs.map((p) => BigInt(p.visit))),
    detector: Int32Array.from(pairs.map((p) => p.detector)),
    seeing: Float64Array.from(pairs.map((p) => 0.6 + 0.1 * p.visit + 0.01 * p.detector)),
  });
}

function visitTable(visits: readonly number[]) {
  return contractTable(tableOf('Visit'), visits.length, {
    visit: BigInt64Array.from(visits.map(BigInt)),
  });
}

const RUN1 = 'u/drp/run1';
const RUN2 = 'u/drp/run2';
const EMPTY_RUN = 'u/drp/empty';
const BAD_TYPES_RUN = 'u/drp/badtypes';

let work: { path: string; cleanup(): void };
let repo: string;

beforeAll(async () => {
  work = tempDir('meridian-ingest-butler-');
  repo = join(work.path, 'repo');
  const butler = await Butler.create(repo);
  try {
    await butler.registry.insertDimensionData('instrument', [
      { name: INSTRUMENT, visit_max: 1000, exposure_max: 1000, detector_max: 10 },
    ]);
    await butler.registry.insertDimensionData('physical_filter', [
      { instrument: INSTRUMENT, name: 'Cam-R', band: 'r' },
    ]);
    await butler.registry.insertDimensionData(
      'detector',
      DETECTORS.map((id) => ({ instrument: INSTRUMENT, id, full_name: `D${id}` })),
    );
    await butler.registry.insertDimensionData('day_obs', [{ instrument: INSTRUMENT, id: 20261205 }]);
    await butler.registry.insertDimensionData(
      'visit',
      [1, 2, 3].map((id) => ({
        instrument: INSTRUMENT,
        id,
        name: `v${id}`,
        physical_filter: 'Cam-R',
        day_obs: 20261205,
      })),
    );
    await butler.registerDatasetType('sourceTable_visit', ['instrument', 'visit'], 'DataFrame');
    await butler.registerDatasetType('ccdVisitTable', ['instrument'], 'DataFrame');
    await butler.registerDatasetType('visitTable', ['instrument'], 'DataFrame');
    for (const visit of [1, 2]) {
      await butler.put(
        sourceTableVisit(visit),
        'sourceTable_visit',
        { instrument: INSTRUMENT, visit },
        {
          run: RUN1,
        },
      );
    }
    await butler.put(ccdVisitTable([1, 2]), 'ccdVisitTable', { instrument: INSTRUMENT }, { run: RUN1 });
    await butler.put(visitTable([1, 2]), 'visitTable', { instrument: INSTRUMENT }, { run: RUN1 });
    // A later run: one more visit, and the per-instrument tables remade over all three visits.
    await butler.put(
      sourceTableVisit(3),
      'sourceTable_visit',
      { instrument: INSTRUMENT, visit: 3 },
      {
        run: RUN2,
      },
    );
    await butler.put(ccdVisitTable([1, 2, 3]), 'ccdVisitTable', { instrument: INSTRUMENT }, { run: RUN2 });
    await butler.registry.registerRun(EMPTY_RUN);
    // A Source table whose ccdVisitId is text: it cannot go into a BIGINT column.
    const bad = sourceTableVisit(1);
    const columns = { ...bad.columns, ccdVisitId: sourcesOf(1).map((r) => `ccd-${r.ccdVisitId}`) };
    await butler.put(
      makeTable(columns),
      'sourceTable_visit',
      { instrument: INSTRUMENT, visit: 1 },
      {
        run: BAD_TYPES_RUN,
      },
    );
  } finally {
    await butler.close();
  }
}, 60_000);

afterAll(() => work?.cleanup());

async function ingestJson(db: string, collections: string, ...more: string[]) {
  const r = await meridian([
    'catalog',
    'ingest-butler',
    db,
    '--repo',
    repo,
    '--collections',
    collections,
    '--json',
    ...more,
  ]);
  if (r.code !== 0) throw new Error(`ingest-butler exited ${r.code}:\n${r.stderr}`);
  return JSON.parse(r.stdout) as {
    created: boolean;
    dryRun: boolean;
    tables: { table: string; datasetType: string; status: string; rows: number; newFiles: string[] }[];
  };
}

async function rowCounts(db: string): Promise<Record<string, number>> {
  const catalog = await Catalog.open(db, { readOnly: true });
  try {
    const stats = await catalog.stats();
    return Object.fromEntries(stats.tables.map((t) => [t.name, t.rows]));
  } finally {
    await catalog.close();
  }
}

/** Great-circle distance in degrees. */
function separation(ra1: number, dec1: number, ra2: number, dec2: number): number {
  const r = Math.PI / 180;
  const h =
    Math.sin(((dec2 - dec1) * r) / 2) ** 2 +
    Math.cos(dec1 * r) * Math.cos(dec2 * r) * Math.sin(((ra2 - ra1) * r) / 2) ** 2;
  return (2 * Math.asin(Math.sqrt(h))) / r;
}

describe('catalog ingest-butler', () => {
  it("the DRP schema's Source table has exactly the columns transformSourceTable writes", () => {
    const schema = tableOf('Source').columns.map((c) => c.name);
    expect([...schema].sort()).toEqual(SOURCE_TABLE_FUNCTORS.map((f) => f.name).sort());
  });

  it('dry run lists what would be loaded and writes nothing', async () => {
    const db = join(work.path, 'dry');
    const report = await ingestJson(db, RUN1, '--dry-run');
    expect(report.dryRun).toBe(true);
    expect(report.tables.map((t) => [t.table, t.datasetType, t.status, t.rows])).toEqual([
      ['Visit', 'visitTable', 'would load', 2],
      ['CcdVisit', 'ccdVisitTable', 'would load', 4],
      ['Source', 'sourceTable_visit', 'would load', 2 * DETECTORS.length * SOURCES_PER_DETECTOR],
    ]);
    expect(existsSync(db)).toBe(false);
  });

  it('loads into a new catalog; ADQL cone, Source ⋈ CcdVisit and TAP_SCHEMA units read it back; a re-run loads nothing', async () => {
    const db = join(work.path, 'cat');
    const report = await ingestJson(db, RUN1);
    expect(report.created).toBe(true);
    expect(report.tables.map((t) => [t.table, t.status])).toEqual([
      ['Visit', 'loaded'],
      ['CcdVisit', 'loaded'],
      ['Source', 'loaded'],
    ]);
    const sources = [...sourcesOf(1), ...sourcesOf(2)];
    expect(await rowCounts(db)).toMatchObject({ Source: sources.length, CcdVisit: 4, Visit: 2 });

    const catalog = await Catalog.open(db, { readOnly: true });
    try {
      const radius = 0.2;
      const cone = await catalog.query(
        `SELECT sourceId FROM Source WHERE CONTAINS(POINT('ICRS', coord_ra, coord_dec), CIRCLE('ICRS', ${CENTRE.ra}, ${CENTRE.dec}, ${radius})) = 1`,
      );
      const expected = sources
        .filter((s) => separation(s.ra, s.dec, CENTRE.ra, CENTRE.dec) < radius)
        .map((s) => String(s.sourceId))
        .sort();
      expect(expected.length).toBeGreaterThan(3);
      expect(expected.length).toBeLessThan(sources.length);
      expect(cone.rows.map((r) => String(r[0])).sort()).toEqual(expected);

      const joined = await catalog.query(
        'SELECT s.sourceId, c.detector, c.seeing FROM Source AS s JOIN CcdVisit AS c ON s.ccdVisitId = c.ccdVisitId WHERE s.visit = 2',
      );
      expect(joined.rows).toHaveLength(DETECTORS.length * SOURCES_PER_DETECTOR);
      for (const [sourceId, detector, seeing] of joined.rows) {
        const ccdVisitId = Number(BigInt(String(sourceId)) >> 32n);
        expect(ccdVisitId % 1000).toBe(Number(detector));
        expect(Number(seeing)).toBeCloseTo(0.6 + 0.2 + 0.01 * Number(detector), 9);
      }

      const units = await catalog.query(
        "SELECT column_name, unit, description FROM TAP_SCHEMA.columns WHERE table_name = 'dp02_dc2_catalogs.Source'",
      );
      const unitOf = Object.fromEntries(units.rows.map((r) => [String(r[0]), r[1]]));
      expect(unitOf).toMatchObject({ coord_ra: 'deg', psfFlux: 'nJy', ap12Flux: 'nJy', x: 'pixel' });
      expect(units.rows.find((r) => r[0] === 'psfFlux')?.[2]).toMatch(/PSF/);
    } finally {
      await catalog.close();
    }

    const text = await meridian(['catalog', 'ingest-butler', db, '--repo', repo, '--collections', RUN1]);
    expect(text.code).toBe(0);
    expect(text.stdout.trim().split('\n')).toEqual([
      'Visit: visitTable, its one file already loaded, nothing to do',
      'CcdVisit: ccdVisitTable, its one file already loaded, nothing to do',
      'Source: sourceTable_visit, all 2 files already loaded, nothing to do',
    ]);
    const again = await ingestJson(db, RUN1);
    expect(again.created).toBe(false);
    expect(again.tables.map((t) => t.status)).toEqual(['already loaded', 'already loaded', 'already loaded']);
    expect(await rowCounts(db)).toMatchObject({ Source: sources.length, CcdVisit: 4, Visit: 2 });
  }, 60_000);

  it('loads only new files on a later run, and refuses a remade table whose rows are already there', async () => {
    const db = join(work.path, 'incremental');
    await ingestJson(db, RUN1);
    // run2's ccdVisitTable holds visits 1 and 2 again: refused before anything of run2 is written.
    const refused = await meridian([
      'catalog',
      'ingest-butler',
      db,
      '--repo',
      repo,
      '--collections',
      `${RUN2},${RUN1}`,
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('[CATALOG_ROWS_EXIST]');
    expect(refused.stderr).toMatch(/CcdVisit already holds rows with ccdVisitId 1001/);
    expect(await rowCounts(db)).toMatchObject({ Source: 160, CcdVisit: 4, Visit: 2 });
    // run1 first: the ccdVisitTable found is run1's (already loaded); run2 adds visit 3's sources only.
    const report = await ingestJson(db, `${RUN1},${RUN2}`);
    expect(report.tables.map((t) => [t.table, t.status, t.newFiles.length])).toEqual([
      ['Visit', 'already loaded', 0],
      ['CcdVisit', 'already loaded', 0],
      ['Source', 'loaded', 1],
    ]);
    expect(await rowCounts(db)).toMatchObject({ Source: 240, CcdVisit: 4, Visit: 2 });
  }, 60_000);

  it('refuses an unknown collection and a collection without sourceTable datasets, naming them', async () => {
    const db = join(work.path, 'missing');
    const unknown = await meridian([
      'catalog',
      'ingest-butler',
      db,
      '--repo',
      repo,
      '--collections',
      'no/such',
    ]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('[COLLECTION_UNKNOWN]');
    expect(unknown.stderr).toContain('no/such');
    const empty = await meridian([
      'catalog',
      'ingest-butler',
      db,
      '--repo',
      repo,
      '--collections',
      EMPTY_RUN,
    ]);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain('[DATASET_NOT_FOUND]');
    expect(empty.stderr).toContain('no sourceTable_visit or sourceTable datasets');
    expect(empty.stderr).toContain(EMPTY_RUN);
    expect(existsSync(db)).toBe(false);
  });

  it('refuses files whose columns do not fit the existing tables before any row is written', async () => {
    // A catalog made for the simulator's catalogs: its Source has a subset of the pipeline's columns.
    const db = join(work.path, 'dp02');
    const created = await meridian(['catalog', 'create', db, '--schema', dp02Path]);
    expect(created.code).toBe(0);
    const refused = await meridian([
      'catalog',
      'ingest-butler',
      db,
      '--repo',
      repo,
      '--collections',
      RUN1,
      '--json',
    ]);
    expect(refused.code).toBe(1);
    const error = JSON.parse(refused.stdout).error;
    expect(error.code).toBe('CATALOG_COLUMNS_MISMATCH');
    expect(error.message).toMatch(
      /does not fit catalog table CcdVisit: it has column\(s\) CcdVisit lacks: xSize/,
    );
    const catalog = await Catalog.open(db, { readOnly: true });
    try {
      const stats = await catalog.stats();
      expect(stats.transactions).toEqual([]);
      expect(stats.tables.every((t) => t.rows === 0)).toBe(true);
    } finally {
      await catalog.close();
    }
    // Asked to, it drops the columns the tables lack and loads the rest.
    const dropped = await ingestJson(db, RUN1, '--drop-extra-columns');
    expect(dropped.tables.map((t) => t.status)).toEqual(['loaded', 'loaded', 'loaded']);
    expect(await rowCounts(db)).toMatchObject({ Source: 160, CcdVisit: 4, Visit: 2 });
  }, 60_000);

  it('refuses a column of the wrong type, creating no catalog', async () => {
    const db = join(work.path, 'badtypes');
    const r = await meridian([
      'catalog',
      'ingest-butler',
      db,
      '--repo',
      repo,
      '--collections',
      BAD_TYPES_RUN,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[CATALOG_COLUMNS_MISMATCH]');
    expect(r.stderr).toContain("ccdVisitId is VARCHAR, the table's is long");
    expect(existsSync(db)).toBe(false);
  });
});

import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CatalogManifest,
  DC2_SKYMAP_CONFIG,
  focalPlaneDetectors,
  OUTPUT_COLUMNS,
  simulateCatalogs,
  TABLE_NAMES,
} from '../../../src/sim/catalogs/index.js';
import { DETECTOR_SIZE_DEG } from '../../../src/sim/catalogs/model.js';
import { RingsSkyMap } from '../../../src/sphere/index.js';
import { CatalogReader } from './catalog-reader.js';

const options = {
  objects: 3000,
  visits: 24,
  supernovae: 40,
  radiusDeg: 1.5,
  objectsPerFile: 1500,
  seed: 7,
  workers: 2,
};

const dir = mkdtempSync(join(tmpdir(), 'meridian-simcat-'));
let manifest: CatalogManifest;
let reader: CatalogReader;

beforeAll(async () => {
  manifest = await simulateCatalogs({ outDir: join(dir, 'a'), ...options });
  reader = await CatalogReader.open(join(dir, 'a'));
});

afterAll(() => {
  reader?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Column with the true flux in the row's band (`band` column) from TruthSummary `ts`. */
const trueFluxInBand = (band: string) =>
  `CASE ${band} ${['u', 'g', 'r', 'i', 'z', 'y'].map((b) => `WHEN '${b}' THEN ts.flux_${b}`).join(' ')} END`;

describe('simulateCatalogs output files', () => {
  it('writes every table with the schema columns, in the files and row counts of the manifest', async () => {
    expect(existsSync(join(dir, 'a', 'manifest.json'))).toBe(true);
    expect(existsSync(join(dir, 'a', '.duckdb-tmp'))).toBe(false);
    for (const name of TABLE_NAMES) {
      const table = manifest.tables[name];
      const files = table.files.map((f) => `'${join(dir, 'a', f)}'`).join(', ');
      const described = await reader.rows(`DESCRIBE SELECT * FROM read_parquet([${files}])`);
      expect(described.map((c) => [c.column_name, c.column_type])).toEqual(
        OUTPUT_COLUMNS[name].map((c) => [c.name, c.type]),
      );
      expect((await reader.one(`SELECT count(*) AS n FROM ${name}`)).n).toBe(table.rows);
      expect(table.rows, name).toBeGreaterThan(0);
    }
    // Two chunks of 1500 objects: two files per per-object table (plus one of supernovae for the truth tables).
    expect(manifest.tables.Object.files).toHaveLength(2);
    expect(manifest.tables.ForcedSource.files).toHaveLength(2);
    expect(manifest.tables.TruthSummary.rows).toBe(options.objects + options.supernovae);
    expect(JSON.parse(readFileSync(join(dir, 'a', 'manifest.json'), 'utf8')).tables.Object.rows).toBe(
      manifest.tables.Object.rows,
    );
  });

  it('is deterministic: the same seed gives byte-identical files, another seed other rows', async () => {
    const again = await simulateCatalogs({ outDir: join(dir, 'b'), ...options });
    for (const name of TABLE_NAMES) {
      expect(again.tables[name].files).toEqual(manifest.tables[name].files);
      for (const file of manifest.tables[name].files) {
        expect(readFileSync(join(dir, 'b', file)).equals(readFileSync(join(dir, 'a', file))), file).toBe(
          true,
        );
      }
    }
    const other = await simulateCatalogs({ outDir: join(dir, 'c'), ...options, objects: 200, seed: 8 });
    const otherReader = await CatalogReader.open(join(dir, 'c'));
    const first = await otherReader.one('SELECT ra FROM TruthSummary ORDER BY id_truth_type LIMIT 1');
    otherReader.close();
    const mine = await reader.one('SELECT ra FROM TruthSummary ORDER BY id_truth_type LIMIT 1');
    expect(other.tables.TruthSummary.rows).toBe(200 + options.supernovae);
    expect(first.ra).not.toBe(mine.ra);
  });
});

describe('output directory', () => {
  it('refuses a directory that is not empty, and leaves it alone', async () => {
    const busy = join(dir, 'busy');
    mkdirSync(busy);
    writeFileSync(join(busy, 'keep.txt'), 'x');
    await expect(simulateCatalogs({ outDir: busy, objects: 10 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    expect(readdirSync(busy)).toEqual(['keep.txt']);
  });
});

describe('measurement noise', () => {
  it('forced photometry of constant stars has unit-variance pulls on calexps and difference images', async () => {
    const r = await reader.one(`
      SELECT count(*) AS n,
        avg((fs.psfFlux - ${trueFluxInBand('fs.band')}) / fs.psfFluxErr) AS mean,
        stddev_pop((fs.psfFlux - ${trueFluxInBand('fs.band')}) / fs.psfFluxErr) AS std,
        stddev_pop(fs.psfDiffFlux / fs.psfDiffFluxErr) AS diff_std,
        avg(fs.psfDiffFlux / fs.psfDiffFluxErr) AS diff_mean
      FROM ForcedSource fs
      JOIN MatchesTruth mt ON mt.match_objectId = fs.objectId
      JOIN TruthSummary ts ON ts.id_truth_type = mt.id_truth_type
      WHERE ts.truth_type = 2 AND NOT ts.is_variable`);
    expect(r.n as number).toBeGreaterThan(1000);
    expect(Math.abs(r.mean as number)).toBeLessThan(0.1);
    expect(r.std as number).toBeGreaterThan(0.93);
    expect(r.std as number).toBeLessThan(1.07);
    expect(Math.abs(r.diff_mean as number)).toBeLessThan(0.1);
    expect(r.diff_std as number).toBeGreaterThan(0.93);
    expect(r.diff_std as number).toBeLessThan(1.07);
  });

  it('variable stars vary on difference images; galaxies lose PSF flux to their size', async () => {
    const variable = await reader.one(`
      SELECT stddev_pop(fs.psfDiffFlux / fs.psfDiffFluxErr) AS diff_std FROM ForcedSource fs
      JOIN MatchesTruth mt ON mt.match_objectId = fs.objectId JOIN TruthSummary ts USING (id_truth_type)
      WHERE ts.is_variable AND ts.mag_r < 23`);
    expect(variable.diff_std as number).toBeGreaterThan(2);
    const galaxies = await reader.one(`
      SELECT avg(fs.psfFlux / ${trueFluxInBand('fs.band')}) AS ratio FROM ForcedSource fs
      JOIN MatchesTruth mt ON mt.match_objectId = fs.objectId JOIN TruthSummary ts USING (id_truth_type)
      WHERE ts.truth_type = 1 AND ts.mag_r < 20`);
    expect(galaxies.ratio as number).toBeLessThan(0.9);
  });

  it('coadd fluxes of bright stars have unit-variance pulls, and coadds deepen with the number of visits', async () => {
    const pulls = ['u', 'g', 'r', 'i', 'z', 'y']
      .map(
        (b) => `SELECT (o.${b}_psfFlux - ts.flux_${b}) / o.${b}_psfFluxErr AS pull,
          (o.${b}_cModelFlux - ts.flux_${b}) / o.${b}_cModelFluxErr AS model_pull
        FROM Object o JOIN MatchesTruth mt ON mt.match_objectId = o.objectId JOIN TruthSummary ts USING (id_truth_type)
        WHERE ts.truth_type = 2 AND o.${b}_inputCount > 0 AND ts.flux_${b} > 20 * o.${b}_psfFluxErr`,
      )
      .join(' UNION ALL ');
    const r = await reader.one(
      `SELECT count(*) AS n, stddev_pop(pull) AS std, stddev_pop(model_pull) AS model_std FROM (${pulls})`,
    );
    expect(r.n as number).toBeGreaterThan(200);
    expect(r.std as number).toBeGreaterThan(0.85);
    expect(r.std as number).toBeLessThan(1.15);
    expect(r.model_std as number).toBeGreaterThan(0.85);
    expect(r.model_std as number).toBeLessThan(1.15);
    const depth = await reader.one(`
      SELECT median(r_psfFluxErr) FILTER (WHERE r_inputCount <= 2) AS shallow,
             median(r_psfFluxErr) FILTER (WHERE r_inputCount >= 5) AS deep FROM Object`);
    expect(depth.deep as number).toBeLessThan((depth.shallow as number) * 0.75);
  });
});

describe('footprints and links', () => {
  it('has ForcedSource rows exactly for the detectors of the visits that cover each object', async () => {
    const visits = await reader.rows('SELECT visit, ra, decl, skyRotation FROM Visit');
    const objects = await reader.rows(`
      SELECT o.objectId, ts.ra, ts.dec FROM Object o
      JOIN MatchesTruth mt ON mt.match_objectId = o.objectId JOIN TruthSummary ts USING (id_truth_type)`);
    const measured = await reader.rows('SELECT objectId, ccdVisitId FROM ForcedSource');
    const cells = new Map(focalPlaneDetectors().map((d) => [`${d.column},${d.row}`, d.detector]));
    const rad = Math.PI / 180;
    const expected = new Set<string>();
    for (const o of objects) {
      const [a, d] = [(o.ra as number) * rad, (o.dec as number) * rad];
      for (const v of visits) {
        const [a0, d0] = [(v.ra as number) * rad, (v.decl as number) * rad];
        const cosc = Math.sin(d0) * Math.sin(d) + Math.cos(d0) * Math.cos(d) * Math.cos(a - a0);
        if (cosc <= 0.5) continue;
        const xi = (Math.cos(d) * Math.sin(a - a0)) / cosc / rad;
        const eta = (Math.cos(d0) * Math.sin(d) - Math.sin(d0) * Math.cos(d) * Math.cos(a - a0)) / cosc / rad;
        const rot = (v.skyRotation as number) * rad;
        const fx = xi * Math.cos(rot) + eta * Math.sin(rot);
        const fy = eta * Math.cos(rot) - xi * Math.sin(rot);
        const detector = cells.get(
          `${Math.floor(fx / DETECTOR_SIZE_DEG + 7.5)},${Math.floor(fy / DETECTOR_SIZE_DEG + 7.5)}`,
        );
        if (detector !== undefined) expected.add(`${o.objectId}:${(v.visit as number) * 1000 + detector}`);
      }
    }
    const actual = new Set(measured.map((m) => `${m.objectId}:${m.ccdVisitId}`));
    expect(actual.size).toBe(measured.length);
    expect(actual.size).toBeGreaterThan(objects.length);
    expect([...actual].filter((k) => !expected.has(k))).toEqual([]);
    expect([...expected].filter((k) => !actual.has(k))).toEqual([]);
  });

  it('links Sources and ForcedSources to CcdVisits, CcdVisits to Visits, ForcedSources to Objects', async () => {
    const r = await reader.one(`SELECT
      (SELECT count(*) FROM Source s ANTI JOIN CcdVisit c ON c.ccdVisitId = s.ccdVisitId) AS orphan_sources,
      (SELECT count(*) FROM ForcedSource f ANTI JOIN CcdVisit c ON c.ccdVisitId = f.ccdVisitId) AS orphan_forced,
      (SELECT count(*) FROM ForcedSource f ANTI JOIN Object o ON o.objectId = f.objectId) AS forced_without_object,
      (SELECT count(*) FROM CcdVisit c ANTI JOIN Visit v ON v.visit = c.visitId) AS orphan_ccds,
      (SELECT count(*) FROM Source s JOIN CcdVisit c USING (ccdVisitId) WHERE s.band <> c.band) AS band_mismatch,
      (SELECT min(psfFlux / psfFluxErr) FROM Source) AS min_snr,
      (SELECT count(*) FROM CcdVisit) AS ccds, (SELECT count(*) FROM Visit) AS visits`);
    expect(r).toMatchObject({
      orphan_sources: 0,
      orphan_forced: 0,
      forced_without_object: 0,
      orphan_ccds: 0,
    });
    expect(r.band_mismatch).toBe(0);
    expect(r.min_snr as number).toBeGreaterThanOrEqual(5);
    expect(r.ccds).toBe((r.visits as number) * 189);
  });

  it('matches every truth row once and every Object once, close to its true position', async () => {
    const r = await reader.one(`SELECT
      (SELECT count(*) FROM MatchesTruth) AS matches, (SELECT count(*) FROM TruthSummary) AS truth,
      (SELECT count(DISTINCT id_truth_type) FROM MatchesTruth) AS distinct_truth,
      (SELECT count(*) FROM MatchesTruth m ANTI JOIN TruthSummary t USING (id_truth_type)) AS orphan_matches,
      (SELECT count(*) FROM MatchesTruth WHERE match_objectId <> -1) AS matched,
      (SELECT count(DISTINCT match_objectId) FROM MatchesTruth WHERE match_objectId <> -1) AS distinct_matched,
      (SELECT count(*) FROM Object) AS objects,
      (SELECT count(*) FROM MatchesTruth m ANTI JOIN Object o ON o.objectId = m.match_objectId
        WHERE m.match_objectId <> -1) AS dangling,
      (SELECT max(match_sep) FROM MatchesTruth) AS max_sep,
      (SELECT quantile_cont(match_sep, 0.9) FROM MatchesTruth) AS sep90,
      (SELECT avg(CASE WHEN m.match_objectId <> -1 THEN 1 ELSE 0 END) FROM MatchesTruth m JOIN TruthSummary t
        USING (id_truth_type) WHERE t.mag_r < 22 AND t.truth_type <> 3) AS bright_matched`);
    expect(r.matches).toBe(r.truth);
    expect(r.distinct_truth).toBe(r.truth);
    expect(r.orphan_matches).toBe(0);
    expect(r.matched).toBe(r.objects);
    expect(r.distinct_matched).toBe(r.objects);
    expect(r.dangling).toBe(0);
    expect(r.sep90 as number).toBeLessThan(0.2);
    expect(r.max_sep as number).toBeLessThan(1.5);
    expect(r.bright_matched as number).toBeGreaterThan(0.97);
  });

  it('places objects in the tract and patch of the DC2 rings skymap and encodes them in objectId', async () => {
    const skymap = new RingsSkyMap('DC2', DC2_SKYMAP_CONFIG);
    const rows = await reader.rows(`
      SELECT o.objectId, o.tract, o.patch, ts.ra, ts.dec FROM Object o
      JOIN MatchesTruth mt ON mt.match_objectId = o.objectId JOIN TruthSummary ts USING (id_truth_type)
      USING SAMPLE 200 ROWS (reservoir, 1)`);
    expect(rows.length).toBe(200);
    for (const row of rows) {
      const tract = skymap.findTract(row.ra as number, row.dec as number);
      expect(row.tract).toBe(tract.id);
      expect(row.patch).toBe(tract.findPatch(row.ra as number, row.dec as number).index);
      expect(BigInt(row.objectId as string) >> 42n).toBe(BigInt(tract.id));
    }
  });
});

describe('realism', () => {
  it('separates stars from galaxies by extendedness', async () => {
    const r = await reader.one(`SELECT
      avg(o.refExtendedness) FILTER (WHERE ts.truth_type = 2 AND ts.mag_r < 22) AS bright_stars,
      avg(o.refExtendedness) FILTER (WHERE ts.truth_type = 1 AND ts.mag_r < 21) AS bright_galaxies
      FROM Object o JOIN MatchesTruth mt ON mt.match_objectId = o.objectId JOIN TruthSummary ts USING (id_truth_type)`);
    expect(r.bright_stars as number).toBeLessThan(0.1);
    expect(r.bright_galaxies as number).toBeGreaterThan(0.8);
  });

  it('has galaxy number counts rising as 10^(0.33 m) and about 5% stars', async () => {
    const bins = await reader.rows(`SELECT floor(mag_r + 0.0) AS m, count(*) AS n FROM TruthSummary
      WHERE truth_type = 1 AND mag_r >= 19 AND mag_r < 25 GROUP BY 1 ORDER BY 1`);
    const xs = bins.map((b) => b.m as number);
    const ys = bins.map((b) => Math.log10(b.n as number));
    const mx = xs.reduce((s, x) => s + x, 0) / xs.length;
    const my = ys.reduce((s, y) => s + y, 0) / ys.length;
    const slope =
      xs.reduce((s, x, i) => s + (x - mx) * (ys[i] - my), 0) / xs.reduce((s, x) => s + (x - mx) ** 2, 0);
    expect(slope).toBeGreaterThan(0.27);
    expect(slope).toBeLessThan(0.39);
    const stars = await reader.one(
      'SELECT avg(CASE WHEN truth_type = 2 THEN 1 ELSE 0 END) AS f FROM TruthSummary WHERE truth_type <> 3',
    );
    expect(stars.f as number).toBeGreaterThan(0.03);
    expect(stars.f as number).toBeLessThan(0.07);
  });

  it('detects supernovae on difference images as DiaSources of DiaObjects', async () => {
    const r = await reader.one(`SELECT
      (SELECT count(*) FROM DiaObject) AS dia_objects,
      (SELECT min(snr) FROM DiaSource) AS min_snr,
      (SELECT count(*) FROM DiaSource s ANTI JOIN DiaObject o USING (diaObjectId)) AS orphan_dia_sources,
      (SELECT count(*) FROM DiaObject o JOIN (SELECT diaObjectId, count(*) AS n FROM DiaSource GROUP BY 1) s
        USING (diaObjectId) WHERE s.n <> o.nDiaSources) AS wrong_counts,
      (SELECT count(*) FROM ForcedSourceOnDiaObject f ANTI JOIN DiaObject o USING (diaObjectId)) AS orphan_forced,
      (SELECT count(*) FROM ForcedSourceOnDiaObject) AS forced,
      (SELECT count(*) FROM DiaSource) AS dia_sources`);
    expect(r.dia_objects as number).toBeGreaterThan(0);
    expect(r.min_snr as number).toBeGreaterThanOrEqual(5);
    expect(r).toMatchObject({ orphan_dia_sources: 0, wrong_counts: 0, orphan_forced: 0 });
    expect(r.forced as number).toBeGreaterThanOrEqual(r.dia_sources as number);
  });
});

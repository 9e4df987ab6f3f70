import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Table } from '../../src/butler/formatters/index.js';
import type { Butler } from '../../src/butler/index.js';
import { Exposure, type ImageF } from '../../src/formats/exposure/index.js';
import { pixelToSky, type TanSipWcs } from '../../src/formats/index.js';
import {
  DC2_SKYMAP_NAME,
  defineVisits,
  ingestRaws,
  ingestRefcat,
  ingestSimulatedSurvey,
  registerInstrument,
  registerSkymap,
  writeCuratedCalibrations,
} from '../../src/obs/index.js';
import type { SurveyResult } from '../../src/sim/index.js';
import { Circle, UnitVector3 } from '../../src/sphere/index.js';
import { postgresEnabled } from '../support/postgres.js';
import { createRepo, dropSchema, temporaryDirectory, tinySurvey } from './fixtures.js';

/** A coarse skymap (about 400 tracts) keeps the test fast; the DC2 one is used by the demo. */
const TEST_SKYMAP = {
  numRings: 15,
  tractOverlapDeg: 1 / 60,
  pixelScaleArcsec: 0.2,
  patchInnerDimensions: [20000, 20000] as [number, number],
  patchBorder: 100,
};

let simDir: string;
let survey: SurveyResult;

beforeAll(async () => {
  ({ simDir, result: survey } = await tinySurvey('chain'));
});

const backends: ('sqlite' | 'postgresql')[] = ['sqlite'];
if (postgresEnabled('sim -> butler chain on postgresql')) backends.push('postgresql');

describe.each(backends)('sim -> butler chain on %s', (backend) => {
  let butler: Butler;

  beforeAll(async () => {
    butler = await createRepo(join(temporaryDirectory(`repo-${backend}`), 'repo'), backend);
  });

  afterAll(async () => {
    await dropSchema(butler);
    await butler.close();
  });

  it('registers the instrument, idempotently', async () => {
    const first = await registerInstrument(butler, survey.manifest.instrument);
    expect(first).toMatchObject({ instrument: 'MeridianCam', filters: 6, detectors: 2, changed: true });
    expect((await registerInstrument(butler, survey.manifest.instrument)).changed).toBe(false);
    const detectors = await butler.registry.queryDimensionRecords('detector');
    expect(detectors.map((d) => d.full_name)).toEqual(['R00_S00', 'R00_S01']);
  });

  it('ingests every raw with exposure records; re-ingesting is a no-op', async () => {
    const result = await ingestRaws(butler, [join(simDir, 'raw')], { transfer: 'copy' });
    expect(result.ingested).toBe(8);
    expect(result.skipped).toEqual([]);
    expect(result.exposures).toEqual(survey.manifest.exposures.map((e) => e.id));
    const exposures = await butler.registry.queryDimensionRecords('exposure');
    const first = survey.manifest.exposures[0]!;
    const rec = exposures.find((e) => e.id === first.id)!;
    expect(rec).toMatchObject({
      obs_id: first.obsId,
      physical_filter: first.physicalFilter,
      day_obs: first.dayObs,
      seq_num: first.seqNum,
      exposure_time: first.exposureTime,
      observation_type: 'science',
    });
    const again = await ingestRaws(butler, [join(simDir, 'raw')], { transfer: 'copy' });
    expect([again.ingested, again.alreadyPresent]).toEqual([0, 8]);
    expect(again.refs.map((r) => r.id).sort()).toEqual(result.refs.map((r) => r.id).sort());
  });

  it('defines one visit per exposure with detector regions containing the raw centres; idempotent', async () => {
    const result = await defineVisits(butler);
    expect(result.visits).toHaveLength(4);
    expect(result.created).toBe(4);
    expect(result.detectorRegions).toBe(8);
    expect((await defineVisits(butler)).created).toBe(0);
    const regions = await butler.registry.queryDimensionRecords('visit_detector_region');
    expect(regions).toHaveLength(8);
    const visitId = survey.manifest.exposures[0]!.id;
    const wcs = (await butler.get(
      'raw.wcs',
      { instrument: 'MeridianCam', exposure: visitId, detector: 1 },
      {
        collections: ['MeridianCam/raw/all'],
      },
    )) as TanSipWcs;
    const centre = pixelToSky(wcs, 31.5, 31.5);
    const region = regions.find((r) => r.visit === visitId && r.detector === 1)!.region as {
      contains(v: UnitVector3): boolean;
    };
    expect(region.contains(UnitVector3.fromLonLat(centre.ra, centre.dec))).toBe(true);
    const visit = (await butler.registry.queryDimensionRecords('visit')).find((v) => v.id === visitId)!;
    expect(
      (visit.region as { contains(v: UnitVector3): boolean }).contains(
        UnitVector3.fromLonLat(centre.ra, centre.dec),
      ),
    ).toBe(true);
  });

  it('ingests and certifies the calibrations; a re-run certifies nothing new', async () => {
    const result = await writeCuratedCalibrations(butler, simDir, { transfer: 'copy' });
    expect(result.refs).toHaveLength(survey.manifest.calibrations.files.length);
    expect(result.certified).toBe(result.refs.length);
    expect((await writeCuratedCalibrations(butler, simDir, { transfer: 'copy' })).certified).toBe(0);
    const flat = (await butler
      .get(
        'flat',
        { instrument: 'MeridianCam', detector: 1, physical_filter: 'MC-r' },
        { collections: ['MeridianCam/calib'], timespan: null },
      )
      .catch(async () =>
        butler.get(
          'flat',
          { instrument: 'MeridianCam', detector: 1, exposure: survey.manifest.exposures[2]!.id },
          { collections: ['MeridianCam/calib'] },
        ),
      )) as Exposure;
    expect(flat).toBeInstanceOf(Exposure);
    expect(flat.width).toBe(64);
  });

  it('registers the skymap over the survey footprint and stores its definition', async () => {
    const cap = survey.manifest.truth.cap;
    const region = Circle.fromDegrees(cap.ra, cap.dec, cap.radiusDeg);
    const result = await registerSkymap(butler, 'testSky', TEST_SKYMAP, { region });
    expect(result.tracts).toBeGreaterThan(0);
    expect(result.patches).toBeGreaterThan(0);
    expect(await registerSkymap(butler, 'testSky', TEST_SKYMAP, { region })).toEqual(result);
    expect(await butler.registry.queryDimensionRecords('patch')).toHaveLength(result.patches);
    expect(await butler.get('skyMap', { skymap: 'testSky' }, { collections: ['skymaps'] })).toMatchObject({
      kind: 'ringsSkyMap',
      config: { numRings: 15 },
    });
  });

  it('ingests the refcat shards as htm7 datasets readable as tables', async () => {
    const result = await ingestRefcat(butler, join(simDir, 'refcat'), { transfer: 'copy' });
    expect(result.refs).toHaveLength(survey.manifest.refcat.shards.length);
    const shard = survey.manifest.refcat.shards[0]!;
    const table = (await butler.get(
      'the_monster_refcat',
      { htm7: shard.htm7 },
      { collections: [result.run] },
    )) as Table;
    expect(table.length).toBe(shard.rows);
  });

  it('answers query-datasets raw --where "band=\'r\' AND detector=1" and returns raws with pixels and WCS', async () => {
    const refs = await butler.registry.queryDatasets('raw', {
      collections: ['MeridianCam/raw/all'],
      where: "band='r' AND detector=1",
    });
    const rExposures = survey.manifest.exposures.filter((e) => e.band === 'r').map((e) => e.id);
    expect(refs.map((r) => Number(r.dataId.values.exposure)).sort()).toEqual(rExposures);
    expect(refs.every((r) => r.dataId.values.detector === 1)).toBe(true);
    const raw = (await butler.get(refs[0]!)) as Exposure;
    expect(raw).toBeInstanceOf(Exposure);
    expect([raw.width, raw.height]).toEqual([64 + 32, 64]);
    expect(raw.wcs).not.toBeNull();
    expect(raw.visitInfo?.exposureTime).toBe(30);
    expect(raw.image.array.some((v) => v > 0)).toBe(true);
    const cut = (await butler.get(
      refs[0]!,
      {},
      { parameters: { bbox: { x0: 8, y0: 4, width: 5, height: 3 } } },
    )) as Exposure;
    expect(cut.image.array).toEqual(raw.image.subset(cut.bbox).array);
    const image = (await butler.get(
      'raw.image',
      { instrument: 'MeridianCam', exposure: rExposures[0]!, detector: 1 },
      { collections: ['MeridianCam/raw/all'] },
    )) as ImageF;
    expect(image.array).toEqual(raw.image.array);
  });
});

describe('ingestSimulatedSurvey', () => {
  it('does the whole chain in one call, reading the manifest from the survey directory, and is idempotent', async () => {
    const butler = await createRepo(join(temporaryDirectory('repo-one-call'), 'repo'), 'sqlite');
    try {
      const result = await ingestSimulatedSurvey(butler, simDir, { transfer: 'copy' });
      const { manifest } = survey;
      expect(result.instrument.detectors).toBe(manifest.instrument.detectors.length);
      expect(result.raws.ingested).toBe(manifest.exposures.length * manifest.instrument.detectors.length);
      expect(result.visits.visits.length).toBe(manifest.exposures.length);
      expect(result.calibrations.refs.length).toBeGreaterThan(0);
      expect(result.skymap.name).toBe(DC2_SKYMAP_NAME);
      expect(result.refcat.refs.length).toBe(manifest.refcat.shards.length);
      const raws = await butler.registry.queryDatasets('raw', { collections: ['MeridianCam/raw/all'] });
      expect(raws.length).toBe(result.raws.ingested);
      const again = await ingestSimulatedSurvey(butler, simDir, { manifest, transfer: 'copy' });
      expect(again.raws.ingested).toBe(0);
    } finally {
      await butler.close();
    }
  });
});

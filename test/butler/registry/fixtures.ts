import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DimensionUniverse } from '../../../src/butler/dimensions/universe.js';
import {
  openRegistryDatabase,
  type Registry,
  type RegistryDatabase,
} from '../../../src/butler/registry/index.js';
import { Timespan } from '../../../src/butler/time/index.js';
import type { OpenOptions } from '../../../src/db/index.js';
import { Box, ConvexPolygon } from '../../../src/sphere/index.js';
import { dropSchema, postgresEnabled, requirePostgresUrl, uniqueName } from '../../support/postgres.js';

/** A way to make an empty registry database; `reopen` opens the same database again (e.g. read-only). */
export interface DatabaseFactory {
  readonly name: string;
  /**
   * Whether suites on this back end run; for PostgreSQL, test/support/postgres.ts decides (skip with the reason,
   * or fail when MERIDIAN_REQUIRE_POSTGRES=1). Call at the top level of a test file.
   */
  enabled(what: string): boolean;
  create(): Promise<{
    db: RegistryDatabase;
    reopen(options: OpenOptions): Promise<RegistryDatabase>;
    cleanup(): Promise<void>;
  }>;
}

export const sqliteFactory: DatabaseFactory = {
  name: 'sqlite',
  enabled: () => true,
  async create() {
    const dir = mkdtempSync(join(tmpdir(), 'meridian-reg-'));
    const location = { db: 'sqlite:gen3.sqlite3' };
    const db = await openRegistryDatabase(location, dir, { create: true });
    return {
      db,
      reopen: (options) => openRegistryDatabase(location, dir, options),
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
  },
};

export const postgresFactory: DatabaseFactory = {
  name: 'postgresql',
  enabled: postgresEnabled,
  async create() {
    const namespace = uniqueName('t');
    const location = { db: requirePostgresUrl(), namespace };
    const db = await openRegistryDatabase(location, '/', { create: true });
    return {
      db,
      reopen: (options) => openRegistryDatabase(location, '/', options),
      cleanup: () => dropSchema(namespace),
    };
  },
};

export const T = (iso: string) => Timespan.fromIso(iso, null).begin!;

/**
 * Base data modelled on daf_butler's registry test data (base.yaml): instrument Cam1 with three physical filters
 * and four detectors, a few exposures/visits with regions and timespans, and a skymap with two tracts.
 */
export async function loadBase(registry: Registry): Promise<void> {
  await registry.insertDimensionData('instrument', [
    { name: 'Cam1', visit_max: 1024, exposure_max: 1024, detector_max: 4, class_name: 'test.Cam1' },
  ]);
  await registry.insertDimensionData('physical_filter', [
    { instrument: 'Cam1', name: 'Cam1-G', band: 'g' },
    { instrument: 'Cam1', name: 'Cam1-R1', band: 'r' },
    { instrument: 'Cam1', name: 'Cam1-R2', band: 'r' },
  ]);
  await registry.insertDimensionData(
    'detector',
    [1, 2, 3, 4].map((id) => ({
      instrument: 'Cam1',
      id,
      full_name: ['Aa', 'Ab', 'Ba', 'Bb'][id - 1],
      raft: id <= 2 ? 'A' : 'B',
      name_in_raft: ['a', 'b'][(id - 1) % 2],
      purpose: id === 4 ? 'WAVEFRONT' : 'SCIENCE',
    })),
  );
  await registry.insertDimensionData('day_obs', [
    {
      instrument: 'Cam1',
      id: 20210909,
      timespan: Timespan.fromIso('2021-09-09T12:00:00', '2021-09-10T12:00:00'),
    },
  ]);
  await registry.insertDimensionData('group', [
    { instrument: 'Cam1', name: 'g1' },
    { instrument: 'Cam1', name: 'g2' },
  ]);
  const exposures = [
    {
      id: 100,
      obs_id: 'ex100',
      physical_filter: 'Cam1-G',
      t: ['2021-09-09T20:00:00', '2021-09-09T20:00:30'],
      g: 'g1',
    },
    {
      id: 101,
      obs_id: 'ex101',
      physical_filter: 'Cam1-G',
      t: ['2021-09-09T20:01:00', '2021-09-09T20:01:30'],
      g: 'g1',
    },
    {
      id: 110,
      obs_id: 'ex110',
      physical_filter: 'Cam1-R1',
      t: ['2021-09-09T21:00:00', '2021-09-09T21:00:30'],
      g: 'g2',
    },
    {
      id: 111,
      obs_id: 'ex111',
      physical_filter: 'Cam1-R1',
      t: ['2021-09-09T21:01:00', '2021-09-09T21:01:30'],
      g: 'g2',
    },
  ];
  await registry.insertDimensionData(
    'exposure',
    exposures.map((e) => ({
      instrument: 'Cam1',
      id: e.id,
      obs_id: e.obs_id,
      physical_filter: e.physical_filter,
      group: e.g,
      day_obs: 20210909,
      exposure_time: 30,
      observation_type: 'science',
      timespan: Timespan.fromIso(e.t[0]!, e.t[1]!, 'utc'),
    })),
  );
  // Visits 1 (g) and 2 (r) as small boxes near (10, 0) and (12, 0); visit_detector_region splits them in 4.
  const visits = [
    { id: 1, name: 'one', physical_filter: 'Cam1-G', ra: 10, exposures: [100, 101] },
    { id: 2, name: 'two', physical_filter: 'Cam1-R1', ra: 12, exposures: [110, 111] },
  ];
  await registry.insertDimensionData(
    'visit',
    visits.map((v) => ({
      instrument: 'Cam1',
      id: v.id,
      name: v.name,
      physical_filter: v.physical_filter,
      day_obs: 20210909,
      exposure_time: 60,
      region: Box.fromDegrees(v.ra - 0.5, -0.5, v.ra + 0.5, 0.5),
      timespan: Timespan.fromIso(
        v.id === 1 ? '2021-09-09T20:00:00' : '2021-09-09T21:00:00',
        v.id === 1 ? '2021-09-09T20:01:30' : '2021-09-09T21:01:30',
      ),
    })),
  );
  for (const v of visits) {
    await registry.insertDimensionData(
      'visit_definition',
      v.exposures.map((e) => ({ instrument: 'Cam1', exposure: e, visit: v.id })),
    );
    await registry.insertDimensionData(
      'visit_detector_region',
      [1, 2, 3, 4].map((d) => {
        const x0 = v.ra - 0.5 + ((d - 1) % 2) * 0.5;
        const y0 = -0.5 + Math.floor((d - 1) / 2) * 0.5;
        return {
          instrument: 'Cam1',
          visit: v.id,
          detector: d,
          region: ConvexPolygon.fromLonLat([
            [x0, y0],
            [x0 + 0.5, y0],
            [x0 + 0.5, y0 + 0.5],
            [x0, y0 + 0.5],
          ]),
        };
      }),
    );
  }
  await registry.insertDimensionData('skymap', [
    { name: 'SkyMap1', hash: 'a'.repeat(40), tract_max: 10, patch_nx_max: 2, patch_ny_max: 1 },
  ]);
  await registry.insertDimensionData('tract', [
    { skymap: 'SkyMap1', id: 0, region: Box.fromDegrees(9, -1, 11, 1) },
    { skymap: 'SkyMap1', id: 1, region: Box.fromDegrees(11, -1, 13, 1) },
  ]);
  await registry.insertDimensionData(
    'patch',
    [0, 1].flatMap((tract) =>
      [0, 1].map((p) => ({
        skymap: 'SkyMap1',
        tract,
        id: p,
        cell_x: p,
        cell_y: 0,
        region: Box.fromDegrees(9 + tract * 2 + p, -1, 10 + tract * 2 + p, 1),
      })),
    ),
  );
}

export function defaultUniverse(): DimensionUniverse {
  return DimensionUniverse.default();
}

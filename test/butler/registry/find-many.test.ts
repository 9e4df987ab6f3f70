import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Butler, Timespan } from '../../../src/butler/index.js';
import { postgresEnabled } from '../../support/postgres.js';
import { dropSchema, expectCode, makeRepo, tempDir } from '../api/helpers.js';

/** Registry.findDatasets (batch find-first) and DimensionRecordManager.fetchMany, on both registries. */
for (const backend of ['sqlite', 'postgresql'] as const) {
  if (backend === 'postgresql' && !postgresEnabled('batch lookups on PostgreSQL')) continue;
  describe(`batch lookups (${backend})`, () => {
    let dir: { path: string; cleanup(): void };
    let butler: Butler;
    beforeAll(async () => {
      dir = tempDir('meridian-findmany-');
      butler = await makeRepo(join(dir.path, 'repo'), backend);
      for (const d of [1, 2, 3])
        await butler.put({ v: d }, 'raw', { instrument: 'Cam1', exposure: 100, detector: d }, { run: 'a' });
      for (const d of [2, 4])
        await butler.put(
          { v: 10 + d },
          'raw',
          { instrument: 'Cam1', exposure: 100, detector: d },
          { run: 'b' },
        );
      const early = await butler.put(
        { v: 1 },
        'bias',
        { instrument: 'Cam1', detector: 1 },
        { run: 'calib/run1' },
      );
      const late = await butler.put(
        { v: 2 },
        'bias',
        { instrument: 'Cam1', detector: 1 },
        { run: 'calib/run2' },
      );
      await butler.registry.registerCollection('calib', 'CALIBRATION');
      await butler.registry.certify(
        'calib',
        [early],
        Timespan.fromIso('2021-01-01T00:00:00', '2021-09-09T20:30:00'),
      );
      await butler.registry.certify('calib', [late], Timespan.fromIso('2021-09-09T20:30:00', null));
    });
    afterAll(async () => {
      await dropSchema(butler);
      await butler.close();
      dir.cleanup();
    });

    it('finds first in collection order for many data IDs, null where none', async () => {
      const ids = [1, 2, 3, 4, 5].map((detector) => ({ instrument: 'Cam1', exposure: 100, detector }));
      const refs = await butler.registry.findDatasets('raw', ids, { collections: ['b', 'a'] });
      expect(refs.map((r) => r?.run ?? null)).toEqual(['a', 'b', 'a', 'b', null]);
      expect(refs[1]!.dataId.values.detector).toBe(2);
      const onlyA = await butler.registry.findDatasets('raw', ids, { collections: ['a'] });
      expect(onlyA.map((r) => r?.run ?? null)).toEqual(['a', 'a', 'a', null, null]);
      expect(await butler.registry.findDatasets('raw', [], { collections: ['a'] })).toEqual([]);
    });

    it('picks the certified calibration valid at each data ID time', async () => {
      const ids = [
        { instrument: 'Cam1', detector: 1 },
        { instrument: 'Cam1', detector: 1 },
        { instrument: 'Cam1', detector: 2 },
      ];
      const times = [
        Timespan.fromIso('2021-09-09T20:00:00', '2021-09-09T20:01:00'),
        Timespan.fromIso('2021-09-09T21:00:00', '2021-09-09T21:01:00'),
        Timespan.fromIso('2021-09-09T21:00:00', '2021-09-09T21:01:00'),
      ];
      const refs = await butler.registry.findDatasets('bias', ids, {
        collections: ['calib'],
        timespans: times,
      });
      expect(refs.map((r) => r?.run ?? null)).toEqual(['calib/run1', 'calib/run2', null]);
      await expectCode(
        butler.registry.findDatasets('bias', ids.slice(0, 1), { collections: ['calib'] }),
        'CALIBRATION_TIMESPAN_REQUIRED',
      );
    });

    it('fetches dimension records for many keys at once', async () => {
      const recs = await butler.registry.dimensions.fetchMany('detector', [
        ['Cam1', 1],
        ['Cam1', 3],
        ['Cam1', 99],
      ]);
      expect([...recs.keys()].sort()).toEqual(['Cam1\u00001', 'Cam1\u00003']);
      expect(recs.get('Cam1\u00003')!.full_name).toBe('Ba');
      const visits = await butler.registry.dimensions.fetchMany('visit_detector_region', [['Cam1', 1, 2]]);
      expect(visits.size).toBe(1);
    });
  });
}

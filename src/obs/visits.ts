/**
 * `defineVisits`: one visit per science exposure (visit id = exposure id), as obs_base's DefineVisitsTask with the
 * one-to-one grouping. Each detector's sky polygon is its imaging area's four corners through the raw's WCS; the
 * visit region is the convex hull of all its detectors' corners. Every record is synced: re-running is a no-op.
 */

import type { Butler, DatasetRef } from '../butler/index.js';
import { pixelToSky } from '../formats/index.js';
import { ConvexPolygon, UnitVector3 } from '../sphere/index.js';
import { rawRun } from './instrument.js';
import { INSTRUMENT_NAME, type RawTranslation, translateRawFile } from './translator.js';

export interface DefineVisitsOptions {
  readonly instrument?: string;
  /** Collections holding the raws, default `<instrument>/raw/all`. */
  readonly collections?: readonly string[];
  /** Optional query restricting the exposures, e.g. `exposure.day_obs = 20261122`. */
  readonly where?: string;
}

export interface DefineVisitsResult {
  readonly visits: readonly number[];
  /** Visits that did not exist before this call. */
  readonly created: number;
  readonly detectorRegions: number;
}

/** Corners of the imaging area (pixel edges, 0-based centres) on the sky. */
export function detectorCorners(t: Pick<RawTranslation, 'wcs' | 'dataSection'>): UnitVector3[] {
  const { x0, y0, width, height } = t.dataSection;
  const xs = [x0 - 0.5, x0 + width - 0.5];
  const ys = [y0 - 0.5, y0 + height - 0.5];
  return [
    [xs[0]!, ys[0]!],
    [xs[1]!, ys[0]!],
    [xs[1]!, ys[1]!],
    [xs[0]!, ys[1]!],
  ].map(([x, y]) => {
    const { ra, dec } = pixelToSky(t.wcs, x!, y!);
    return UnitVector3.fromLonLat(ra, dec);
  });
}

export async function defineVisits(
  butler: Butler,
  options: DefineVisitsOptions = {},
): Promise<DefineVisitsResult> {
  butler.assertWriteable('define visits');
  const instrument = options.instrument ?? INSTRUMENT_NAME;
  const collections = options.collections ?? [rawRun(instrument)];
  const refs = await butler.registry.queryDatasets('raw', {
    collections,
    where: options.where ?? null,
    dataId: { instrument },
  });
  const byExposure = new Map<number, DatasetRef[]>();
  for (const ref of refs) {
    const id = Number(ref.dataId.values.exposure);
    byExposure.set(id, [...(byExposure.get(id) ?? []), ref]);
  }
  const visits: number[] = [];
  let created = 0;
  let detectorRegions = 0;
  for (const [exposureId, group] of [...byExposure].sort((a, b) => a[0] - b[0])) {
    const coord = await butler.registry.expandDataId({ instrument, exposure: exposureId }, ['exposure']);
    const exposure = coord.records!.exposure!;
    if (exposure.observation_type !== 'science') continue;
    const detectors: { detector: number; region: ConvexPolygon }[] = [];
    const allCorners: UnitVector3[] = [];
    for (const ref of group) {
      const t = await translateRawFile(await butler.getURI(ref), instrument);
      const corners = detectorCorners(t);
      allCorners.push(...corners);
      detectors.push({ detector: t.dataId.detector, region: ConvexPolygon.fromVectors(corners) });
    }
    const visit = {
      instrument,
      id: exposureId,
      name: exposure.obs_id,
      physical_filter: exposure.physical_filter,
      day_obs: exposure.day_obs,
      seq_num: exposure.seq_num,
      exposure_time: exposure.exposure_time,
      zenith_angle: exposure.zenith_angle,
      region: ConvexPolygon.convexHull(allCorners),
      timespan: exposure.timespan,
    };
    await butler.registry.transaction(async () => {
      if (await butler.registry.syncDimensionData('visit', visit)) created++;
      await butler.registry.syncDimensionData('visit_definition', {
        instrument,
        exposure: exposureId,
        visit: exposureId,
      });
      for (const d of detectors) {
        await butler.registry.syncDimensionData('visit_detector_region', {
          instrument,
          visit: exposureId,
          detector: d.detector,
          region: d.region,
        });
        detectorRegions++;
      }
    });
    visits.push(exposureId);
  }
  return { visits, created, detectorRegions };
}

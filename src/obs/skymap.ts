/**
 * Registering a rings skymap (skymap_base's `butler register-skymap`): the skymap record, tract and patch records
 * with their outer sky regions, and the configuration itself as a `skyMap` dataset so that pipelines can rebuild
 * the same `RingsSkyMap`. Only tracts and patches overlapping `region` are registered when one is given: the DC2
 * skymap has ~19k tracts of up to 7 x 8 patches, and every record also gets its htm7 overlap rows.
 */

import type { Butler } from '../butler/index.js';
import {
  DC2_SKYMAP_CONFIG,
  DC2_SKYMAP_NAME,
  type Region,
  RingsSkyMap,
  type RingsSkyMapConfig,
} from '../sphere/index.js';

export { DC2_SKYMAP_CONFIG, DC2_SKYMAP_NAME };

export const SKYMAP_DATASET_TYPE = 'skyMap';
export const SKYMAP_RUN = 'skymaps';

/** The `skyMap` dataset: enough to rebuild the skymap with `new RingsSkyMap(name, config)`. */
export interface SkyMapDefinition {
  readonly kind: 'ringsSkyMap';
  readonly name: string;
  readonly config: RingsSkyMapConfig;
}

export interface RegisterSkymapOptions {
  /** Register only tracts and patches whose outer region may overlap this region. */
  readonly region?: Region;
  /** Without a region: also register every patch (about a million records for DC2; slow). */
  readonly allPatches?: boolean;
}

export interface RegisterSkymapResult {
  readonly name: string;
  readonly hash: string;
  readonly tracts: number;
  readonly patches: number;
}

/** Largest patch grid over all tracts (a property of the configuration; cached per hash, ~4 s for DC2). */
const patchMaxima = new Map<string, [number, number]>();
function maxPatchGrid(skyMap: RingsSkyMap): [number, number] {
  const hash = skyMap.hash();
  let max = patchMaxima.get(hash);
  if (max === undefined) {
    max = [0, 0];
    for (const t of skyMap.tracts()) {
      max = [Math.max(max[0], t.numPatches[0]), Math.max(max[1], t.numPatches[1])];
    }
    patchMaxima.set(hash, max);
  }
  return max;
}

export async function registerSkymap(
  butler: Butler,
  name: string,
  config: RingsSkyMapConfig,
  options: RegisterSkymapOptions = {},
): Promise<RegisterSkymapResult> {
  butler.assertWriteable('register a skymap');
  const skyMap = new RingsSkyMap(name, config);
  const [nx, ny] = maxPatchGrid(skyMap);
  const hash = skyMap.hash();
  await butler.registry.syncDimensionData('skymap', {
    name,
    hash,
    tract_max: skyMap.tractCount,
    patch_nx_max: nx,
    patch_ny_max: ny,
  });
  const selection =
    options.region !== undefined
      ? skyMap.findTractPatchList(options.region)
      : [...skyMap.tracts()].map((tract) => ({
          tract,
          patches: options.allPatches ? [...tract.patches()] : [],
        }));
  let patches = 0;
  await butler.registry.transaction(async () => {
    await butler.registry.insertDimensionData(
      'tract',
      selection.map(({ tract }) => ({ skymap: name, id: tract.id, region: tract.outerRegion })),
      { skipExisting: true },
    );
    for (const { tract, patches: list } of selection) {
      patches += list.length;
      if (list.length === 0) continue;
      await butler.registry.insertDimensionData(
        'patch',
        list.map((p) => ({
          skymap: name,
          tract: tract.id,
          id: p.index,
          cell_x: p.x,
          cell_y: p.y,
          region: p.outerRegion,
        })),
        { skipExisting: true },
      );
    }
  });
  await butler.registerDatasetType(SKYMAP_DATASET_TYPE, ['skymap'], 'SkyMap');
  await butler.registry.registerRun(SKYMAP_RUN);
  const existing = await butler.findDataset(
    SKYMAP_DATASET_TYPE,
    { skymap: name },
    { collections: [SKYMAP_RUN] },
  );
  if (existing === null) {
    const definition: SkyMapDefinition = { kind: 'ringsSkyMap', name, config: { ...config } };
    await butler.put(definition, SKYMAP_DATASET_TYPE, { skymap: name }, { run: SKYMAP_RUN });
  }
  return { name, hash, tracts: selection.length, patches };
}

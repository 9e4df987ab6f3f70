/**
 * IsolatedStarAssociationTask (label isolatedStarAssociation), one quantum per (instrument, skymap, tract): every
 * sourceTable_visit whose visit overlaps the tract (the graph builder's spatial join of visit and tract) is read,
 * point-like unflagged bright sources are selected and associated across visits (association.ts), stars whose
 * centre lies outside the tract's inner region are left to the neighbouring tract, and the isolated stars are
 * matched to the reference catalogue (if one is given) so that the global calibration can anchor to it.
 *
 * Outputs: `isolated_star_cat` (one row per star: isolated_star_id, ra, decl, nSource and per band the mean PSF
 * magnitude, the number of sources and the reference magnitude) and `isolated_star_sources` (one row per
 * associated source, ordered by star). `isolated_star_id = tract × 2³² + row` is unique across tracts.
 */
import { z } from 'zod';
import { meridianError } from '../../errors.js';
import { makeTable, type Table } from '../../formats/index.js';
import {
  type DeferredDatasetHandle,
  defineTask,
  Input,
  noWorkFound,
  Output,
  PrerequisiteInput,
} from '../../pipe/index.js';
import { RingsSkyMap, type RingsSkyMapConfig } from '../../sphere/index.js';
import { type AssociationStats, associateIsolatedStars } from './association.js';
import { SkyIndex } from './sky-index.js';
import {
  bigintColumn,
  type ColumnSpec,
  flagColumn,
  hasColumn,
  numberColumn,
  stringColumn,
  typedColumn,
} from './table-columns.js';
import { AB_MAG_OF_NJY } from './visit-summary.js';

export const ALL_BANDS = ['u', 'g', 'r', 'i', 'z', 'y'] as const;

export const IsolatedStarAssociationConfig = z.object({
  /** Fewest S/N (psfFlux / psfFluxErr) of a source to use. */
  snMin: z.number().positive().default(10),
  /** Largest extendedness of a point-like source. */
  maxExtendedness: z.number().default(0.5),
  /** Columns of which a set (true or non-zero) value rejects a source; absent columns are ignored with a warning. */
  badFlags: z
    .array(z.string())
    .default([
      'pixelFlags_edge',
      'pixelFlags_saturated',
      'pixelFlags_interpolated',
      'pixelFlags_cr',
      'centroid_flag',
      'psfFlux_flag',
      'deblend_nChild',
    ]),
  matchRadiusArcsec: z.number().positive().default(1),
  /** A star with another star's centre within this radius is not isolated. */
  isolationRadiusArcsec: z.number().positive().default(2),
  minSources: z.number().int().min(1).default(1),
  /** Keep only stars in the tract's inner region (needs the skyMap dataset). */
  restrictToTract: z.boolean().default(true),
  /** Match isolated stars to the reference catalogue (`<band>_refMag` columns). */
  doReferenceMatch: z.boolean().default(true),
  referenceMatchRadiusArcsec: z.number().positive().default(1),
  /** Bands that get per-band columns in isolated_star_cat (fixed so that every tract's table has one schema). */
  bands: z.array(z.string().regex(/^[a-z]+$/)).default([...ALL_BANDS]),
});
export type IsolatedStarAssociationConfig = z.output<typeof IsolatedStarAssociationConfig>;

export const ISOLATED_STAR_SOURCE_COLUMNS: readonly ColumnSpec[] = Object.freeze([
  ['sourceId', 'BIGINT'],
  ['isolated_star_id', 'BIGINT'],
  ['visit', 'BIGINT'],
  ['detector', 'INTEGER'],
  ['band', 'VARCHAR'],
  ['psfFlux', 'DOUBLE'],
  ['psfFluxErr', 'DOUBLE'],
  ['ra', 'DOUBLE'],
  ['decl', 'DOUBLE'],
  ['x', 'DOUBLE'],
  ['y', 'DOUBLE'],
] as const);

/** The source columns the association reads, concatenated over visits. */
export interface SelectedSources {
  readonly sourceId: bigint[];
  readonly ra: number[];
  readonly dec: number[];
  readonly visit: number[];
  readonly detector: number[];
  readonly band: (string | null)[];
  readonly psfFlux: number[];
  readonly psfFluxErr: number[];
  readonly x: number[];
  readonly y: number[];
}

/**
 * Append the sources of one sourceTable_visit that pass the selection; returns the flag columns it lacked (the
 * caller warns once).
 */
export function selectStarSources(
  table: Table,
  config: Pick<IsolatedStarAssociationConfig, 'snMin' | 'maxExtendedness' | 'badFlags'>,
  into: SelectedSources,
): string[] {
  const what = 'sourceTable_visit';
  const raName = hasColumn(table, 'ra') ? 'ra' : 'coord_ra';
  const decName = hasColumn(table, 'decl') ? 'decl' : 'coord_dec';
  const sourceId = bigintColumn(table, 'sourceId', what);
  const ra = numberColumn(table, raName, what);
  const dec = numberColumn(table, decName, what);
  const visit = numberColumn(table, 'visit', what);
  const detector = numberColumn(table, 'detector', what);
  const band = stringColumn(table, 'band', what);
  const flux = numberColumn(table, 'psfFlux', what);
  const fluxErr = numberColumn(table, 'psfFluxErr', what);
  const x = numberColumn(table, 'x', what);
  const y = numberColumn(table, 'y', what);
  const extendedness = hasColumn(table, 'extendedness') ? numberColumn(table, 'extendedness', what) : null;
  const missing: string[] = [];
  const flags: Uint8Array[] = [];
  for (const name of config.badFlags) {
    const f = flagColumn(table, name);
    if (f === null) missing.push(name);
    else flags.push(f);
  }
  for (let i = 0; i < table.length; i++) {
    if (!(flux[i]! / fluxErr[i]! >= config.snMin)) continue;
    // Unknown extendedness (NaN) is not evidence of a point source.
    if (extendedness !== null && !(extendedness[i]! < config.maxExtendedness)) continue;
    if (flags.some((f) => f[i] === 1)) continue;
    if (!Number.isFinite(ra[i]!) || !Number.isFinite(dec[i]!)) continue;
    into.sourceId.push(sourceId[i]!);
    into.ra.push(ra[i]!);
    into.dec.push(dec[i]!);
    into.visit.push(visit[i]!);
    into.detector.push(detector[i]!);
    into.band.push(band[i]!);
    into.psfFlux.push(flux[i]!);
    into.psfFluxErr.push(fluxErr[i]!);
    into.x.push(x[i]!);
    into.y.push(y[i]!);
  }
  return missing;
}

export interface IsolatedStarTables {
  readonly cat: Table;
  readonly sources: Table;
  readonly stats: AssociationStats & { readonly referenceMatched: number };
}

/** The reference catalogue's positions and per-band fluxes (nJy), concatenated over shards. */
export interface ReferenceStars {
  readonly ra: Float64Array;
  readonly dec: Float64Array;
  readonly flux: Readonly<Record<string, Float64Array>>;
}

export function referenceStarsFromShards(shards: readonly Table[], bands: readonly string[]): ReferenceStars {
  const parts = shards.filter((t) => t.length > 0);
  const concat = (get: (t: Table) => Float64Array) => {
    const out = new Float64Array(parts.reduce((s, t) => s + t.length, 0));
    let at = 0;
    for (const t of parts) {
      out.set(get(t), at);
      at += t.length;
    }
    return out;
  };
  const what = 'reference catalogue';
  const flux: Record<string, Float64Array> = {};
  for (const b of bands) {
    flux[b] = concat((t) =>
      hasColumn(t, `${b}_flux`)
        ? numberColumn(t, `${b}_flux`, what)
        : new Float64Array(t.length).fill(Number.NaN),
    );
  }
  return {
    ra: concat((t) => numberColumn(t, 'coord_ra', what)),
    dec: concat((t) => numberColumn(t, 'coord_dec', what)),
    flux,
  };
}

/** Association and both output tables from the selected sources (pure: the task only reads and writes). */
export function buildIsolatedStarTables(
  tract: number,
  sources: SelectedSources,
  config: IsolatedStarAssociationConfig,
  options: { inRegion?: (ra: number, dec: number) => boolean; reference?: ReferenceStars | null } = {},
): IsolatedStarTables {
  const snr = sources.psfFlux.map((f, i) => f / sources.psfFluxErr[i]!);
  const association = associateIsolatedStars(
    { ra: sources.ra, dec: sources.dec, visit: sources.visit, detector: sources.detector, snr },
    config,
    options.inRegion,
  );
  const nStars = association.starRa.length;
  const starId = (s: number) => (BigInt(tract) << 32n) + BigInt(s);

  // Per star and band: inverse-variance weighted mean flux, then its AB magnitude.
  const bandIndex = new Map(config.bands.map((b, k) => [b, k]));
  const nb = config.bands.length;
  const sumW = new Float64Array(nStars * nb);
  const sumWF = new Float64Array(nStars * nb);
  const count = new Int32Array(nStars * nb);
  const members: number[][] = Array.from({ length: nStars }, () => []);
  for (let i = 0; i < association.starOfSource.length; i++) {
    const s = association.starOfSource[i]!;
    if (s < 0) continue;
    members[s]!.push(i);
    const k = bandIndex.get(sources.band[i] ?? '');
    if (k === undefined) continue;
    const w = 1 / (sources.psfFluxErr[i]! * sources.psfFluxErr[i]!);
    sumW[s * nb + k]! += w;
    sumWF[s * nb + k]! += w * sources.psfFlux[i]!;
    count[s * nb + k]!++;
  }

  const refIndex =
    options.reference && options.reference.ra.length > 0
      ? new SkyIndex(options.reference.ra, options.reference.dec)
      : null;
  const refRow = new Int32Array(nStars).fill(-1);
  let referenceMatched = 0;
  if (refIndex !== null) {
    for (let s = 0; s < nStars; s++) {
      refRow[s] = refIndex.nearest(
        association.starRa[s]!,
        association.starDec[s]!,
        config.referenceMatchRadiusArcsec,
      );
      if (refRow[s]! >= 0) referenceMatched++;
    }
  }
  const magOf = (flux: number) => (flux > 0 ? AB_MAG_OF_NJY - 2.5 * Math.log10(flux) : Number.NaN);

  const cat: Record<string, ReturnType<typeof typedColumn>> = {
    isolated_star_id: BigInt64Array.from({ length: nStars }, (_, s) => starId(s)),
    ra: association.starRa,
    decl: association.starDec,
    nSource: association.nSource,
  };
  config.bands.forEach((b, k) => {
    cat[`${b}_psfMag`] = Float64Array.from({ length: nStars }, (_, s) =>
      count[s * nb + k]! > 0 ? magOf(sumWF[s * nb + k]! / sumW[s * nb + k]!) : Number.NaN,
    );
    cat[`${b}_nSource`] = Int32Array.from({ length: nStars }, (_, s) => count[s * nb + k]!);
    const refFlux = options.reference?.flux[b];
    cat[`${b}_refMag`] = Float64Array.from({ length: nStars }, (_, s) =>
      refRow[s]! >= 0 && refFlux !== undefined ? magOf(refFlux[refRow[s]!]!) : Number.NaN,
    );
  });

  const order = members.flat();
  const pick = <T>(values: readonly T[]) => order.map((i) => values[i]!);
  const sourceColumns: Record<string, readonly unknown[]> = {
    sourceId: pick(sources.sourceId),
    isolated_star_id: order.map((i) => starId(association.starOfSource[i]!)),
    visit: pick(sources.visit),
    detector: pick(sources.detector),
    band: pick(sources.band),
    psfFlux: pick(sources.psfFlux),
    psfFluxErr: pick(sources.psfFluxErr),
    ra: pick(sources.ra),
    decl: pick(sources.dec),
    x: pick(sources.x),
    y: pick(sources.y),
  };
  const sourceTable = makeTable(
    Object.fromEntries(
      ISOLATED_STAR_SOURCE_COLUMNS.map(([name, type]) => [name, typedColumn(type, sourceColumns[name]!)]),
    ),
  );
  return {
    cat: makeTable(cat),
    sources: sourceTable,
    stats: Object.freeze({ ...association.stats, referenceMatched }),
  };
}

const skyMapDefinition = z.object({
  kind: z.literal('ringsSkyMap'),
  name: z.string(),
  config: z.record(z.string(), z.unknown()),
});

function tractRegionTest(skyMapObject: unknown, tract: number): (ra: number, dec: number) => boolean {
  const parsed = skyMapDefinition.safeParse(skyMapObject);
  if (!parsed.success) {
    throw meridianError('INVALID_ARGUMENT', 'the skyMap dataset is not a rings skymap definition', {
      issue: parsed.error.issues[0]?.message,
    });
  }
  const skyMap = new RingsSkyMap(parsed.data.name, parsed.data.config as unknown as RingsSkyMapConfig);
  return (ra, dec) => skyMap.findTract(ra, dec).id === tract;
}

export function emptySelection(): SelectedSources {
  return {
    sourceId: [],
    ra: [],
    dec: [],
    visit: [],
    detector: [],
    band: [],
    psfFlux: [],
    psfFluxErr: [],
    x: [],
    y: [],
  };
}

export const IsolatedStarAssociationTask = defineTask({
  name: 'meridian.tasks.visit.IsolatedStarAssociationTask',
  doc: 'Associates bright point sources across the visits overlapping a tract into isolated stars.',
  config: IsolatedStarAssociationConfig,
  templates: { refcatName: 'the_monster_refcat' },
  dimensions: ['instrument', 'skymap', 'tract'],
  connections: (c) => ({
    sourceTables: Input({
      name: 'sourceTable_visit',
      storageClass: 'DataFrame',
      dimensions: ['instrument', 'visit'],
      multiple: true,
      deferLoad: true,
    }),
    ...(c.restrictToTract
      ? {
          skyMap: PrerequisiteInput({ name: 'skyMap', storageClass: 'SkyMap', dimensions: ['skymap'] }),
        }
      : {}),
    ...(c.doReferenceMatch
      ? {
          refcat: PrerequisiteInput({
            name: '{refcatName}',
            storageClass: 'ArrowTable',
            dimensions: ['htm7'],
            multiple: true,
            minimum: 0,
            deferLoad: true,
          }),
        }
      : {}),
    isolatedStarCat: Output({
      name: 'isolated_star_cat',
      storageClass: 'DataFrame',
      dimensions: ['instrument', 'skymap', 'tract'],
    }),
    isolatedStarSources: Output({
      name: 'isolated_star_sources',
      storageClass: 'DataFrame',
      dimensions: ['instrument', 'skymap', 'tract'],
    }),
  }),
  async runQuantum(ctx) {
    const inputs = await ctx.getInputs();
    const tract = Number(ctx.dataId.values.tract);
    const handles = inputs.sourceTables as DeferredDatasetHandle<Table>[];
    const selected = emptySelection();
    const missingFlags = new Set<string>();
    for (const handle of handles) {
      for (const name of selectStarSources(await handle.get(), ctx.config, selected)) missingFlags.add(name);
    }
    if (missingFlags.size > 0) {
      ctx.log.warn(`sourceTable_visit lacks the flag columns ${[...missingFlags].join(', ')}: not applied`);
    }
    if (selected.ra.length === 0) throw noWorkFound(`no star candidates in tract ${tract}`);
    const inRegion = ctx.config.restrictToTract ? tractRegionTest(inputs.skyMap, tract) : undefined;
    const refHandles = (inputs.refcat ?? []) as DeferredDatasetHandle<Table>[];
    const reference =
      refHandles.length > 0
        ? referenceStarsFromShards(await Promise.all(refHandles.map((h) => h.get())), ctx.config.bands)
        : null;
    const result = buildIsolatedStarTables(tract, selected, ctx.config, { inRegion, reference });
    const s = result.stats;
    ctx.log.info(
      `tract ${tract}: ${s.candidates} candidates from ${handles.length} visits, ${s.groups} groups, ${s.isolatedStars} isolated stars (${s.notIsolated} not isolated, ${s.outsideRegion} outside the tract, ${s.duplicatesDropped} duplicates), ${s.referenceMatched} matched to the reference catalogue`,
    );
    for (const [k, v] of Object.entries(s)) ctx.addMetadata(k, v);
    await ctx.putOutputs({ isolatedStarCat: result.cat, isolatedStarSources: result.sources });
  },
});

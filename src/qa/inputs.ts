/**
 * Reading the QA's inputs: the pipeline outputs from a butler (sourceTable_visit, else sourceTable; visitSummary,
 * globalPhotoCalib and isolated_star_sources when present) and the simulator's truth from its survey directory.
 * Only the columns the metrics use are read from each Parquet file.
 */

import { join } from 'node:path';
import type { Butler, DatasetRef } from '../butler/index.js';
import { isMeridianError, meridianError } from '../errors.js';
import { readParquetTable, type Table } from '../formats/index.js';
import {
  MOMENT_SIGMA_PER_FWHM,
  readSurveyTruth,
  type SurveyManifest,
  trueWcsFromJson,
} from '../sim/index.js';
import {
  type CcdVisitTruth,
  concatSources,
  type DetectorCalibration,
  detectorCalibrationsFromTable,
  type MeasuredSources,
  measuredSourcesFromTable,
  numbers,
  type StarAssociation,
  starAssociationFromTable,
  strings,
  type TruthObjects,
  truthObjectsFromTable,
} from './catalogs.js';

/** Source columns read (those present; the required ones are checked by measuredSourcesFromTable). */
const SOURCE_COLUMNS = [
  'sourceId',
  'coord_ra',
  'coord_dec',
  'ccdVisitId',
  'visit',
  'detector',
  'band',
  'psfFlux',
  'psfFluxErr',
  'extendedness',
  'detect_isPrimary',
  'pixelFlags_edge',
  'pixelFlags_saturated',
];

export interface PipelineOutputs {
  readonly sources: MeasuredSources;
  readonly sourceDatasetType: string;
  readonly visitSummary: readonly DetectorCalibration[] | null;
  readonly globalPhotoCalib: readonly DetectorCalibration[] | null;
  readonly association: StarAssociation | null;
  /** Datasets read per type. */
  readonly counts: Readonly<Record<string, number>>;
}

export interface ReadOutputsOptions {
  readonly collections: readonly string[];
  readonly where?: string | null;
  readonly onProgress?: (update: { phase: string; done: number; total: number; unit: string }) => void;
}

async function refsOf(
  butler: Butler,
  datasetType: string,
  collections: readonly string[],
  where: string | null,
): Promise<DatasetRef[]> {
  try {
    return await butler.queryDatasets(datasetType, { collections, where, findFirst: true });
  } catch (err) {
    // A repository that never ran the step has no such dataset type: the same as no datasets.
    if (isMeridianError(err, 'DATASET_TYPE_UNKNOWN')) return [];
    throw err;
  }
}

/** A table dataset, only the wanted columns that it has. */
async function readColumns(
  butler: Butler,
  ref: DatasetRef,
  wanted: readonly string[] | null,
): Promise<Table> {
  if (wanted === null) return (await butler.get(ref)) as Table;
  const present = new Set(
    (await butler.get(`${ref.datasetType.name}.columns`, ref.dataId.values, {
      collections: [ref.run],
    })) as string[],
  );
  return (await butler.get(
    ref,
    {},
    { parameters: { columns: wanted.filter((c) => present.has(c)) } },
  )) as Table;
}

export async function readPipelineOutputs(
  butler: Butler,
  options: ReadOutputsOptions,
): Promise<PipelineOutputs> {
  const where = options.where ?? null;
  const counts: Record<string, number> = {};
  let sourceDatasetType = 'sourceTable_visit';
  let sourceRefs = await refsOf(butler, sourceDatasetType, options.collections, where);
  if (sourceRefs.length === 0) {
    sourceDatasetType = 'sourceTable';
    sourceRefs = await refsOf(butler, sourceDatasetType, options.collections, where);
  }
  if (sourceRefs.length === 0) {
    throw meridianError(
      'QA_INPUT_MISSING',
      `no sourceTable_visit (nor sourceTable) datasets in collections ${options.collections.join(', ')}` +
        (where === null ? '' : ` matching "${where}"`) +
        ': run the single-frame steps (step1, consolidateSourceTable) into them first',
      { datasetType: 'sourceTable_visit', collections: [...options.collections] },
    );
  }
  const parts: MeasuredSources[] = [];
  for (const [k, ref] of sourceRefs.entries()) {
    parts.push(measuredSourcesFromTable(await readColumns(butler, ref, SOURCE_COLUMNS), sourceDatasetType));
    options.onProgress?.({
      phase: sourceDatasetType,
      done: k + 1,
      total: sourceRefs.length,
      unit: 'datasets',
    });
  }
  counts[sourceDatasetType] = sourceRefs.length;

  const optionalTables = async (datasetType: string, useWhere: boolean): Promise<Table[] | null> => {
    const refs = await refsOf(butler, datasetType, options.collections, useWhere ? where : null);
    if (refs.length === 0) return null;
    counts[datasetType] = refs.length;
    const tables: Table[] = [];
    for (const ref of refs) tables.push((await butler.get(ref)) as Table);
    return tables;
  };
  const visitSummary = await optionalTables('visitSummary', true);
  // globalPhotoCalib and the association are per instrument / tract: a visit constraint does not apply to them.
  const globalPhotoCalib = await optionalTables('globalPhotoCalib', false);
  const isolated = await optionalTables('isolated_star_sources', false);
  const association: StarAssociation | null =
    isolated === null
      ? null
      : isolated.map(starAssociationFromTable).reduce((a, b) => ({
          sourceId: [...a.sourceId, ...b.sourceId],
          starId: [...a.starId, ...b.starId],
        }));
  return {
    sources: concatSources(parts),
    sourceDatasetType,
    visitSummary: visitSummary?.flatMap((t) => detectorCalibrationsFromTable(t, 'visitSummary')) ?? null,
    globalPhotoCalib:
      globalPhotoCalib?.flatMap((t) => detectorCalibrationsFromTable(t, 'globalPhotoCalib')) ?? null,
    association,
    counts,
  };
}

export interface SurveyTruth {
  readonly manifest: SurveyManifest;
  readonly objects: TruthObjects;
  readonly ccds: readonly CcdVisitTruth[];
}

/** The truth of the simulated survey in `truthDir`, keeping the exposures in `visits` (all when null). */
export async function readTruth(truthDir: string, visits: ReadonlySet<number> | null): Promise<SurveyTruth> {
  let manifest: SurveyManifest;
  try {
    manifest = await readSurveyTruth(truthDir);
  } catch (err) {
    throw meridianError(
      'INVALID_ARGUMENT',
      `--truth ${truthDir} is not a simulated survey with its truth (written by \`meridian sim survey\`): ` +
        (err instanceof Error ? err.message : String(err)),
      { truthDir },
      err,
    );
  }
  const objects = truthObjectsFromTable(await readParquetTable(join(truthDir, manifest.truth.summary)));
  const table = await readParquetTable(join(truthDir, manifest.truth.ccdVisits), {
    columns: ['exposure', 'detector', 'band', 'zero_point_mag', 'psf_fwhm_arcsec', 'wcs_json'],
  });
  const what = 'ccd_visit_truth.parquet';
  const exposure = numbers(table, ['exposure'], what);
  const detector = numbers(table, ['detector'], what);
  const band = strings(table, ['band'], what);
  const zeroPoint = numbers(table, ['zero_point_mag'], what);
  const fwhm = numbers(table, ['psf_fwhm_arcsec'], what);
  const wcsJson = strings(table, ['wcs_json'], what);
  const { instrument } = manifest;
  const size = new Map(instrument.detectors.map((d) => [d.id, { width: d.width, height: d.height }]));
  const ccds: CcdVisitTruth[] = [];
  for (let i = 0; i < table.length; i++) {
    if (visits !== null && !visits.has(exposure[i]!)) continue;
    const dims = size.get(detector[i]!);
    if (dims === undefined) continue;
    ccds.push(
      Object.freeze({
        visit: exposure[i]!,
        detector: detector[i]!,
        band: band[i]!,
        zeroPointMag: zeroPoint[i]!,
        psfFwhmArcsec: fwhm[i]!,
        psfSigmaPixels: (MOMENT_SIGMA_PER_FWHM * fwhm[i]!) / instrument.pixelScaleArcsec,
        wcs: trueWcsFromJson(wcsJson[i]!),
        width: dims.width,
        height: dims.height,
      }),
    );
  }
  return { manifest, objects, ccds };
}

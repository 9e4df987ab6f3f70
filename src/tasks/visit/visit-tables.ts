/**
 * MakeCcdVisitTableTask and MakeVisitTableTask (labels makeCcdVisitTable, makeVisitTable): the DP0.2 CcdVisit and
 * Visit tables of an instrument, gathered from every visitSummary. Their columns are exactly the catalog schema's
 * (`config/catalog/dp02.yaml`, mirrored by the simulator's `OUTPUT_COLUMNS`; a test checks the three agree), so
 * the tables load into the catalog database as they are.
 */
import { z } from 'zod';
import { makeTable, type Table } from '../../formats/index.js';
import { defineTask, Input, noWorkFound, Output } from '../../pipe/index.js';
import { UnitVector3 } from '../../sphere/index.js';
import { type ColumnSpec, numberColumn, rowsOf, tableFromRows } from './table-columns.js';

/** DP0.2 CcdVisit columns, in schema order. */
export const CCD_VISIT_COLUMNS: readonly ColumnSpec[] = Object.freeze([
  ['ccdVisitId', 'BIGINT'],
  ['visitId', 'BIGINT'],
  ['detector', 'INTEGER'],
  ['band', 'VARCHAR'],
  ['physical_filter', 'VARCHAR'],
  ['ra', 'DOUBLE'],
  ['decl', 'DOUBLE'],
  ['expMidptMJD', 'DOUBLE'],
  ['obsStartMJD', 'DOUBLE'],
  ['expTime', 'DOUBLE'],
  ['seeing', 'DOUBLE'],
  ['zeroPoint', 'DOUBLE'],
  ['psfSigma', 'DOUBLE'],
  ['skyBg', 'DOUBLE'],
  ['skyNoise', 'DOUBLE'],
  ['llcra', 'DOUBLE'],
  ['llcdec', 'DOUBLE'],
  ['ulcra', 'DOUBLE'],
  ['ulcdec', 'DOUBLE'],
  ['urcra', 'DOUBLE'],
  ['urcdec', 'DOUBLE'],
  ['lrcra', 'DOUBLE'],
  ['lrcdec', 'DOUBLE'],
] as const);

/** DP0.2 Visit columns, in schema order. */
export const VISIT_COLUMNS: readonly ColumnSpec[] = Object.freeze([
  ['visit', 'BIGINT'],
  ['band', 'VARCHAR'],
  ['physical_filter', 'VARCHAR'],
  ['ra', 'DOUBLE'],
  ['decl', 'DOUBLE'],
  ['skyRotation', 'DOUBLE'],
  ['airmass', 'DOUBLE'],
  ['zenithDistance', 'DOUBLE'],
  ['expTime', 'DOUBLE'],
  ['expMidptMJD', 'DOUBLE'],
  ['obsStartMJD', 'DOUBLE'],
] as const);

const sortedRows = (summaries: readonly Table[]) =>
  summaries
    .flatMap(rowsOf)
    .sort((a, b) => Number(a.visit) - Number(b.visit) || Number(a.detector) - Number(b.detector));

/** The CcdVisit table from visitSummary tables (one row per visit × detector, ordered by ccdVisitId). */
export function makeCcdVisitTable(summaries: readonly Table[]): Table {
  const rows = sortedRows(summaries).map((r) => ({ ...r, visitId: r.visit }));
  return makeTable(tableFromRows(CCD_VISIT_COLUMNS, rows));
}

/** Mean of sky positions as the normalised mean of their unit vectors (safe across RA = 0 and near the poles). */
export function meanSkyPosition(ra: ArrayLike<number>, dec: ArrayLike<number>): { ra: number; dec: number } {
  let x = 0;
  let y = 0;
  let z = 0;
  for (let i = 0; i < ra.length; i++) {
    if (!Number.isFinite(ra[i]!) || !Number.isFinite(dec[i]!)) continue;
    const v = UnitVector3.fromLonLat(ra[i]!, dec[i]!);
    x += v.x;
    y += v.y;
    z += v.z;
  }
  const norm = Math.hypot(x, y, z);
  if (norm === 0) return { ra: Number.NaN, dec: Number.NaN };
  const raDeg = (Math.atan2(y, x) * 180) / Math.PI;
  return { ra: (raDeg + 360) % 360, dec: (Math.asin(z / norm) * 180) / Math.PI };
}

/**
 * The Visit table: one row per visit. The position is the telescope boresight when the calexps' VisitInfo has it,
 * else the mean of the detector centres; conditions and times come from the visit's first detector (they are the
 * same for all, being the visit's).
 */
export function makeVisitTable(summaries: readonly Table[]): Table {
  const rows = summaries
    .filter((t) => t.length > 0)
    .map((t) => {
      const first = rowsOf(t)[0]!;
      const boresight = { ra: Number(first.boresightRa), dec: Number(first.boresightDec) };
      const position =
        Number.isFinite(boresight.ra) && Number.isFinite(boresight.dec)
          ? boresight
          : meanSkyPosition(numberColumn(t, 'ra', 'visitSummary'), numberColumn(t, 'decl', 'visitSummary'));
      return {
        visit: first.visit,
        band: first.band,
        physical_filter: first.physical_filter,
        ra: position.ra,
        decl: position.dec,
        skyRotation: first.boresightRotAngle,
        airmass: first.airmass,
        zenithDistance: first.zenithDistance,
        expTime: first.expTime,
        expMidptMJD: first.expMidptMJD,
        obsStartMJD: first.obsStartMJD,
      };
    })
    .sort((a, b) => Number(a.visit) - Number(b.visit));
  return makeTable(tableFromRows(VISIT_COLUMNS, rows));
}

const summaryInput = Input({
  name: 'visitSummary',
  storageClass: 'DataFrame',
  dimensions: ['instrument', 'visit'],
  multiple: true,
});

export const MakeCcdVisitTableTask = defineTask({
  name: 'meridian.tasks.visit.MakeCcdVisitTableTask',
  doc: 'The DP0.2 CcdVisit table of an instrument from its visit summaries.',
  config: z.object({}).strict(),
  dimensions: ['instrument'],
  connections: {
    visitSummaries: summaryInput,
    ccdVisitTable: Output({ name: 'ccdVisitTable', storageClass: 'DataFrame', dimensions: ['instrument'] }),
  },
  async runQuantum(ctx) {
    const { visitSummaries } = await ctx.getInputs();
    const tables = visitSummaries as Table[];
    if (tables.length === 0) throw noWorkFound('no visit summaries');
    const table = makeCcdVisitTable(tables);
    ctx.log.info(`${table.length} detector-visits from ${tables.length} visits`);
    await ctx.putOutputs({ ccdVisitTable: table });
  },
});

export const MakeVisitTableTask = defineTask({
  name: 'meridian.tasks.visit.MakeVisitTableTask',
  doc: 'The DP0.2 Visit table of an instrument from its visit summaries.',
  config: z.object({}).strict(),
  dimensions: ['instrument'],
  connections: {
    visitSummaries: summaryInput,
    visitTable: Output({ name: 'visitTable', storageClass: 'DataFrame', dimensions: ['instrument'] }),
  },
  async runQuantum(ctx) {
    const { visitSummaries } = await ctx.getInputs();
    const tables = visitSummaries as Table[];
    if (tables.length === 0) throw noWorkFound('no visit summaries');
    await ctx.putOutputs({ visitTable: makeVisitTable(tables) });
  },
});

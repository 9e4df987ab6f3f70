/**
 * `runQa`: the whole QA in order. (1) read the pipeline outputs from the butler and the truth from the survey
 * directory (inputs.ts); (2) match sources to truth detector by detector (crossmatch.ts); (3) the metrics:
 * detection (completeness.ts), astrometry and AM1 (astrometry.ts), PA1 and calibration residuals (photometry.ts),
 * over the isolated-star groups of stars.ts; (4) the pass/fail checks against the issue's targets; (5) figures
 * (plots.ts) and documents (report.ts) in the output directory. `computeQaReport` is steps 2-4 on data in memory.
 */

import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { Butler } from '../butler/index.js';
import { meridianError } from '../errors.js';
import { am1Summary, astrometrySummary } from './astrometry.js';
import type {
  CcdVisitTruth,
  DetectorCalibration,
  MeasuredSources,
  StarAssociation,
  TruthObjects,
} from './catalogs.js';
import { completenessBins, depthSummaries, purityBins, starGalaxyBins } from './completeness.js';
import { crossMatch } from './crossmatch.js';
import { readPipelineOutputs, readTruth } from './inputs.js';
import { QA_REPORT_VERSION, type QaReport, type TargetCheck } from './model.js';
import { calibrationSummary, globalZeroPointShifts, pa1Summary } from './photometry.js';
import { writeReportPlots } from './plots.js';
import { writeReportDocuments } from './report.js';
import { starGroups } from './stars.js';

/** Tunable numbers of the QA, with the defaults documented in docs/qa.md. */
export const QaSettingsSchema = z
  .object({
    matchRadiusArcsec: z.number().positive().max(10).default(0.5),
    truthMagLimit: z.number().default(27),
    binWidth: z.number().positive().max(5).default(0.5),
    minPerBin: z.number().int().min(1).default(5),
    astrometrySnrMin: z.number().min(0).default(100),
    pa1SnrMin: z.number().min(0).default(200),
    am1SnrMin: z.number().min(0).default(50),
    am1SeparationArcmin: z.number().positive().default(5),
    am1ToleranceArcmin: z.number().positive().default(1),
    am1MinVisits: z.number().int().min(2).default(3),
    brightMagLimit: z.number().default(17),
    isolationArcsec: z.number().min(0).default(2),
    pa1Shuffles: z.number().int().min(1).max(1000).default(50),
    seed: z.number().int().default(1),
  })
  .strict();

export type QaSettingsInput = z.input<typeof QaSettingsSchema>;
export type QaSettings = z.output<typeof QaSettingsSchema>;

/** The issue's targets (docs/qa.md). */
export const QA_TARGETS = Object.freeze({ pa1Mmag: 5, am1Mas: 10, astrometryMedianMas: 10, psfSigmaPct: 1 });

export function resolveQaSettings(input: QaSettingsInput = {}): QaSettings {
  const parsed = QaSettingsSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw meridianError('INVALID_ARGUMENT', `QA setting ${issue.path.join('.') || '?'}: ${issue.message}`, {
      setting: issue.path.join('.'),
    });
  }
  return parsed.data;
}

/** Everything the metrics read, in memory. */
export interface QaInputs {
  readonly sources: MeasuredSources;
  readonly truth: TruthObjects;
  readonly ccds: readonly CcdVisitTruth[];
  readonly visitSummary: readonly DetectorCalibration[] | null;
  readonly globalPhotoCalib: readonly DetectorCalibration[] | null;
  readonly association: StarAssociation | null;
  readonly collections?: readonly string[];
  readonly where?: string | null;
  readonly datasets?: Readonly<Record<string, number>>;
}

function target(
  name: string,
  description: string,
  value: number | null,
  threshold: number,
  unit: string,
): TargetCheck {
  return { name, description, value, threshold, unit, pass: value === null ? null : value <= threshold };
}

/** Steps 2-4: match, metrics and target checks (no files). */
export function computeQaReport(
  inputs: QaInputs,
  settingsInput: QaSettingsInput = {},
): Omit<QaReport, 'plots'> {
  const settings = resolveQaSettings(settingsInput);
  const { sources, truth } = inputs;
  const notes: string[] = [];
  const visitsWithSources = new Set(sources.visit);
  const ccds = inputs.ccds.filter((c) => visitsWithSources.has(c.visit));
  const cross = crossMatch(sources, truth, ccds, settings);
  const untracked = new Set<number>();
  for (let i = 0; i < sources.length; i++) if (cross.sourceCcd[i]! < 0) untracked.add(sources.visit[i]!);
  if (untracked.size > 0) {
    notes.push(
      `${untracked.size} visit(s) have sources but no truth for their detectors (not the same survey?): ${[...untracked].slice(0, 5).join(', ')}`,
    );
  }
  const bands = [...new Set(ccds.map((c) => c.band))].sort();
  const detection = { binWidth: settings.binWidth, minPerBin: settings.minPerBin };
  const completeness = completenessBins(truth, cross, detection);
  const maglimByBand = new Map<string, number[]>();
  for (const row of inputs.visitSummary ?? []) {
    const band = row.band || ccds.find((c) => c.visit === row.visit)?.band || '';
    if (!maglimByBand.has(band)) maglimByBand.set(band, []);
    maglimByBand.get(band)!.push(row.maglim);
  }
  const selection = { isolationArcsec: settings.isolationArcsec, brightMagLimit: settings.brightMagLimit };
  const groups = starGroups(sources, truth, cross, inputs.association, selection);
  const am1 = am1Summary(
    sources,
    truth,
    groups,
    bands,
    {
      separationArcmin: settings.am1SeparationArcmin,
      toleranceArcmin: settings.am1ToleranceArcmin,
      minVisits: settings.am1MinVisits,
      snrMin: settings.am1SnrMin,
    },
    selection,
  );
  const shifts =
    inputs.globalPhotoCalib !== null && inputs.visitSummary !== null
      ? globalZeroPointShifts(inputs.visitSummary, inputs.globalPhotoCalib)
      : null;
  if (inputs.globalPhotoCalib !== null && inputs.visitSummary === null) {
    notes.push(
      'globalPhotoCalib is present but visitSummary is not: PA1 with the global calibration needs both',
    );
  }
  const pa1 = pa1Summary(
    sources,
    truth,
    groups,
    bands,
    inputs.association === null ? 'truth' : 'isolated_star_sources',
    shifts,
    { snrMin: settings.pa1SnrMin, shuffles: settings.pa1Shuffles, seed: settings.seed },
    selection,
  );
  const calibration =
    inputs.visitSummary === null
      ? null
      : calibrationSummary(ccds, inputs.visitSummary, inputs.globalPhotoCalib);
  if (calibration === null) notes.push('no visitSummary: zero-point and PSF-size residuals are not measured');
  const astrometry = astrometrySummary(sources, truth, cross, {
    snrMin: settings.astrometrySnrMin,
    binWidth: settings.binWidth,
  });
  const am1All = am1.perBand.find((b) => b.band === 'all')!;
  if (am1All.am1Mas === null) {
    notes.push(
      `AM1 not measured: no pair of qualifying stars ${settings.am1SeparationArcmin}' +- ${settings.am1ToleranceArcmin}' apart ` +
        `measured in ${settings.am1MinVisits}+ visits (a field smaller than the separation has none)`,
    );
  }
  const pa1Values = pa1.perBand
    .map((b) => b.pa1GlobalMmag ?? b.pa1Mmag)
    .filter((v): v is number => v !== null);
  const usesGlobal = pa1.perBand.some((b) => b.pa1GlobalMmag !== null);
  const targets = [
    target(
      'PA1',
      `worst band, ${usesGlobal ? 'with the global calibration' : 'per-detector calibration'}`,
      pa1Values.length > 0 ? Math.max(...pa1Values) : null,
      QA_TARGETS.pa1Mmag,
      'mmag',
    ),
    target('AM1', 'all bands, 5′ pairs', am1All.am1Mas, QA_TARGETS.am1Mas, 'mas'),
    target(
      'astrometry',
      `median separation of stars from truth (S/N ≥ ${settings.astrometrySnrMin})`,
      astrometry.medianMas,
      QA_TARGETS.astrometryMedianMas,
      'mas',
    ),
    target(
      'PSF size',
      'median |model − true| / true PSF sigma at detector centres',
      calibration?.psfSigmaMedianAbsPct ?? null,
      QA_TARGETS.psfSigmaPct,
      '%',
    ),
  ];
  let usable = 0;
  let matched = 0;
  for (let i = 0; i < sources.length; i++) {
    if (sources.usable[i] === 1) usable++;
    if (cross.sourceTruth[i]! >= 0) matched++;
  }
  return {
    kind: 'meridian-qa-report',
    version: QA_REPORT_VERSION,
    inputs: {
      collections: inputs.collections ?? [],
      where: inputs.where ?? null,
      datasets: inputs.datasets ?? {},
      visits: visitsWithSources.size,
      ccdVisits: new Set(cross.sourceCcd).size - (cross.sourceCcd.includes(-1) ? 1 : 0),
      sources: sources.length,
      usableSources: usable,
      matchedSources: matched,
      truthObjects: truth.length,
    },
    options: { ...settings },
    targets,
    completeness,
    purity: purityBins(sources, cross, detection),
    starGalaxy: starGalaxyBins(sources, truth, cross, detection),
    depth: depthSummaries(sources, cross, completeness, maglimByBand, detection),
    astrometry,
    am1,
    pa1,
    calibration,
    notes,
  };
}

export interface RunQaOptions {
  readonly butler: Butler;
  readonly collections: readonly string[];
  /** The simulated survey's directory (manifest.json, truth/). */
  readonly truthDir: string;
  readonly outDir: string;
  /** A butler `where` expression restricting the visits (applied to the per-visit datasets). */
  readonly where?: string | null;
  readonly settings?: QaSettingsInput;
  readonly onProgress?: (update: { phase: string; done: number; total?: number; unit?: string }) => void;
}

/** Run the QA: read, match, measure, and write qa.json, qa.md, qa.html and plots/ into `outDir`. */
export async function runQa(options: RunQaOptions): Promise<QaReport> {
  const settings = resolveQaSettings(options.settings);
  if (options.collections.length === 0) {
    throw meridianError('INVALID_ARGUMENT', 'the QA needs the collections holding the pipeline outputs', {});
  }
  const outputs = await readPipelineOutputs(options.butler, {
    collections: options.collections,
    where: options.where,
    onProgress: options.onProgress,
  });
  options.onProgress?.({ phase: 'truth', done: 0 });
  const truth = await readTruth(options.truthDir, new Set(outputs.sources.visit));
  options.onProgress?.({ phase: 'metrics', done: 0 });
  const report = computeQaReport(
    {
      sources: outputs.sources,
      truth: truth.objects,
      ccds: truth.ccds,
      visitSummary: outputs.visitSummary,
      globalPhotoCalib: outputs.globalPhotoCalib,
      association: outputs.association,
      collections: options.collections,
      where: options.where ?? null,
      datasets: outputs.counts,
    },
    settings,
  );
  await mkdir(join(options.outDir, 'plots'), { recursive: true });
  options.onProgress?.({ phase: 'plots', done: 0 });
  const plots = await writeReportPlots(options.outDir, report);
  const full: QaReport = { ...report, plots };
  await writeReportDocuments(full, options.outDir);
  return full;
}

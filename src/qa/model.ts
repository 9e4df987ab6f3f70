/**
 * The QA report as plain, JSON-able data (`qa.json` is this object). Every number is rounded for the report and
 * is null when it could not be measured (too few objects, an input dataset absent); `notes` say why.
 */

export const QA_REPORT_VERSION = 1;

/** `all` pools every band (or every class). */
export type BandKey = string;
export type ObjectClass = 'star' | 'galaxy' | 'all';

export interface CompletenessBin {
  readonly band: BandKey;
  readonly objectClass: ObjectClass;
  /** Bin centre, true AB magnitude. */
  readonly mag: number;
  readonly nTrue: number;
  readonly nMatched: number;
  readonly completeness: number | null;
}

export interface PurityBin {
  readonly band: BandKey;
  /** Bin centre, measured PSF AB magnitude. */
  readonly mag: number;
  readonly nSources: number;
  readonly nMatched: number;
  readonly purity: number | null;
}

/** Star/galaxy separation by `extendedness < 0.5` against the truth type, per true magnitude bin. */
export interface StarGalaxyBin {
  readonly mag: number;
  readonly nTrueStars: number;
  readonly nTrueGalaxies: number;
  /** Fraction of true stars classified as stars. */
  readonly starCompleteness: number | null;
  /** Fraction of objects classified as stars that are galaxies. */
  readonly starContamination: number | null;
}

export interface DepthSummary {
  readonly band: BandKey;
  /** Where completeness (all classes) first drops below 50%, interpolated. */
  readonly completeness50Mag: number | null;
  /** Where the median S/N of PSF fluxes falls to 5, interpolated (measured magnitudes). */
  readonly snr5Mag: number | null;
  /** Completeness at `snr5Mag`. */
  readonly completenessAtSnr5: number | null;
  /** Median of visitSummary `maglim` over the band's detectors, when present. */
  readonly visitSummaryMaglim: number | null;
}

export interface AstrometryDetector {
  readonly detector: number;
  readonly nStars: number;
  readonly medianMas: number | null;
  readonly p68Mas: number | null;
}

export interface AstrometrySummary {
  readonly nStars: number;
  readonly snrMin: number;
  readonly medianMas: number | null;
  readonly p68Mas: number | null;
  readonly perDetector: readonly AstrometryDetector[];
  readonly byMag: readonly {
    readonly mag: number;
    readonly nStars: number;
    readonly medianMas: number | null;
  }[];
}

export interface Am1Band {
  readonly band: BandKey;
  readonly nStars: number;
  readonly nPairs: number;
  /** Median over pairs of the rms (n - 1) of the pair's separation across visits, mas. */
  readonly am1Mas: number | null;
}

export interface Am1Summary {
  readonly separationArcmin: number;
  readonly toleranceArcmin: number;
  readonly minVisits: number;
  readonly snrMin: number;
  readonly perBand: readonly Am1Band[];
}

export interface Pa1Band {
  readonly band: BandKey;
  readonly nStars: number;
  /** rms of random repeat-pair magnitude differences / sqrt 2, mmag (SRD PA1). */
  readonly pa1Mmag: number | null;
  /** The same from the interquartile range (robust to outliers), mmag. */
  readonly pa1IqrMmag: number | null;
  /** With the global (ubercal) zero points instead of the per-detector ones; null without globalPhotoCalib. */
  readonly pa1GlobalMmag: number | null;
  readonly pa1GlobalIqrMmag: number | null;
}

export interface Pa1Summary {
  /** Which association grouped the repeat measurements. */
  readonly association: 'isolated_star_sources' | 'truth';
  readonly snrMin: number;
  readonly perBand: readonly Pa1Band[];
}

export interface VisitCalibration {
  readonly visit: number;
  readonly band: string;
  readonly nDetectors: number;
  /** Median over detectors of visitSummary zeroPoint - true zero point, mmag. */
  readonly zeroPointResidualMmag: number | null;
  /** The same as a flux error, percent (10^(0.4 dzp) - 1). */
  readonly zeroPointResidualPct: number | null;
  readonly globalZeroPointResidualMmag: number | null;
  /** Median over detectors of (psfSigma - true sigma) / true sigma, percent. */
  readonly psfSigmaResidualPct: number | null;
}

export interface CalibrationSummary {
  readonly perVisit: readonly VisitCalibration[];
  readonly zeroPointMedianMmag: number | null;
  /** rms over visits of the per-visit residual about its median, mmag. */
  readonly zeroPointScatterMmag: number | null;
  readonly globalZeroPointMedianMmag: number | null;
  readonly globalZeroPointScatterMmag: number | null;
  readonly psfSigmaMedianPct: number | null;
  /** Median over exposure x detector of |psfSigma - true| / true, percent (the target's measure). */
  readonly psfSigmaMedianAbsPct: number | null;
}

export interface TargetCheck {
  readonly name: string;
  readonly description: string;
  readonly value: number | null;
  readonly threshold: number;
  readonly unit: string;
  /** null: not measurable on these inputs (see notes). */
  readonly pass: boolean | null;
}

export interface QaPlot {
  readonly name: string;
  readonly title: string;
  /** Paths relative to the output directory. */
  readonly png: string;
  readonly svg: string;
}

export interface QaInputsSummary {
  readonly collections: readonly string[];
  readonly where: string | null;
  readonly datasets: Readonly<Record<string, number>>;
  readonly visits: number;
  readonly ccdVisits: number;
  readonly sources: number;
  readonly usableSources: number;
  readonly matchedSources: number;
  readonly truthObjects: number;
}

export interface QaReport {
  readonly kind: 'meridian-qa-report';
  readonly version: typeof QA_REPORT_VERSION;
  readonly inputs: QaInputsSummary;
  readonly options: Readonly<Record<string, number>>;
  readonly targets: readonly TargetCheck[];
  readonly completeness: readonly CompletenessBin[];
  readonly purity: readonly PurityBin[];
  readonly starGalaxy: readonly StarGalaxyBin[];
  readonly depth: readonly DepthSummary[];
  readonly astrometry: AstrometrySummary;
  readonly am1: Am1Summary;
  readonly pa1: Pa1Summary;
  readonly calibration: CalibrationSummary | null;
  readonly plots: readonly QaPlot[];
  readonly notes: readonly string[];
}

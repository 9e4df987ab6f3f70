/**
 * The report's figures: Vega-Lite specifications compiled to Vega, rendered headless to SVG (vega's `toSVG`, no
 * canvas), then rasterised to PNG by resvg at twice the size. Each figure names its axes with units and has a
 * legend when it has more than one series.
 */

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { QaPlot, QaReport } from './model.js';

const WIDTH = 420;
const HEIGHT = 260;

type Row = Record<string, string | number | null>;

export interface RenderedPlot {
  readonly svg: string;
  readonly png: Uint8Array;
}

/** Render a Vega-Lite spec to SVG and PNG (2x). */
export async function renderVegaLite(spec: TopLevelSpec): Promise<RenderedPlot> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    const png = new Resvg(svg, { fitTo: { mode: 'zoom', value: 2 }, background: 'white' }).render().asPng();
    return { svg, png };
  } finally {
    view.finalize();
  }
}

function lineChart(
  title: string,
  values: Row[],
  x: { field: string; title: string },
  y: { field: string; title: string; domain?: [number, number] },
  color: { field: string; title: string } | null,
  rule: { y: number; label: string } | null = null,
): TopLevelSpec {
  const layer: object[] = [
    {
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: x.field, type: 'quantitative', title: x.title, scale: { zero: false } },
        y: {
          field: y.field,
          type: 'quantitative',
          title: y.title,
          scale: y.domain === undefined ? { zero: false } : { domain: y.domain },
        },
        ...(color === null ? {} : { color: { field: color.field, type: 'nominal', title: color.title } }),
      },
    },
  ];
  return figure(title, values, layer, rule);
}

function barChart(
  title: string,
  values: Row[],
  x: { field: string; title: string },
  y: { field: string; title: string },
  color: { field: string; title: string },
  rule: { y: number; label: string } | null,
): TopLevelSpec {
  const layer: object[] = [
    {
      mark: 'bar',
      encoding: {
        x: { field: x.field, type: 'nominal', title: x.title, axis: { labelAngle: 0 } },
        xOffset: { field: color.field },
        y: { field: y.field, type: 'quantitative', title: y.title },
        color: { field: color.field, type: 'nominal', title: color.title },
      },
    },
  ];
  return figure(title, values, layer, rule);
}

/** The whole figure: the chart's layers over `values`, and the target as a dashed horizontal rule when given. */
function figure(
  title: string,
  values: Row[],
  layer: object[],
  rule: { y: number; label: string } | null,
): TopLevelSpec {
  const layers =
    rule === null
      ? layer
      : [
          ...layer,
          {
            data: { values: [{ y: rule.y, label: rule.label }] },
            mark: { type: 'rule', strokeDash: [4, 4], color: 'firebrick' },
            encoding: { y: { field: 'y', type: 'quantitative' } },
          },
        ];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: WIDTH,
    height: HEIGHT,
    background: 'white',
    data: { values },
    layer: layers,
  } as TopLevelSpec;
}

/** The figures for a report (those whose data exist), as named specs. */
export function reportPlotSpecs(report: Omit<QaReport, 'plots'>): { name: string; spec: TopLevelSpec }[] {
  const specs: { name: string; spec: TopLevelSpec }[] = [];
  const completeness = report.completeness
    .filter((b) => b.band === 'all' && b.completeness !== null)
    .map((b) => ({ mag: b.mag, completeness: b.completeness, class: b.objectClass }));
  if (completeness.length > 0) {
    specs.push({
      name: 'completeness',
      spec: lineChart(
        'Completeness vs true magnitude (all bands)',
        completeness,
        { field: 'mag', title: 'true magnitude (AB mag)' },
        { field: 'completeness', title: 'completeness (matched / true)', domain: [0, 1.05] },
        { field: 'class', title: 'truth class' },
      ),
    });
  }
  const purity = report.purity
    .filter((b) => b.purity !== null)
    .map((b) => ({ mag: b.mag, purity: b.purity, band: b.band }));
  if (purity.length > 0) {
    specs.push({
      name: 'purity',
      spec: lineChart(
        'Purity vs measured PSF magnitude',
        purity,
        { field: 'mag', title: 'measured PSF magnitude (AB mag)' },
        { field: 'purity', title: 'purity (matched / detected)', domain: [0, 1.05] },
        { field: 'band', title: 'band' },
      ),
    });
  }
  const astro = report.astrometry.byMag
    .filter((b) => b.medianMas !== null)
    .map((b) => ({ mag: b.mag, median: b.medianMas }));
  if (astro.length > 0) {
    specs.push({
      name: 'astrometry',
      spec: lineChart(
        `Astrometric residual of stars vs truth (S/N >= ${report.astrometry.snrMin})`,
        astro,
        { field: 'mag', title: 'true magnitude (AB mag)' },
        { field: 'median', title: 'median separation from truth (mas)' },
        null,
        { y: 10, label: 'target 10 mas' },
      ),
    });
  }
  const sg = report.starGalaxy.flatMap((b) => [
    { mag: b.mag, fraction: b.starCompleteness, measure: 'stars classified as stars' },
    { mag: b.mag, fraction: b.starContamination, measure: 'galaxies among star-classified' },
  ]);
  if (sg.some((r) => r.fraction !== null)) {
    specs.push({
      name: 'star-galaxy',
      spec: lineChart(
        'Star/galaxy separation (extendedness < 0.5 = star)',
        sg.filter((r) => r.fraction !== null),
        { field: 'mag', title: 'true magnitude (AB mag)' },
        { field: 'fraction', title: 'fraction', domain: [0, 1.05] },
        { field: 'measure', title: 'measure' },
      ),
    });
  }
  const calibration = report.calibration;
  if (calibration !== null && calibration.perVisit.length > 0) {
    const zp = calibration.perVisit.flatMap((v, k) => [
      {
        visitIndex: k,
        residual: v.zeroPointResidualMmag,
        calibration: `per-detector (${v.band})`,
        band: v.band,
      },
      ...(v.globalZeroPointResidualMmag === null
        ? []
        : [
            {
              visitIndex: k,
              residual: v.globalZeroPointResidualMmag,
              calibration: 'global (ubercal)',
              band: v.band,
            },
          ]),
    ]);
    specs.push({
      name: 'zero-point',
      spec: lineChart(
        'Zero-point residual per visit (measured - true)',
        zp.filter((r) => r.residual !== null),
        { field: 'visitIndex', title: 'visit (in order)' },
        { field: 'residual', title: 'zero-point residual (mmag)' },
        { field: 'calibration', title: 'calibration' },
      ),
    });
    const psf = calibration.perVisit
      .filter((v) => v.psfSigmaResidualPct !== null)
      .map((v, k) => ({ visitIndex: k, residual: v.psfSigmaResidualPct, band: v.band }));
    if (psf.length > 0) {
      specs.push({
        name: 'psf-size',
        spec: lineChart(
          'PSF size residual per visit ((model - true) / true sigma)',
          psf,
          { field: 'visitIndex', title: 'visit (in order)' },
          { field: 'residual', title: 'PSF sigma residual (%)' },
          { field: 'band', title: 'band' },
          { y: 1, label: 'target 1%' },
        ),
      });
    }
  }
  const repeat = [
    ...report.pa1.perBand.flatMap((b) => [
      { band: b.band, value: b.pa1Mmag, metric: 'PA1 (mmag)' },
      ...(b.pa1GlobalMmag === null
        ? []
        : [{ band: b.band, value: b.pa1GlobalMmag, metric: 'PA1 global (mmag)' }]),
    ]),
    ...report.am1.perBand.map((b) => ({ band: b.band, value: b.am1Mas, metric: 'AM1 (mas)' })),
  ].filter((r) => r.value !== null);
  if (repeat.length > 0) {
    specs.push({
      name: 'repeatability',
      spec: barChart(
        'Repeatability per band: PA1 (target 5 mmag), AM1 (target 10 mas)',
        repeat,
        { field: 'band', title: 'band' },
        { field: 'value', title: 'PA1 (mmag) / AM1 (mas)' },
        { field: 'metric', title: 'metric' },
        { y: 5, label: 'PA1 target' },
      ),
    });
  }
  return specs;
}

/** Render every figure of the report into `outDir/plots/NAME.{svg,png}`. */
export async function writeReportPlots(outDir: string, report: Omit<QaReport, 'plots'>): Promise<QaPlot[]> {
  const plots: QaPlot[] = [];
  for (const { name, spec } of reportPlotSpecs(report)) {
    const { svg, png } = await renderVegaLite(spec);
    await writeFile(join(outDir, 'plots', `${name}.svg`), svg);
    await writeFile(join(outDir, 'plots', `${name}.png`), png);
    plots.push({
      name,
      title: typeof spec.title === 'string' ? spec.title : name,
      png: `plots/${name}.png`,
      svg: `plots/${name}.svg`,
    });
  }
  return plots;
}

/**
 * The report's documents: `qa.json` (the QaReport itself), `qa.md` (Markdown with the figures linked) and `qa.html`
 * (self-contained: the same tables, the PNG figures embedded as data URIs, so the page can be mailed or archived).
 */

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { QaReport } from './model.js';

function cell(value: number | string | null | boolean): string {
  if (value === null) return '–';
  if (typeof value === 'boolean') return value ? 'pass' : 'FAIL';
  return String(value);
}

function table(
  header: readonly string[],
  rows: readonly (readonly (number | string | null | boolean)[])[],
): string {
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const row of rows) lines.push(`| ${row.map(cell).join(' | ')} |`);
  return lines.join('\n');
}

/** Sections of the report as [heading, Markdown body] pairs (shared by the Markdown and HTML writers). */
function sections(report: QaReport): [string, string][] {
  const out: [string, string][] = [];
  const i = report.inputs;
  out.push([
    'Inputs',
    table(
      [
        'collections',
        'where',
        'visits',
        'exposure x detector',
        'sources (usable)',
        'matched',
        'truth objects',
      ],
      [
        [
          i.collections.join(', '),
          i.where ?? '',
          i.visits,
          i.ccdVisits,
          `${i.sources} (${i.usableSources})`,
          i.matchedSources,
          i.truthObjects,
        ],
      ],
    ) +
      '\n\nDatasets read: ' +
      Object.entries(i.datasets)
        .map(([name, n]) => `${name} ${n}`)
        .join(', '),
  ]);
  out.push([
    'Targets',
    table(
      ['metric', 'value', 'target', 'result'],
      report.targets.map((t) => [
        `${t.name}: ${t.description}`,
        t.value === null ? null : `${t.value} ${t.unit}`,
        `≤ ${t.threshold} ${t.unit}`,
        t.pass === null ? 'not measured' : t.pass,
      ]),
    ),
  ]);
  out.push([
    'Depth',
    table(
      ['band', '50% completeness (mag)', 'median S/N = 5 (mag)', 'completeness there', 'visitSummary maglim'],
      report.depth.map((d) => [
        d.band,
        d.completeness50Mag,
        d.snr5Mag,
        d.completenessAtSnr5,
        d.visitSummaryMaglim,
      ]),
    ),
  ]);
  const a = report.astrometry;
  out.push([
    'Astrometry against truth',
    `Stars with S/N ≥ ${a.snrMin}: ${a.nStars}; median ${cell(a.medianMas)} mas, 68th percentile ${cell(a.p68Mas)} mas.\n\n` +
      table(
        ['detector', 'stars', 'median (mas)', '68th pct (mas)'],
        a.perDetector.map((d) => [d.detector, d.nStars, d.medianMas, d.p68Mas]),
      ),
  ]);
  out.push([
    'Repeatability',
    `AM1: pairs of isolated stars ${report.am1.separationArcmin}′ ± ${report.am1.toleranceArcmin}′ apart, ` +
      `measured in ≥ ${report.am1.minVisits} visits, S/N ≥ ${report.am1.snrMin}.\n\n` +
      table(
        ['band', 'stars', 'pairs', 'AM1 (mas)'],
        report.am1.perBand.map((b) => [b.band, b.nStars, b.nPairs, b.am1Mas]),
      ) +
      `\n\nPA1: isolated stars with S/N ≥ ${report.pa1.snrMin}, grouped by ${report.pa1.association}.\n\n` +
      table(
        ['band', 'stars', 'PA1 (mmag)', 'PA1 IQR (mmag)', 'PA1 global (mmag)', 'PA1 global IQR (mmag)'],
        report.pa1.perBand.map((b) => [
          b.band,
          b.nStars,
          b.pa1Mmag,
          b.pa1IqrMmag,
          b.pa1GlobalMmag,
          b.pa1GlobalIqrMmag,
        ]),
      ),
  ]);
  const c = report.calibration;
  if (c !== null) {
    out.push([
      'Calibration against truth',
      `Zero point (measured − true): median ${cell(c.zeroPointMedianMmag)} mmag, scatter ${cell(c.zeroPointScatterMmag)} mmag` +
        (c.globalZeroPointMedianMmag === null
          ? ''
          : `; global: median ${cell(c.globalZeroPointMedianMmag)} mmag, scatter ${cell(c.globalZeroPointScatterMmag)} mmag`) +
        `. PSF sigma (model − true) / true: median ${cell(c.psfSigmaMedianPct)}%, median |residual| ${cell(c.psfSigmaMedianAbsPct)}%.\n\n` +
        table(
          [
            'visit',
            'band',
            'detectors',
            'ZP resid (mmag)',
            'ZP resid (%)',
            'global ZP resid (mmag)',
            'PSF sigma resid (%)',
          ],
          c.perVisit.map((v) => [
            v.visit,
            v.band,
            v.nDetectors,
            v.zeroPointResidualMmag,
            v.zeroPointResidualPct,
            v.globalZeroPointResidualMmag,
            v.psfSigmaResidualPct,
          ]),
        ),
    ]);
  }
  const completenessAll = report.completeness.filter((b) => b.band === 'all');
  const mags = [...new Set(completenessAll.map((b) => b.mag))].sort((x, y) => x - y);
  const of = (mag: number, cls: string) =>
    completenessAll.find((b) => b.mag === mag && b.objectClass === cls);
  out.push([
    'Completeness and purity (all bands)',
    table(
      ['true mag', 'stars', 'galaxies', 'all (n true)', 'purity at measured mag'],
      mags.map((mag) => [
        mag,
        of(mag, 'star')?.completeness ?? null,
        of(mag, 'galaxy')?.completeness ?? null,
        of(mag, 'all') === undefined ? null : `${of(mag, 'all')!.completeness} (${of(mag, 'all')!.nTrue})`,
        report.purity.find((p) => p.band === 'all' && p.mag === mag)?.purity ?? null,
      ]),
    ),
  ]);
  out.push([
    'Star/galaxy separation',
    table(
      ['true mag', 'true stars', 'true galaxies', 'star completeness', 'star contamination'],
      report.starGalaxy.map((b) => [
        b.mag,
        b.nTrueStars,
        b.nTrueGalaxies,
        b.starCompleteness,
        b.starContamination,
      ]),
    ),
  ]);
  if (report.notes.length > 0) out.push(['Notes', report.notes.map((n) => `- ${n}`).join('\n')]);
  return out;
}

export function reportMarkdown(report: QaReport): string {
  const parts = ['# Meridian QA against the simulator truth', ''];
  for (const [heading, body] of sections(report)) parts.push(`## ${heading}`, '', body, '');
  if (report.plots.length > 0) {
    parts.push('## Figures', '');
    for (const p of report.plots) parts.push(`![${p.title}](${p.png})`, '');
  }
  return parts.join('\n');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[ch]!);
}

/** Markdown tables and paragraphs of `sections` as HTML (only the subset sections() writes). */
function markdownBlockToHtml(body: string): string {
  return body
    .split('\n\n')
    .map((block) => {
      const lines = block.split('\n');
      if (lines[0]!.startsWith('|')) {
        const row = (line: string, tag: string) =>
          `<tr>${line
            .slice(2, -2)
            .split(' | ')
            .map((c) => `<${tag}>${escapeHtml(c)}</${tag}>`)
            .join('')}</tr>`;
        return `<table>${row(lines[0]!, 'th')}${lines
          .slice(2)
          .map((l) => row(l, 'td'))
          .join('')}</table>`;
      }
      if (lines[0]!.startsWith('- ')) {
        return `<ul>${lines.map((l) => `<li>${escapeHtml(l.slice(2))}</li>`).join('')}</ul>`;
      }
      return `<p>${escapeHtml(block)}</p>`;
    })
    .join('\n');
}

export async function reportHtml(report: QaReport, outDir: string): Promise<string> {
  const parts = [
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Meridian QA</title>',
    '<style>body{font-family:sans-serif;max-width:1000px;margin:2em auto;padding:0 1em}' +
      'table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #ccc;padding:2px 8px;text-align:right}' +
      'th{background:#f3f3f3}img{max-width:100%;border:1px solid #eee}</style></head><body>',
    '<h1>Meridian QA against the simulator truth</h1>',
  ];
  for (const [heading, body] of sections(report)) {
    parts.push(`<h2>${escapeHtml(heading)}</h2>`, markdownBlockToHtml(body));
  }
  if (report.plots.length > 0) parts.push('<h2>Figures</h2>');
  for (const p of report.plots) {
    const png = await readFile(join(outDir, p.png));
    parts.push(
      `<figure><img alt="${escapeHtml(p.title)}" src="data:image/png;base64,${png.toString('base64')}">` +
        `<figcaption>${escapeHtml(p.title)}</figcaption></figure>`,
    );
  }
  parts.push('</body></html>');
  return parts.join('\n');
}

/** Write qa.json, qa.md and qa.html (the figures must already be in outDir/plots). */
export async function writeReportDocuments(report: QaReport, outDir: string): Promise<void> {
  await writeFile(join(outDir, 'qa.json'), `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(join(outDir, 'qa.md'), reportMarkdown(report));
  await writeFile(join(outDir, 'qa.html'), await reportHtml(report, outDir));
}

/** The report in a few lines: each target with its verdict, the depth, the notes and where the files are. */
export function qaSummaryLines(report: QaReport, outDir: string): string[] {
  const lines = report.targets.map((t) => {
    const verdict = t.pass === null ? 'not measured' : t.pass ? 'pass' : 'FAIL';
    const value = t.value === null ? '–' : `${t.value} ${t.unit}`;
    return `${t.name.padEnd(11)} ${value.padStart(12)}  (target ≤ ${t.threshold} ${t.unit}) ${verdict}  ${t.description}`;
  });
  for (const d of report.depth.filter((x) => x.band === 'all')) {
    lines.push(
      `depth       50% completeness at ${d.completeness50Mag ?? '–'} mag; median S/N 5 at ${d.snr5Mag ?? '–'} mag ` +
        `(completeness there ${d.completenessAtSnr5 ?? '–'})`,
    );
  }
  for (const note of report.notes) lines.push(`note: ${note}`);
  lines.push(`report: ${outDir}/qa.md, qa.html, qa.json, ${report.plots.length} figures in plots/`);
  return lines;
}

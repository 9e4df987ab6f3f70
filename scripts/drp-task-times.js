#!/usr/bin/env node
// Per-task times of a pipeline run from its provenance: every `<label>_metadata` dataset in the collections
// (start, end, CPU seconds, peak RSS of each quantum) summarised per task label, plus the run's throughput
// (quanta of the first task per minute of wall time between the first start and the last end). Uses dist/.
//
//   node scripts/drp-task-times.js REPO COLLECTION[,COLLECTION] [--json]
import { Butler } from '../dist/butler/index.js';

function quantile(sorted, q) {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

async function main() {
  const [repo, collectionsArg, ...rest] = process.argv.slice(2);
  if (repo === undefined || collectionsArg === undefined) {
    process.stderr.write('usage: node scripts/drp-task-times.js REPO COLLECTION[,COLLECTION] [--json]\n');
    process.exit(2);
  }
  const collections = collectionsArg.split(',');
  const butler = await Butler.open(repo);
  const perLabel = new Map();
  try {
    const types = await butler.registry.queryDatasetTypes(['*_metadata']);
    for (const type of types) {
      const label = type.name.replace(/_metadata$/, '');
      const refs = await butler.registry.queryDatasets(type.name, { collections });
      const records = [];
      for (const ref of refs) records.push(await butler.get(ref));
      if (records.length > 0) perLabel.set(label, records);
    }
  } finally {
    await butler.close();
  }
  const rows = [];
  for (const [label, records] of perLabel) {
    const ok = records.filter((r) => r.status === 'succeeded');
    const wall = ok.map((r) => (Date.parse(r.end) - Date.parse(r.start)) / 1000).sort((a, b) => a - b);
    const cpu = ok.map((r) => r.cpuSeconds).sort((a, b) => a - b);
    const rss = ok.map((r) => r.peakRssBytes / 2 ** 20).sort((a, b) => a - b);
    const first = Math.min(...records.map((r) => Date.parse(r.start)));
    const last = Math.max(...records.map((r) => Date.parse(r.end)));
    rows.push({
      label,
      quanta: records.length,
      succeeded: ok.length,
      wallMedianS: quantile(wall, 0.5),
      wallP90S: quantile(wall, 0.9),
      cpuMedianS: quantile(cpu, 0.5),
      cpuTotalS: cpu.reduce((a, b) => a + b, 0),
      peakRssMedianMiB: quantile(rss, 0.5),
      first: new Date(first).toISOString(),
      last: new Date(last).toISOString(),
      spanS: (last - first) / 1000,
    });
  }
  rows.sort((a, b) => a.first.localeCompare(b.first));
  if (rest.includes('--json')) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  process.stdout.write(
    '| task | quanta (ok) | wall median / p90 (s) | CPU median (s) | CPU total (s) | peak RSS median (MiB) |\n|---|---|---|---|---|---|\n',
  );
  for (const r of rows) {
    process.stdout.write(
      `| ${r.label} | ${r.quanta} (${r.succeeded}) | ${r.wallMedianS.toFixed(2)} / ${r.wallP90S.toFixed(2)} | ${r.cpuMedianS.toFixed(2)} | ${r.cpuTotalS.toFixed(0)} | ${r.peakRssMedianMiB.toFixed(0)} |\n`,
    );
  }
  if (rows.length > 0) {
    const start = Math.min(...rows.map((r) => Date.parse(r.first)));
    const end = Math.max(...rows.map((r) => Date.parse(r.last)));
    const minutes = (end - start) / 60000;
    const perDetector = rows[0].quanta;
    process.stdout.write(
      `\n${perDetector} ${rows[0].label} quanta, first start to last end ${minutes.toFixed(1)} min: ${(perDetector / minutes).toFixed(1)} per minute\n`,
    );
  }
}

await main();

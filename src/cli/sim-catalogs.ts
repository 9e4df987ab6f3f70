/** `meridian sim catalogs OUTDIR`: a thin commander command over simulateCatalogs. */

import type { Command } from 'commander';
import { CATALOG_DEFAULTS, simulateCatalogs } from '../sim/index.js';
import { printJson } from './common/json.js';
import { parseInteger, parseNumber } from './common/number-options.js';
import { withFlagNames } from './common/option-names.js';
import { type ProgressReporter, withProgress } from './common/progress.js';

interface CatalogFlags {
  objects?: number;
  visits?: number;
  bands?: string;
  ra?: number;
  dec?: number;
  radius?: number;
  area?: number;
  seed?: number;
  workers?: number;
  supernovae?: number;
  objectsPerFile?: number;
  mjdStart?: number;
  days?: number;
  json?: boolean;
}

/** Adds `catalogs` to the program's `sim` command (creating `sim` if no one has yet). */
export function registerSimCatalogCommands(program: Command): Command {
  const sim =
    program.commands.find((c) => c.name() === 'sim') ??
    program.command('sim').description('simulate a mini-DC2 survey and its catalogs');
  const d = CATALOG_DEFAULTS;
  sim
    .command('catalogs')
    .description('derive DP0.2-shaped Parquet catalogs (Object, ForcedSource, Source, ...) into OUTDIR')
    .argument('<OUTDIR>', 'output directory (must be empty or absent)')
    .option('--objects <n>', `static truth objects in the area (default ${d.objects})`, parseInteger)
    .option('--visits <n>', `number of visits (default ${d.visits})`, parseInteger)
    .option('--bands <letters>', `bands observed (default ${d.bands})`)
    .option('--ra <deg>', `centre of the area, RA in degrees (default ${d.ra})`, parseNumber)
    .option('--dec <deg>', `centre of the area, Dec in degrees (default ${d.dec})`, parseNumber)
    .option('--radius <deg>', `radius of the area, degrees (default ${d.radiusDeg})`, parseNumber)
    .option('--area <deg2>', 'area in square degrees, instead of --radius', parseNumber)
    .option('--seed <n>', `random seed (default ${d.seed})`, parseInteger)
    .option('--workers <n>', 'DuckDB threads (default: cores)', parseInteger)
    .option('--supernovae <n>', 'supernovae in the area (default: objects / 5000, 5 to 1000)', parseInteger)
    .option('--objects-per-file <n>', `objects per Parquet file (default ${d.objectsPerFile})`, parseInteger)
    .option('--mjd-start <mjd>', `first night (default ${d.mjdStart})`, parseNumber)
    .option('--days <n>', `survey length in days (default ${d.surveyDays})`, parseNumber)
    .option('--json', 'print the manifest as JSON')
    .action(async (outDir: string, flags: CatalogFlags, command: Command) => {
      const simulate = (onProgress: ProgressReporter['update']) =>
        simulateCatalogs({
          outDir,
          objects: flags.objects,
          visits: flags.visits,
          bands: flags.bands,
          ra: flags.ra,
          dec: flags.dec,
          radiusDeg: flags.radius,
          areaDeg2: flags.area,
          seed: flags.seed,
          workers: flags.workers,
          supernovae: flags.supernovae,
          objectsPerFile: flags.objectsPerFile,
          mjdStart: flags.mjdStart,
          surveyDays: flags.days,
          onProgress,
        });
      const manifest = await withFlagNames(
        command,
        () => withProgress((reporter) => simulate(reporter.update)),
        { radiusDeg: 'radius', areaDeg2: 'area', surveyDays: 'days' },
      );
      if (flags.json) {
        printJson(manifest);
        return;
      }
      for (const table of Object.values(manifest.tables)) {
        console.log(
          `${table.name.padEnd(24)} ${String(table.rows).padStart(12)} rows in ${table.files.length} file(s)`,
        );
      }
      console.log(
        `${manifest.seconds.toFixed(1)} s, ${Math.round(manifest.rowsPerSecond)} rows/s, in ${outDir}`,
      );
    });
  return program;
}

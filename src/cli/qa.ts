/** `meridian qa REPO`: a thin command over `runQa` (src/qa), the quality of pipeline outputs against truth. */

import type { Command } from 'commander';
import { Butler } from '../butler/index.js';
import { qaSummaryLines, runQa } from '../qa/index.js';
import { printJson } from './common/json.js';
import { appendCommaSeparated } from './common/list-options.js';
import { parseNumber } from './common/number-options.js';
import { withProgress } from './common/progress.js';

interface QaFlags {
  collections: string[];
  truth: string;
  out: string;
  where?: string;
  matchRadius?: number;
  am1Separation?: number;
  astrometrySnr?: number;
  pa1Snr?: number;
  json?: boolean;
}

export function registerQaCommand(program: Command): Command {
  return program
    .command('qa')
    .description("measure the pipeline outputs against the simulator's truth and write a report (docs/qa.md)")
    .argument('<REPO>', 'butler repository holding the outputs')
    .requiredOption(
      '--collections <names>',
      'collections to search (comma-separated, repeatable)',
      appendCommaSeparated,
    )
    .requiredOption('--truth <SIMDIR>', 'directory of the simulated survey (manifest.json, truth/)')
    .requiredOption('--out <DIR>', 'directory for qa.md, qa.html, qa.json and plots/')
    .option('--where <expr>', 'butler query expression restricting the visits, e.g. "band=\'r\'"')
    .option('--match-radius <arcsec>', 'source-truth match radius, arcsec (default 0.5)', parseNumber)
    .option(
      '--am1-separation <arcmin>',
      'separation of the AM1 star pairs, arcmin (default 5, +-1)',
      parseNumber,
    )
    .option(
      '--astrometry-snr <n>',
      'lowest S/N of the stars in the astrometric residuals (default 100)',
      parseNumber,
    )
    .option('--pa1-snr <n>', 'lowest S/N of the repeat measurements in PA1 (default 200)', parseNumber)
    .option('--json', 'print the report (qa.json) on stdout')
    .addHelpText(
      'after',
      `
Example:
  meridian qa repo --collections u/me/drp --truth sim --out qa-report`,
    )
    .action(async (repo: string, flags: QaFlags) => {
      const butler = await Butler.open(repo);
      try {
        const report = await withProgress((reporter) =>
          runQa({
            butler,
            collections: flags.collections,
            truthDir: flags.truth,
            outDir: flags.out,
            where: flags.where ?? null,
            settings: {
              ...(flags.matchRadius === undefined ? {} : { matchRadiusArcsec: flags.matchRadius }),
              ...(flags.am1Separation === undefined ? {} : { am1SeparationArcmin: flags.am1Separation }),
              ...(flags.astrometrySnr === undefined ? {} : { astrometrySnrMin: flags.astrometrySnr }),
              ...(flags.pa1Snr === undefined ? {} : { pa1SnrMin: flags.pa1Snr }),
            },
            onProgress: reporter.update,
          }),
        );
        if (flags.json) printJson(report);
        else for (const line of qaSummaryLines(report, flags.out)) console.log(line);
      } finally {
        await butler.close();
      }
    });
}

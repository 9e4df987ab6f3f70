import type { Command } from 'commander';
import type { CleanupReport } from '../../butler/index.js';
import { printJson } from '../common/json.js';
import { parseNonNegativeInteger } from '../common/number-options.js';
import { withButler } from './open.js';
import { addJsonOption } from './query-options.js';

/** `butler cleanup`: what interrupted commands left behind (trash, orphan files, temporary files) is removed. */

function summary(report: CleanupReport): string {
  const verb = report.dryRun ? 'would remove' : 'removed';
  const trash = report.dryRun
    ? `${report.trashedFiles} trash record(s) waiting`
    : `${report.trashedFiles} trashed file(s) deleted`;
  const recent =
    report.tooRecent.length > 0 ? `; ${report.tooRecent.length} recent file(s) left (--min-age)` : '';
  const tail = report.dryRun ? ' Dry run: nothing was changed.' : '';
  return `${trash}; ${verb} ${report.orphans.length} orphan file(s) and ${report.temporaryFiles.length} temporary file(s)${recent}.${tail}`;
}

export function registerCleanupCommand(program: Command): void {
  addJsonOption(
    program
      .command('cleanup')
      .description(
        'Remove what interrupted commands left: empty the trash, delete orphan files (no dataset record points to them) and temporary files.',
      )
      .argument('<repo>', 'Repository directory')
      .option('--dry-run', 'List what would be removed and change nothing')
      .option(
        '--min-age <seconds>',
        'Leave orphan and temporary files changed less than this long ago (default 0); use a margin while other writers share a PostgreSQL registry',
        parseNonNegativeInteger,
      ),
  )
    .addHelpText(
      'after',
      `
Every file under REPO that \`butler verify\` reports as an orphan is deleted: keep nothing of your own inside a
repository directory. A committed dataset's file is never touched. Run it after a crash, or when \`verify\`
reports orphans; the retry of an interrupted command repairs what it needs by itself.

Examples:
  butler cleanup ./repo --dry-run
  butler cleanup ./repo --json
  butler cleanup ./repo --min-age 3600`,
    )
    .action(async (repo: string, opts: { dryRun?: boolean; minAge?: number; json?: boolean }) => {
      await withButler(repo, opts.dryRun ? 'read' : 'write', async (butler, signal) => {
        const report = await butler.cleanup({
          dryRun: opts.dryRun ?? false,
          minAgeSeconds: opts.minAge ?? 0,
          signal,
        });
        if (opts.json) {
          printJson({ ...report });
          process.stderr.write(`${summary(report)}\n`);
          return;
        }
        const label = report.dryRun ? 'would remove' : 'removed';
        for (const path of report.orphans) process.stdout.write(`${label} orphan ${path}\n`);
        for (const path of report.temporaryFiles) process.stdout.write(`${label} temporary ${path}\n`);
        process.stdout.write(`${summary(report)}\n`);
      });
    });
}

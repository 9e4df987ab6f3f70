import { readFileSync } from 'node:fs';
import { type Command, Option } from 'commander';
import type { TransferMode } from '../../butler/index.js';
import { meridianError } from '../../errors.js';
import {
  DC2_SKYMAP_CONFIG,
  DC2_SKYMAP_NAME,
  DEFAULT_REFCAT_NAME,
  defineVisits,
  INSTRUMENT_NAME,
  ingestRaws,
  ingestRefcat,
  readSurveyManifest,
  registerInstrument,
  registerSkymap,
  writeCuratedCalibrations,
} from '../../obs/index.js';
import { Circle, type RingsSkyMapConfig } from '../../sphere/index.js';
import { printJson } from '../common/json.js';
import { appendCommaSeparated } from '../common/list-options.js';
import { withProgress } from '../common/progress.js';
import { INGEST_TRANSFER_MODES } from './ingest.js';
import { withButler } from './open.js';

/**
 * obs_base-style commands: register-instrument, ingest-raws, define-visits, write-curated-calibrations,
 * register-skymap, ingest-refcat. Each parses, calls one function of src/obs and prints.
 */

function transferOption(defaultMode: TransferMode): Option {
  return new Option(
    '-t, --transfer <mode>',
    'How files get into the datastore (auto: files outside the repo stay where they are)',
  )
    .choices(INGEST_TRANSFER_MODES)
    .default(defaultMode);
}

/** The simulator's survey directory of a manifest file path (or of the directory itself). */
function manifestDir(path: string): string {
  return path.endsWith('.json') ? path.slice(0, path.lastIndexOf('/') + 1) || '.' : path;
}

export function registerObsCommands(program: Command): void {
  program
    .command('register-instrument')
    .description(
      'Register MeridianCam: instrument, physical_filter and detector records and the raw dataset type.',
    )
    .argument('<repo>', 'Repository directory')
    .argument('[name]', 'Instrument name (only MeridianCam is known)', INSTRUMENT_NAME)
    .option(
      '--sim-manifest <file>',
      "Take the camera layout (detector count and names) from a simulated survey's manifest.json",
    )
    .option('--json', 'Print the result as JSON')
    .action(async (repo: string, name: string, opts: { simManifest?: string; json?: boolean }) => {
      if (name !== INSTRUMENT_NAME) {
        throw meridianError(
          'INVALID_ARGUMENT',
          `unknown instrument '${name}'; Meridian knows ${INSTRUMENT_NAME}`,
        );
      }
      const description = opts.simManifest
        ? (await readSurveyManifest(manifestDir(opts.simManifest))).instrument
        : undefined;
      await withButler(repo, 'write', async (butler) => {
        const result = await registerInstrument(butler, description);
        if (opts.json) return printJson(result);
        process.stdout.write(
          `${result.changed ? 'Registered' : 'Already registered:'} ${result.instrument} with ${result.filters} filters and ${result.detectors} detectors.\n`,
        );
      });
    });

  program
    .command('ingest-raws')
    .description(
      'Ingest raw camera files (files or directories, searched recursively) with exposure records.',
    )
    .argument('<repo>', 'Repository directory')
    .argument('<paths...>', 'Raw FITS files or directories')
    .addOption(transferOption('auto'))
    .addOption(
      new Option(
        '--on-error <mode>',
        'fail: any malformed raw aborts before anything is written; skip: report it and go on',
      )
        .choices(['skip', 'fail'])
        .default('fail'),
    )
    .option('--output-run <run>', 'Output RUN collection', `${INSTRUMENT_NAME}/raw/all`)
    .option('--json', 'Print the result as JSON')
    .action(
      async (
        repo: string,
        paths: string[],
        opts: { transfer: TransferMode; onError: 'skip' | 'fail'; outputRun: string; json?: boolean },
      ) => {
        const result = await withProgress((reporter) =>
          withButler(
            repo,
            'write',
            (butler, signal) =>
              ingestRaws(butler, paths, {
                transfer: opts.transfer,
                onError: opts.onError,
                run: opts.outputRun,
                onProgress: reporter.update,
                signal,
              }),
            reporter,
          ),
        );
        if (opts.json) {
          return printJson({
            run: opts.outputRun,
            ingested: result.ingested,
            alreadyPresent: result.alreadyPresent,
            exposures: result.exposures,
            skipped: result.skipped,
          });
        }
        if (result.files === 0)
          process.stderr.write(`no raw files found in ${paths.join(', ')}; nothing to ingest\n`);
        for (const s of result.skipped) process.stderr.write(`skipped ${s.file}: ${s.message}\n`);
        process.stdout.write(
          `Ingested ${result.ingested} raw(s) into ${opts.outputRun} (${result.alreadyPresent} already present, ${result.skipped.length} skipped) from ${result.exposures.length} exposure(s).\n`,
        );
      },
    );

  program
    .command('define-visits')
    .description('Define one visit per science exposure, with sky regions per visit and per detector.')
    .argument('<repo>', 'Repository directory')
    .argument('[instrument]', 'Instrument name', INSTRUMENT_NAME)
    .option(
      '--collections <names>',
      'Collections holding the raws (default <instrument>/raw/all)',
      appendCommaSeparated,
    )
    .option('--where <expr>', 'Only exposures matching this query expression')
    .option('--json', 'Print the result as JSON')
    .action(
      async (
        repo: string,
        instrument: string,
        opts: { collections?: string[]; where?: string; json?: boolean },
      ) => {
        await withButler(repo, 'write', async (butler) => {
          const result = await defineVisits(butler, {
            instrument,
            collections: opts.collections,
            where: opts.where,
          });
          if (opts.json) return printJson(result);
          process.stdout.write(
            `Defined ${result.visits.length} visit(s) (${result.created} new) with ${result.detectorRegions} detector regions.\n`,
          );
        });
      },
    );

  program
    .command('write-curated-calibrations')
    .alias('ingest-calibs')
    .description(
      "Ingest a simulated survey's master bias and flat frames and certify them into <instrument>/calib.",
    )
    .argument('<repo>', 'Repository directory')
    .argument('<sim_dir>', 'Survey directory written by `meridian sim` (holds manifest.json and calib/)')
    .option('--begin-date <iso>', 'Start of the validity range, ISO 8601 TAI (default: unbounded)')
    .option('--end-date <iso>', 'End of the validity range, ISO 8601 TAI (default: unbounded)')
    .addOption(transferOption('auto'))
    .option('--json', 'Print the result as JSON')
    .action(
      async (
        repo: string,
        simDir: string,
        opts: { beginDate?: string; endDate?: string; transfer: TransferMode; json?: boolean },
      ) => {
        await withButler(repo, 'write', async (butler) => {
          const result = await writeCuratedCalibrations(butler, simDir, {
            beginDate: opts.beginDate ?? null,
            endDate: opts.endDate ?? null,
            transfer: opts.transfer,
          });
          if (opts.json) {
            return printJson({
              run: result.run,
              collection: result.collection,
              datasets: result.refs.length,
              certified: result.certified,
              timespan: result.timespan.toJSON(),
            });
          }
          process.stdout.write(
            `Ingested ${result.refs.length} calibration(s) into ${result.run}; certified ${result.certified} into ${result.collection} for ${result.timespan}.\n`,
          );
        });
      },
    );

  program
    .command('register-skymap')
    .description(
      'Register a rings skymap (default: the DC2 one): skymap, tract and patch records and a skyMap dataset.',
    )
    .argument('<repo>', 'Repository directory')
    .option('--name <name>', 'Skymap name', DC2_SKYMAP_NAME)
    .option('--config <file>', 'JSON file with a RingsSkyMap configuration (default: the DC2 configuration)')
    .option(
      '--sim-manifest <file>',
      "Register only the tracts and patches covering a simulated survey's footprint",
    )
    .option('--all-patches', 'Without --sim-manifest: also register every patch of every tract (slow)')
    .option('--json', 'Print the result as JSON')
    .addHelpText(
      'after',
      `
Without --sim-manifest every tract is registered (about 19,000 for DC2) but no patches unless --all-patches.`,
    )
    .action(
      async (
        repo: string,
        opts: { name: string; config?: string; simManifest?: string; allPatches?: boolean; json?: boolean },
      ) => {
        const config: RingsSkyMapConfig = opts.config
          ? (JSON.parse(readFileSync(opts.config, 'utf8')) as RingsSkyMapConfig)
          : DC2_SKYMAP_CONFIG;
        let region: Circle | undefined;
        if (opts.simManifest) {
          const cap = (await readSurveyManifest(manifestDir(opts.simManifest))).truth.cap;
          region = Circle.fromDegrees(cap.ra, cap.dec, cap.radiusDeg);
        }
        await withButler(repo, 'write', async (butler) => {
          const result = await registerSkymap(butler, opts.name, config, {
            region,
            allPatches: opts.allPatches,
          });
          if (opts.json) return printJson(result);
          process.stdout.write(
            `Registered skymap ${result.name} (${result.tracts} tracts, ${result.patches} patches).\n`,
          );
        });
      },
    );

  program
    .command('ingest-refcat')
    .description(
      'Ingest a reference catalogue sharded by HTM level 7 (<htm7>.parquet files) as htm7 datasets.',
    )
    .argument('<repo>', 'Repository directory')
    .argument('<dir>', 'Directory of shard files (e.g. the survey directory refcat/)')
    .option('--name <name>', 'Dataset type name', DEFAULT_REFCAT_NAME)
    .addOption(transferOption('auto'))
    .option('--json', 'Print the result as JSON')
    .action(
      async (repo: string, dir: string, opts: { name: string; transfer: TransferMode; json?: boolean }) => {
        await withButler(repo, 'write', async (butler) => {
          const result = await ingestRefcat(butler, dir, { name: opts.name, transfer: opts.transfer });
          if (opts.json) return printJson({ name: result.name, run: result.run, shards: result.refs.length });
          process.stdout.write(
            `Ingested ${result.refs.length} ${result.name} shard(s) into ${result.run}.\n`,
          );
        });
      },
    );
}

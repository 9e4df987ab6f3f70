/** `meridian sim ...`: thin commander commands over simulateSurvey and the render benchmark. */

import { type Command, InvalidArgumentError } from 'commander';
import { isBand } from '../obs/index.js';
import { benchmarkDetectorRender, SURVEY_DEFAULTS, simulateSurvey } from '../sim/index.js';
import { printJson, toInlineJsonText } from './common/json.js';
import { parseInteger, parseNumber } from './common/number-options.js';
import { withFlagNames } from './common/option-names.js';
import { type ProgressReporter, withProgress } from './common/progress.js';

function bandList(value: string): string[] {
  const bands = value.split(',').map((b) => b.trim());
  const bad = bands.find((b) => !isBand(b));
  if (bad !== undefined)
    throw new InvalidArgumentError(`unknown band "${bad}" (expected some of u,g,r,i,z,y)`);
  return bands;
}

interface SurveyFlags {
  seed?: number;
  ra?: number;
  dec?: number;
  radius?: number;
  visits?: number;
  bands?: string[];
  detectors?: number;
  detectorSize?: number;
  nights?: number;
  workers?: number;
  exposureTime?: number;
  cosmicRays: boolean;
  defects?: boolean;
  starsPerDeg2?: number;
  galaxiesPerDeg2?: number;
  pointingErrorArcsec?: number;
  distortion?: number;
  psfVariation?: number;
  maxCloudMag?: number;
  json?: boolean;
}

export function registerSimCommands(program: Command): Command {
  const sim = program
    .command('sim')
    .description('simulate a mini-DC2 survey (raws, calibrations, truth, refcat)');
  const d = SURVEY_DEFAULTS;
  sim
    .command('survey')
    .description('simulate a survey into OUTDIR (which must be empty or absent)')
    .argument('<OUTDIR>', 'output directory')
    .option('--seed <n>', `random seed (default ${d.seed})`, parseInteger)
    .option('--ra <deg>', `centre of the sky area, RA in degrees (default ${d.ra})`, parseNumber)
    .option('--dec <deg>', `centre of the sky area, Dec in degrees (default ${d.dec})`, parseNumber)
    .option('--radius <deg>', `radius of the sky area, degrees (default ${d.radiusDeg})`, parseNumber)
    .option('--visits <n>', `number of visits (default ${d.visits})`, parseInteger)
    .option('--bands <list>', `comma-separated bands from ugrizy (default ${d.bands.join(',')})`, bandList)
    .option('--detectors <n>', `detectors per visit (default ${d.detectors})`, parseInteger)
    .option('--detector-size <pixels>', `detector side in pixels (default ${d.detectorSize})`, parseInteger)
    .option('--nights <n>', `nights the visits are spread over (default ${d.nights})`, parseInteger)
    .option('--workers <n>', 'render threads (default: cores, at most 4)', parseInteger)
    .option('--exposure-time <s>', `exposure time, seconds (default ${d.exposureTime})`, parseNumber)
    .option('--no-cosmic-rays', 'leave out cosmic rays')
    .option(
      '--stars-per-deg2 <n>',
      `stars per square degree with 14 < r < 25 (default ${d.starsPerDeg2}; pipeline runs want more reference stars per detector)`,
      parseNumber,
    )
    .option(
      '--galaxies-per-deg2 <n>',
      `galaxies per square degree with 18 < r < 25.5 (default ${d.galaxiesPerDeg2})`,
      parseNumber,
    )
    .option(
      '--defects',
      'add bad columns and hot pixels to every detector, listed for the `defects` calibration (for ISR runs)',
    )
    .option(
      '--pointing-error-arcsec <arcsec>',
      `rms error of the reported boresight per axis; 0: header WCS = truth (default ${d.pointingErrorArcsec})`,
      parseNumber,
    )
    .option(
      '--distortion <k>',
      `radial distortion k per pixel^2, r -> r (1 + k r^2); 0: none (default ${d.distortion})`,
      parseNumber,
    )
    .option(
      '--psf-variation <v>',
      `PSF size/ellipticity variation across the focal plane (0..0.5); 0: one round PSF (default ${d.psfVariation})`,
      parseNumber,
    )
    .option(
      '--max-cloud-mag <mag>',
      `thin-cloud extinction per visit, uniform in 0..mag; 0: clear (default ${d.maxCloudMag})`,
      parseNumber,
    )
    .option('--json', 'print a JSON summary of the manifest')
    .action(async (outDir: string, flags: SurveyFlags, command: Command) => {
      const simulate = (onProgress: ProgressReporter['update']) =>
        simulateSurvey({
          outDir,
          seed: flags.seed,
          ra: flags.ra,
          dec: flags.dec,
          radiusDeg: flags.radius,
          visits: flags.visits,
          bands: flags.bands as never,
          detectors: flags.detectors,
          detectorSize: flags.detectorSize,
          nights: flags.nights,
          workers: flags.workers,
          exposureTime: flags.exposureTime,
          cosmicRays: flags.cosmicRays,
          defects: flags.defects ?? false,
          starsPerDeg2: flags.starsPerDeg2,
          galaxiesPerDeg2: flags.galaxiesPerDeg2,
          pointingErrorArcsec: flags.pointingErrorArcsec,
          distortion: flags.distortion,
          psfVariation: flags.psfVariation,
          maxCloudMag: flags.maxCloudMag,
          onProgress,
        });
      const { manifest, renderMode, seconds } = await withFlagNames(
        command,
        () => withProgress((reporter) => simulate(reporter.update)),
        { radiusDeg: 'radius' },
      );
      const summary = {
        outDir,
        manifest: 'manifest.json',
        seed: manifest.seed,
        instrument: manifest.instrument.name,
        detectors: manifest.instrument.detectors.length,
        exposures: manifest.exposures.map((e) => ({
          id: e.id,
          obsId: e.obsId,
          band: e.band,
          dateObs: e.dateObs,
          airmass: e.airmass,
          seeing: e.seeingFwhmArcsec,
          cloudExtinctionMag: e.truth.cloudExtinctionMag,
          zeroPointMag: e.truth.zeroPointMag,
        })),
        raws: manifest.exposures.reduce((n, e) => n + e.raws.length, 0),
        calibrations: manifest.calibrations.files.length,
        truth: manifest.truth.counts,
        refcatShards: manifest.refcat.shards.length,
        refcatStars: manifest.refcat.shards.reduce((n, s) => n + s.rows, 0),
        renderMode,
        seconds: Math.round(seconds * 100) / 100,
      };
      if (flags.json) {
        printJson(summary);
        return;
      }
      console.log(
        `${summary.raws} raws from ${manifest.exposures.length} exposures x ${summary.detectors} detectors, ` +
          `${summary.calibrations} calibrations, truth ${toInlineJsonText(summary.truth)}, ` +
          `${summary.refcatStars} refcat stars in ${summary.refcatShards} HTM-7 shards -> ${outDir} ` +
          `(${summary.seconds} s, ${renderMode})`,
      );
    });
  sim
    .command('bench')
    .description('time the rendering of one detector')
    .option('--detector-size <pixels>', 'detector side in pixels', parseInteger, 4096)
    .option('--sources <n>', 'number of sources', parseInteger, 5000)
    .option('--json', 'print JSON')
    .action((flags: { detectorSize: number; sources: number; json?: boolean }) => {
      const result = benchmarkDetectorRender({ detectorSize: flags.detectorSize, sources: flags.sources });
      if (flags.json) printJson(result);
      else {
        console.log(
          `${result.detectorSize}x${result.detectorSize} detector, ${result.sources} sources: ` +
            `${result.seconds.toFixed(2)} s (${result.megapixelsPerSecond.toFixed(1)} Mpix/s)`,
        );
      }
    });
  return sim;
}

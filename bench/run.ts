import { cpus } from 'node:os';
import { benchButler } from './butler.bench.js';
import { benchCatalog } from './catalog.bench.js';
import { benchCompare } from './compare.bench.js';
import { benchDrp } from './drp.bench.js';
import { benchFormats } from './formats.bench.js';
import { type BenchResult, formatResults } from './harness.js';
import { benchMeasure } from './measure.bench.js';
import { benchPipe } from './pipe.bench.js';
import { benchPipeExec } from './pipe-exec.bench.js';
import { benchServer } from './server.bench.js';
import { benchButlerStall } from './server-butler-stall.js';
import { benchSextractorCompare } from './sextractor-compare.js';

/**
 * `npm run bench [-- --only butler|formats|catalog|compare|butler-stall|server|pipe|pipe-exec|measure|sextractor-compare|drp] [--datasets N]
 *  [--runs R] [--insert-concurrency C] [--skip-sqlite yes] [--measure-size PIXELS] [--measure-sources N] [--sextractor-size PIXELS] [--sextractor-sources N]
 *  [--repo R --collections C --truth SIMDIR [--max-detectors N]] (sextractor-compare on a repository's calexps) [--pipe-data-ids N] [--pipe-datasets M] [--quanta N]
 *  [--objects N] [--compare-objects N] [--visits N] [--seconds S] [--server-data DIR]
 *  [--server-parts overhead,load,download] [--load-seconds S] [--load-clients C] [--dachs URL]
 *  [--drp-size PIXELS] [--drp-detectors N] [--drp-detector-size PIXELS] [--drp-stars N] [--drp-galaxies N]
 *  [--drp-workdir DIR]`: runs the
 *  benchmarks and prints a Markdown table with
 * absolute figures, the reference run in the same process, and the ratio. Paste into docs/benchmarks.md.
 */
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (name: string, def: string): string => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : def;
  };
  const only = opt('only', 'all');
  const results: BenchResult[] = [];
  console.log(
    `Meridian benchmarks on ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, Node ${process.version}`,
  );
  if (only === 'all' || only === 'butler') {
    const datasets = Number(opt('datasets', '1000000'));
    const runs = Number(opt('runs', '1000'));
    const insertConcurrency = Number(opt('insert-concurrency', '1'));
    if (opt('skip-sqlite', 'no') === 'no')
      results.push(...(await benchButler({ backend: 'sqlite', datasets, runs, insertConcurrency: 1 })));
    const pg = process.env.MERIDIAN_TEST_POSTGRES;
    if (pg)
      results.push(
        ...(await benchButler({ backend: 'postgresql', datasets, runs, postgresUrl: pg, insertConcurrency })),
      );
    else console.log('(PostgreSQL butler benchmark skipped: set MERIDIAN_TEST_POSTGRES)');
  }
  if (only === 'all' || only === 'formats') results.push(...(await benchFormats()));
  if (only === 'all' || only === 'catalog') {
    const objects = Number(opt('objects', '10000000'));
    results.push(
      ...(await benchCatalog({
        objects,
        postgresUrl: process.env.MERIDIAN_TEST_POSTGRES ?? null,
        log: (line) => console.log(line),
      })),
    );
  }
  if (only === 'all' || only === 'compare') {
    const pg = process.env.MERIDIAN_TEST_POSTGRES;
    const objects = Number(opt('compare-objects', '200000'));
    if (pg)
      results.push(...(await benchCompare({ objects, postgresUrl: pg, log: (line) => console.log(line) })));
    else console.log('(compare benchmark skipped: set MERIDIAN_TEST_POSTGRES)');
  }
  if (only === 'all' || only === 'butler-stall') {
    const visits = Number(opt('visits', '8000'));
    const seconds = Number(opt('seconds', '10'));
    results.push(...(await benchButlerStall({ visits, seconds, log: (line) => console.log(line) })));
  }
  if (only === 'all' || only === 'pipe') {
    const dataIds = Number(opt('pipe-data-ids', '200000'));
    const datasets = Number(opt('pipe-datasets', '1000000'));
    results.push(...(await benchPipe({ dataIds, datasets, log: (line) => console.log(line) })));
  }
  if (only === 'all' || only === 'pipe-exec') {
    const quanta = Number(opt('quanta', '2000'));
    results.push(...(await benchPipeExec({ quanta, processes: 2, log: (line) => console.log(line) })));
  }
  if (only === 'all' || only === 'measure') {
    const size = Number(opt('measure-size', '4096'));
    const sources = Number(opt('measure-sources', '5000'));
    results.push(...(await benchMeasure({ size, sources, log: (line) => console.log(line) })));
  }
  if (only === 'all' || only === 'sextractor-compare') {
    const size = Number(opt('sextractor-size', '4096'));
    const sourcesOption = opt('sextractor-sources', '');
    const repo = opt('repo', '');
    results.push(
      ...(await benchSextractorCompare({
        size,
        ...(sourcesOption === '' ? {} : { sources: Number(sourcesOption) }),
        // With --repo: the calexps of --collections against the simulated survey's truth in --truth.
        ...(repo === ''
          ? {}
          : {
              calexps: {
                repo,
                collections: opt('collections', '').split(',').filter(Boolean),
                truthDir: opt('truth', ''),
                maxDetectors: Number(opt('max-detectors', '1000000')),
              },
            }),
        log: (line) => console.log(line),
      })),
    );
  }
  if (only === 'all' || only === 'drp') {
    const stars = opt('drp-stars', '');
    const galaxies = opt('drp-galaxies', '');
    const workdir = opt('drp-workdir', '');
    results.push(
      ...(await benchDrp({
        size: Number(opt('drp-size', '4096')),
        detectors: Number(opt('drp-detectors', '8')),
        detectorSize: Number(opt('drp-detector-size', '2048')),
        ...(stars === '' ? {} : { starsPerDeg2: Number(stars) }),
        ...(galaxies === '' ? {} : { galaxiesPerDeg2: Number(galaxies) }),
        ...(workdir === '' ? {} : { workdir }),
        log: (line) => console.log(line),
      })),
    );
  }
  // The server benchmarks prepare a data directory of their own (about 1 GB): only when asked for.
  if (only === 'server') {
    results.push(
      ...(await benchServer({
        dataDir: opt('server-data', '/tmp/meridian-bench-server'),
        objects: Number(opt('server-objects', '1000000')),
        downloadRows: Number(opt('download-rows', '5000000')),
        seconds: Number(opt('load-seconds', '60')),
        clients: Number(opt('load-clients', '50')),
        dachsTapUrl: opt('dachs', 'http://127.0.0.1:8089/tap'),
        parts: opt('server-parts', 'overhead,load,download').split(',') as (
          | 'overhead'
          | 'load'
          | 'download'
        )[],
      })),
    );
  }
  console.log(formatResults(results));
}

await main();

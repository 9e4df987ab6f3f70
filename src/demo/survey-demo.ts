import { Butler } from '../butler/index.js';
import type { Exposure } from '../formats/index.js';
import { pixelToSky } from '../formats/index.js';
import { ingestSimulatedSurvey } from '../obs/index.js';
import { simulateSurvey } from '../sim/index.js';
import { type DemoOptions, prepareWorkdir } from './butler-demo.js';

/**
 * The survey part of the demo: simulate a small survey, put it into a new repository through the obs library
 * (instrument, raws, visits, calibrations, skymap, refcat) and show what the repository holds.
 */
export async function runSurveyDemo(options: DemoOptions): Promise<void> {
  const { log } = options;
  const simDir = prepareWorkdir(options.workdir, 'sim');
  const repo = prepareWorkdir(options.workdir, 'survey-repo');
  log(`Simulating a small survey into ${simDir}`);
  const sim = await simulateSurvey({
    outDir: simDir,
    visits: 6,
    nights: 2,
    bands: ['g', 'r'],
    detectors: 4,
    detectorSize: 1024,
    radiusDeg: 0.1,
    // Star-rich (like a field at low Galactic latitude), so that each 1024-pixel detector has ~50 usable reference stars for the
    // astrometric and photometric calibration of part 4; defects for the ISR to mask.
    starsPerDeg2: 100_000,
    defects: true,
  });
  const { manifest } = sim;
  log(
    `  ${manifest.exposures.length} exposures x ${manifest.instrument.detectors.length} detectors in ${sim.seconds.toFixed(1)} s`,
  );

  log(`Creating a butler repository in ${repo}`);
  const butler = await Butler.create(repo);
  try {
    const { instrument, raws, visits, calibrations, skymap, refcat } = await ingestSimulatedSurvey(
      butler,
      simDir,
      { manifest, transfer: 'copy' },
    );
    log(
      `  register-instrument: ${instrument.instrument}, ${instrument.filters} filters, ${instrument.detectors} detectors`,
    );
    log(`  ingest-raws: ${raws.ingested} raws from ${raws.exposures.length} exposures`);
    log(`  define-visits: ${visits.visits.length} visits, ${visits.detectorRegions} detector regions`);
    log(
      `  write-curated-calibrations: ${calibrations.refs.length} bias/flat frames certified into ${calibrations.collection}`,
    );
    log(
      `  register-skymap: ${skymap.name} over the survey footprint, ${skymap.tracts} tracts, ${skymap.patches} patches`,
    );
    log(`  ingest-refcat: ${refcat.refs.length} htm7 shards of ${refcat.name}`);

    log('');
    log('$ butler query-collections');
    for (const c of await butler.registry.queryCollections()) log(`  ${c.name.padEnd(32)} ${c.type}`);
    log('Datasets per type:');
    const all = await butler.registry.queryDatasets('*', { collections: ['*'] });
    const counts = new Map<string, number>();
    for (const r of all) counts.set(r.datasetType.name, (counts.get(r.datasetType.name) ?? 0) + 1);
    for (const [name, n] of [...counts].sort()) log(`  ${name.padEnd(24)} ${n}`);

    log('');
    log(`$ butler query-datasets raw --where "band='r' AND detector=1"`);
    const refs = await butler.registry.queryDatasets('raw', {
      collections: ['MeridianCam/raw/all'],
      where: "band='r' AND detector=1",
    });
    for (const r of refs)
      log(`  raw exposure=${r.dataId.values.exposure} detector=${r.dataId.values.detector} ${r.id}`);
    if (refs.length > 0) {
      const raw = (await butler.get(refs[0]!)) as Exposure;
      const centre = raw.wcs === null ? null : pixelToSky(raw.wcs, (raw.width - 1) / 2, (raw.height - 1) / 2);
      log(
        `butler.get(raw): ${raw.width} x ${raw.height} pixels` +
          (centre ? `, centre RA ${centre.ra.toFixed(5)} Dec ${centre.dec.toFixed(5)}` : '') +
          `, exposure time ${raw.visitInfo?.exposureTime} s`,
      );
    }
  } finally {
    await butler.close();
  }
}

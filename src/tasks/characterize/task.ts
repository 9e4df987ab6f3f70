/**
 * The characterizeImage PipelineTask (`meridian.tasks.characterize.CharacterizeImageTask`, label
 * `characterizeImage` in pipelines/DRP.yaml): postISRCCD → icExp, icExpBackground, icSrc per (visit, detector).
 * The work is `characterizeImage` (characterize-image.ts); this file only loads, names and stores.
 */
import type { Exposure } from '../../formats/index.js';
import { defineTask, Input, Output } from '../../pipe/index.js';
import { ccdVisitIdOf, sourceIdMaker } from '../calibrate/source-ids.js';
import { CharacterizeImageConfig, characterizeImage } from './characterize-image.js';
import { backgroundListToJson, sourceCatalogTable } from './source-catalog.js';

/** The task's config is the algorithm's (source ids follow calibrate's `sourceIdMaker` layout). */
export const CharacterizeImageTaskConfig = CharacterizeImageConfig;

export const CharacterizeImageTask = defineTask({
  name: 'meridian.tasks.characterize.CharacterizeImageTask',
  doc: 'Background, cosmic rays, detection, PSF model and aperture correction of a post-ISR detector image.',
  config: CharacterizeImageTaskConfig,
  dimensions: ['instrument', 'visit', 'detector'],
  connections: {
    exposure: Input({
      name: 'postISRCCD',
      storageClass: 'ExposureF',
      dimensions: ['instrument', 'exposure', 'detector'],
    }),
    characterized: Output({
      name: 'icExp',
      storageClass: 'ExposureF',
      dimensions: ['instrument', 'visit', 'detector'],
    }),
    backgroundModel: Output({
      name: 'icExpBackground',
      storageClass: 'StructuredDataDict',
      dimensions: ['instrument', 'visit', 'detector'],
    }),
    sourceCat: Output({
      name: 'icSrc',
      storageClass: 'SourceCatalog',
      dimensions: ['instrument', 'visit', 'detector'],
    }),
  },
  async runQuantum(ctx) {
    const { exposure } = await ctx.getInputs();
    const visit = Number(ctx.dataId.values.visit);
    const detector = Number(ctx.dataId.values.detector);
    const config = ctx.config;
    // Checked before the work: an id layout that cannot hold this visit fails at once.
    const nextId = sourceIdMaker(ccdVisitIdOf(visit, detector));
    const result = characterizeImage(exposure as Exposure, config);
    const { psf } = result;
    ctx.log.info(
      `visit ${visit} detector ${detector}: ${result.sources.count} sources, PSF from ${psf.stars.length - psf.reservedResidual.count} stars ` +
        `(${psf.reservedResidual.count} reserved, residual rms ${(100 * psf.reservedResidual.rms).toFixed(2)}%), ` +
        `aperture correction ${result.apertureCorrection.coefficients[0]?.toFixed(4)}`,
    );
    ctx.addMetadata('psfReservedResidualRms', psf.reservedResidual.rms);
    ctx.addMetadata('psfStars', psf.usedResidual.count);
    ctx.addMetadata('timingsMs', result.timings);
    await ctx.putOutputs({
      characterized: result.exposure,
      backgroundModel: backgroundListToJson(result.backgrounds),
      sourceCat: sourceCatalogTable({
        sources: result.sources,
        apCorr: result.apCorr,
        wcs: result.exposure.wcs,
        ids: BigInt64Array.from({ length: result.sources.count }, (_, i) => nextId(i)),
        psfCandidate: result.psfCandidate,
        psfUsed: result.psfUsed,
        psfReserved: result.psfReserved,
      }),
    });
  },
});

import { defineConfig } from 'vitest/config';

/**
 * The pure-logic suites: no database server, no external tool, no child process, no large files. They run in
 * seconds (`npm run test:fast`); `npm test` runs everything.
 */
export default defineConfig({
  test: {
    include: [
      'test/architecture/**/*.test.ts',
      'test/sphere/**/*.test.ts',
      'test/butler/expression/**/*.test.ts',
      'test/butler/time/**/*.test.ts',
      'test/butler/storage/**/*.test.ts',
      'test/butler/datastore/file-template.test.ts',
      'test/catalog/adql/parse-*.test.ts',
      'test/catalog/adql/print-visit.test.ts',
      'test/catalog/adql/round-trip-property.test.ts',
      'test/catalog/adql/sql-dialects.test.ts',
      'test/catalog/schema.test.ts',
      'test/formats/header.test.ts',
      'test/formats/checksum.test.ts',
      'test/formats/wcs.test.ts',
      'test/formats/votable-binary2.test.ts',
      'test/server/params.test.ts',
      'test/sim/random.test.ts',
      'test/sim/cadence.test.ts',
      'test/sim/sersic.test.ts',
      'test/obs/camera.test.ts',
    ],
    pool: 'threads',
  },
});

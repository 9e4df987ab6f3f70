import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  commentaryCard,
  type HduSpec,
  type ImageArray,
  valueCard,
  writeFits,
} from '../../src/formats/index.js';
import { makeTanSipWcs, sipPolynomial, wcsToCards } from '../../src/formats/wcs/index.js';
import { allTypeColumns } from './fixtures.js';
import { fitsverify, fitsverifyAvailable, skipWithout } from './reference-tools.js';

const dir = mkdtempSync(join(tmpdir(), 'meridian-fitsverify-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const n = 30 * 20;
const images: Record<string, ImageArray> = {
  uint8: Uint8Array.from({ length: n }, (_, i) => i % 256),
  int8: Int8Array.from({ length: n }, (_, i) => (i % 256) - 128),
  int16: Int16Array.from({ length: n }, (_, i) => i * 50 - 15000),
  uint16: Uint16Array.from({ length: n }, (_, i) => i * 100),
  int32: Int32Array.from({ length: n }, (_, i) => i * 3000000 - 900000000),
  uint32: Uint32Array.from({ length: n }, (_, i) => i * 7000000),
  int64: BigInt64Array.from({ length: n }, (_, i) => BigInt(i) * 10000000000000n),
  uint64: BigUint64Array.from({ length: n }, (_, i) => BigInt(i) * 20000000000000000n),
  float32: Float32Array.from({ length: n }, (_, i) => Math.sin(i)),
  float64: Float64Array.from({ length: n }, (_, i) => Math.cos(i) * 1e10),
};

const wcs = makeTanSipWcs({
  crpix: [15.5, 10.5],
  crval: [56.7, -32.1],
  cd: [
    [-5.5e-5, 1e-7],
    [2e-7, 5.5e-5],
  ],
  sip: {
    a: sipPolynomial(2, [
      [2, 0, 1e-6],
      [0, 2, -2e-6],
    ]),
    b: sipPolynomial(2, [[1, 1, 3e-6]]),
  },
});

describe.skipIf(skipWithout('fitsverify', fitsverifyAvailable))(
  'fitsverify accepts the files Meridian writes',
  () => {
    it('fitsverify is installed', () => {
      expect(fitsverifyAvailable).toBe(true);
    });

    const cases: [string, HduSpec[]][] = [
      ...Object.entries(images).map(([name, data]): [string, HduSpec[]] => [
        `image-${name}`,
        [{ kind: 'image', data, shape: [30, 20], cards: wcsToCards(wcs) }],
      ]),
      [
        'quantised',
        [
          {
            kind: 'image',
            data: images.float64,
            shape: [30, 20],
            encoding: { bitpix: 32, bscale: 1e-3, bzero: 0 },
          },
        ],
      ],
      [
        'multi-extension',
        [
          {
            kind: 'image',
            cards: [
              valueCard('OBSERVER', 'a long observer name that needs CONTINUE cards '.repeat(3), 'who'),
              valueCard('ESO TEL AIRM START', 1.234, 'HIERARCH card'),
              valueCard('DATE-OBS', '2022-06-30T01:02:03.5'),
              commentaryCard('HISTORY', 'a history line that is longer than one card can hold '.repeat(2)),
            ],
          },
          { kind: 'image', name: 'IMAGE', data: images.float32, shape: [30, 20] },
          { kind: 'image', name: 'MASK', data: images.int32, shape: [30, 20] },
          { kind: 'image', name: 'VARIANCE', data: images.float32, shape: [30, 20] },
          { kind: 'bintable', name: 'CATALOG', columns: allTypeColumns },
        ],
      ],
      ['table-only', [{ kind: 'bintable', name: 'ALL', columns: allTypeColumns }]],
      [
        'empty-table',
        [{ kind: 'bintable', columns: [{ name: 'x', tform: 'D', values: new Float64Array(0) }] }],
      ],
    ];

    for (const checksum of [false, true]) {
      it(`reports no errors and no warnings for ${cases.length} files ${checksum ? 'with' : 'without'} checksums`, async () => {
        for (const [name, specs] of cases) {
          const path = join(dir, `${name}-${checksum}.fits`);
          await writeFits(path, specs, { checksum });
          const verdict = fitsverify(path);
          // -e counts errors only; the full run also reports checksum mismatches, which fitsverify counts as warnings.
          expect(verdict.errors, `${name}: ${verdict.text}`).toBe(0);
          expect(verdict.warnings, `${name}: ${verdict.text}`).toBe(0);
        }
      });
    }

    it('the check is not vacuous: a flipped data byte is reported as a checksum warning', async () => {
      const path = join(dir, 'damaged.fits');
      await writeFits(path, [{ kind: 'image', data: images.int16, shape: [30, 20] }], { checksum: true });
      const bytes = readFileSync(path);
      bytes[2880 + 100] ^= 0x01;
      writeFileSync(path, bytes);
      expect(fitsverify(path).warnings).toBeGreaterThan(0);
    });
  },
);

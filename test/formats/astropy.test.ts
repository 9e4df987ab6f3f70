import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { commentaryCard, type HduSpec, readFits, valueCard, writeFits } from '../../src/formats/index.js';
import { describeOurs, type FileJson } from './fits-json.js';
import { allTypeColumns } from './fixtures.js';
import { astropyAvailable, runPython, skipWithout } from './reference-tools.js';

const dir = mkdtempSync(join(tmpdir(), 'meridian-fits-astropy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ramp = (n: number, f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));
const W = 6;
const H = 4;

/** Every BITPIX and scaling convention, plus header edge cases, in one multi-extension file. */
const imageSpecs: HduSpec[] = [
  {
    kind: 'image',
    data: Uint8Array.from(ramp(W * H, (i) => i * 11)),
    shape: [W, H],
    cards: [
      valueCard('OBSERVER', 'Vera C. Rubin '.repeat(8).trim(), 'long string on CONTINUE cards'),
      valueCard('ESO DET CHIP TEMP', -120.5, 'HIERARCH keyword'),
      valueCard('EXPTIME', 30, 's'),
      valueCard('TINY', 1.5e-300),
      valueCard('MJD-OBS', 60000.123456789),
      valueCard('FLAG', false),
      valueCard('QUOTE', "it's"),
      valueCard('UNDEF', null, 'undefined value'),
      commentaryCard('HISTORY', 'written by Meridian'),
      commentaryCard('COMMENT', 'a comment card'),
    ],
  },
  { kind: 'image', name: 'INT8', data: Int8Array.from(ramp(W * H, (i) => i * 11 - 128)), shape: [W, H] },
  {
    kind: 'image',
    name: 'INT16',
    data: Int16Array.from(ramp(W * H, (i) => i * 2731 - 32768)),
    shape: [W, H],
  },
  { kind: 'image', name: 'UINT16', data: Uint16Array.from(ramp(W * H, (i) => i * 2731)), shape: [W, H] },
  {
    kind: 'image',
    name: 'INT32',
    data: Int32Array.from(ramp(W * H, (i) => (i * 179424673) | 0)),
    shape: [W, H],
  },
  {
    kind: 'image',
    name: 'UINT32',
    data: Uint32Array.from(ramp(W * H, (i) => (i * 179424673) >>> 0)),
    shape: [W, H],
  },
  {
    kind: 'image',
    name: 'INT64',
    data: BigInt64Array.from(
      { length: W * H },
      (_, i) => BigInt(i) * 400000000000000000n - 4000000000000000000n,
    ),
    shape: [W, H],
  },
  { kind: 'image', name: 'FLOAT32', data: Float32Array.from(ramp(W * H, (i) => (i - 7) / 3)), shape: [W, H] },
  {
    kind: 'image',
    name: 'FLOAT64',
    data: Float64Array.from(ramp(W * H, (i) => (i - 7) * 1e-200)),
    shape: [W, H],
  },
  {
    kind: 'image',
    name: 'SCALED',
    data: Float64Array.from(ramp(W * H, (i) => i * 0.5 - 3)),
    shape: [W, H],
    encoding: { bitpix: 16, bscale: 0.5, bzero: 100 },
  },
  { kind: 'image', name: 'CUBE', data: Float32Array.from(ramp(24, (i) => i)), shape: [2, 3, 4] },
];

describe.skipIf(skipWithout('astropy (/usr/bin/python3)', astropyAvailable))(
  'astropy agrees with Meridian',
  () => {
    it('astropy is installed under /usr/bin/python3', () => {
      expect(astropyAvailable).toBe(true);
    });

    it('reads Meridian images of every BITPIX, with headers and checksums, as Meridian reads them', async () => {
      const path = join(dir, 'images.fits');
      await writeFits(path, imageSpecs, { checksum: true });
      const [astropy] = runPython<FileJson[]>('describe_fits.py', [path]);
      const ours = await describeOurs(await readFits(path));
      expect(astropy.checksums.every((c) => c.datasum === 'ok' && c.checksum === 'ok')).toBe(true);
      expect(ours).toEqual(astropy);
      // Spot-check that the values are the ones written, not merely read the same wrong way by both.
      expect(astropy.hdus[3].data?.slice(0, 3)).toEqual([0, 2731, 5462]);
      expect(astropy.hdus[9].data?.slice(0, 3)).toEqual([-3, -2.5, -2]);
      expect(astropy.hdus[0].cards.find((c) => c[0] === 'OBSERVER')?.[1]).toBe(
        'Vera C. Rubin '.repeat(8).trim(),
      );
    });

    it('reads a Meridian table with every TFORM type as Meridian reads it', async () => {
      const path = join(dir, 'table.fits');
      const scaled = {
        name: 'scaled',
        tform: 'J',
        values: Float64Array.of(10, 12.5, -3.75, 0),
        tscal: 0.25,
        tzero: 10,
      };
      await writeFits(path, [{ kind: 'bintable', name: 'ALL', columns: [...allTypeColumns, scaled] }], {
        checksum: true,
      });
      const [astropy] = runPython<FileJson[]>('describe_fits.py', [path]);
      const ours = await describeOurs(await readFits(path));
      expect(astropy.checksums.every((c) => c.datasum === 'ok' && c.checksum === 'ok')).toBe(true);
      expect(ours).toEqual(astropy);
      const ulong = astropy.hdus[1].columns?.find((c) => c.name === 'ulong');
      expect(ulong?.values[3]).toEqual(['18446744073709551615']);
    });

    it('Meridian reads files written by astropy: same header cards, pixels, columns and checksum verdicts', async () => {
      const written = runPython<Record<string, FileJson>>('write_fits.py', [dir]);
      for (const name of ['images', 'table']) {
        const ours = await describeOurs(await readFits(join(dir, `astropy-${name}.fits`)));
        expect(ours, name).toEqual(written[name]);
      }
      expect(written.images.hdus).toHaveLength(10);
      expect(written.images.hdus.map((h) => h.dtype)).toContain('uint64');
    });
  },
);

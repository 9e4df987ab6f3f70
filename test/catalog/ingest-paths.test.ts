/** Loading a catalog directory reads only files inside that directory (a manifest or a link cannot lead out). */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveInsideDirectory, tableFiles } from '../../src/catalog/index.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'meridian-catalog-paths-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('catalog input paths', () => {
  it('accepts paths inside the directory and refuses .., absolute and linked paths out of it', () => {
    const input = join(dir, 'input');
    mkdirSync(join(input, 'Object'), { recursive: true });
    mkdirSync(join(dir, 'elsewhere'));
    symlinkSync(join(dir, 'elsewhere'), join(input, 'Source'));
    expect(resolveInsideDirectory(input, 'Object/Object-0.parquet')).toBe(
      join(input, 'Object/Object-0.parquet'),
    );
    for (const bad of ['../x.parquet', '/etc/passwd', 'Object/../../x.parquet', 'Source/x.parquet', '.']) {
      expect(() => resolveInsideDirectory(input, bad), bad).toThrow(
        expect.objectContaining({ code: 'PATH_TRAVERSAL' }),
      );
    }
  });

  it('tableFiles refuses a table directory that is a link out of the input directory', () => {
    const input = join(dir, 'input');
    mkdirSync(join(input, 'Object'), { recursive: true });
    writeFileSync(join(input, 'Object', 'Object-0.parquet'), '');
    mkdirSync(join(dir, 'elsewhere'));
    writeFileSync(join(dir, 'elsewhere', 'Source-0.parquet'), '');
    symlinkSync(join(dir, 'elsewhere'), join(input, 'Source'));
    expect(tableFiles(input, 'Object')).toEqual([join(input, 'Object', 'Object-0.parquet')]);
    expect(() => tableFiles(input, 'Source')).toThrow(expect.objectContaining({ code: 'PATH_TRAVERSAL' }));
  });
});

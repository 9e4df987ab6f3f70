import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { registerSimCatalogCommands } from '../../../src/cli/sim-catalogs.js';
import { captureOutput } from '../../cli/in-process.js';

const dir = mkdtempSync(join(tmpdir(), 'meridian-simcat-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('meridian sim catalogs', () => {
  it('adds `catalogs` to an existing `sim` command and prints the manifest as JSON', async () => {
    const program = new Command('meridian').exitOverride();
    program.command('sim').command('survey');
    registerSimCatalogCommands(program);
    expect(program.commands.filter((c) => c.name() === 'sim')).toHaveLength(1);
    const printed = await captureOutput(() =>
      program.parseAsync(
        [
          'sim',
          'catalogs',
          join(dir, 'out'),
          '--objects',
          '400',
          '--visits',
          '6',
          '--bands',
          'gri',
          '--json',
        ],
        { from: 'user' },
      ),
    );
    const manifest = JSON.parse(printed.stdout);
    expect(manifest.kind).toBe('sim-catalog-manifest');
    expect(manifest.options).toMatchObject({ objects: 400, visits: 6, bands: ['g', 'r', 'i'] });
    expect(manifest.tables.Visit.rows).toBe(6);
    expect(existsSync(join(dir, 'out', manifest.tables.Object.files[0]))).toBe(true);
  });

  it('rejects a bad number before simulating anything', async () => {
    const program = new Command('meridian').exitOverride();
    registerSimCatalogCommands(program);
    program.commands[0].commands[0].exitOverride().configureOutput({ writeErr: () => {} });
    await expect(
      program.parseAsync(['sim', 'catalogs', join(dir, 'bad'), '--objects', 'many'], { from: 'user' }),
    ).rejects.toMatchObject({ code: 'commander.invalidArgument' });
    expect(existsSync(join(dir, 'bad'))).toBe(false);
  });
});

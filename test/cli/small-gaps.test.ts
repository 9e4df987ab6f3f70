import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeMeridianProgram } from '../../src/cli/meridian.js';
import { generateFixture } from '../catalog/fixtures/generate.js';
import { butler, meridian, repositoryRoot, tempDir } from './helpers.js';
import { runInProcess } from './in-process.js';

/** Issue 9's small CLI gaps: ADQL from a file or stdin, --timeout, butler --version, help, flag names in errors. */

let dir: ReturnType<typeof tempDir>;
let catalog: string;
beforeAll(async () => {
  dir = tempDir('meridian-gaps-');
  const fixture = generateFixture(join(dir.path, 'fixture'));
  catalog = join(dir.path, 'catalog');
  const schema = join(repositoryRoot, 'config/catalog/dp02.yaml');
  expect((await meridian(['catalog', 'create', catalog, '--schema', schema])).code).toBe(0);
  expect((await meridian(['catalog', 'ingest', catalog, 'Object', fixture.Object])).code).toBe(0);
});
afterAll(() => dir.cleanup());

describe('meridian catalog query -f', () => {
  const small = 'SELECT COUNT(*) AS n FROM Object';

  it('reads the query from a file and from stdin (-f -), the same as from the argument', async () => {
    const expected = await meridian(['catalog', 'query', catalog, small, '--format', 'csv']);
    expect(expected.code).toBe(0);
    const file = join(dir.path, 'small.adql');
    writeFileSync(file, `${small}\n`);
    const fromFile = await meridian(['catalog', 'query', catalog, '-f', file, '--format', 'csv']);
    expect(fromFile).toMatchObject({ code: 0, stdout: expected.stdout, stderr: '' });
    const fromStdin = await runInProcess(
      makeMeridianProgram(),
      ['catalog', 'query', catalog, '--file', '-', '--format', 'csv'],
      { pipedInput: small },
    );
    expect(fromStdin).toMatchObject({ code: 0, stdout: expected.stdout, stderr: '' });
  });

  it('runs a 600 KB query from a file and from stdin', async () => {
    const listed = await meridian([
      'catalog',
      'query',
      catalog,
      'SELECT objectId FROM Object',
      '--format',
      'csv',
    ]);
    const present = listed.stdout
      .split('\r\n')
      .slice(1)
      .filter((l) => l !== '');
    expect(present.length).toBeGreaterThan(1000);
    // The objects' IDs and 75,000 IDs that no object has: a query far too long for one argument.
    const absent = Array.from({ length: 75_000 }, (_, i) => String(-1 - i));
    const adql = `SELECT COUNT(*) AS n FROM Object WHERE objectId IN (${[...present, ...absent].join(', ')})`;
    expect(adql.length).toBeGreaterThan(580_000);
    const file = join(dir.path, 'huge.adql');
    writeFileSync(file, adql);
    const fromFile = await meridian(['catalog', 'query', catalog, '-f', file, '--format', 'csv']);
    expect(fromFile.stderr).toBe('');
    expect(fromFile.stdout.split('\r\n')[1]).toBe(String(present.length));
    const fromStdin = await runInProcess(
      makeMeridianProgram(),
      ['catalog', 'query', catalog, '-f', '-', '--format', 'csv'],
      { pipedInput: adql },
    );
    expect(fromStdin.stdout).toBe(fromFile.stdout);
  });

  it('needs exactly one of the ADQL argument and -f (usage error, exit 2)', async () => {
    const neither = await meridian(['catalog', 'query', catalog]);
    expect(neither.code).toBe(2);
    expect(neither.stderr).toContain('either as the ADQL argument or with -f FILE');
    const file = join(dir.path, 'small.adql');
    const both = await meridian(['catalog', 'query', catalog, small, '-f', file]);
    expect(both.code).toBe(2);
  });

  it('reports a missing query file as FILE_NOT_FOUND', async () => {
    const r = await meridian(['catalog', 'query', catalog, '-f', join(dir.path, 'nope.adql')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^meridian: error \[FILE_NOT_FOUND\]: no query file /);
  });

  it('refuses --timeout 0 and negative timeouts as a usage error, as --maxrec refuses bad values', async () => {
    for (const value of ['0', '-1', '-0.5', 'soon']) {
      const r = await meridian(['catalog', 'query', catalog, small, '--timeout', value]);
      expect(r.code, value).toBe(2);
      expect(r.stderr).toContain(`option '--timeout <seconds>' argument '${value}' is invalid`);
    }
    const maxrec = await meridian(['catalog', 'query', catalog, small, '--maxrec', '-1']);
    expect(maxrec.code).toBe(2);
    const ok = await meridian(['catalog', 'query', catalog, small, '--timeout', '30']);
    expect(ok.code).toBe(0);
  });
});

describe('help and version', () => {
  it('butler --version prints the package version', async () => {
    const version = (
      JSON.parse(readFileSync(join(repositoryRoot, 'package.json'), 'utf8')) as { version: string }
    ).version;
    const r = await butler(['--version']);
    expect(r).toMatchObject({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('every catalog transaction subcommand has a description and an example', async () => {
    for (const sub of ['begin', 'commit', 'abort']) {
      const r = await meridian(['catalog', 'transaction', sub, '--help']);
      expect(r.code).toBe(0);
      const [usage, , description] = r.stdout.split('\n');
      expect(usage).toMatch(new RegExp(`^Usage: meridian catalog transaction ${sub} \\[options\\] <DIR>`));
      expect(description?.length).toBeGreaterThan(20);
      expect(r.stdout).toContain(`Example:\n  `);
      expect(r.stdout).toContain(`meridian catalog transaction ${sub} `);
      expect(r.stdout).toMatch(/\n {2}DIR +catalog database directory\n/);
    }
    const parent = await meridian(['catalog', 'transaction', '--help']);
    expect(parent.stdout).toContain('--transaction-id $ID');
  });
});

describe('errors name command-line options', () => {
  it('sim survey --detector-size 10 names --detector-size, and writes nothing', async () => {
    const out = join(dir.path, 'survey-bad');
    const r = await meridian(['sim', 'survey', out, '--detector-size', '10']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^meridian: error \[INVALID_ARGUMENT\]: survey option --detector-size: /);
    expect(r.stderr).not.toContain('detectorSize');
    const json = await meridian(['sim', 'survey', out, '--detector-size', '10', '--json']);
    expect(JSON.parse(json.stdout).error.details.option).toBe('--detector-size');
    expect(readdirSync(dir.path)).not.toContain('survey-bad');
  });

  it('sim survey and sim catalogs name a renamed option by its flag (--radius for radiusDeg)', async () => {
    const survey = await meridian(['sim', 'survey', join(dir.path, 's2'), '--radius', '50']);
    expect(survey.stderr).toMatch(/survey option --radius: /);
    const catalogs = await meridian(['sim', 'catalogs', join(dir.path, 'c2'), '--radius', '50']);
    expect(catalogs.code).toBe(1);
    expect(catalogs.stderr).toMatch(/^meridian: error \[INVALID_ARGUMENT\]: invalid option --radius: /);
    const perFile = await meridian(['sim', 'catalogs', join(dir.path, 'c3'), '--objects-per-file', '10']);
    expect(perFile.stderr).toMatch(/invalid option --objects-per-file: /);
    expect(perFile.stderr).not.toContain('objectsPerFile');
    const days = await meridian(['sim', 'catalogs', join(dir.path, 'c4'), '--days', '0']);
    expect(days.stderr).toMatch(/invalid option --days: /);
  });

  it('catalog create names --stripes and --substripes, not the chunker parameters', async () => {
    const schema = join(repositoryRoot, 'config/catalog/dp02.yaml');
    const stripes = await meridian([
      'catalog',
      'create',
      join(dir.path, 'bad1'),
      '--schema',
      schema,
      '--stripes',
      '0',
    ]);
    expect(stripes.code).toBe(1);
    expect(stripes.stderr).toMatch(
      /^meridian: error \[GEOMETRY_INVALID\]: --stripes must be an integer >= 1\n/,
    );
    const sub = await meridian([
      'catalog',
      'create',
      join(dir.path, 'bad2'),
      '--schema',
      schema,
      '--substripes',
      '0',
    ]);
    expect(sub.stderr).toMatch(/: --substripes must be an integer >= 1\n/);
    expect(sub.stderr).not.toContain('numSubStripesPerStripe');
  });
});

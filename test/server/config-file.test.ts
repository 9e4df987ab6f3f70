/**
 * `meridian serve --config FILE`: the YAML settings are checked key by key, paths are relative to the file, and
 * command-line flags override the file (a real `bin/meridian.js serve` on the fixture catalog).
 */

import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readServeConfigFile } from '../../src/server/index.js';
import { buildFixtureCatalog, generateFixture, temporaryDir } from '../catalog/helpers.js';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const tmp = temporaryDir('serve-config');
afterAll(() => tmp.remove());

function configFile(name: string, text: string): string {
  const path = join(tmp.dir, name);
  writeFileSync(path, text);
  return path;
}

/** The environment with MERIDIAN_ALLOW_ANONYMOUS removed (it would override the file). */
function withoutAnonymousSetting(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.MERIDIAN_ALLOW_ANONYMOUS;
  return env;
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return `${(err as { code?: string }).code}: ${(err as Error).message}`;
  }
  return undefined;
}

describe('readServeConfigFile', () => {
  it('resolves paths against the file and keeps URLs', () => {
    mkdirSync(join(tmp.dir, 'etc'), { recursive: true });
    const path = configFile(
      'etc/serve.yaml',
      [
        'catalog: ../catalog-db',
        'repo: /data/repo',
        'listen: { host: 0.0.0.0, port: 9001 }',
        'limits: { maxrecDefault: 500 }',
        'auth: { allowAnonymous: true, tokens: tokens.sqlite3 }',
        'jobs: { database: "postgresql://u:p@db/jobs", resultsDir: results }',
        'logLevel: warn',
      ].join('\n'),
    );
    const config = readServeConfigFile(path);
    expect(config.catalog).toBe(join(tmp.dir, 'catalog-db'));
    expect(config.repo).toBe('/data/repo');
    expect(config.listen).toEqual({ host: '0.0.0.0', port: 9001 });
    expect(config.limits).toEqual({ maxrecDefault: 500 });
    expect(config.auth).toEqual({ allowAnonymous: true, tokens: join(tmp.dir, 'etc/tokens.sqlite3') });
    expect(config.jobs).toEqual({
      database: 'postgresql://u:p@db/jobs',
      resultsDir: join(tmp.dir, 'etc/results'),
    });
    expect(config.logLevel).toBe('warn');
  });

  it('accepts JSON and an empty file', () => {
    expect(readServeConfigFile(configFile('a.json', '{"listen": {"port": 0}}')).listen).toEqual({ port: 0 });
    expect(readServeConfigFile(configFile('empty.yaml', '')).catalog).toBeUndefined();
  });

  it('names the key that is wrong', () => {
    expect(codeOf(() => readServeConfigFile(configFile('b1.yaml', 'catalgo: x')))).toMatch(
      /^CONFIG_INVALID: .*catalgo/,
    );
    expect(codeOf(() => readServeConfigFile(configFile('b2.yaml', 'listen: { port: "80" }')))).toMatch(
      /^CONFIG_INVALID: .*listen\.port/,
    );
    expect(codeOf(() => readServeConfigFile(configFile('b3.yaml', 'limits: { maxrecDefualt: 5 }')))).toMatch(
      /^CONFIG_INVALID: .*maxrecDefualt/,
    );
    expect(codeOf(() => readServeConfigFile(configFile('b4.yaml', 'limits: { maxrecHard: -1 }')))).toMatch(
      /^CONFIG_INVALID: .*maxrecHard/,
    );
    expect(codeOf(() => readServeConfigFile(configFile('b5.yaml', 'logLevel: loud')))).toMatch(
      /^CONFIG_INVALID: .*logLevel/,
    );
    expect(codeOf(() => readServeConfigFile(configFile('b6.yaml', 'listen: [1, 2')))).toMatch(
      /^CONFIG_INVALID: .*not valid YAML/,
    );
    expect(codeOf(() => readServeConfigFile(join(tmp.dir, 'missing.yaml')))).toMatch(/^FILE_NOT_FOUND/);
  });
});

describe('meridian serve --config', () => {
  let catalogDir: string;
  beforeAll(async () => {
    const catalog = await buildFixtureCatalog(
      join(tmp.dir, 'cat'),
      generateFixture(join(tmp.dir, 'fixture')),
    );
    catalogDir = catalog.dir;
    await catalog.close();
  });

  it('serves what the file says, with flags overriding it', async () => {
    const path = configFile(
      'serve.yaml',
      `catalog: ${catalogDir}\nlisten: { port: 1 }\nlimits: { maxrecDefault: 2 }\nauth: { allowAnonymous: true }\n`,
    );
    const child = spawn(
      process.execPath,
      [join(root, 'bin/meridian.js'), 'serve', '--config', path, '--port', '0', '--quiet'],
      {
        env: withoutAnonymousSetting(),
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    const closed = new Promise<number | null>((done) => child.on('close', done));
    try {
      const deadline = Date.now() + 60_000;
      while (!/TAP service: \S+/.test(stderr)) {
        if (child.exitCode !== null || Date.now() > deadline)
          throw new Error(`serve did not start:\n${stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const tap = /TAP service: (\S+)/.exec(stderr)?.[1] as string;
      const answer = await fetch(
        `${tap}/sync?LANG=ADQL&FORMAT=csv&QUERY=${encodeURIComponent('SELECT objectId FROM dp02_dc2_catalogs.Object')}`,
      );
      // Anonymous access and the default MAXREC came from the file; the port from the flag.
      expect(answer.status).toBe(200);
      expect((await answer.text()).trim().split(/\r?\n/)).toHaveLength(3);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await closed).toBe(0);
  });
});

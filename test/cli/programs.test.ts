import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSqliteRepo } from './fixtures.js';
import {
  butlerJson,
  ensureBuilt,
  hasScriptCommand,
  repositoryRoot,
  shellCommand,
  spawnButler,
  spawnButlerOnTerminal,
  spawnMeridian,
  spawnMeridianOnTerminal,
  tempDir,
} from './helpers.js';

/**
 * The real executables (`node bin/butler.js`, `node bin/meridian.js` on a `dist/` build), for what only a real
 * process shows: the exit status, the output of --help and --version, a reader that closes the pipe early, and a
 * real terminal on stdin. Everything else about the commands is tested in process.
 */

let dir: ReturnType<typeof tempDir>;
beforeAll(async () => {
  await ensureBuilt();
  dir = tempDir();
});
afterAll(() => dir.cleanup());

const version = (
  JSON.parse(readFileSync(join(repositoryRoot, 'package.json'), 'utf8')) as { version: string }
).version;

describe('bin/butler.js and bin/meridian.js', () => {
  it('print help and the version with exit status 0 and exit 2 on usage errors', async () => {
    const [help, commandHelp, meridianHelp, meridianVersion, ...usageErrors] = await Promise.all([
      spawnButler(['--help']),
      spawnButler(['query-datasets', '--help']),
      spawnMeridian(['--help']),
      spawnMeridian(['--version']),
      spawnButler(['no-such-command']),
      spawnMeridian(['no-such-command']),
    ]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: butler \[options\] \[command\]/);
    expect(help.stdout).toContain('Exit status: 0 success, 1 error');
    expect(commandHelp.code).toBe(0);
    expect(commandHelp.stdout).toMatch(/^Usage: butler query-datasets \[options\] <repo> \[globs\.\.\.\]/);
    expect(meridianHelp.code).toBe(0);
    expect(meridianHelp.stdout).toMatch(/^Usage: meridian \[options\] \[command\]/);
    expect(meridianHelp.stdout).toMatch(/\n {2}catalog /);
    expect(meridianVersion).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });

    for (const r of usageErrors) {
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("error: unknown command 'no-such-command'");
      expect(r.stderr).toContain('(run with --help for usage)');
    }
  });

  it('exit 1 with a coded message on stderr and, with --json, an error document on stdout', async () => {
    const missing = join(dir.path, 'nowhere');
    const butler = await spawnButler(['query-collections', missing, '--json']);
    expect(butler.code).toBe(1);
    expect(butler.stderr).toMatch(/^butler: error \[REPO_NOT_FOUND\]: /);
    expect(JSON.parse(butler.stdout).error).toMatchObject({
      code: 'REPO_NOT_FOUND',
      details: { root: missing },
    });
    const meridian = await spawnMeridian(['catalog', 'stats', missing, '--json']);
    expect(meridian.code).toBe(1);
    expect(meridian.stderr).toMatch(/^meridian: error \[CATALOG_NOT_FOUND\]: no catalog database at /);
    expect(meridian.stderr).toContain('\n  hint: Create one with `meridian catalog create`.');
    expect(JSON.parse(meridian.stdout)).toEqual({
      error: {
        code: 'CATALOG_NOT_FOUND',
        message: expect.stringContaining(missing),
        hint: 'Create one with `meridian catalog create`.',
        details: { dir: missing },
      },
    });
  });

  it('end quietly with status 0 when the reader closes the pipe before the output is written', async () => {
    const repo = await makeSqliteRepo(dir.path, 'pipe');
    expect(await butlerJson(['query-datasets', repo, '--collections', '*'])).toHaveLength(7);
    // `true` exits without reading, so by the time the program writes, nobody is reading: EPIPE.
    for (const program of [
      [process.execPath, join(repositoryRoot, 'bin/butler.js'), 'query-datasets', repo, '--collections', '*'],
      [process.execPath, join(repositoryRoot, 'bin/meridian.js'), '--help'],
    ]) {
      const script = `(sleep 0.3; ${shellCommand(program)}; echo "status=$?" >&2) | true`;
      const stderr = await new Promise<string>((done) =>
        execFile('/bin/sh', ['-c', script], (_err, _stdout, err) => done(String(err))),
      );
      expect(stderr).toBe('status=0\n');
    }
  });

  it.runIf(hasScriptCommand)('asks for confirmation on a real terminal', async () => {
    const repo = await makeSqliteRepo(dir.path, 'prompt');
    const no = await spawnButlerOnTerminal(['remove-runs', repo, 'run2'], 'n\n');
    expect(no.code).toBe(0);
    expect(no.output).toContain('Remove 1 RUN collection(s) and their datasets? [y/N]');
    expect(no.output).toContain('Aborted; nothing removed.');
  });

  it.runIf(hasScriptCommand)('draw progress on a terminal and print nothing extra to a pipe', async () => {
    const survey = ['sim', 'survey', '--visits', '2', '--detectors', '1', '--detector-size', '64'];
    const onTerminal = await spawnMeridianOnTerminal([
      ...survey,
      join(dir.path, 'tty-survey'),
      '--workers',
      '1',
    ]);
    expect(onTerminal.code).toBe(0);
    expect(onTerminal.output).toMatch(/\rcalibrations \[/);
    expect(onTerminal.output).toMatch(/\rtruth and refcat \[#+\] 100% 1\/1 steps/);
    // The last state ends its line (the terminal shows \n as \r\n).
    const last = onTerminal.output.lastIndexOf('\rtruth and refcat [');
    expect(onTerminal.output.indexOf('\x1b[K\r\n', last)).toBeGreaterThan(last);
    const piped = await spawnMeridian([...survey, join(dir.path, 'piped-survey'), '--workers', '1'], {
      MERIDIAN_PROGRESS: '',
    });
    expect(piped.code).toBe(0);
    expect(piped.stderr).toBe('');
    expect(await spawnButler(['--version'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });
});

/**
 * Issue 9: `butler cleanup`, `remove-runs` finishing an interrupted removal, and SIGINT/SIGTERM during a write
 * (the transaction rolls back, placed files are removed, exit status 130/143).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Butler } from '../../../src/butler/index.js';
import { makeSqliteRepo } from '../fixtures.js';
import { butler, butlerJson, butlerOk, ensureBuilt, tempDir } from '../helpers.js';

const checkout = resolve(fileURLToPath(new URL('../../..', import.meta.url)));

let dir: ReturnType<typeof tempDir>;
beforeAll(async () => {
  dir = tempDir();
  await ensureBuilt();
}, 600_000);
afterAll(() => dir.cleanup());

/** What a `remove-runs` killed after its commit leaves: the run gone, its records in the trash, its files there. */
async function interruptedRemoval(repo: string, run: string): Promise<void> {
  const b = await Butler.open(repo, { writeable: true });
  try {
    const refs = await b.registry.queryDatasets('*', { collections: [run] });
    await b.registry.transaction(async () => {
      await b.registry.stored.moveToTrash(refs.map((r) => r.id));
      await b.registry.removeCollection(run);
    });
  } finally {
    await b.close();
  }
}

function filesIn(root: string): string[] {
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

describe('butler cleanup', () => {
  it('reports with --dry-run, then removes trash, orphans and temporary files; verify is clean after', async () => {
    const repo = await makeSqliteRepo(dir.path, 'cleanup');
    await interruptedRemoval(repo, 'run2');
    mkdirSync(join(repo, 'killed', 'metrics'), { recursive: true });
    writeFileSync(join(repo, 'killed', 'metrics', 'metrics_1.json'), '{"half":');
    writeFileSync(join(repo, 'killed', 'metrics', '.mdtmp-00aa11bb22cc-metrics_2.json'), '{');
    const verify = await butler(['verify', repo]);
    expect(verify.code).toBe(1);
    expect(verify.stdout).toContain('orphan');

    const dry = await butlerJson(['cleanup', repo, '--dry-run']);
    expect(dry).toMatchObject({
      dryRun: true,
      trashedFiles: 1,
      orphans: ['killed/metrics/metrics_1.json'],
      temporaryFiles: ['killed/metrics/.mdtmp-00aa11bb22cc-metrics_2.json'],
    });
    expect(existsSync(join(repo, 'killed', 'metrics', 'metrics_1.json'))).toBe(true);

    const out = await butlerOk(['cleanup', repo]);
    expect(out).toContain('removed orphan killed/metrics/metrics_1.json');
    expect(out).toContain('1 trashed file(s) deleted; removed 1 orphan file(s) and 1 temporary file(s).');
    expect(existsSync(join(repo, 'killed'))).toBe(false);
    expect((await butler(['verify', repo])).code).toBe(0);
    // The committed datasets are untouched.
    expect(await butlerJson(['query-datasets', repo, 'metrics', '--collections', 'run1'])).toHaveLength(2);
    const again = await butlerJson(['cleanup', repo]);
    expect(again).toMatchObject({ trashedFiles: 0, orphans: [], temporaryFiles: [] });
  });

  it('is a usage error with a bad --min-age', async () => {
    const r = await butler(['cleanup', join(dir.path, 'nowhere'), '--min-age', '-1']);
    expect(r.code).toBe(2);
  });
});

describe('remove-runs after an interrupted remove-runs', () => {
  it('deletes the files left in the trash, reports 0 runs removed and exits 0', async () => {
    const repo = await makeSqliteRepo(dir.path, 'remove');
    await interruptedRemoval(repo, 'calib/run1');
    expect(filesIn(repo).filter((f) => f.includes('bias'))).toHaveLength(4);
    const out = await butlerOk(['remove-runs', repo, 'calib/run1', '--no-confirm']);
    expect(out).toContain('deleted 4 file(s) from the trash. Removed 0 RUN collection(s).');
    expect(filesIn(repo).filter((f) => f.includes('bias'))).toEqual([]);
    expect((await butler(['verify', repo])).code).toBe(0);
    // And again, with nothing left to do: still a success, so a retry after any interruption succeeds.
    const again = await butlerOk(['remove-runs', repo, 'calib/run1', '--no-confirm']);
    expect(again).toContain("No RUN collections match 'calib/run1'; nothing removed.");
  });
});

describe('SIGINT and SIGTERM during a write', () => {
  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)(
    '%s rolls the ingest back, removes the placed files and exits %d',
    async (signal, status) => {
      const repo = await makeSqliteRepo(dir.path, `signal-${signal}`);
      await butlerOk([
        'register-dataset-type',
        repo,
        'frames',
        'StructuredDataDict',
        'instrument',
        'detector',
      ]);
      const before = filesIn(repo).length;
      // Four 8 MB files, so that the copy takes long enough to be interrupted half-way.
      const sources = join(dir.path, `sources-${signal}`);
      mkdirSync(sources, { recursive: true });
      const rows = ['file,instrument,detector'];
      for (let detector = 1; detector <= 4; detector++) {
        const name = `frame_${detector}.json`;
        writeFileSync(join(sources, name), JSON.stringify({ detector, pad: 'x'.repeat(8 << 20) }));
        rows.push(`${name},Cam1,${detector}`);
      }
      writeFileSync(join(sources, 'table.csv'), `${rows.join('\n')}\n`);
      const child = spawn(
        process.execPath,
        [
          join(checkout, 'bin', 'butler.js'),
          'ingest-files',
          repo,
          'frames',
          'signal/run',
          join(sources, 'table.csv'),
          '-t',
          'copy',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stderr = '';
      child.stderr.on('data', (d) => {
        stderr += String(d);
      });
      const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
      // Wait until the ingest has placed a file (it is then inside its transaction), then interrupt it.
      const deadline = Date.now() + 60_000;
      let placed = false;
      while (!placed && child.exitCode === null && Date.now() < deadline) {
        placed = filesIn(repo).some((f) => f.includes('frame') || f.includes('.mdtmp-'));
        if (!placed) await new Promise((r) => setTimeout(r, 5));
      }
      expect(placed).toBe(true);
      child.kill(signal);
      expect(await exited).toBe(status);
      expect(stderr).toContain(`${signal} received; rolling back`);
      expect(stderr).toContain('[ABORTED]');
      expect(filesIn(repo)).toHaveLength(before);
      expect((await butler(['verify', repo])).code).toBe(0);
      expect(
        (await butlerJson(['query-collections', repo])).map((c: { name: string }) => c.name),
      ).not.toContain('signal/run');
      // The same command then succeeds.
      await butlerOk([
        'ingest-files',
        repo,
        'frames',
        'signal/run',
        join(sources, 'table.csv'),
        '-t',
        'copy',
      ]);
      expect(
        await butlerJson(['query-datasets', repo, 'frames', '--collections', 'signal/run']),
      ).toHaveLength(4);
    },
    120_000,
  );
});

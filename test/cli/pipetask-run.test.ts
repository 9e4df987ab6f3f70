import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Butler } from '../../src/butler/index.js';
import { receiptDirectory, writeQuantumGraph } from '../../src/pipe/index.js';
import { buildGraph, chainEntries, makeRepo, type TestRepo } from '../pipe/exec/fixture.js';
import { postgresEnabled, postgresUrl } from '../support/postgres.js';
import { ensureBuilt, repositoryRoot, spawnButler, spawnPipetask } from './helpers.js';

let repo: TestRepo | undefined;
beforeAll(ensureBuilt, 300_000);
afterEach(async () => {
  await repo?.cleanup();
  repo = undefined;
});

type Backend = 'sqlite' | 'postgresql';

/** A repository and a saved graph of `add` per detector, `add2` per detector and one `sum`; the butler is closed. */
async function prepare(
  backend: Backend,
  detectors: number,
  entries = chainEntries(),
  output: string | null = 'u/test/out',
) {
  repo = await makeRepo({ detectors, postgresUrl: backend === 'postgresql' ? postgresUrl : null });
  const graph = await buildGraph(repo.butler, entries, { output });
  const path = join(repo.root, '..', `${repo.root.split('/').at(-1)}.qg`);
  await writeQuantumGraph(path, graph);
  await repo.butler.close();
  return { graph, path, root: repo.root };
}

async function countDatasets(root: string, run: string): Promise<Record<string, number>> {
  const butler = await Butler.open(root);
  try {
    const refs = await butler.registry.queryDatasets([], { collections: [run] });
    const counts: Record<string, number> = {};
    for (const r of refs) counts[r.datasetType.name] = (counts[r.datasetType.name] ?? 0) + 1;
    return counts;
  } finally {
    await butler.close();
  }
}

function countReceipts(root: string, run: string): number {
  const dir = receiptDirectory(root, run);
  let n = 0;
  try {
    for (const sub of readdirSync(dir)) {
      if (sub === 'init') continue;
      n += readdirSync(join(dir, sub)).filter((f) => f.endsWith('.json') && !f.startsWith('.tmp')).length;
    }
  } catch {
    return 0;
  }
  return n;
}

/** Whether the merge has begun: its first transaction (run, dataset types, output chain) is committed. */
async function mergeStarted(backend: Backend, root: string, run: string): Promise<boolean> {
  if (backend === 'postgresql') {
    const { db, namespace } = registryConfig(root);
    const client = new pg.Client({ connectionString: db });
    try {
      await client.connect();
      const found = await client.query(`SELECT 1 FROM "${namespace}".collection WHERE name = $1`, [run]);
      return (found.rowCount ?? 0) > 0;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => {});
    }
  }
  let db: Database.Database | undefined;
  try {
    db = new Database(join(root, 'gen3.sqlite3'), { readonly: true, fileMustExist: true });
    return db.prepare('SELECT 1 FROM collection WHERE name = ?').get(run) !== undefined;
  } catch {
    return false;
  } finally {
    db?.close();
  }
}

/** The registry's server URL and schema from a PostgreSQL repository's butler.yaml. */
function registryConfig(root: string): { db: string; namespace: string } {
  const text = readFileSync(join(root, 'butler.yaml'), 'utf8');
  const db = /^\s*db:\s*(\S+)\s*$/m.exec(text)?.[1];
  const namespace = /^\s*namespace:\s*(\S+)\s*$/m.exec(text)?.[1];
  if (db === undefined || namespace === undefined) throw new Error(`no registry db/namespace in ${text}`);
  return { db: db.replace(/^['"]|['"]$/g, ''), namespace: namespace.replace(/^['"]|['"]$/g, '') };
}

/** Starts `pipetask args` and sends `signal` once `when()` holds (checked every 5 ms) or it ends by itself. */
function runAndSignal(
  args: readonly string[],
  when: () => boolean | Promise<boolean>,
  signal: NodeJS.Signals,
  delayMs = 0,
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(repositoryRoot, 'bin/pipetask.js'), ...args], {
      cwd: repositoryRoot,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    let checking = false;
    let fired = false;
    const timer = setInterval(async () => {
      if (checking || fired) return;
      checking = true;
      const ready = await when();
      checking = false;
      if (!ready || fired) return;
      fired = true;
      clearInterval(timer);
      setTimeout(() => child.kill(signal), delayMs);
    }, 5);
    child.on('exit', (code) => {
      clearInterval(timer);
      resolve({ code, stderr });
    });
  });
}

/** Starts `pipetask args` and SIGKILLs it once `when()` holds (checked every 5 ms) or it ends by itself. */
async function runAndKill(
  args: readonly string[],
  when: () => boolean | Promise<boolean>,
  delayMs = 0,
): Promise<number | null> {
  return (await runAndSignal(args, when, 'SIGKILL', delayMs)).code;
}

for (const backend of ['sqlite', 'postgresql'] as const) {
  const runs = backend === 'sqlite' || postgresEnabled('pipetask run on a PostgreSQL registry');
  describe.skipIf(!runs)(`pipetask run, report, run-qbb and aggregate-graph (${backend})`, () => {
    it('runs a graph with -j 2, merges it, reports it, and butler verify is clean', async () => {
      const { graph, path, root } = await prepare(backend, 3);
      const run = graph.header.outputRun;
      const r = await spawnPipetask(['run', '-b', root, '-g', path, '-j', '2']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('Executed 4 quanta successfully, 0 failed and 0 blocked out of 4');
      expect(r.stdout).toContain('14 datasets inserted');
      expect(await countDatasets(root, run)).toEqual({
        add_config: 1,
        add_log: 3,
        add_metadata: 3,
        add_output: 3,
        sum_config: 1,
        sum_log: 1,
        sum_metadata: 1,
        sum_output: 1,
      });
      const report = await spawnPipetask(['report', root, path, '--json']);
      expect(report.code).toBe(0);
      const json = JSON.parse(report.stdout) as { tasks: { label: string; succeeded: number }[] };
      expect(json.tasks.map((t) => [t.label, t.succeeded])).toEqual([
        ['add', 3],
        ['sum', 1],
      ]);
      const text = await spawnPipetask(['report', root, path]);
      expect(text.stdout.split('\n')[0]).toMatch(
        /^task\s+expected\s+succeeded\s+noWork\s+skipped\s+failed\s+blocked\s+unknown$/,
      );
      expect((await spawnButler(['verify', root])).code).toBe(0);
      // butler cleanup leaves the receipts alone (they are bookkeeping, not orphans).
      const cleanup = await spawnButler(['cleanup', root, '--json']);
      expect(JSON.parse(cleanup.stdout)).toMatchObject({ orphans: [] });
      expect(countReceipts(root, run)).toBe(4);
      // The run exists now: running again needs --skip-existing, which skips everything.
      const again = await spawnPipetask(['run', '-b', root, '-g', path]);
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(/OUTPUT_EXISTS/);
      const skipped = await spawnPipetask(['run', '-b', root, '-g', path, '--skip-existing', '--json']);
      expect(skipped.code).toBe(0);
      expect(JSON.parse(skipped.stdout)).toMatchObject({
        total: 4,
        skipped: 4,
        merge: { datasetsInserted: 0 },
      });
    }, 180_000);

    it('run -t builds the graph from the pipeline first, as qgraph does, then runs and merges it', async () => {
      const { root } = await prepare(backend, 3);
      const args = [
        'run',
        '-b',
        root,
        '-i',
        'inputs/run',
        '-o',
        'u/test/built',
        '-t',
        'meridian.pipe.testing.AddTask:add',
      ];
      const r = await spawnPipetask([...args, '-d', 'detector < 3', '-j', '2', '--json']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout) as {
        run: string;
        succeeded: number;
        merge: { datasetsInserted: number };
      };
      expect(out).toMatchObject({ succeeded: 2, merge: { datasetsInserted: 7 } });
      expect(out.run).toMatch(/^u\/test\/built\/\d{8}T\d{6}Z$/);
      expect(await countDatasets(root, 'u/test/built')).toMatchObject({ add_output: 2 });
      const both = await spawnPipetask([...args, '-g', 'x.qg']);
      expect(both.code).toBe(1);
      expect(both.stderr).toMatch(/either -g\/--qgraph FILE or a pipeline/);
    }, 180_000);

    it('exits 1 when a quantum failed, after merging the good ones, and names the failure', async () => {
      const { path, root, graph } = await prepare(
        backend,
        2,
        chainEntries({ add: { failure: { mode: 'exit', where: { detector: 2 } } } }),
      );
      const summaryFile = join(root, '..', 'summary.json');
      const r = await spawnPipetask(['run', '-b', root, '-g', path, '--summary', summaryFile]);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('Executed 1 quanta successfully, 1 failed and 1 blocked out of 3');
      expect(r.stderr).toMatch(/FAILED add \{instrument: 'Cam', detector: 2\}: .*exited with status 3/);
      expect(await countDatasets(root, graph.header.outputRun)).toMatchObject({
        add_output: 1,
        add_metadata: 1,
      });
    }, 180_000);

    it('run-qbb executes with no registry access at all; aggregate-graph merges afterwards', async () => {
      const { graph, path, root } = await prepare(backend, 2);
      // Any attempt to open the registry now fails. SQLite: the file is not a database (and unreadable to non-root
      // users). PostgreSQL: the repository's config points at a port where no server listens.
      const registryFile = backend === 'sqlite' ? join(root, 'gen3.sqlite3') : join(root, 'butler.yaml');
      renameSync(registryFile, `${registryFile}.away`);
      if (backend === 'sqlite') writeFileSync(registryFile, 'not a database', { mode: 0o000 });
      else {
        const config = readFileSync(`${registryFile}.away`, 'utf8');
        const unreachable = config.replace(/(postgres(?:ql)?:\/\/[^/\s]*?)(:\d+)?\//, '$1:1/');
        expect(unreachable).not.toBe(config);
        writeFileSync(registryFile, unreachable);
      }
      const addIds = graph.quanta.filter((q) => q.label === 'add').map((q) => q.id);
      const sumId = graph.quanta.find((q) => q.label === 'sum')!.id;
      // The sum alone is blocked: its inputs have not been produced yet.
      const early = await spawnPipetask(['run-qbb', root, path, '--qgraph-node-id', sumId, '--json']);
      expect(early.code).toBe(0);
      expect(JSON.parse(early.stdout)).toMatchObject({ blocked: 1 });
      const first = await spawnPipetask([
        'run-qbb',
        root,
        path,
        '--qgraph-node-id',
        addIds.join(','),
        '-j',
        '2',
      ]);
      expect(first.stderr).toBe('');
      expect(first.stdout).toContain('Executed 2 quanta successfully');
      const second = await spawnPipetask(['run-qbb', root, path, '--qgraph-node-id', sumId]);
      expect(second.stdout).toContain('Executed 1 quanta successfully');
      const report = await spawnPipetask(['report', root, path, '--json']);
      expect(JSON.parse(report.stdout).tasks.map((t: { succeeded: number }) => t.succeeded)).toEqual([2, 1]);

      rmSync(registryFile, { force: true });
      renameSync(`${registryFile}.away`, registryFile);
      const merge = await spawnPipetask(['aggregate-graph', root, path, '--json']);
      expect(merge.code).toBe(0);
      expect(JSON.parse(merge.stdout)).toMatchObject({ quantaMerged: 5, datasetsInserted: 11 });
      expect((await spawnButler(['verify', root])).code).toBe(0);
    }, 180_000);

    it('survives SIGKILL mid-run and during the merge: the same command with --skip-existing completes with nothing lost or duplicated', async () => {
      const entries = [
        ...chainEntries(),
        {
          label: 'add2',
          taskName: 'meridian.pipe.testing.AddTask',
          config: { connections: { inputName: 'add_output', outputName: 'add2_output' } },
        },
      ];
      const { graph, path, root } = await prepare(backend, 16, entries);
      const run = graph.header.outputRun;
      const total = graph.quanta.length;
      const args = ['run', '-b', root, '-g', path, '-j', '2'];
      // Kill points: early in the run, half way, when every quantum is done (the merge is starting or running).
      const exits: (number | null)[] = [];
      exits.push(await runAndKill(args, () => countReceipts(root, run) >= 3));
      await new Promise((r) => setTimeout(r, 300));
      const halfDone = countReceipts(root, run);
      exits.push(await runAndKill([...args, '--skip-existing'], () => countReceipts(root, run) >= total / 2));
      await new Promise((r) => setTimeout(r, 300));
      for (const delay of [0, 40]) {
        exits.push(
          await runAndKill([...args, '--skip-existing'], () => countReceipts(root, run) >= total, delay),
        );
        await new Promise((r) => setTimeout(r, 300));
      }
      // During the merge: after its first transaction, before or while the datasets are imported.
      exits.push(await runAndKill([...args, '--skip-existing'], () => mergeStarted(backend, root, run)));
      await new Promise((r) => setTimeout(r, 300));
      // Every run was killed (null: ended by a signal); the first two with quanta still to do.
      expect(exits).toEqual([null, null, null, null, null]);
      expect(halfDone).toBeLessThan(total);
      const final = await spawnPipetask([...args, '--skip-existing', '--json']);
      expect(final.stderr).toBe('');
      expect(final.code).toBe(0);
      expect(JSON.parse(final.stdout)).toMatchObject({ total, failed: 0, blocked: 0 });
      expect(await countDatasets(root, run)).toEqual({
        add_config: 1,
        add_log: 16,
        add_metadata: 16,
        add_output: 16,
        add2_config: 1,
        add2_log: 16,
        add2_metadata: 16,
        add2_output: 16,
        sum_config: 1,
        sum_log: 1,
        sum_metadata: 1,
        sum_output: 1,
      });
      const butler = await Butler.open(root);
      try {
        expect(
          await butler.get('sum_output', { instrument: 'Cam' }, { collections: ['u/test/out'] }),
        ).toEqual({
          value: (16 * 17) / 2 + 16,
        });
        expect(
          await butler.get('add2_output', { instrument: 'Cam', detector: 7 }, { collections: [run] }),
        ).toEqual({
          value: 9,
        });
      } finally {
        await butler.close();
      }
      const verify = await spawnButler(['verify', root]);
      expect(verify.stdout + verify.stderr).not.toMatch(/orphan|missing/);
      expect(verify.code).toBe(0);
    }, 300_000);

    it('Ctrl-C stops the run (workers killed, exit 130) and --skip-existing finishes it', async () => {
      const { graph, path, root } = await prepare(backend, 12);
      const run = graph.header.outputRun;
      const args = ['run', '-b', root, '-g', path, '-j', '2'];
      const stopped = await runAndSignal(args, () => countReceipts(root, run) >= 2, 'SIGINT');
      expect(stopped.code).toBe(130);
      expect(stopped.stderr).toMatch(/ABORTED/);
      expect(countReceipts(root, run)).toBeLessThan(13);
      const final = await spawnPipetask([...args, '--skip-existing', '--json']);
      expect(final.code).toBe(0);
      expect(JSON.parse(final.stdout)).toMatchObject({ total: 13, failed: 0 });
      expect((await countDatasets(root, run)).add_output).toBe(12);
      expect((await spawnButler(['verify', root])).code).toBe(0);
    }, 180_000);
  });
}

/**
 * The crash matrix: a writer is killed with SIGKILL (or interrupted with SIGINT) at a random moment, then the same
 * command is run again and must succeed, after which the repository (or catalog) must hold exactly what one
 * uninterrupted run leaves: nothing lost, nothing duplicated, no orphan file, no stuck transaction. For a butler
 * repository, `butler cleanup` must then remove every leftover temporary file and leave `verify` clean. Every scenario drives the real programs in
 * `bin/` (or a library loop through `dist/`), so `dist/` must be built.
 *
 * Used by test/reliability/crash-matrix.test.ts (a few kills per scenario) and `npm run fuzz -- --only crash`
 * (the nightly size). docs/reliability.md states the promise this checks.
 */

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { type Random, seededRandom } from './inputs.js';

const run = promisify(execFile);

export interface CrashScenario {
  readonly name: string;
  /** Builds the state every attempt starts from (once per matrix), under `dir`. */
  prepare(dir: string): Promise<void>;
  /** The command to kill and then run again, as [program, ...args], with `work` the attempt's own copy. */
  command(work: string): readonly string[];
  /** Checks the state after the retry succeeded; returns the problems found (empty when all is well). */
  check(work: string): Promise<string[]>;
  /** How the writer is stopped (default SIGKILL); SIGINT must roll back and exit 130. */
  readonly signal?: 'SIGKILL' | 'SIGINT';
}

export interface CrashOutcome {
  readonly scenario: string;
  readonly attempt: number;
  /** When the writer was killed, ms after it started (null: it finished before the kill). */
  readonly killedAtMs: number | null;
  readonly retryExit: number;
  /** The interrupted writer's exit status (null when killed by a signal). */
  readonly writerExit: number | null;
  readonly problems: readonly string[];
}

export interface CrashMatrixOptions {
  readonly root: string;
  /** The checkout whose bin/ and dist/ are exercised. */
  readonly checkout: string;
  readonly attempts: number;
  readonly seed: number;
  readonly scenarios?: readonly string[];
  readonly onOutcome?: (outcome: CrashOutcome) => void;
}

async function node(
  checkout: string,
  args: readonly string[],
  cwd?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [...args], {
      cwd: cwd ?? checkout,
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, MERIDIAN_DEBUG: '1' },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

function bin(checkout: string, program: 'butler' | 'meridian'): string {
  return join(checkout, 'bin', `${program}.js`);
}

/** Runs `argv` to completion and returns how long it took (ms); throws if it fails. */
async function timed(checkout: string, argv: readonly string[]): Promise<number> {
  const t0 = performance.now();
  const result = await node(checkout, argv);
  if (result.code !== 0) throw new Error(`${argv.join(' ')} failed (${result.code}): ${result.stderr}`);
  return performance.now() - t0;
}

function killAfter(
  child: ChildProcess,
  ms: number,
  signal: 'SIGKILL' | 'SIGINT' = 'SIGKILL',
): Promise<number | null> {
  return new Promise((done) => {
    const t0 = performance.now();
    const timer = setTimeout(() => {
      if (child.exitCode === null) {
        child.kill(signal);
        done(performance.now() - t0);
      }
    }, ms);
    child.on('exit', () => {
      clearTimeout(timer);
      done(null);
    });
  });
}

async function butlerVerify(checkout: string, repo: string): Promise<string[]> {
  const result = await node(checkout, [bin(checkout, 'butler'), 'verify', repo, '--json']);
  if (result.code !== 0)
    return [
      `butler verify exited ${result.code}: ${result.stdout.slice(0, 2000)}${result.stderr.slice(0, 1000)}`,
    ];
  return [];
}

/**
 * What a kill may leave besides orphans (which `verify` reports): temporary files. `butler cleanup` must remove
 * them all and leave `verify` clean.
 */
async function butlerCleanup(checkout: string, repo: string): Promise<string[]> {
  const result = await node(checkout, [bin(checkout, 'butler'), 'cleanup', repo, '--json']);
  if (result.code !== 0) return [`butler cleanup exited ${result.code}: ${result.stderr.slice(0, 1000)}`];
  const left = filesUnder(repo).filter((f) => f.split('/').pop()?.startsWith('.mdtmp-'));
  const problems = left.length > 0 ? [`${left.length} temporary files left after cleanup`] : [];
  return [...problems, ...(await butlerVerify(checkout, repo))];
}

async function datasetCount(
  checkout: string,
  repo: string,
  datasetType: string,
  collection: string,
): Promise<number> {
  const result = await node(checkout, [
    bin(checkout, 'butler'),
    'query-datasets',
    repo,
    datasetType,
    '--collections',
    collection,
    '--json',
  ]);
  if (result.code !== 0) throw new Error(`query-datasets failed: ${result.stderr}`);
  const parsed = JSON.parse(result.stdout) as unknown[] | { datasets: unknown[] };
  return Array.isArray(parsed) ? parsed.length : parsed.datasets.length;
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath ?? (e as unknown as { path: string }).path, e.name));
}

/** A small simulated survey, a repository with MeridianCam registered, and the number of raws. */
async function prepareSurvey(checkout: string, dir: string): Promise<number> {
  const sim = join(dir, 'sim');
  await timed(checkout, [
    bin(checkout, 'meridian'),
    'sim',
    'survey',
    sim,
    '--visits',
    '8',
    '--detectors',
    '4',
    '--detector-size',
    '256',
    '--workers',
    '1',
  ]);
  const repo = join(dir, 'repo');
  await timed(checkout, [bin(checkout, 'butler'), 'create', repo]);
  await timed(checkout, [
    bin(checkout, 'butler'),
    'register-instrument',
    repo,
    '--sim-manifest',
    join(sim, 'manifest.json'),
  ]);
  return filesUnder(join(sim, 'raw')).filter((f) => f.endsWith('.fits')).length;
}

export function crashScenarios(checkout: string): CrashScenario[] {
  let raws = 0;
  const ingestRaws = (transfer: string, signal?: 'SIGINT'): CrashScenario => ({
    name: `butler ingest-raws -t ${transfer}${signal === undefined ? '' : ` (${signal})`}`,
    signal,
    async prepare(dir) {
      raws = await prepareSurvey(checkout, dir);
    },
    command: (work) => [
      bin(checkout, 'butler'),
      'ingest-raws',
      join(work, 'repo'),
      join(work, 'sim', 'raw'),
      '-t',
      transfer,
    ],
    async check(work) {
      const problems = await butlerVerify(checkout, join(work, 'repo'));
      const n = await datasetCount(checkout, join(work, 'repo'), 'raw', 'MeridianCam/raw/all');
      if (n !== raws) problems.push(`${n} raw datasets, expected ${raws}`);
      return [...problems, ...(await butlerCleanup(checkout, join(work, 'repo')))];
    },
  });

  const removeRuns: CrashScenario = {
    name: 'butler remove-runs',
    async prepare(dir) {
      raws = raws || (await prepareSurvey(checkout, dir));
      if (!existsSync(join(dir, 'sim'))) raws = await prepareSurvey(checkout, dir);
      await timed(checkout, [
        bin(checkout, 'butler'),
        'ingest-raws',
        join(dir, 'repo'),
        join(dir, 'sim', 'raw'),
        '-t',
        'copy',
      ]);
    },
    command: (work) => [
      bin(checkout, 'butler'),
      'remove-runs',
      join(work, 'repo'),
      'MeridianCam/raw/all',
      '--no-confirm',
    ],
    async check(work) {
      const problems = await butlerVerify(checkout, join(work, 'repo'));
      const left = filesUnder(join(work, 'repo')).filter((f) => f.endsWith('.fits'));
      if (left.length > 0) problems.push(`${left.length} raw files left in the datastore`);
      return [...problems, ...(await butlerCleanup(checkout, join(work, 'repo')))];
    },
  };

  const PUTS = 120;
  const putLoop: CrashScenario = {
    name: 'Butler.put loop (library)',
    async prepare(dir) {
      const repo = join(dir, 'repo');
      await timed(checkout, [bin(checkout, 'butler'), 'create', repo]);
      await timed(checkout, [
        bin(checkout, 'butler'),
        'register-dataset-type',
        repo,
        'crashDoc',
        'StructuredDataDict',
      ]);
      writeFileSync(
        join(dir, 'put-loop.mjs'),
        [
          `import { Butler } from ${JSON.stringify(resolve(checkout, 'dist', 'butler', 'index.js'))};`,
          'const butler = await Butler.open(process.argv[2], { writeable: true });',
          `for (let k = 0; k < ${PUTS}; k++) {`,
          "  const run = 'crash/put/' + String(k).padStart(4, '0');",
          "  if (await butler.exists('crashDoc', {}, { collections: [run] }).catch(() => false)) continue;",
          "  await butler.put({ k, payload: 'x'.repeat(20000) }, 'crashDoc', {}, { run });",
          '}',
          'await butler.close();',
        ].join('\n'),
      );
    },
    command: (work) => [join(work, 'put-loop.mjs'), join(work, 'repo')],
    async check(work) {
      const problems = await butlerVerify(checkout, join(work, 'repo'));
      const n = await datasetCount(checkout, join(work, 'repo'), 'crashDoc', 'crash/put/*');
      if (n !== PUTS) problems.push(`${n} crashDoc datasets, expected ${PUTS}`);
      return [...problems, ...(await butlerCleanup(checkout, join(work, 'repo')))];
    },
  };

  let objectRows = 0;
  const catalogIngest: CrashScenario = {
    name: 'meridian catalog ingest',
    async prepare(dir) {
      const cat = join(dir, 'cat');
      await timed(checkout, [
        bin(checkout, 'meridian'),
        'sim',
        'catalogs',
        cat,
        '--objects',
        '20000',
        '--visits',
        '6',
      ]);
      const db = join(dir, 'catdb');
      await timed(checkout, [
        bin(checkout, 'meridian'),
        'catalog',
        'create',
        db,
        '--schema',
        join(checkout, 'config', 'catalog', 'dp02.yaml'),
      ]);
      const manifest = JSON.parse(readFileSync(join(cat, 'manifest.json'), 'utf8')) as {
        tables: Record<string, { rows: number }>;
      };
      objectRows = manifest.tables.Object.rows;
    },
    command: (work) => {
      const files = filesUnder(join(work, 'cat', 'Object'))
        .filter((f) => f.endsWith('.parquet'))
        .sort();
      return [bin(checkout, 'meridian'), 'catalog', 'ingest', join(work, 'catdb'), 'Object', ...files];
    },
    async check(work) {
      const result = await node(checkout, [
        bin(checkout, 'meridian'),
        'catalog',
        'query',
        join(work, 'catdb'),
        'SELECT COUNT(*) AS n, COUNT(DISTINCT objectId) AS d FROM dp02_dc2_catalogs.Object',
        '--format',
        'json',
      ]);
      if (result.code !== 0) return [`count query failed: ${result.stderr}`];
      const { rows } = JSON.parse(result.stdout) as { rows: [number | string, number | string][] };
      const [n, d] = rows[0].map(Number);
      const problems: string[] = [];
      if (n !== objectRows) problems.push(`${n} Object rows, expected ${objectRows}`);
      if (d !== n) problems.push(`${n - d} duplicated Object rows`);
      return problems;
    },
  };
  return [
    ingestRaws('copy'),
    ingestRaws('move'),
    ingestRaws('copy', 'SIGINT'),
    removeRuns,
    putLoop,
    catalogIngest,
  ];
}

/** Runs every scenario `attempts` times: copy the prepared state, start the writer, kill it, retry, check. */
export async function runCrashMatrix(options: CrashMatrixOptions): Promise<CrashOutcome[]> {
  const rand: Random = seededRandom(options.seed);
  const outcomes: CrashOutcome[] = [];
  const scenarios = crashScenarios(options.checkout).filter(
    (s) => options.scenarios === undefined || options.scenarios.includes(s.name),
  );
  for (const [index, scenario] of scenarios.entries()) {
    const base = join(options.root, `scenario-${index}`, 'base');
    mkdirSync(base, { recursive: true });
    await scenario.prepare(base);
    // One uninterrupted run on a copy gives the time range to kill in and proves the scenario itself is sound.
    const probe = join(options.root, `scenario-${index}`, 'probe');
    cpSync(base, probe, { recursive: true });
    const fullMs = await timed(options.checkout, scenario.command(probe));
    const probeProblems = await scenario.check(probe);
    if (probeProblems.length > 0)
      throw new Error(`${scenario.name} is unsound without a kill: ${probeProblems.join('; ')}`);
    rmSync(probe, { recursive: true, force: true });
    for (let attempt = 0; attempt < options.attempts; attempt++) {
      const work = join(options.root, `scenario-${index}`, `attempt-${attempt}`);
      cpSync(base, work, { recursive: true });
      const [program, ...args] = scenario.command(work);
      const child = spawn(process.execPath, [program, ...args], { stdio: 'ignore', cwd: options.checkout });
      // Kill somewhere between start-up and the end of an uninterrupted run.
      const exited = new Promise<void>((r) => child.on('exit', () => r()));
      const killedAtMs = await killAfter(child, 100 + rand() * Math.max(fullMs - 100, 50), scenario.signal);
      await exited;
      const writerExit = child.exitCode;
      const early: string[] = [];
      if (scenario.signal === 'SIGINT' && killedAtMs !== null) {
        // Interrupted, a butler write rolls back and exits 130 (or Node's own SIGINT exit if the signal came before
        // the program installed its handler); either way nothing is left: verify is clean before any retry.
        if (writerExit !== 130 && child.signalCode !== 'SIGINT')
          early.push(`the interrupted writer exited ${writerExit}, expected 130`);
        const repo = join(work, 'repo');
        const temporary = filesUnder(repo).filter((f) => f.split('/').pop()?.startsWith('.mdtmp-'));
        if (temporary.length > 0) early.push(`${temporary.length} temporary files left by the rollback`);
        early.push(...(await butlerVerify(options.checkout, repo)).map((p) => `after the rollback: ${p}`));
      }
      const retry = await node(options.checkout, [program, ...args]);
      const problems =
        retry.code === 0
          ? [...early, ...(await scenario.check(work))]
          : [...early, `the retry failed (${retry.code}): ${retry.stderr.slice(0, 2000)}`];
      const outcome = {
        scenario: scenario.name,
        attempt,
        killedAtMs,
        retryExit: retry.code,
        writerExit,
        problems,
      };
      outcomes.push(outcome);
      options.onOutcome?.(outcome);
      if (problems.length === 0) rmSync(work, { recursive: true, force: true });
    }
  }
  return outcomes;
}

/** Size of a directory tree in bytes (for reports). */
export function treeBytes(dir: string): number {
  return filesUnder(dir).reduce((sum, f) => sum + statSync(f).size, 0);
}

/**
 * Issue 9: a library loop of `put` and `ingest` (every transfer mode) in a child process, killed with SIGKILL many
 * times in a row; each restart carries on where the last one stopped. The final run must finish, after which the
 * repository holds every dataset exactly once, `verify` is clean, and `cleanup` leaves no temporary file. Before
 * issue 9 such a loop stopped for good with FILE_EXISTS after a few kills. Needs dist/.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../../fuzz/inputs.js';
import { Butler, TRANSFER_MODES, verifyRepository } from '../../src/butler/index.js';

const CHECKOUT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const root = mkdtempSync(join(tmpdir(), 'meridian-kill-loop-'));
const KILLS = Number(process.env.MERIDIAN_CRASH_ATTEMPTS ?? 4) * 4;
const ROUNDS = 40;

if (!existsSync(join(CHECKOUT, 'dist', 'butler', 'index.js'))) {
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: CHECKOUT, stdio: 'inherit' });
}

afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Each round puts one document and ingests one file, cycling through the transfer modes; done rounds are skipped. */
function loopScript(sources: string): string {
  return [
    `import { Butler } from ${JSON.stringify(join(CHECKOUT, 'dist', 'butler', 'index.js'))};`,
    `const modes = ${JSON.stringify(TRANSFER_MODES)};`,
    'const butler = await Butler.open(process.argv[2], { writeable: true });',
    `for (let k = 0; k < ${ROUNDS}; k++) {`,
    "  const run = 'loop/' + String(k).padStart(3, '0');",
    '  const transfer = modes[k % modes.length];',
    '  // exists() throws COLLECTION_UNKNOWN before the run is made.',
    "  const has = (type, detector) => butler.exists(type, { instrument: 'Cam1', detector }, { collections: [run] }).catch(() => false);",
    "  const needDoc = !(await has('loopDoc', 1));",
    "  const needRaw = !(await has('loopRaw', 4));",
    '  // Progress for the parent, which kills the loop a little after it starts its second round of work.',
    "  if (needDoc || needRaw) process.stdout.write('round ' + k + '\\n');",
    '  if (needDoc) {',
    "    await butler.put({ k, pad: 'x'.repeat(50000) }, 'loopDoc', { instrument: 'Cam1', detector: 1 }, { run });",
    '  }',
    '  if (needRaw) {',
    `    const files = [1, 2, 3, 4].map((detector) => ({ path: ${JSON.stringify(sources)} + '/raw_' + k + '_' + detector + '.json',`,
    "      refs: [{ datasetType: 'loopRaw', dataId: { instrument: 'Cam1', detector } }] }));",
    "    await butler.ingest(files, { run, transfer, idGenerationMode: 'DATAID_TYPE_RUN', skipExisting: true });",
    '  }',
    '}',
    'await butler.close();',
  ].join('\n');
}

/**
 * Runs the loop once. With `killAfterMs`, the child is killed that long after it reports starting its second round of
 * work: by progress, not by the clock, so that however fast the machine is each run does at most about two rounds
 * and the loop cannot finish before it has been killed many times (the delay moves the kill around inside a round).
 */
function runLoop(script: string, repo: string, killAfterMs: number | null): Promise<number | null> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [script, repo], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += String(d);
    });
    let rounds = 0;
    let timer: NodeJS.Timeout | undefined;
    child.stdout.on('data', (d) => {
      rounds += (String(d).match(/^round /gm) ?? []).length;
      if (killAfterMs !== null && rounds >= 2 && timer === undefined) {
        timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0 && signal === null) fail(new Error(`the loop failed (${code}): ${stderr}`));
      else done(code);
    });
  });
}

describe('a put/ingest loop killed with SIGKILL again and again', () => {
  it(`finishes after ${KILLS} kills with every dataset once and a clean repository`, async () => {
    const repo = join(root, 'repo');
    const setup = await Butler.create(repo);
    await setup.registry.insertDimensionData('instrument', [
      { name: 'Cam1', visit_max: 10, exposure_max: 10, detector_max: 4, class_name: 'test.Cam1' },
    ]);
    await setup.registry.insertDimensionData(
      'detector',
      [1, 2, 3, 4].map((id) => ({ instrument: 'Cam1', id, full_name: `D${id}` })),
    );
    await setup.registerDatasetType('loopDoc', ['instrument', 'detector'], 'StructuredDataDict');
    await setup.registerDatasetType('loopRaw', ['instrument', 'detector'], 'StructuredDataDict');
    await setup.close();
    // Sources outside the repository ('direct' and 'auto' use them in place).
    const sources = join(root, 'sources');
    mkdirSync(sources, { recursive: true });
    // Four 2 MB files per round: a batch takes long enough that many kills land between placing and committing.
    for (let k = 0; k < ROUNDS; k++) {
      for (const detector of [1, 2, 3, 4]) {
        writeFileSync(
          join(sources, `raw_${k}_${detector}.json`),
          JSON.stringify({ k, detector, pad: 'y'.repeat(2 << 20) }),
        );
      }
    }
    const script = join(root, 'loop.mjs');
    writeFileSync(script, loopScript(sources));

    // Kill it until it has been killed KILLS times or gets to the end by itself (then there is nothing left to kill).
    const rand = seededRandom(9);
    let killed = 0;
    let finished = false;
    while (killed < KILLS && !finished) {
      if ((await runLoop(script, repo, rand() * 60)) === null) killed += 1;
      else finished = true;
    }
    expect(await runLoop(script, repo, null)).toBe(0);
    expect(killed).toBeGreaterThanOrEqual(Math.min(KILLS, 8));

    const butler = await Butler.open(repo, { writeable: true });
    try {
      for (const type of ['loopDoc', 'loopRaw']) {
        expect(await butler.queryDatasets(type, { collections: ['loop/*'] }), type).toHaveLength(
          type === 'loopDoc' ? ROUNDS : 4 * ROUNDS,
        );
      }
      const report = await verifyRepository(butler, { checksum: true });
      expect(report.problems).toEqual([]);
      await butler.cleanup();
      const temporary = readdirSync(repo, { recursive: true }).filter((f) => String(f).includes('.mdtmp-'));
      expect(temporary).toEqual([]);
      expect((await verifyRepository(butler)).problems).toEqual([]);
      // Every file still reads back.
      for (const ref of await butler.queryDatasets('loopRaw', { collections: ['loop/*'] })) {
        expect(((await butler.get(ref)) as { k: number }).k).toBe(Number(ref.run.slice(5)));
      }
    } finally {
      await butler.close();
    }
  }, 600_000);
});

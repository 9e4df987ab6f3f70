import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePipetaskProgram } from '../../src/cli/pipetask.js';
import { openQuantumGraph } from '../../src/pipe/index.js';
import { type PipelineRepo, pipelineRepo, putFinishedCalibrate } from '../pipe/graph/fixtures.js';
import { postgresEnabled } from '../support/postgres.js';
import { type CliResult, runInProcess } from './in-process.js';

const pipetask = (args: readonly string[]): Promise<CliResult> =>
  runInProcess(makePipetaskProgram(), args, {});

/** calibrate (bias + refcat per exposure × detector), then addCalibrated: pipelines/testing/calibrate.yaml. */
const PIPELINE = ['-p', 'pipelines/testing/calibrate.yaml'];

for (const backend of ['sqlite', 'postgresql'] as const) {
  const runs = backend === 'sqlite' || postgresEnabled('pipetask qgraph on a PostgreSQL registry');
  describe.skipIf(!runs)(`pipetask qgraph (${backend})`, () => {
    let repo: PipelineRepo;
    let out: string;
    beforeAll(async () => {
      repo = await pipelineRepo(backend);
      out = join(repo.root, '..');
    }, 120_000);
    afterAll(async () => {
      await repo?.cleanup();
    });

    it('builds, saves and summarises a graph per task, with a DOT drawing', async () => {
      const file = join(out, 'cal.mqg');
      const dot = join(out, 'cal.dot');
      const r = await pipetask([
        'qgraph',
        '-b',
        repo.root,
        '-i',
        'inputs',
        '-o',
        'u/me/cal',
        ...PIPELINE,
        '-q',
        file,
        '--qgraph-dot',
        dot,
      ]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const lines = r.stdout.trim().split('\n');
      expect(lines[0]).toMatch(/^label\s+quanta\s+no work\s+skipped$/);
      expect(lines[2]).toMatch(/^calibrate\s+16\s+0\s+0$/);
      expect(lines[3]).toMatch(/^addCalibrated\s+16\s+0\s+0$/);
      expect(lines[4]).toMatch(
        /^Quantum graph: 32 quanta, \d+ datasets; output run u\/me\/cal\/\d{8}T\d{6}Z; saved to /,
      );
      await using source = await openQuantumGraph(file, repo.butler.universe);
      expect(source.header.taskQuanta).toEqual({ calibrate: 16, addCalibrated: 16 });
      expect(source.header.output).toBe('u/me/cal');
      expect(source.header.command).toContain('qgraph');
      const text = readFileSync(dot, 'utf8');
      expect(text.startsWith('digraph QuantumGraph {')).toBe(true);
      expect(text.match(/ -> /g)).toHaveLength(16);
    });

    it('--json, a data query with YAML bind values, and an explicit output run', async () => {
      const r = await pipetask([
        'qgraph',
        '-b',
        repo.root,
        '-i',
        'raw/run,calib',
        '-i',
        'refcats',
        '--output-run',
        'u/me/run1',
        ...PIPELINE,
        '-d',
        'detector IN (:d) AND exposure = :e',
        '--bind',
        'd=[1, 2]',
        '--bind',
        'e=110',
        '--json',
      ]);
      expect(r.code).toBe(0);
      const doc = JSON.parse(r.stdout);
      expect(doc).toMatchObject({
        file: null,
        outputRun: 'u/me/run1',
        output: null,
        inputCollections: ['raw/run', 'calib', 'refcats'],
        dataQuery: 'detector IN (:d) AND exposure = :e',
        nQuanta: 4,
        tasks: [
          { label: 'calibrate', quanta: 2, noWork: 0, skipped: 0 },
          { label: 'addCalibrated', quanta: 2, noWork: 0, skipped: 0 },
        ],
      });
    });

    it('reports an empty graph, a missing prerequisite and outputs in the way with their codes', async () => {
      const empty = await pipetask([
        'qgraph',
        '-b',
        repo.root,
        '-i',
        'inputs',
        '-o',
        'u/x',
        ...PIPELINE,
        '-d',
        'detector = 42',
      ]);
      expect(empty.code).toBe(1);
      expect(empty.stderr).toMatch(
        /error \[QGRAPH_EMPTY\]: .*the data query 'detector = 42' matches no data IDs/,
      );
      expect(empty.stderr).toMatch(/hint: /);
      const noCalib = await pipetask([
        'qgraph',
        '-b',
        repo.root,
        '-i',
        'raw/run,refcats',
        '-o',
        'u/x',
        ...PIPELINE,
      ]);
      expect(noCalib.stderr).toMatch(/error \[PREREQUISITE_MISSING\]: calibrate: no bias_value/);
      await repo.butler.registerDatasetType(
        'calibrated',
        ['instrument', 'exposure', 'detector'],
        'StructuredDataDict',
      );
      await repo.butler.put(
        { value: 1 },
        'calibrated',
        { instrument: 'Cam1', exposure: 100, detector: 1 },
        { run: 'u/me/partial' },
      );
      const args = ['qgraph', '-b', repo.root, '-i', 'inputs', '--output-run', 'u/me/partial', ...PIPELINE];
      const inTheWay = await pipetask(args);
      expect(inTheWay.stderr).toMatch(
        /error \[OUTPUT_EXISTS\]: 1 quantum has outputs already in the output run u\/me\/partial/,
      );
      const clobber = await pipetask([...args, '--clobber-outputs', '--json']);
      expect(clobber.code).toBe(0);
      expect(JSON.parse(clobber.stdout).nQuanta).toBe(32);
      const usage = await pipetask(['qgraph', '-b', repo.root, ...PIPELINE, '-o', 'u/x']);
      expect(usage.stderr).toMatch(/INVALID_ARGUMENT.*no input collections/);
    });

    it('--extend-run writes into the chain first run and skips quanta already done there', async () => {
      const { butler } = repo;
      const dataId = { instrument: 'Cam1', exposure: 111, detector: 4 };
      await putFinishedCalibrate(butler, dataId, 'u/me/ext/r1', 3);
      await butler.registry.registerCollection('u/me/ext', 'CHAINED');
      await butler.registry.setCollectionChain('u/me/ext', ['u/me/ext/r1', 'inputs']);
      const r = await pipetask([
        'qgraph',
        '-b',
        repo.root,
        '-o',
        'u/me/ext',
        '--extend-run',
        ...PIPELINE,
        '--json',
      ]);
      expect(r.stderr).toBe('');
      const doc = JSON.parse(r.stdout);
      expect(doc.outputRun).toBe('u/me/ext/r1');
      expect(doc.inputCollections).toEqual(['inputs']);
      expect(doc.tasks[0]).toEqual({ label: 'calibrate', quanta: 15, noWork: 0, skipped: 1 });
      expect(doc.tasks[1]).toEqual({ label: 'addCalibrated', quanta: 16, noWork: 0, skipped: 0 });
    });
  });
}

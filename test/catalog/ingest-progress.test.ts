import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Catalog, ingestDirectory } from '../../src/catalog/index.js';
import { generateFixture } from './fixtures/generate.js';
import { dp02SchemaYaml, temporaryDir } from './helpers.js';

type Progress = { phase: string; done: number; total?: number; unit?: string };

const tmp = temporaryDir('ingest-progress');
afterAll(() => tmp.remove());
const fixture = generateFixture(join(tmp.dir, 'fixture'));

/** The fixture's Visit table as two CSV files of about half the rows each. */
function splitVisits(): [string, string] {
  const [header, ...rows] = readFileSync(fixture.Visit, 'utf8').trimEnd().split('\n');
  const half = Math.ceil(rows.length / 2);
  const a = join(tmp.dir, 'visits-a.csv');
  const b = join(tmp.dir, 'visits-b.csv');
  writeFileSync(a, `${[header, ...rows.slice(0, half)].join('\n')}\n`);
  writeFileSync(b, `${[header, ...rows.slice(half)].join('\n')}\n`);
  return [a, b];
}

describe('catalog ingest onProgress', () => {
  it('ingestFiles counts the files contributed, then announces the commit', async () => {
    const catalog = await Catalog.create(join(tmp.dir, 'one'), { schemaYaml: dp02SchemaYaml });
    try {
      const updates: Progress[] = [];
      await catalog.ingestFiles('Visit', splitVisits(), { onProgress: (p) => updates.push(p) });
      expect(updates).toEqual([
        { phase: 'Visit', done: 0, total: 2, unit: 'files' },
        { phase: 'Visit', done: 1, total: 2, unit: 'files' },
        { phase: 'Visit', done: 2, total: 2, unit: 'files' },
        { phase: 'commit Visit', done: 2, total: 2, unit: 'files' },
      ]);
    } finally {
      await catalog.close();
    }
  });

  it('ingestFiles into an open transaction leaves the commit (and its update) to the caller', async () => {
    const catalog = await Catalog.create(join(tmp.dir, 'open'), { schemaYaml: dp02SchemaYaml });
    try {
      const updates: Progress[] = [];
      const transactionId = await catalog.beginTransaction();
      await catalog.ingestFiles('Visit', [fixture.Visit], {
        transactionId,
        onProgress: (p) => updates.push(p),
      });
      expect(updates.map((u) => `${u.phase} ${u.done}/${u.total}`)).toEqual(['Visit 0/1', 'Visit 1/1']);
      await catalog.abortTransaction(transactionId);
    } finally {
      await catalog.close();
    }
  });

  it('ingestDirectory reports each table it loads, reaching each total', async () => {
    const catalog = await Catalog.create(join(tmp.dir, 'dir'), { schemaYaml: dp02SchemaYaml });
    try {
      const updates: Progress[] = [];
      const done = await ingestDirectory(catalog, join(tmp.dir, 'fixture'), undefined, {
        onProgress: (p) => updates.push(p),
      });
      for (const table of done) {
        const commit = updates.filter((u) => u.phase === `commit ${table.table}`);
        expect(commit).toEqual([
          { phase: `commit ${table.table}`, done: table.files, total: table.files, unit: 'files' },
        ]);
      }
      expect(new Set(updates.map((u) => u.phase.replace(/^commit /, '')))).toEqual(
        new Set(done.map((t) => t.table)),
      );
    } finally {
      await catalog.close();
    }
  });
});

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readIngestTable } from '../../../src/cli/butler/ingest-table.js';
import { tempDir } from '../helpers.js';

/** The ingest-table reader in process (the ingest-files command itself is tested end to end in ingest.test.ts). */

let dir: ReturnType<typeof tempDir>;
beforeAll(() => {
  dir = tempDir();
});
afterAll(() => dir.cleanup());

function table(name: string, lines: readonly string[]): string {
  const path = join(dir.path, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

const ECSV_HEADER = ['# %ECSV 1.0', '# ---', '# datatype:', '# - {name: file, datatype: string}'];

describe('readIngestTable', () => {
  it('reads CSV with relative paths resolved against the table directory or --prefix, absolute paths kept', () => {
    const path = table('t.csv', ['file,instrument,detector', 'a.json,Cam1,1', '/data/b.json,Cam1,2']);
    expect(readIngestTable(path)).toEqual({
      dimensions: ['instrument', 'detector'],
      rows: [
        { line: 2, path: join(dir.path, 'a.json'), dataId: { instrument: 'Cam1', detector: '1' } },
        { line: 3, path: '/data/b.json', dataId: { instrument: 'Cam1', detector: '2' } },
      ],
    });
    expect(readIngestTable(path, { prefix: '/elsewhere' }).rows[0]!.path).toBe('/elsewhere/a.json');
  });

  it('reads ECSV with the default space delimiter, a declared comma, or commas in the column line', () => {
    const spaced = table('s.ecsv', [...ECSV_HEADER, 'file detector', 'a.json  1']);
    const declared = table('d.ecsv', [...ECSV_HEADER, "# delimiter: ','", 'file,detector', '"a b.json",1']);
    const commas = table('c.ecsv', [...ECSV_HEADER, 'file,detector', 'a.json,1']);
    expect(readIngestTable(spaced).rows.map((r) => r.dataId)).toEqual([{ detector: '1' }]);
    expect(readIngestTable(declared).rows.map((r) => r.path)).toEqual([join(dir.path, 'a b.json')]);
    expect(readIngestTable(commas).rows.map((r) => [r.line, r.dataId])).toEqual([[6, { detector: '1' }]]);
  });

  it('names the line of every malformation', () => {
    const cases: [string[], RegExp][] = [
      [['file,detector', 'a.json,1,extra'], /line 2: expected 2 columns/],
      [['file,detector', 'a.json,'], /line 2: column 'detector' is empty/],
      [['file,detector', ',1'], /line 2: the file column is empty/],
      [['file,file'], /line 1: column 'file' appears twice/],
      [['file,,detector'], /line 1: the header row needs/],
      [['file,detector'], /no data rows/],
      [[...ECSV_HEADER, "# delimiter: '|'", 'file|detector'], /line 1: unsupported ECSV delimiter "\|"/],
      [[...ECSV_HEADER, '# datatype: [unclosed', 'file detector'], /line 1: invalid ECSV YAML header/],
    ];
    cases.forEach(([lines, message], i) => {
      const path = table(`bad${i}.${lines[0]!.startsWith('#') ? 'ecsv' : 'csv'}`, lines);
      let error: { code?: string; message?: string } = {};
      try {
        readIngestTable(path);
      } catch (err) {
        error = err as typeof error;
      }
      expect(error.code, String(message)).toBe('TABLE_FORMAT');
      expect(error.message).toMatch(message);
    });
  });
});

/**
 * Serving while ingesting (`LiveCatalog`, `generations.ts`): a reader that follows published generations, a writer
 * that commits beside it, and the answers in between. The two-process tests run `meridian catalog ingest` (the built
 * CLI, `dist/`, as the CLI tests do) while this process queries in a loop: every answer is the catalog before the
 * commit or after it, never a part, and the new rows appear without reopening.
 */

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GENERATIONS_DIR, generationDir } from '../../src/catalog/generations.js';
import { Catalog, LiveCatalog } from '../../src/catalog/index.js';
import { createApp } from '../../src/server/index.js';
import { dp02SchemaYaml, generateFixture, temporaryDir } from './helpers.js';

const CHECKOUT = new URL('../..', import.meta.url).pathname;
const tmp = temporaryDir('live');
const fixture = generateFixture(join(tmp.dir, 'fixture'));
const COUNT = 'SELECT COUNT(*) AS n FROM Object';

/** The fixture's Object rows split into `parts` CSV files with the header each. */
function splitObjects(parts: number): string[] {
  const [header, ...rows] = readFileSync(fixture.Object, 'utf8').trimEnd().split('\n');
  const size = Math.ceil(rows.length / parts);
  const dir = join(tmp.dir, 'parts');
  mkdirSync(dir, { recursive: true });
  return Array.from({ length: parts }, (_, i) => {
    const path = join(dir, `Object-${i}.csv`);
    writeFileSync(path, `${header}\n${rows.slice(i * size, (i + 1) * size).join('\n')}\n`);
    return path;
  });
}

const parts = splitObjects(4);
const rowsIn = (paths: readonly string[]) =>
  paths.reduce((n, p) => n + readFileSync(p, 'utf8').trimEnd().split('\n').length - 1, 0);

let serial = 0;
/** A catalog holding the first part of Object. */
async function baseCatalog(): Promise<string> {
  const dir = join(tmp.dir, `catalog-${serial++}`);
  await using catalog = await Catalog.create(dir, { schemaYaml: dp02SchemaYaml });
  await catalog.ingestFiles('Object', [parts[0] as string]);
  return dir;
}

const count = async (reader: { query: Catalog['query'] }) => Number((await reader.query(COUNT)).rows[0]?.[0]);

/** `meridian catalog ingest DIR Object FILES…` as a process of its own; resolves with its exit code. */
function ingestProcess(
  dir: string,
  files: readonly string[],
): { done: Promise<number>; output: () => string; kill: () => void } {
  let output = '';
  const child = spawn(process.execPath, ['bin/meridian.js', 'catalog', 'ingest', dir, 'Object', ...files], {
    cwd: CHECKOUT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    output += d.toString();
  });
  return {
    done: new Promise((resolve) => child.on('exit', (code) => resolve(code ?? -1))),
    output: () => output,
    kill: () => child.kill('SIGKILL'),
  };
}

/** Runs `query` in a loop until `done` settles (and once more after); returns every answer. */
async function queryWhile<T>(done: Promise<unknown>, query: () => Promise<T>): Promise<T[]> {
  let finished = false;
  void done.finally(() => {
    finished = true;
  });
  const answers: T[] = [];
  while (!finished) answers.push(await query());
  answers.push(await query());
  return answers;
}

beforeAll(() => {
  expect(existsSync(join(CHECKOUT, 'dist/cli/index.js')) || existsSync(join(CHECKOUT, 'dist'))).toBe(true);
});
afterAll(() => tmp.remove());

describe('LiveCatalog', () => {
  it('lets a writer open and commit beside it, and its next query sees the commit without reopening', async () => {
    const dir = await baseCatalog();
    await using live = await LiveCatalog.open(dir);
    const before = await count(live);
    expect(before).toBe(rowsIn([parts[0] as string]));
    expect(live.generation).toBe(1);
    {
      // A read-only open of the czar file would make this CATALOG_BUSY; the live reader holds only its generation.
      await using writer = await Catalog.open(dir);
      await writer.ingestFiles('Object', [parts[1] as string]);
    }
    expect(await count(live)).toBe(rowsIn(parts.slice(0, 2)));
    expect(live.generation).toBe(2);
    // The writer kept generation 1 (this process held it); the reader removed it once it had moved on.
    expect(existsSync(generationDir(dir, 1))).toBe(false);
    // Director-index lookups of the new rows go through the generation's replica.
    const lastId = readFileSync(parts[1] as string, 'utf8')
      .trimEnd()
      .split('\n')
      .at(-1)
      ?.split(',')[0];
    const lookup = await live.query(`SELECT objectId FROM Object WHERE objectId = ${lastId}`);
    expect(lookup.rows.map((r) => String(r[0]))).toEqual([lastId]);
  });

  it('two readers opening a never-served catalog at once publish one first generation', async () => {
    const dir = await baseCatalog();
    const readers = await Promise.all([LiveCatalog.open(dir), LiveCatalog.open(dir)]);
    try {
      expect(readers.map((r) => r.generation)).toEqual([1, 1]);
      expect(readdirSync(join(dir, GENERATIONS_DIR)).sort()).toEqual(['00000001', 'CURRENT']);
      for (const reader of readers) expect(await count(reader)).toBe(rowsIn([parts[0] as string]));
    } finally {
      for (const reader of readers) await reader.close();
    }
  });

  it('keeps a stream on the generation it started on while a commit publishes the next', async () => {
    const dir = await baseCatalog();
    await using live = await LiveCatalog.open(dir);
    const stream = await live.stream('SELECT objectId FROM Object');
    {
      await using writer = await Catalog.open(dir);
      await writer.ingestFiles('Object', [parts[1] as string]);
      // The generation the stream reads is open in this process: the publish keeps it.
      expect(existsSync(generationDir(dir, 1))).toBe(true);
    }
    let streamed = 0;
    for await (const batch of stream.rows) streamed += batch.length;
    expect(streamed).toBe(rowsIn([parts[0] as string]));
    expect(await count(live)).toBe(rowsIn(parts.slice(0, 2)));
    // Generation 1 is closed now that its stream ended; the next commit removes it.
    {
      await using writer = await Catalog.open(dir);
      await writer.ingestFiles('Object', [parts[2] as string]);
    }
    expect(await count(live)).toBe(rowsIn(parts.slice(0, 3)));
    const left = readdirSync(join(dir, GENERATIONS_DIR)).filter((n) => n !== 'CURRENT');
    expect(left).not.toContain('00000001');
    expect(left).toContain('00000003');
  });

  it('releases the generation of a stream given up before its first batch', async () => {
    const dir = await baseCatalog();
    await using live = await LiveCatalog.open(dir);
    const stream = await live.stream('SELECT objectId FROM Object');
    {
      await using writer = await Catalog.open(dir);
      await writer.ingestFiles('Object', [parts[1] as string]);
    }
    // What a TAP request with MAXREC=0 does: it never asks for a batch.
    await stream.rows[Symbol.asyncIterator]().return?.();
    expect(await count(live)).toBe(rowsIn(parts.slice(0, 2)));
    {
      await using writer = await Catalog.open(dir);
      await writer.ingestFiles('Object', [parts[2] as string]);
    }
    expect(readdirSync(join(dir, GENERATIONS_DIR))).not.toContain('00000001');
  });

  it('removes what a publish cut off by a crash left, and a reopened reader serves the current generation', async () => {
    const dir = await baseCatalog();
    await (await LiveCatalog.open(dir)).close();
    const leftover = join(dir, GENERATIONS_DIR, '00000002.tmp-1-dead');
    mkdirSync(leftover);
    writeFileSync(join(leftover, 'czar.duckdb'), 'half a file');
    {
      await using writer = await Catalog.open(dir);
      await writer.ingestFiles('Object', [parts[1] as string]);
    }
    expect(existsSync(leftover)).toBe(false);
    await using live = await LiveCatalog.open(dir);
    expect(live.generation).toBe(2);
    expect(await count(live)).toBe(rowsIn(parts.slice(0, 2)));
  });
});

describe('two processes: queries in a loop while `meridian catalog ingest` commits', () => {
  it('a LiveCatalog sees the catalog before the commit or after it, never a part of it', async () => {
    const dir = await baseCatalog();
    await using live = await LiveCatalog.open(dir);
    const before = await count(live);
    const added = parts.slice(1);
    const ingest = ingestProcess(dir, added);
    const answers = await queryWhile(ingest.done, () => count(live));
    expect(await ingest.done, ingest.output()).toBe(0);
    const after = before + rowsIn(added);
    expect(new Set(answers).size).toBeLessThanOrEqual(2);
    for (const answer of answers) expect([before, after]).toContain(answer);
    // The first query ran before the ingest process had even started up; the last after its commit.
    expect(answers[0]).toBe(before);
    expect(answers.at(-1)).toBe(after);
    expect(answers.length).toBeGreaterThan(3);
  });

  it("the writer's clean-up keeps a generation another process still reads", async () => {
    const dir = await baseCatalog();
    await using live = await LiveCatalog.open(dir);
    const stream = await live.stream('SELECT objectId FROM Object');
    const ingest = ingestProcess(dir, [parts[1] as string]);
    expect(await ingest.done, ingest.output()).toBe(0);
    // The writer published generation 2 and tried to remove 1: DuckDB's lock told it this process holds it.
    expect(existsSync(join(generationDir(dir, 1), 'czar.duckdb'))).toBe(true);
    let streamed = 0;
    for await (const batch of stream.rows) streamed += batch.length;
    expect(streamed).toBe(rowsIn([parts[0] as string]));
    expect(await count(live)).toBe(rowsIn(parts.slice(0, 2)));
  });

  it('the TAP sync endpoint serves the new rows without a restart', async () => {
    const dir = await baseCatalog();
    const catalog = await LiveCatalog.open(dir);
    // The loop below queries as fast as answers come back for as long as the ingest runs (longer on a loaded
    // machine): the per-user request rate is not what this test is about, so it is off.
    const app = createApp({
      catalog,
      logger: false,
      auth: { allowAnonymous: true },
      limits: { userRequestsPerSecond: 0 },
    });
    try {
      const tapCount = async () => {
        const reply = await app.inject({
          method: 'GET',
          url: `/api/tap/sync?LANG=ADQL&REQUEST=doQuery&FORMAT=csv&QUERY=${encodeURIComponent(COUNT)}`,
        });
        expect(reply.statusCode).toBe(200);
        return Number(reply.body.trim().split('\n').at(-1));
      };
      const before = await tapCount();
      const ingest = ingestProcess(dir, [parts[1] as string]);
      const answers = await queryWhile(ingest.done, tapCount);
      expect(await ingest.done, ingest.output()).toBe(0);
      const after = before + rowsIn([parts[1] as string]);
      for (const answer of answers) expect([before, after]).toContain(answer);
      expect(answers.at(-1)).toBe(after);
    } finally {
      await app.close();
      await catalog.close();
    }
  });

  it('`meridian serve` answers over HTTP before or after the commit of `meridian catalog ingest`, no restart', async () => {
    const dir = await baseCatalog();
    const server = spawn(
      process.execPath,
      ['bin/meridian.js', 'serve', '--catalog', dir, '--port', '0', '--quiet', '--allow-anonymous'],
      {
        cwd: CHECKOUT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    server.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    try {
      const deadline = Date.now() + 30_000;
      while (!/TAP service: (http\S+)/.test(stderr) && Date.now() < deadline && server.exitCode === null) {
        await new Promise((r) => setTimeout(r, 50));
      }
      const tapUrl = /TAP service: (http\S+)/.exec(stderr)?.[1];
      expect(tapUrl, stderr).toBeDefined();
      const httpCount = async () => {
        const reply = await fetch(`${tapUrl}/sync?LANG=ADQL&FORMAT=csv&QUERY=${encodeURIComponent(COUNT)}`);
        expect(reply.status).toBe(200);
        return Number((await reply.text()).trim().split('\n').at(-1));
      };
      const before = await httpCount();
      const ingest = ingestProcess(dir, parts.slice(1));
      const answers = await queryWhile(ingest.done, httpCount);
      expect(await ingest.done, ingest.output()).toBe(0);
      const after = before + rowsIn(parts.slice(1));
      for (const answer of answers) expect([before, after]).toContain(answer);
      expect(answers.at(-1)).toBe(after);
    } finally {
      server.kill('SIGTERM');
      await new Promise((r) => (server.exitCode === null ? server.once('exit', r) : r(null)));
    }
  });

  it('an ingest killed at any moment and run again: every answer is before or after, the retry commits once', async () => {
    const dir = await baseCatalog();
    await using live = await LiveCatalog.open(dir);
    const before = await count(live);
    const added = parts.slice(1);
    const after = before + rowsIn(added);
    const answers: number[] = [];
    // Kills at moments spread over start-up, staging, the commit and the publish (an uninterrupted run takes ~1-2 s).
    for (const delay of [400, 900, 1400]) {
      const ingest = ingestProcess(dir, added);
      const timer = setTimeout(ingest.kill, delay);
      answers.push(...(await queryWhile(ingest.done, () => count(live))));
      clearTimeout(timer);
      await ingest.done;
    }
    const retry = ingestProcess(dir, added);
    answers.push(...(await queryWhile(retry.done, () => count(live))));
    expect(await retry.done, retry.output()).toBe(0);
    for (const answer of answers) expect([before, after]).toContain(answer);
    expect(await count(live)).toBe(after);
    // Nothing half-published is left once a publish has run.
    expect(readdirSync(join(dir, GENERATIONS_DIR)).filter((n) => n.includes('.tmp'))).toEqual([]);
  });
});

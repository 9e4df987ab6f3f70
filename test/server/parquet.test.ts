/**
 * VOParquet results (RESPONSEFORMAT=application/vnd.apache.parquet, `parquet`, `vnd.apache.parquet`) in process,
 * sync and async: the file is read back with DuckDB (`read_parquet`: values and column types), and the VOTable in
 * its key-value metadata is parsed and its FIELDs compared with `/tables` for the queried columns. MAXREC overflow
 * is recorded in that VOTable's QUERY_STATUS.
 */

import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  parquetWriter,
  VOPARQUET_CONTENT_KEY,
  VOPARQUET_VERSION_KEY,
} from '../../src/server/tap/writers/parquet.js';
import { chunkPieces } from '../../src/server/tap/writers/result-writer.js';
import { form, SCHEMA, type ServerFixture, serverFixture } from './helpers.js';

let f: ServerFixture;
let file = 0;
beforeAll(async () => {
  f = await serverFixture('server-parquet', { maxrecDefault: 50, maxrecHard: 5000 });
});
afterAll(async () => {
  await f?.close();
});

const MIME = 'application/vnd.apache.parquet';

interface ReadBack {
  readonly types: Record<string, string>;
  readonly names: string[];
  readonly rows: unknown[][];
  readonly metadata: Record<string, string>;
}

/** Reads a Parquet response body with DuckDB: column types, rows and file key-value metadata. */
async function readBack(body: Buffer): Promise<ReadBack> {
  const path = join(f.dir, `result-${file++}.parquet`);
  writeFileSync(path, body);
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const scan = `read_parquet('${path}')`;
    const described = (await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${scan}`)).getRowsJS();
    const rows = (await connection.runAndReadAll(`SELECT * FROM ${scan}`)).getRowsJS() as unknown[][];
    const kv = (
      await connection.runAndReadAll(`SELECT decode(key), decode(value) FROM parquet_kv_metadata('${path}')`)
    ).getRowsJS() as [string, string][];
    return {
      names: described.map((d) => String(d[0])),
      types: Object.fromEntries(described.map((d) => [String(d[0]), String(d[1])])),
      rows,
      metadata: Object.fromEntries(kv),
    };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

const unescapeXml = (s: string) =>
  s
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&quot;', '"')
    .replaceAll('&apos;', "'")
    .replaceAll('&amp;', '&');

interface Described {
  readonly name: string;
  readonly datatype: string;
  readonly arraysize: string | null;
  readonly unit: string | null;
  readonly ucd: string | null;
  readonly description: string | null;
}

/** The FIELDs of a VOTable document. */
function votableFields(votable: string): Described[] {
  return [...votable.matchAll(/<FIELD([^>]*?)(\/>|>([\s\S]*?)<\/FIELD>)/g)].map((m) => {
    const attr = (name: string) => {
      const a = m[1].match(new RegExp(` ${name}="([^"]*)"`));
      return a ? unescapeXml(a[1]) : null;
    };
    const description = m[3]?.match(/<DESCRIPTION>([\s\S]*?)<\/DESCRIPTION>/)?.[1];
    return {
      name: attr('name') as string,
      datatype: attr('datatype') as string,
      arraysize: attr('arraysize'),
      unit: attr('unit'),
      ucd: attr('ucd'),
      description: description === undefined ? null : unescapeXml(description),
    };
  });
}

/** The columns of one `/tables/<name>` document, described the same way. */
async function publishedColumns(app: FastifyInstance, table: string): Promise<Map<string, Described>> {
  const res = await app.inject({ method: 'GET', url: `/api/tap/tables/${SCHEMA}.${table}` });
  expect(res.statusCode).toBe(200);
  const columns = [...res.body.matchAll(/<column>([\s\S]*?)<\/column>/g)].map((m) => {
    const text = (name: string) => {
      const e = m[1].match(new RegExp(`<${name}>([\\s\\S]*?)</${name}>`));
      return e ? unescapeXml(e[1]) : null;
    };
    const dataType = m[1].match(/<dataType[^>]*?(?: arraysize="([^"]*)")?[^>]*>([^<]*)<\/dataType>/);
    return {
      name: text('name') as string,
      datatype: dataType?.[2] as string,
      arraysize: dataType?.[1] ?? null,
      unit: text('unit'),
      ucd: text('ucd'),
      description: text('description'),
    };
  });
  return new Map(columns.map((c) => [c.name.toLowerCase(), c]));
}

const sync = (query: string, extra: Record<string, string> = {}) =>
  f.app.inject({
    method: 'POST',
    url: '/api/tap/sync',
    ...form({ REQUEST: 'doQuery', LANG: 'ADQL', QUERY: query, RESPONSEFORMAT: MIME, ...extra }),
  });

describe('VOParquet results', () => {
  it('answers a sync query with Parquet that DuckDB reads back with the right values and types', async () => {
    const query = `SELECT TOP 40 o.objectId, o.coord_ra, o.coord_dec, o.detect_isPrimary, o.g_psfFlux, t.id_truth_type, t.truth_type FROM ${SCHEMA}.Object o JOIN ${SCHEMA}.TruthSummary t ON DISTANCE(POINT(o.coord_ra, o.coord_dec), POINT(t.ra, t.dec)) < 0.012 ORDER BY o.objectId, t.id_truth_type`;
    const res = await sync(query);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe(MIME);
    expect(res.headers['content-disposition']).toContain('result.parquet');
    expect(res.rawPayload.subarray(0, 4).toString()).toBe('PAR1');
    const back = await readBack(res.rawPayload);
    expect(back.names).toEqual([
      'objectId',
      'coord_ra',
      'coord_dec',
      'detect_isPrimary',
      'g_psfFlux',
      'id_truth_type',
      'truth_type',
    ]);
    expect(back.types).toMatchObject({
      objectId: 'BIGINT',
      coord_ra: 'DOUBLE',
      detect_isPrimary: 'BOOLEAN',
      id_truth_type: 'VARCHAR',
    });
    // The same rows, 64-bit ids exact, as the catalog gives for the same query.
    const want = (await f.catalog.query(query)).rows as unknown[][];
    expect(want.length).toBe(40);
    expect(back.rows.length).toBe(40);
    const text = (rows: unknown[][]) =>
      rows.map((r) => r.map((v) => (v === null ? 'null' : String(v))).join('|'));
    expect(text(back.rows)).toEqual(text(want));
  });

  it('carries the VOParquet 1.0 metadata: a data-less VOTable whose FIELDs match /tables', async () => {
    const res = await sync(
      `SELECT objectId, coord_ra, coord_dec, detect_isPrimary, r_psfFlux, refExtendedness FROM ${SCHEMA}.Object WHERE CONTAINS(POINT('ICRS', coord_ra, coord_dec), CIRCLE('ICRS', 62, -37, 0.05)) = 1`,
    );
    const back = await readBack(res.rawPayload);
    expect(back.metadata[VOPARQUET_VERSION_KEY]).toBe('1.0');
    const votable = back.metadata[VOPARQUET_CONTENT_KEY];
    expect(votable).toContain('<VOTABLE version="1.4"');
    expect(votable).not.toContain('<DATA');
    expect([...votable.matchAll(/<INFO name="QUERY_STATUS" value="(\w+)"/g)].map((m) => m[1])).toEqual([
      'OK',
    ]);
    const fields = votableFields(votable);
    expect(fields.map((x) => x.name)).toEqual(back.names);
    const published = await publishedColumns(f.app, 'Object');
    for (const field of fields) {
      const column = published.get(field.name.toLowerCase());
      expect(column, field.name).toBeDefined();
      expect(field).toEqual({ ...column, arraysize: column?.arraysize ?? null });
    }
  });

  it('records MAXREC overflow in the embedded QUERY_STATUS, with exactly MAXREC rows', async () => {
    const res = await sync(`SELECT objectId FROM ${SCHEMA}.Object`, { MAXREC: '25' });
    const back = await readBack(res.rawPayload);
    expect(back.rows).toHaveLength(25);
    const statuses = [
      ...back.metadata[VOPARQUET_CONTENT_KEY].matchAll(/<INFO name="QUERY_STATUS" value="(\w+)"/g),
    ].map((m) => m[1]);
    expect(statuses).toEqual(['OK', 'OVERFLOW']);
  });

  it('is selected by its aliases and listed by /capabilities', async () => {
    for (const alias of ['parquet', 'vnd.apache.parquet', 'application/vnd.apache.parquet']) {
      const res = await sync(`SELECT TOP 2 objectId FROM ${SCHEMA}.Object`, { RESPONSEFORMAT: alias });
      expect(res.headers['content-type'], alias).toBe(MIME);
      expect((await readBack(res.rawPayload)).rows, alias).toHaveLength(2);
    }
    const caps = await f.app.inject({ method: 'GET', url: '/api/tap/capabilities' });
    expect(caps.body).toContain(`<mime>${MIME}</mime>`);
    expect(caps.body).toContain('<alias>parquet</alias>');
  });

  it('writes an empty result as a valid file', async () => {
    const back = await readBack(
      (await sync(`SELECT objectId, coord_ra FROM ${SCHEMA}.Object WHERE objectId = -5`)).rawPayload,
    );
    expect(back.rows).toEqual([]);
    expect(back.names).toEqual(['objectId', 'coord_ra']);
  });

  it('serves an async job result in Parquet, leaving no scratch files behind', async () => {
    const created = await f.app.inject({
      method: 'POST',
      url: '/api/tap/async',
      ...form({
        REQUEST: 'doQuery',
        LANG: 'ADQL',
        QUERY: `SELECT TOP 30 objectId, coord_ra FROM ${SCHEMA}.Object ORDER BY objectId`,
        RESPONSEFORMAT: 'parquet',
        PHASE: 'RUN',
      }),
    });
    expect(created.statusCode).toBe(303);
    const id = String(created.headers.location).split('/').pop();
    let phase = '';
    for (let i = 0; i < 20 && !['COMPLETED', 'ERROR'].includes(phase); i++) {
      const doc = await f.app.inject({ method: 'GET', url: `/api/tap/async/${id}?WAIT=10` });
      phase = doc.body.match(/<uws:phase>(\w+)<\/uws:phase>/)?.[1] ?? '';
    }
    expect(phase).toBe('COMPLETED');
    const result = await f.app.inject({ method: 'GET', url: `/api/tap/async/${id}/results/result` });
    expect(result.headers['content-type']).toBe(MIME);
    const back = await readBack(result.rawPayload);
    expect(back.rows).toHaveLength(30);
    expect(back.metadata[VOPARQUET_VERSION_KEY]).toBe('1.0');
    const resultsDir = join(f.catalog.dir, 'tap-results');
    expect(readdirSync(resultsDir).filter((name) => name.startsWith('voparquet-'))).toEqual([]);
  });

  it('reports an error met after rows were read as QUERY_STATUS ERROR, keeping the rows before it', async () => {
    const writer = parquetWriter([{ name: 'n', datatype: 'int' }], { scratchDir: f.dir });
    try {
      await writer.start();
      await writer.rows([[1], [2]]);
      const parts: Buffer[] = [];
      const tail = await writer.end({ overflow: false, error: 'worker "w1" went away & <stopped>' });
      for await (const piece of chunkPieces(tail ?? '')) parts.push(Buffer.from(piece));
      const back = await readBack(Buffer.concat(parts));
      expect(back.rows).toEqual([[1], [2]]);
      expect(back.metadata[VOPARQUET_CONTENT_KEY]).toContain(
        '<INFO name="QUERY_STATUS" value="ERROR">worker &quot;w1&quot; went away &amp; &lt;stopped&gt;</INFO>',
      );
    } finally {
      await writer.close?.();
    }
    expect(readdirSync(f.dir).filter((name) => name.startsWith('voparquet-'))).toEqual([]);
  });
});

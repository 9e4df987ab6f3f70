/** VOSI capabilities, availability and tables, DALI examples and /health, in process. */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tapExamples } from '../../src/server/tap/examples.js';
import { queryStatuses, SCHEMA, type ServerFixture, serverFixture } from './helpers.js';

let f: ServerFixture;
beforeAll(async () => {
  f = await serverFixture('server-vosi', { maxrecDefault: 1000, maxrecHard: 50_000 });
});
afterAll(async () => {
  await f?.close();
});

const get = (url: string, headers: Record<string, string> = {}) =>
  f.app.inject({ method: 'GET', url, headers });

describe('VOSI and DALI resources', () => {
  it('capabilities: TAP 1.1 with ADQL 2.1 features, every output format, and the row limits', async () => {
    const res = await get('/api/tap/capabilities', { host: 'tap.example.org:9000' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/xml/);
    const doc = res.body;
    expect(doc).toContain('<accessURL use="base">http://tap.example.org:9000/api/tap</accessURL>');
    expect(doc).toContain('standardID="ivo://ivoa.net/std/TAP" xsi:type="tr:TableAccess"');
    expect(doc).toContain('<version ivo-id="ivo://ivoa.net/std/ADQL#v2.1">2.1</version>');
    expect(doc).toContain('type="ivo://ivoa.net/std/TAPRegExt#features-adqlgeo"><feature><form>POINT</form>');
    expect(doc).toContain('<form>DISTANCE</form>');
    expect(doc).toContain('scisql_nanojanskyToAbMag(flux DOUBLE) -&gt; DOUBLE');
    expect(doc).not.toContain('<form>REGION</form>');
    for (const mime of [
      'application/x-votable+xml',
      'application/x-votable+xml;serialization=BINARY2',
      'text/csv;header=present',
      'text/tab-separated-values',
      'application/json',
    ]) {
      expect(doc).toContain(`<mime>${mime}</mime>`);
    }
    expect(doc).toContain('<alias>votable/b2</alias>');
    expect(doc).toContain('<default unit="row">1000</default>');
    expect(doc).toContain('<hard unit="row">50000</hard>');
    for (const resource of ['capabilities', 'availability', 'tables', 'examples']) {
      expect(doc).toContain(`http://tap.example.org:9000/api/tap/${resource}</accessURL>`);
    }
    // Inline uploads and uploads by http(s) URL (from public hosts), with their byte limit.
    for (const method of ['inline', 'http', 'https']) {
      expect(doc).toContain(`<uploadMethod ivo-id="ivo://ivoa.net/std/TAPRegExt#upload-${method}"/>`);
    }
    expect(doc).toMatch(/<uploadLimit>\s*<hard unit="byte">\d+<\/hard>/);
  });

  it('availability', async () => {
    const res = await get('/api/tap/availability');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<vosi:available>true</vosi:available>');
  });

  it('tables: the full tableset agrees with tap_schema, detail=min leaves out columns', async () => {
    const full = await get('/api/tap/tables');
    expect(full.statusCode).toBe(200);
    const tableNames = [...full.body.matchAll(/<table type="table">\n<name>([^<]+)<\/name>/g)].map(
      (m) => m[1],
    );
    const tapSchema = f.catalog.tapSchema();
    expect(tableNames).toEqual(tapSchema.tables.map((t) => t.table_name));
    expect((full.body.match(/<column>/g) ?? []).length).toBe(tapSchema.columns.length);
    expect(full.body).toContain('<column><name>coord_ra</name><description>');
    expect(full.body).toContain('<name>&quot;size&quot;</name>');
    expect(full.body).toContain(`<foreignKey><targetTable>${SCHEMA}.Object</targetTable>`);
    const min = await get('/api/tap/tables?DETAIL=min');
    expect(min.body).not.toContain('<column>');
    expect([...min.body.matchAll(/<table type="table">/g)]).toHaveLength(tableNames.length);
  });

  it('a per-table document, and 404 for an unknown table', async () => {
    const one = await get(`/api/tap/tables/${SCHEMA}.Object`);
    expect(one.statusCode).toBe(200);
    expect(one.body).toContain('<vosi:table ');
    expect(one.body).toContain(`<name>${SCHEMA}.Object</name>`);
    expect(one.body).toContain('<name>objectId</name>');
    const tap = await get('/api/tap/tables/TAP_SCHEMA.columns');
    expect(tap.body).toContain('<name>column_name</name>');
    const missing = await get('/api/tap/tables/nowhere.nothing');
    expect(missing.statusCode).toBe(404);
  });

  it('examples: an XHTML document whose every query runs', async () => {
    const res = await get('/api/tap/examples');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/xhtml\+xml/);
    const examples = tapExamples(f.catalog.schema);
    expect(examples.length).toBeGreaterThanOrEqual(5);
    expect((res.body.match(/typeof="example"/g) ?? []).length).toBe(examples.length);
    for (const example of examples) {
      expect(res.body).toContain(`id="${example.id}"`);
      const run = await f.app.inject({
        method: 'GET',
        url: '/api/tap/sync',
        query: { LANG: 'ADQL', QUERY: example.query, MAXREC: '10' },
      });
      expect(run.statusCode, `${example.id}: ${run.body}`).toBe(200);
      expect(queryStatuses(run.body)[0]).toBe('OK');
    }
  });

  it('the TAP root lists the resources', async () => {
    const res = await get('/api/tap');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('/api/tap/sync');
  });
});

describe('/health, request ids and JSON errors outside TAP', () => {
  it('answers /health with the catalog and running queries', async () => {
    const res = await get('/health');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'ok', catalog: SCHEMA, runningQueries: 0, version: 'test' });
    expect(res.headers.server).toBe('Meridian/test');
  });

  it('echoes a sane X-Request-Id and makes one up otherwise', async () => {
    expect((await get('/health', { 'x-request-id': 'abc-123' })).headers['x-request-id']).toBe('abc-123');
    const made = (await get('/health', { 'x-request-id': '<script>' })).headers['x-request-id'];
    expect(made).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers an unknown route with 404', async () => {
    const res = await get('/api/nothing');
    expect(res.statusCode).toBe(404);
  });
});

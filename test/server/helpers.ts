/** Shared set-up for the server tests: the catalog tests' fixture catalog behind an in-process app. */

import type { FastifyInstance } from 'fastify';
import type { Catalog } from '../../src/catalog/index.js';
import { createApp, type ServerLimitsInput } from '../../src/server/index.js';
import { buildFixtureCatalog, generateFixture, temporaryDir } from '../catalog/helpers.js';

/** The server tests predate auth and speak as anonymous; test/server/auth covers tokens (docs/auth.md). */
export const ANONYMOUS = Object.freeze({ allowAnonymous: true });

export interface ServerFixture {
  readonly dir: string;
  readonly catalog: Catalog;
  readonly app: FastifyInstance;
  readonly sampleObjectIds: readonly bigint[];
  close(): Promise<void>;
}

export async function serverFixture(prefix: string, limits: ServerLimitsInput = {}): Promise<ServerFixture> {
  const tmp = temporaryDir(prefix);
  const fixture = generateFixture(`${tmp.dir}/fixture`);
  const catalog = await buildFixtureCatalog(tmp.dir, fixture);
  const app = createApp({ catalog, limits, version: 'test', auth: ANONYMOUS });
  await app.ready();
  return {
    dir: tmp.dir,
    catalog,
    app,
    sampleObjectIds: fixture.sampleObjectIds,
    async close() {
      await app.close();
      await catalog.close();
      tmp.remove();
    },
  };
}

export const SCHEMA = 'dp02_dc2_catalogs';

/** A form-encoded POST body. */
export function form(params: Record<string, string>): { payload: string; headers: Record<string, string> } {
  return {
    payload: new URLSearchParams(params).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  };
}

/** The QUERY_STATUS values of a VOTable document, in order. */
export function queryStatuses(votable: string): string[] {
  return [...votable.matchAll(/<INFO name="QUERY_STATUS" value="(\w+)"/g)].map((m) => m[1]);
}

/** TABLEDATA rows as arrays of cell texts. */
export function tabledataRows(votable: string): string[][] {
  return [...votable.matchAll(/<TR>(.*?)<\/TR>/g)].map((m) =>
    [...m[1].matchAll(/<TD>(.*?)<\/TD>/g)].map((c) => c[1]),
  );
}

export function fieldNames(votable: string): string[] {
  return [...votable.matchAll(/<FIELD name="([^"]*)"/g)].map((m) => m[1]);
}

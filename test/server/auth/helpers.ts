/** Set-up for the auth tests: the fixture catalog behind an app whose tokens live in a real SQLite store. */

import type { FastifyInstance } from 'fastify';
import type { Catalog } from '../../../src/catalog/index.js';
import {
  type AuthOptions,
  createApp,
  type Scope,
  type ServerLimitsInput,
  TokenStore,
} from '../../../src/server/index.js';
import { buildFixtureCatalog, generateFixture, temporaryDir } from '../../catalog/helpers.js';

export interface AuthFixture {
  readonly dir: string;
  readonly catalog: Catalog;
  readonly tokens: TokenStore;
  /** A fresh app on the shared catalog and store; closed by `close()`. */
  app(options?: { limits?: ServerLimitsInput; auth?: Omit<AuthOptions, 'tokens'> }): Promise<FastifyInstance>;
  /** A new token's text. */
  token(user: string, scopes: readonly Scope[]): Promise<string>;
  close(): Promise<void>;
}

export async function authFixture(prefix: string): Promise<AuthFixture> {
  const tmp = temporaryDir(prefix);
  const catalog = await buildFixtureCatalog(tmp.dir, generateFixture(`${tmp.dir}/fixture`));
  const tokens = await TokenStore.open({ defaultDir: tmp.dir });
  const apps: FastifyInstance[] = [];
  let jobsDb = 0;
  return {
    dir: tmp.dir,
    catalog,
    tokens,
    async app(options = {}) {
      // Each app its own job store: jobs of one test never count towards another's limits.
      jobsDb += 1;
      const app = createApp({
        catalog,
        version: 'test',
        limits: options.limits,
        auth: { ...options.auth, tokens },
        jobs: { database: `${tmp.dir}/jobs-${jobsDb}.sqlite3`, resultsDir: `${tmp.dir}/results-${jobsDb}` },
      });
      apps.push(app);
      await app.ready();
      return app;
    },
    async token(user, scopes) {
      return (await tokens.create({ user, scopes })).token;
    },
    async close() {
      for (const app of apps) await app.close();
      await tokens.close();
      await catalog.close();
      tmp.remove();
    },
  };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export const basic = (user: string, password: string) => ({
  authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
});

/**
 * The Portal's static files (built by Vite into dist/portal, src/portal/vite.config.ts) at /portal. Assets are
 * public: the page holds no data, and every API call it makes carries the user's token. Paths without a file
 * extension are the single-page app's own (a shared `/portal?job=…` link, a deep link) and get index.html; a
 * missing asset is a 404, never index.html, so a stale page does not execute HTML as a script.
 */

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply } from 'fastify';
import { meridianError } from '../errors.js';

export const PORTAL_PATH = '/portal';

/** dist/portal of this package, found the same way from src/server (tests) and dist/server (the built server). */
export function defaultPortalDir(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'portal');
}

/** Hashed file names (assets/index-3f2a….js) never change content, so browsers may keep them for a year. */
const IMMUTABLE_ASSET = /^assets\//;

export function portalRoutes(dir: string): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    const built = existsSync(join(dir, 'index.html'));
    await app.register(fastifyStatic, { root: dir, serve: false, decorateReply: true });
    const page = async (file: string, reply: FastifyReply) => {
      if (!built) {
        throw meridianError('PORTAL_NOT_BUILT', 'the Portal is not built in this installation', {});
      }
      if (IMMUTABLE_ASSET.test(file)) return reply.sendFile(file, { maxAge: '365d', immutable: true });
      return reply.sendFile(file, { maxAge: 0, cacheControl: true });
    };
    const config = { scope: 'public' as const };
    app.get('/', { config }, async (_request, reply) => page('index.html', reply));
    app.get<{ Params: { '*': string } }>('/*', { config }, async (request, reply) => {
      const path = request.params['*'];
      if (path.split('/').includes('..')) {
        throw meridianError('PATH_TRAVERSAL', 'a Portal path may not contain ".." segments');
      }
      if (path === '' || !/\.[A-Za-z0-9]+$/.test(path)) return page('index.html', reply);
      if (!built || existsSync(join(dir, path))) return page(path, reply);
      throw meridianError('FILE_NOT_FOUND', `the Portal has no file ${JSON.stringify(path.slice(0, 200))}`);
    });
  };
}

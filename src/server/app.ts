/**
 * `createApp(deps)`: the Fastify application with every route, not listening (tests call `app.inject`; `serve.ts`
 * listens). Routes are grouped by resource, one plugin per service: `/health` here, TAP under `/api/tap`
 * (`tap/routes.ts`), the Butler API under `/api/butler` (`butler/routes.ts`, when a repository is given). Auth
 * (`auth/plugin.ts`) is installed before any route: every route declares `config: { scope }` (a token scope or
 * `public`) and the server refuses to start otherwise.
 */

import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { CatalogReader } from '../catalog/index.js';
import { ERROR_CODES } from '../errors.js';
import { UserLimits } from './auth/limits.js';
import { type AuthOptions, installAuth } from './auth/plugin.js';
import { butlerRoutes } from './butler/routes.js';
import { type ButlerApiOptionsInput, ButlerService } from './butler/service.js';
import { type ServerLimitsInput, serverLimitsSchema, validated } from './config.js';
import { publicError } from './http-errors.js';
import { defaultPortalDir, PORTAL_PATH, portalRoutes } from './portal.js';
import { type AsyncJobOptions, asyncRoutes } from './tap/async.js';
import type { TapContext } from './tap/context.js';
import { PublishedColumns } from './tap/result-fields.js';
import { tapRoutes } from './tap/routes.js';
import { registerMultipart } from './tap/upload.js';

export const TAP_PATH = '/api/tap';
export const BUTLER_PATH = '/api/butler';

/** How long a shutdown waits for responses in flight to end before closing their connections. */
const SHUTDOWN_GRACE_MS = 10_000;

export interface AppDependencies {
  readonly catalog: CatalogReader;
  readonly limits?: ServerLimitsInput;
  /** Public URL of the server root when behind a proxy (no trailing slash needed); else the request's host. */
  readonly baseUrl?: string;
  /** Fastify's pino logger options; false (the default) logs nothing, as tests want. */
  readonly logger?: FastifyServerOptions['logger'];
  /** Shown in the Server header and /health. */
  readonly version?: string;
  /** Where TAP async jobs and results are kept (default: SQLite and files in the catalog directory). */
  readonly jobs?: AsyncJobOptions;
  /** Tokens and anonymous access (docs/auth.md); by default tokens are required, kept in the catalog directory. */
  readonly auth?: AuthOptions;
  /** A butler repository to serve read-only at /api/butler; its worker threads stop when the app closes. */
  readonly butler?: { readonly repo: string; readonly options?: ButlerApiOptionsInput };
  /** The built Portal (default: dist/portal of this package); /portal answers PORTAL_NOT_BUILT when it is missing. */
  readonly portalDir?: string;
}

/** Request ids: the caller's X-Request-Id when it is a sane token (a proxy's), else a fresh UUID. */
function requestId(header: string | string[] | undefined): string {
  const given = Array.isArray(header) ? header[0] : header;
  return given !== undefined && /^[\w.:-]{1,100}$/.test(given) ? given : randomUUID();
}

export function createApp(deps: AppDependencies): FastifyInstance {
  const limits = validated(serverLimitsSchema, deps.limits ?? {}, 'server limits');
  const version = deps.version ?? 'dev';
  const base = deps.baseUrl?.replace(/\/+$/, '');
  const app = Fastify({
    logger: deps.logger ?? false,
    genReqId: (request) => requestId(request.headers['x-request-id']),
    bodyLimit: limits.bodyLimitBytes,
    // The TAP standard's parameter values are case-sensitive but repeated names and long queries are normal.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 500 },
  });

  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => {
      const params: Record<string, string[]> = {};
      for (const [name, value] of new URLSearchParams(body as string)) (params[name] ??= []).push(value);
      done(null, params);
    },
  );
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    reply.header('server', `Meridian/${version}`);
  });
  // Fastify's own 404 repeats the URL; a traversal attempt (`/../../etc/passwd`) must not see its path echoed.
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({
      error: {
        code: 'HTTP_NOT_FOUND',
        message: `no resource answers ${request.method} at this URL`,
        hint: ERROR_CODES.HTTP_NOT_FOUND.hint,
      },
    }),
  );
  app.setErrorHandler((err, request, reply) => {
    const shown = publicError(err, request.id);
    if (shown.retryAfterSeconds !== undefined) reply.header('retry-after', String(shown.retryAfterSeconds));
    if (shown.status >= 500) request.log.error({ err }, 'request failed');
    return reply
      .status(shown.status)
      .send({ error: { code: shown.code, message: shown.message, hint: shown.hint } });
  });

  const userLimits = new UserLimits(limits);
  const auth = installAuth(app, deps.auth ?? {}, userLimits);
  app.addHook('onReady', async () => auth.open(deps.catalog.dir));
  app.addHook('onClose', async () => auth.close());

  const running = new Set<AbortController>();
  const tapSchema = deps.catalog.tapSchema();
  const context: TapContext = {
    catalog: deps.catalog,
    limits,
    tapSchema,
    publishedColumns: new PublishedColumns(tapSchema),
    running,
    allowAnonymous: deps.auth?.allowAnonymous ?? false,
    serviceUrl: (request) => `${base ?? `${request.protocol}://${request.host}`}${TAP_PATH}`,
  };
  // Shutdown: stop running queries and let their responses end (a VOTable ends with QUERY_STATUS=ERROR) before the
  // server closes. Responses must have ended by then: Fastify closes the connections idle at that moment, and a
  // keep-alive connection that turns idle later would hold the close for the keep-alive timeout (72 s).
  const inflight = new Set<Promise<void>>();
  app.addHook('onRequest', async (_request, reply) => {
    const ended = new Promise<void>((resolve) => {
      reply.raw.once('finish', resolve);
      reply.raw.once('close', resolve);
    });
    inflight.add(ended);
    void ended.then(() => inflight.delete(ended));
  });
  // Fired first at shutdown, so that services holding requests open (async WAIT) let them end within the grace time.
  const shutdown = new AbortController();
  app.addHook('preClose', async () => {
    shutdown.abort();
    for (const controller of running) controller.abort(new Error('the server is shutting down'));
    let timer: NodeJS.Timeout | undefined;
    const patience = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, SHUTDOWN_GRACE_MS);
    });
    await Promise.race([Promise.all(inflight), patience]);
    clearTimeout(timer);
  });

  const started = Date.now();
  app.get('/health', { config: { scope: 'public' } }, async () => ({
    status: 'ok',
    version,
    catalog: deps.catalog.schema.name,
    runningQueries: running.size,
    uptimeSeconds: Math.round((Date.now() - started) / 1000),
  }));
  registerMultipart(app, limits);
  app.register(tapRoutes(context), { prefix: TAP_PATH });
  app.register(asyncRoutes(context, deps.jobs ?? {}, shutdown.signal, userLimits), {
    prefix: `${TAP_PATH}/async`,
  });
  if (deps.butler !== undefined) {
    const butler = new ButlerService(deps.butler.repo, deps.butler.options);
    app.addHook('onClose', () => butler.close());
    app.register(butlerRoutes(butler, version), { prefix: BUTLER_PATH });
  }
  app.register(portalRoutes(deps.portalDir ?? defaultPortalDir()), { prefix: PORTAL_PATH });
  return app;
}

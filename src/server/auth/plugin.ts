/**
 * Auth for the whole app, installed by `createApp` before any route:
 * - an `onRoute` hook that refuses (at start-up) a route without `config.scope`, and records every route with its
 *   scope so a test can walk them all (`declaredRoutes`);
 * - an `onRequest` hook that, for each non-public route, finds the caller (token, or `anonymous` when allowed),
 *   checks the route's scope (401 without valid credentials, 403 without the scope), takes one request from the
 *   user's rate bucket (429) and, for routes with `config.runsQuery`, holds one of the user's query slots (429)
 *   until the response ends.
 * Errors thrown here reach the route's own error handler, so TAP clients get VOTable error documents.
 */

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { DatabaseConfigInput } from '../../db/index.js';
import { meridianError } from '../../errors.js';
import { credentialsOf } from './credentials.js';
import type { UserLimits } from './limits.js';
import {
  ANONYMOUS_SCOPES,
  ANONYMOUS_USER,
  isRouteScope,
  ROUTE_SCOPES,
  type RouteScope,
  type Scope,
} from './scopes.js';
import { TokenStore } from './token-store.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The token scope the route needs, or `public`. Required on every route (checked at start-up). */
    scope?: RouteScope;
    /** The route runs a catalog query: it holds one of the caller's concurrent-query slots while it answers. */
    runsQuery?: boolean;
  }
  interface FastifyRequest {
    /** Who is calling; null only on public routes and on requests that matched no route. */
    principal: Principal | null;
  }
}

export interface Principal {
  readonly user: string;
  readonly scopes: ReadonlySet<Scope>;
  /** The token's id, or null for anonymous requests. */
  readonly tokenId: string | null;
}

export interface AuthOptions {
  /**
   * Let requests without credentials through as user `anonymous` with the read scopes. Default false; `startServer`
   * also reads `--allow-anonymous` and MERIDIAN_ALLOW_ANONYMOUS.
   */
  readonly allowAnonymous?: boolean;
  /**
   * The token store: an open `TokenStore` (its owner closes it), or where it is (a `src/db` URL or config, or an
   * SQLite file path); default `tokens.sqlite3` in the catalog directory.
   */
  readonly tokens?: TokenStore | DatabaseConfigInput | string;
}

export interface RouteDeclaration {
  readonly method: string;
  readonly url: string;
  readonly scope: RouteScope;
}

const REALM = 'meridian';
const CHALLENGE = [`Bearer realm="${REALM}"`, `Basic realm="${REALM}"`];

const ANONYMOUS: Principal = Object.freeze({
  user: ANONYMOUS_USER,
  scopes: new Set(ANONYMOUS_SCOPES),
  tokenId: null,
});

const declarations = new WeakMap<FastifyInstance, RouteDeclaration[]>();

/** Every route registered on `app` (after `ready()`), with the scope it declares. */
export function declaredRoutes(app: FastifyInstance): readonly RouteDeclaration[] {
  return declarations.get(app) ?? [];
}

/** The caller of a route that is not public (INTERNAL when a public route asks: it has no caller). */
export function principalOf(request: FastifyRequest): Principal {
  if (request.principal === null) {
    throw meridianError('INTERNAL', `route ${request.routeOptions.url} asked for the caller but is public`);
  }
  return request.principal;
}

/**
 * A browser shows its own login box for a Basic challenge, even on a `fetch`. Scripts that handle the 401 themselves
 * (the Portal) say so with `X-Requested-With`, as is customary, and get the Bearer challenge alone.
 */
function unauthorized(reply: FastifyReply, message: string): Error {
  const scripted = reply.request.headers['x-requested-with'] !== undefined;
  reply.header('www-authenticate', scripted ? CHALLENGE[0] : CHALLENGE);
  return meridianError('AUTH_REQUIRED', message);
}

export interface InstalledAuth {
  /** Opens the token store unless one was given; call from `onReady`. */
  open(defaultDir: string): Promise<void>;
  close(): Promise<void>;
}

export function installAuth(app: FastifyInstance, options: AuthOptions, limits: UserLimits): InstalledAuth {
  const allowAnonymous = options.allowAnonymous ?? false;
  const given = options.tokens instanceof TokenStore ? options.tokens : null;
  let store: TokenStore | null = given;
  const declared: RouteDeclaration[] = [];
  declarations.set(app, declared);

  app.decorateRequest('principal', null);

  app.addHook('onRoute', (route) => {
    const scope = route.config?.scope;
    const methods = ([] as string[]).concat(route.method);
    if (!isRouteScope(scope)) {
      throw meridianError(
        'CONFIG_INVALID',
        `route ${methods.join(',')} ${route.url} declares no valid config.scope; every route must declare one of ${ROUTE_SCOPES.join(', ')}`,
        { key: 'config.scope', url: route.url },
      );
    }
    for (const method of methods) declared.push(Object.freeze({ method, url: route.url, scope }));
  });

  async function identify(request: FastifyRequest, reply: FastifyReply): Promise<Principal> {
    const credentials = credentialsOf(request.headers.authorization);
    if (credentials.kind === 'none') {
      if (allowAnonymous) return ANONYMOUS;
      throw unauthorized(reply, 'this service needs a token and the request carries none');
    }
    if (credentials.kind === 'malformed') {
      throw unauthorized(
        reply,
        `the Authorization header (scheme ${JSON.stringify(credentials.scheme)}) is not Bearer <token> or Basic with a token`,
      );
    }
    if (store === null) throw meridianError('INTERNAL', 'the token store is not open');
    const check = await store.check(credentials.token);
    if (check.ok) {
      const token = check.token;
      return { user: token.user, scopes: new Set(token.scopes), tokenId: token.id };
    }
    // The token itself is never repeated: only why it failed, and the id for tokens whose secret was right.
    const id = credentials.token.slice(4, 20);
    const why = {
      malformed: 'the token is not a Meridian token (mrd_<id>_<secret>)',
      unknown: 'the token is not known to this server',
      revoked: `the token ${id} has been revoked`,
      expired: `the token ${id} has expired`,
    }[check.reason];
    throw unauthorized(reply, why);
  }

  app.addHook('onRequest', async (request, reply) => {
    const { scope, runsQuery } = request.routeOptions.config;
    // No scope: the request matched no route and gets Fastify's 404, which reveals nothing.
    if (scope === undefined || scope === 'public') return;
    const principal = await identify(request, reply);
    if (!principal.scopes.has(scope)) {
      if (principal.tokenId === null) {
        throw unauthorized(
          reply,
          `${request.method} ${request.routeOptions.url} needs a token with the scope ${scope}`,
        );
      }
      throw meridianError(
        'AUTH_SCOPE',
        `the token ${principal.tokenId} of ${principal.user} lacks the scope ${scope} that ${request.method} ${request.routeOptions.url} needs`,
        { scope },
      );
    }
    limits.takeRequest(principal.user);
    request.principal = principal;
    if (runsQuery) {
      const release = await limits.acquireQuerySlot(principal.user);
      reply.raw.once('finish', release);
      reply.raw.once('close', release);
    }
  });

  return {
    async open(defaultDir) {
      if (store !== null) return;
      store = await TokenStore.open({
        database: options.tokens as DatabaseConfigInput | string | undefined,
        defaultDir,
      });
    },
    async close() {
      if (store !== null && store !== given) await store.close();
      store = given;
    },
  };
}

/**
 * Running the server: open the catalog, build the app, listen; and a graceful stop on SIGTERM/SIGINT (running
 * queries are cancelled, the listening socket closes after in-flight responses end, then the catalog closes).
 */

import { resolve } from 'node:path';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { readButlerConfig } from '../butler/index.js';
import { openCatalogForServing } from '../catalog/index.js';
import { BUTLER_PATH, createApp, TAP_PATH } from './app.js';
import type { AuthOptions } from './auth/plugin.js';
import type { ButlerApiOptionsInput } from './butler/service.js';
import {
  allowAnonymousFromEnv,
  type ServerLimitsInput,
  type ServerListenInput,
  serverListenSchema,
  validated,
} from './config.js';
import type { AsyncJobOptions } from './tap/async.js';

export interface ServeOptions extends ServerListenInput {
  /** Catalog database directory. */
  readonly catalog: string;
  /** Butler repository, served read-only at /api/butler. */
  readonly repo?: string;
  /** Row limit and worker threads of the Butler API. */
  readonly butlerApi?: ButlerApiOptionsInput;
  readonly limits?: ServerLimitsInput;
  readonly logger?: FastifyServerOptions['logger'];
  readonly version?: string;
  /**
   * Token store and anonymous access. When `allowAnonymous` is not given, MERIDIAN_ALLOW_ANONYMOUS decides (flag >
   * environment > default off).
   */
  readonly auth?: AuthOptions;
  /** Where async jobs and their results are kept (default: SQLite and files in the catalog directory). */
  readonly jobs?: AsyncJobOptions;
}

export interface RunningServer {
  readonly app: FastifyInstance;
  /** The root URL the server listens on (or `baseUrl` when given). */
  readonly url: string;
  readonly tapUrl: string;
  /** Whether requests without a token are served (as user anonymous). */
  readonly allowAnonymous: boolean;
  /** The Butler API's URL, when a repository is served. */
  readonly butlerUrl?: string;
  /** Stops accepting, cancels running queries, waits for responses to end, closes the catalog. Idempotent. */
  close(): Promise<void>;
}

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const listen = validated(
    serverListenSchema,
    { host: options.host, port: options.port, baseUrl: options.baseUrl },
    'serve options',
  );
  const allowAnonymous = options.auth?.allowAnonymous ?? allowAnonymousFromEnv() ?? false;
  // A missing or broken repository fails here, before the catalog opens, not on the first request.
  // Absolute paths: the catalog directory is also the base of the job and token stores' default files.
  const repo = options.repo === undefined ? undefined : resolve(options.repo);
  if (repo !== undefined) readButlerConfig(repo);
  // Read-only and following new commits: `meridian catalog ingest` may run while this serves (docs/catalog.md).
  const catalog = await openCatalogForServing(resolve(options.catalog));
  let app: FastifyInstance;
  try {
    app = createApp({
      catalog,
      limits: options.limits,
      baseUrl: listen.baseUrl,
      logger: options.logger,
      version: options.version,
      auth: { ...options.auth, allowAnonymous },
      jobs: options.jobs,
      ...(repo === undefined ? {} : { butler: { repo, options: options.butlerApi } }),
    });
    await app.listen({ host: listen.host, port: listen.port });
  } catch (err) {
    await catalog.close();
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : listen.port;
  const host = listen.host.includes(':') ? `[${listen.host}]` : listen.host;
  const url = listen.baseUrl?.replace(/\/+$/, '') ?? `http://${host}:${port}`;
  let closing: Promise<void> | null = null;
  return {
    app,
    url,
    tapUrl: `${url}${TAP_PATH}`,
    allowAnonymous,
    ...(repo === undefined ? {} : { butlerUrl: `${url}${BUTLER_PATH}` }),
    close: () => {
      closing ??= (async () => {
        try {
          await app.close();
        } finally {
          await catalog.close();
        }
      })();
      return closing;
    },
  };
}

/** Resolves once the server has closed after the first SIGTERM or SIGINT; a second signal exits at once. */
export function closeOnSignals(
  server: RunningServer,
  onSignal: (signal: NodeJS.Signals) => void = () => {},
): Promise<void> {
  return new Promise((resolve, reject) => {
    const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];
    let stopping = false;
    const handler = (signal: NodeJS.Signals) => {
      if (stopping) process.exit(130);
      stopping = true;
      onSignal(signal);
      server.close().then(() => {
        for (const s of signals) process.off(s, handler);
        resolve();
      }, reject);
    };
    for (const s of signals) process.on(s, handler);
  });
}

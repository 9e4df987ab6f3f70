/**
 * Running the server: open the catalog, build the app, listen; and a graceful stop on SIGTERM/SIGINT (running
 * queries are cancelled, the listening socket closes after in-flight responses end, then the catalog closes).
 */

import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { openCatalogForServing } from '../catalog/index.js';
import { createApp, TAP_PATH } from './app.js';
import { type ServerLimitsInput, type ServerListenInput, serverListenSchema, validated } from './config.js';

export interface ServeOptions extends ServerListenInput {
  /** Catalog database directory. */
  readonly catalog: string;
  /** Butler repository; accepted now, served when the Butler API lands. */
  readonly repo?: string;
  readonly limits?: ServerLimitsInput;
  readonly logger?: FastifyServerOptions['logger'];
  readonly version?: string;
}

export interface RunningServer {
  readonly app: FastifyInstance;
  /** The root URL the server listens on (or `baseUrl` when given). */
  readonly url: string;
  readonly tapUrl: string;
  /** Stops accepting, cancels running queries, waits for responses to end, closes the catalog. Idempotent. */
  close(): Promise<void>;
}

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const listen = validated(
    serverListenSchema,
    { host: options.host, port: options.port, baseUrl: options.baseUrl },
    'serve options',
  );
  // Read-only and following new commits: `meridian catalog ingest` may run while this serves (docs/catalog.md).
  const catalog = await openCatalogForServing(options.catalog);
  let app: FastifyInstance;
  try {
    app = createApp({
      catalog,
      limits: options.limits,
      baseUrl: listen.baseUrl,
      logger: options.logger,
      version: options.version,
    });
    if (options.repo !== undefined) app.log.warn({ repo: options.repo }, 'the Butler API is not served yet');
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

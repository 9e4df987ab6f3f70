/**
 * The Butler API under `/api/butler` as a Fastify plugin: read-only access to one repository. Metadata and queries
 * (scope `read:butler`) run in the ButlerService's worker threads; file downloads (scope `read:image`) stream from
 * the datastore on this thread. Request bodies are validated with zod; every error is `{error: {code, message,
 * hint}}` with the status of its code, and no message carries the repository's absolute path. docs/butler-api.md
 * lists the routes.
 */

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { meridianError } from '../../errors.js';
import { publicError } from '../http-errors.js';
import { bytesSource, fileSource, sendDownload } from './download.js';
import type { ButlerService } from './service.js';

/** The Butler API's own version, in `GET /api/butler`; RemoteButler refuses a server with another major. */
export const BUTLER_API_VERSION = 1;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Component names are identifiers (`image`, `visitInfo`); anything else cannot name one. */
const COMPONENT = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

const name = z.string().min(1).max(256);
const dataIdValue = z.union([z.string().max(256), z.number()]);
const dataId = z.record(z.string().max(64), dataIdValue).default({});
const names = z.array(name).max(1000);
const bindValue = z.union([
  z.string(),
  z.number(),
  z.boolean(),
  z.null(),
  z.array(z.union([z.string(), z.number()])),
]);

const queryCommon = {
  where: z.string().max(100_000).nullable().optional(),
  bind: z.record(z.string().max(64), bindValue).default({}),
  dataId,
  orderBy: z.array(z.string().max(128)).max(32).default([]),
  limit: z.number().int().positive().optional(),
  offset: z.number().int().nonnegative().optional(),
};

const queryDatasetsBody = z
  .object({
    datasetTypes: z.union([name, names]),
    collections: names.default([]),
    findFirst: z.boolean().default(false),
    ...queryCommon,
  })
  .strict();

const queryDataIdsBody = z
  .object({
    dimensions: names,
    datasets: names.default([]),
    collections: names.default([]),
    ...queryCommon,
  })
  .strict();

const queryRecordsBody = z
  .object({
    element: name,
    datasets: names.default([]),
    collections: names.default([]),
    ...queryCommon,
  })
  .strict();

const findDatasetBody = z
  .object({
    datasetType: name,
    dataId,
    collections: names.min(1),
    timespan: z
      .object({ begin: z.string().nullable(), end: z.string().nullable() })
      .strict()
      .nullable()
      .optional(),
  })
  .strict();

function parsed<T extends z.ZodType>(schema: T, value: unknown, what: string): z.output<T> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const at = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  throw meridianError('INVALID_ARGUMENT', `${what}: ${at}${issue.message}`, { path: issue.path.map(String) });
}

function datasetId(raw: string): string {
  // The id is not echoed back: an error body never repeats a path (`../../etc/passwd`) a client put in the URL.
  if (!UUID.test(raw)) {
    throw meridianError(
      'INVALID_ARGUMENT',
      'the dataset id in the URL is not a UUID (such as 3f2b5c1e-9a0d-4c6e-8f1a-2b3c4d5e6f70); query-datasets gives the ids',
    );
  }
  return raw.toLowerCase();
}

/** Splits a comma-separated or repeated query parameter. */
function listParam(value: unknown): string[] {
  const values = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return values.flatMap((v) => String(v).split(',')).filter((v) => v.length > 0);
}

/**
 * Messages from deep in the butler may name files; only paths inside the repository are shown, relative to it,
 * and any other absolute path is replaced (the server's layout is nobody's business).
 */
export function scrubPaths(message: string, repo: string): string {
  return message
    .split(`${repo}/`)
    .join('')
    .split(repo)
    .join('<repository>')
    .replace(/(?<![\w.])\/(?:[^\s'"/,;()]+\/)+[^\s'"/,;()]*/g, '<path>');
}

export function butlerRoutes(service: ButlerService, version: string) {
  return async function registerButler(app: FastifyInstance): Promise<void> {
    const repo = service.repo;
    const run = service.pool.run.bind(service.pool) as ButlerService['pool']['run'];
    const maxRows = service.options.maxRows;

    app.setErrorHandler((err, request, reply) => {
      const shown = publicError(err, request.id);
      if (shown.status >= 500) request.log.error({ err }, 'butler API request failed');
      return reply.status(shown.status).send({
        error: { code: shown.code, message: scrubPaths(shown.message, repo), hint: shown.hint },
      });
    });
    app.setNotFoundHandler((request, reply) =>
      reply.status(404).send({
        error: {
          code: 'HTTP_NOT_FOUND',
          message: `no Butler API resource answers ${request.method} at this URL`,
          hint: 'GET /api/butler lists the routes',
        },
      }),
    );

    /** Runs a registry task; a client that goes away cancels it (the worker checks the signal between statements). */
    const task = async <T>(reply: FastifyReply, start: (signal: AbortSignal) => Promise<T>): Promise<T> => {
      const controller = new AbortController();
      const onClose = () => {
        if (!reply.raw.writableFinished) controller.abort(new Error('the client closed the connection'));
      };
      reply.raw.on('close', onClose);
      try {
        return await start(controller.signal);
      } finally {
        reply.raw.off('close', onClose);
      }
    };
    const limitOf = (requested: number | undefined) => Math.min(requested ?? maxRows, maxRows);
    const metadata = { config: { scope: 'read:butler' as const } };

    app.get('/', metadata, async () => ({
      service: 'meridian-butler',
      apiVersion: BUTLER_API_VERSION,
      version,
      readOnly: true,
      maxRows,
      routes: [
        'GET /universe',
        'GET /dataset-types[?pattern=]',
        'GET /dataset-types/{name}',
        'GET /collections[?pattern=&type=]',
        'GET /collections/{name}',
        'POST /find-dataset',
        'POST /query-datasets',
        'POST /query-data-ids',
        'POST /query-dimension-records',
        'GET /datasets/{id}',
        'GET /datasets/{id}/exists',
        'GET /datasets/{id}/file[?component=]',
      ],
    }));

    app.get('/universe', metadata, async (_request, reply) => {
      const info = await task(reply, (signal) => run('repositoryInfo', { repo }, { signal }));
      return { tag: info.universeTag, config: info.universe };
    });

    app.get('/dataset-types', metadata, async (request, reply) => {
      const patterns = listParam((request.query as Record<string, unknown>).pattern);
      const found = await task(reply, (signal) => run('datasetTypes', { repo, patterns }, { signal }));
      return { datasetTypes: found };
    });
    app.get<{ Params: { name: string } }>('/dataset-types/:name', metadata, async (request, reply) => {
      const datasetType = parsed(name, request.params.name, 'dataset type name');
      return task(reply, (signal) => run('datasetType', { repo, name: datasetType }, { signal }));
    });

    app.get('/collections', metadata, async (request, reply) => {
      const query = request.query as Record<string, unknown>;
      const patterns = listParam(query.pattern);
      const types = listParam(query.type);
      const found = await task(reply, (signal) => run('collections', { repo, patterns, types }, { signal }));
      return { collections: found };
    });
    // Collection names hold slashes (`u/someone/run`): the rest of the path is the name.
    app.get<{ Params: { '*': string } }>('/collections/*', metadata, async (request, reply) => {
      const collection = parsed(name, request.params['*'], 'collection name');
      return task(reply, (signal) => run('collection', { repo, name: collection }, { signal }));
    });

    app.post('/find-dataset', metadata, async (request, reply) => {
      const body = parsed(findDatasetBody, request.body, 'find-dataset');
      const ref = await task(reply, (signal) => run('findDataset', { repo, ...body }, { signal }));
      return { ref };
    });

    app.post('/query-datasets', metadata, async (request, reply) => {
      const body = parsed(queryDatasetsBody, request.body, 'query-datasets');
      const limit = limitOf(body.limit);
      const datasetTypes = typeof body.datasetTypes === 'string' ? [body.datasetTypes] : body.datasetTypes;
      const result = await task(reply, (signal) =>
        run('queryDatasets', { repo, ...body, datasetTypes, limit }, { signal }),
      );
      return { refs: result.rows, count: result.rows.length, limit, truncated: result.truncated };
    });
    app.post('/query-data-ids', metadata, async (request, reply) => {
      const body = parsed(queryDataIdsBody, request.body, 'query-data-ids');
      const limit = limitOf(body.limit);
      const result = await task(reply, (signal) => run('queryDataIds', { repo, ...body, limit }, { signal }));
      return { dataIds: result.rows, count: result.rows.length, limit, truncated: result.truncated };
    });
    app.post('/query-dimension-records', metadata, async (request, reply) => {
      const body = parsed(queryRecordsBody, request.body, 'query-dimension-records');
      const limit = limitOf(body.limit);
      const result = await task(reply, (signal) =>
        run('queryDimensionRecords', { repo, ...body, limit }, { signal }),
      );
      return { records: result.rows, count: result.rows.length, limit, truncated: result.truncated };
    });

    app.get<{ Params: { id: string } }>('/datasets/:id', metadata, async (request, reply) => {
      const id = datasetId(request.params.id);
      return task(reply, (signal) => run('dataset', { repo, id }, { signal }));
    });
    app.get<{ Params: { id: string } }>('/datasets/:id/exists', metadata, async (request, reply) => {
      const id = datasetId(request.params.id);
      return { exists: await task(reply, (signal) => run('datasetExists', { repo, id }, { signal })) };
    });

    app.get<{ Params: { id: string }; Querystring: { component?: string } }>(
      '/datasets/:id/file',
      { config: { scope: 'read:image' as const } },
      async (
        request: FastifyRequest<{ Params: { id: string }; Querystring: { component?: string } }>,
        reply,
      ) => {
        const id = datasetId(request.params.id);
        const component = request.query.component;
        if (component === undefined || component === '') {
          const file = await task(reply, (signal) =>
            run('datasetFile', { repo, id, component: null }, { signal }),
          );
          const etag = `"${id}-${file.sizeBytes.toString(16)}-${file.modifiedMs.toString(16)}"`;
          return sendDownload(request, reply, fileSource(file.path, file.sizeBytes, etag, file.filename));
        }
        if (typeof component !== 'string' || !COMPONENT.test(component)) {
          throw meridianError(
            'COMPONENT_UNKNOWN',
            'the component parameter is not a component name (letters, digits and underscores, e.g. image or wcs)',
          );
        }
        const made = await task(reply, (signal) =>
          run('datasetComponent', { repo, id, component }, { signal }),
        );
        const etag = `"${id}.${component}-${made.bytes.byteLength.toString(16)}-${made.modifiedMs.toString(16)}"`;
        return sendDownload(request, reply, bytesSource(made.bytes, etag, made.filename, made.contentType));
      },
    );
  };
}

/**
 * The TAP 1.1 service under `/api/tap` as a Fastify plugin: `/sync` (GET and POST), the VOSI resources
 * (`/capabilities`, `/availability`, `/tables`, `/tables/<name>`) and DALI `/examples`. Errors of these routes are
 * VOTable error documents (TAP 1.1 §4.9) with the status of their code. `/async` (UWS) and uploads plug in here later.
 */

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { votableErrorHandler } from '../http-errors.js';
import type { TapContext } from './context.js';
import { examplesDocument, tapExamples } from './examples.js';
import { caseInsensitive, type RawParameters } from './params.js';
import { runSyncQuery } from './sync.js';
import { readTapRequest, requestUploads } from './upload.js';
import { availabilityDocument, capabilitiesDocument } from './vosi-capabilities.js';
import { tableDocument, tablesetDocument } from './vosi-tables.js';

const XML = 'text/xml; charset=utf-8';

export function tapRoutes(context: TapContext) {
  return async function registerTap(app: FastifyInstance): Promise<void> {
    const examples = tapExamples(context.catalog.schema);

    app.setErrorHandler(votableErrorHandler('TAP request'));

    const sync = async (request: FastifyRequest, reply: FastifyReply) => {
      const { params, parts } = await readTapRequest(request, context.limits);
      return runSyncQuery(
        context,
        params,
        request,
        reply,
        await requestUploads(params, parts, context.limits),
      );
    };
    // Scopes (docs/auth.md): discovery resources are public, everything that reads the catalog needs read:tap.
    const query = { config: { scope: 'read:tap', runsQuery: true } } as const;
    const read = { config: { scope: 'read:tap' } } as const;
    const open = { config: { scope: 'public' } } as const;
    app.get('/sync', query, sync);
    app.post('/sync', query, sync);

    app.get('/capabilities', open, async (request, reply) =>
      reply
        .header('content-type', XML)
        .send(capabilitiesDocument(context.serviceUrl(request), context.limits, context.allowAnonymous)),
    );
    app.get('/availability', open, async (_request, reply) =>
      reply
        .header('content-type', XML)
        .send(availabilityDocument(true, `serving catalog ${context.catalog.schema.name}`)),
    );
    app.get('/tables', read, async (request, reply) => {
      const detail = caseInsensitive(request.query as RawParameters).get('detail');
      return reply
        .header('content-type', XML)
        .send(tablesetDocument(context.tapSchema, detail?.toLowerCase() !== 'min'));
    });
    app.get<{ Params: { name: string } }>('/tables/:name', read, async (request, reply) => {
      const document = tableDocument(context.tapSchema, request.params.name);
      if (document === null) {
        return reply
          .status(404)
          .header('content-type', 'text/plain; charset=utf-8')
          .send(
            `no table ${request.params.name.slice(0, 200)}; /api/tap/tables lists the published tables\n`,
          );
      }
      return reply.header('content-type', XML).send(document);
    });
    app.get('/examples', read, async (request, reply) =>
      reply
        .header('content-type', 'application/xhtml+xml; charset=utf-8')
        .send(examplesDocument(examples, context.serviceUrl(request))),
    );
    app.get('/', open, async (request, reply) => {
      const base = context.serviceUrl(request);
      return reply
        .header('content-type', 'text/plain; charset=utf-8')
        .send(
          `Meridian TAP 1.1 service for ${context.catalog.schema.name}\n\n${['sync', 'capabilities', 'availability', 'tables', 'examples'].map((r) => `  ${base}/${r}`).join('\n')}\n\nConnect with TOPCAT (VO > Table Access Protocol, URL ${base}) or pyvo: pyvo.dal.TAPService("${base}")\n`,
        );
    });
  };
}

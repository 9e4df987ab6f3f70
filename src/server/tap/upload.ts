/**
 * TAP uploads (TAP 1.1 §2.5.1, DALI 1.1 §3.4.5): `UPLOAD=name,param:part` names a VOTable sent as a part of a
 * multipart/form-data POST; several uploads are separated by `;`. The table is then `TAP_UPLOAD.name` in ADQL.
 *
 * Decisions, and why:
 * - Inline (`param:`) uploads, and uploads by http(s) URL (TAPRegExt makes upload-http mandatory once uploads are
 *   offered). Fetching a URL a client chose could be a request forgery into the service's own network, so
 *   `upload-url.ts` fetches only from public addresses (checked on the address it connects to), follows no redirect,
 *   and bounds size and time; other schemes are refused with TAP_PARAMETER.
 * - Sizes are bounded before anything is held whole: a multipart request whose Content-Length exceeds the upload
 *   limit is refused at once (413), and each part is counted while it streams and abandoned at the limit (413,
 *   VOTABLE_TOO_LARGE); rows beyond the row limit are refused the same way while parsing.
 * - A malformed VOTable is VOTABLE_INVALID (400), an unusable table UPLOAD_INVALID (400), both TAP error documents.
 * - Async jobs keep their uploaded documents beside their results (`<id>.uploads/`), so a queued job still runs after
 *   a restart; the files go when the job is deleted.
 */

import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { QueryUpload } from '../../catalog/index.js';
import { meridianError } from '../../errors.js';
import { readVOTable } from '../../formats/index.js';
import type { ServerLimits } from '../config.js';
import { caseInsensitive, type RawParameters } from './params.js';
import { fetchUploadUrl } from './upload-url.js';

/** What a TAP request carries: its parameters (lower-case names) and its uploaded parts by part name. */
export interface TapRequestContent {
  readonly params: Map<string, string>;
  readonly parts: ReadonlyMap<string, Buffer>;
}

/** Parts a multipart request may carry (uploads are few; the rest are TAP parameters). */
const MAX_FILES = 10;
const MAX_FIELDS = 100;

/** Registers multipart/form-data parsing (for the TAP routes) with the upload limits. */
export function registerMultipart(app: FastifyInstance, limits: ServerLimits): void {
  app.register(multipart, {
    limits: {
      // One byte more than an upload may have, so that the reader below sees an oversize part and says so.
      fileSize: limits.uploadMaxBytes + 1,
      files: MAX_FILES,
      fields: MAX_FIELDS,
      fieldSize: limits.bodyLimitBytes,
      parts: MAX_FILES + MAX_FIELDS,
    },
  });
  // The whole request may be no larger than the uploads and the parameters allow: refused before it is read.
  const largest = limits.uploadMaxBytes * MAX_FILES + limits.bodyLimitBytes;
  // After a 413 the rest of the body is not wanted: close the connection instead of reading it to keep it alive.
  app.addHook('onSend', async (_request, reply) => {
    if (reply.statusCode === 413) reply.header('connection', 'close');
  });
  app.addHook('onRequest', async (request) => {
    const length = Number(request.headers['content-length']);
    if (request.headers['content-type']?.startsWith('multipart/') && length > largest) {
      throw uploadTooLarge(
        `the request is ${length} bytes, more than this service accepts (${largest})`,
        limits,
      );
    }
  });
}

function uploadTooLarge(message: string, limits: ServerLimits): Error {
  return meridianError(
    'VOTABLE_TOO_LARGE',
    `${message}; an upload may be at most ${limits.uploadMaxBytes} bytes and ${limits.uploadMaxRows} rows`,
    {
      maxBytes: limits.uploadMaxBytes,
      maxRows: limits.uploadMaxRows,
    },
  );
}

/** The parameters and parts of a TAP request: URL query, form or multipart body. */
export async function readTapRequest(
  request: FastifyRequest,
  limits: ServerLimits,
): Promise<TapRequestContent> {
  if (!request.isMultipart()) {
    return {
      params: caseInsensitive(request.body as RawParameters | undefined, request.query as RawParameters),
      parts: new Map(),
    };
  }
  const fields: Record<string, string[]> = {};
  const parts = new Map<string, Buffer>();
  try {
    for await (const part of request.parts()) {
      if (part.type === 'field') {
        if (typeof part.value === 'string') (fields[part.fieldname] ??= []).push(part.value);
        continue;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of part.file) {
        size += chunk.length;
        if (size > limits.uploadMaxBytes) break;
        chunks.push(chunk);
      }
      if (size > limits.uploadMaxBytes || part.file.truncated) {
        throw uploadTooLarge(
          `the uploaded part ${part.fieldname.slice(0, 50)} is larger than the limit`,
          limits,
        );
      }
      parts.set(part.fieldname, Buffer.concat(chunks));
    }
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (
      code === 'FST_REQ_FILE_TOO_LARGE' ||
      code === 'FST_FILES_LIMIT' ||
      code === 'FST_PARTS_LIMIT' ||
      code === 'FST_FIELDS_LIMIT'
    ) {
      throw uploadTooLarge(`the request has too many or too large parts (${(err as Error).message})`, limits);
    }
    throw err;
  }
  return { params: caseInsensitive(fields, request.query as RawParameters), parts };
}

/** One item of an UPLOAD parameter: `name,param:part` or `name,http(s)://…`. */
export type UploadReference =
  | { readonly name: string; readonly part: string }
  | { readonly name: string; readonly url: string };

function uploadParameterError(message: string): Error {
  return meridianError('TAP_PARAMETER', message, { parameter: 'UPLOAD' });
}

/** Parses UPLOAD (`name,param:part;name2,param:part2`); no UPLOAD gives no references. */
export function uploadReferences(value: string | undefined): UploadReference[] {
  if (value === undefined || value.trim() === '') return [];
  return value.split(';').map((item) => {
    const comma = item.indexOf(',');
    if (comma < 0) {
      throw uploadParameterError(`UPLOAD item ${JSON.stringify(item.slice(0, 60))} is not name,param:part`);
    }
    const name = item.slice(0, comma).trim();
    const source = item.slice(comma + 1).trim();
    if (name === '') throw uploadParameterError('UPLOAD names a table with an empty name');
    if (/^https?:\/\//i.test(source)) return { name, url: source };
    if (/^[a-z][a-z0-9+.-]*:/i.test(source) && !source.startsWith('param:')) {
      throw uploadParameterError(
        `UPLOAD ${name.slice(0, 60)} uses ${source.slice(0, source.indexOf(':') + 1)}; this service fetches only http and https URLs, or takes the table inline as a multipart/form-data part with UPLOAD=${name.slice(0, 60)},param:<part name>`,
      );
    }
    if (!source.startsWith('param:') || source.length === 'param:'.length) {
      throw uploadParameterError(`UPLOAD ${name.slice(0, 60)} must name a part as param:<part name>`);
    }
    return { name, part: source.slice('param:'.length) };
  });
}

/** The uploads of a request, read and bounded: the VOTable of each `param:` part or URL. */
export async function requestUploads(
  params: ReadonlyMap<string, string>,
  parts: ReadonlyMap<string, Buffer>,
  limits: ServerLimits,
  signal?: AbortSignal,
): Promise<QueryUpload[]> {
  const uploads: QueryUpload[] = [];
  for (const reference of uploadReferences(params.get('upload'))) {
    const { name } = reference;
    const document =
      'url' in reference
        ? await fetchUploadUrl(name, reference.url, {
            maxBytes: limits.uploadMaxBytes,
            allowPrivateHosts: limits.uploadUrlPrivateHosts,
            signal,
          })
        : parts.get(reference.part);
    if (document === undefined) {
      const part = 'part' in reference ? reference.part : '';
      throw uploadParameterError(
        `UPLOAD ${name.slice(0, 60)} names the part ${part.slice(0, 60)}, which the request does not carry; send it as a multipart/form-data file part`,
      );
    }
    const table = readVOTable(document, { maxBytes: limits.uploadMaxBytes, maxRows: limits.uploadMaxRows });
    uploads.push({ name, fields: table.fields, rows: table.rows });
  }
  return uploads;
}

/** Where an async job keeps its uploaded parts; part names are hex-encoded into file names (no path tricks). */
function uploadsDir(resultsDir: string, jobId: string): string {
  return join(resultsDir, `${jobId}.uploads`);
}

export async function saveJobUploads(
  resultsDir: string,
  jobId: string,
  parts: ReadonlyMap<string, Buffer>,
): Promise<void> {
  if (parts.size === 0) return;
  const dir = uploadsDir(resultsDir, jobId);
  await mkdir(dir, { recursive: true });
  for (const [name, bytes] of parts)
    await writeFile(join(dir, `${Buffer.from(name).toString('hex')}.vot`), bytes);
}

export async function loadJobUploads(resultsDir: string, jobId: string): Promise<Map<string, Buffer>> {
  const dir = uploadsDir(resultsDir, jobId);
  const parts = new Map<string, Buffer>();
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return parts;
  }
  for (const file of names) {
    if (!file.endsWith('.vot')) continue;
    parts.set(Buffer.from(file.slice(0, -4), 'hex').toString(), await readFile(join(dir, file)));
  }
  return parts;
}

export async function removeJobUploads(resultsDir: string, jobId: string): Promise<void> {
  await rm(uploadsDir(resultsDir, jobId), { recursive: true, force: true });
}

/**
 * The Portal's one door to the server: TAP over HTTP, as any client would use it (docs/tap.md). Queries run as
 * async UWS jobs (POST /async with PHASE=RUN, then WAIT-polling the job document), results come back as TAP JSON.
 * Every request carries the session's bearer token when there is one; a 401 becomes `UnauthorizedError`, which the
 * app answers by asking for a token.
 */

import { parseJsonResult, type ResultTable } from './json-result.js';
import { storedToken } from './token.js';

export class UnauthorizedError extends Error {
  constructor() {
    super('the server wants a token for this request');
  }
}

/** An error the server reported for a request or a job: its code (docs/errors.md) when it gave one. */
export class ServiceError extends Error {
  constructor(
    message: string,
    readonly code: string | null = null,
    readonly hint: string | null = null,
  ) {
    super(message);
  }
}

export type Phase =
  | 'PENDING'
  | 'QUEUED'
  | 'EXECUTING'
  | 'COMPLETED'
  | 'ERROR'
  | 'ABORTED'
  | 'UNKNOWN'
  | 'HELD'
  | 'SUSPENDED'
  | 'ARCHIVED';

const ACTIVE_PHASES: ReadonlySet<string> = new Set(['PENDING', 'QUEUED', 'EXECUTING', 'HELD', 'SUSPENDED']);

export function isActive(phase: Phase): boolean {
  return ACTIVE_PHASES.has(phase);
}

export interface JobSummary {
  readonly id: string;
  readonly phase: Phase;
  readonly runId: string | null;
  readonly creationTime: string | null;
}

export interface JobDetails extends JobSummary {
  readonly query: string | null;
  readonly startTime: string | null;
  readonly endTime: string | null;
  /** The job's MAXREC parameter as given, for a re-run with the same limit. */
  readonly maxrec: string | null;
  /** The result's row count, from the job's `uws:jobInfo` (null when the service does not say). */
  readonly rows: number | null;
  readonly overflow: boolean;
  /** The UWS error summary's message of an ERROR job. */
  readonly errorMessage: string | null;
}

export interface Example {
  readonly name: string;
  readonly query: string;
}

/** How long one WAIT request may block; the server caps it at 60 s. */
const WAIT_SECONDS = 30;

function text(parent: Element | Document, localName: string): string | null {
  const element = parent.getElementsByTagNameNS('*', localName)[0];
  const value = element?.textContent?.trim();
  return value === undefined || value === '' || element.getAttribute('xsi:nil') === 'true' ? null : value;
}

function parseXml(source: string): Document {
  return new DOMParser().parseFromString(source, 'application/xml');
}

export class TapClient {
  constructor(private readonly base = '/api/tap') {}

  private async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    const token = storedToken();
    if (token !== null) headers.set('authorization', `Bearer ${token}`);
    // Without it the server's 401 also offers Basic auth, and the browser would pop up its own login box.
    headers.set('x-requested-with', 'meridian-portal');
    const response = await fetch(`${this.base}${path}`, { ...init, headers });
    if (response.status === 401) throw new UnauthorizedError();
    return response;
  }

  /** Throws the server's error for a failed response: its JSON `{error}` body, or its VOTable QUERY_STATUS text. */
  private async failure(response: Response): Promise<never> {
    const body = await response.text();
    try {
      const json = JSON.parse(body) as { error?: { code?: string; message?: string; hint?: string } };
      if (json.error?.message !== undefined) {
        throw new ServiceError(json.error.message, json.error.code ?? null, json.error.hint ?? null);
      }
    } catch (err) {
      if (err instanceof ServiceError) throw err;
    }
    throw votableError(body) ?? new ServiceError(`the server answered HTTP ${response.status}`);
  }

  private async form(path: string, params: Record<string, string>, method = 'POST'): Promise<Response> {
    const response = await this.request(path, {
      method,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(params).toString(),
    });
    if (!response.ok) await this.failure(response);
    return response;
  }

  /** Whether the service can answer in TAP JSON (listed among the capabilities' output formats). */
  async offersJson(): Promise<boolean> {
    const response = await this.request('/capabilities');
    if (!response.ok) await this.failure(response);
    return (await response.text()).includes('<mime>application/json</mime>');
  }

  /** A small synchronous query, for TAP_SCHEMA. */
  async sync(adql: string): Promise<ResultTable> {
    const params = new URLSearchParams({ LANG: 'ADQL', RESPONSEFORMAT: 'json', QUERY: adql });
    const response = await this.request(`/sync?${params}`);
    if (!response.ok) await this.failure(response);
    return parseJsonResult(await response.text());
  }

  async examples(): Promise<Example[]> {
    const response = await this.request('/examples');
    if (!response.ok) await this.failure(response);
    const doc = new DOMParser().parseFromString(await response.text(), 'text/html');
    return [...doc.querySelectorAll('[typeof="example"]')].flatMap((element) => {
      const name = element.querySelector('[property="name"]')?.textContent?.trim();
      const query = element.querySelector('[property="query"]')?.textContent?.trim();
      return name && query ? [{ name, query }] : [];
    });
  }

  /** Creates and starts an async job; returns its id. */
  async submit(adql: string, maxrec: number): Promise<string> {
    const response = await this.form('/async', {
      LANG: 'ADQL',
      QUERY: adql,
      RESPONSEFORMAT: 'json',
      MAXREC: String(maxrec),
      PHASE: 'RUN',
    });
    // fetch followed the 303 to the job: its URL ends with the id.
    const id = new URL(response.url).pathname.split('/').pop();
    if (id === undefined || id === '' || id === 'async')
      throw new ServiceError('the server did not say where the job is');
    return id;
  }

  async job(id: string, waitSeconds = 0): Promise<JobDetails> {
    const wait = waitSeconds > 0 ? `?WAIT=${waitSeconds}` : '';
    const response = await this.request(`/async/${encodeURIComponent(id)}${wait}`);
    if (!response.ok) await this.failure(response);
    const doc = parseXml(await response.text());
    const parameters = [...doc.getElementsByTagNameNS('*', 'parameter')];
    const parameter = (name: string) =>
      parameters.find((p) => p.getAttribute('id')?.toUpperCase() === name)?.textContent ?? null;
    const query = parameter('QUERY');
    const jobInfo = doc.getElementsByTagNameNS('*', 'jobInfo')[0];
    const rows = jobInfo === undefined ? null : Number(text(jobInfo, 'rows') ?? Number.NaN);
    const errorSummary = doc.getElementsByTagNameNS('*', 'errorSummary')[0];
    return {
      id: text(doc, 'jobId') ?? id,
      phase: (text(doc, 'phase') ?? 'UNKNOWN') as Phase,
      runId: text(doc, 'runId'),
      creationTime: text(doc, 'creationTime'),
      startTime: text(doc, 'startTime'),
      endTime: text(doc, 'endTime'),
      query,
      maxrec: parameter('MAXREC'),
      rows: rows !== null && Number.isInteger(rows) ? rows : null,
      overflow: jobInfo !== undefined && text(jobInfo, 'overflow') === 'true',
      errorMessage: errorSummary === undefined ? null : text(errorSummary, 'message'),
    };
  }

  /** Blocks (in WAIT requests) until the job leaves the active phases or `signal` aborts. */
  async waitForJob(id: string, signal?: AbortSignal): Promise<JobDetails> {
    for (;;) {
      signal?.throwIfAborted();
      const job = await this.job(id, WAIT_SECONDS);
      if (!isActive(job.phase)) return job;
    }
  }

  async result(id: string): Promise<ResultTable> {
    const response = await this.request(`/async/${encodeURIComponent(id)}/results/result`);
    if (!response.ok) await this.failure(response);
    return parseJsonResult(await response.text());
  }

  /** The job's error, with the server's code and hint. */
  async jobError(id: string): Promise<ServiceError> {
    const response = await this.request(`/async/${encodeURIComponent(id)}/error`);
    return votableError(await response.text()) ?? new ServiceError('the job failed without saying why');
  }

  async jobs(last = 50): Promise<JobSummary[]> {
    const response = await this.request(`/async?LAST=${last}`);
    if (!response.ok) await this.failure(response);
    const doc = parseXml(await response.text());
    return [...doc.getElementsByTagNameNS('*', 'jobref')].map((ref) => ({
      id: ref.getAttribute('id') ?? '',
      phase: (text(ref, 'phase') ?? 'UNKNOWN') as Phase,
      runId: text(ref, 'runId'),
      creationTime: text(ref, 'creationTime'),
    }));
  }

  async abort(id: string): Promise<void> {
    await this.form(`/async/${encodeURIComponent(id)}/phase`, { PHASE: 'ABORT' });
  }

  /** The largest upload the service takes, in bytes (TAPRegExt `uploadLimit`), or null when it names none. */
  async uploadLimitBytes(): Promise<number | null> {
    const response = await this.request('/capabilities');
    if (!response.ok) await this.failure(response);
    const doc = parseXml(await response.text());
    const limit = doc.getElementsByTagNameNS('*', 'uploadLimit')[0];
    const hard = limit === undefined ? null : text(limit, 'hard');
    return hard !== null && Number.isFinite(Number(hard)) ? Number(hard) : null;
  }

  /**
   * Runs `adql` synchronously with `votable` uploaded as `TAP_UPLOAD.<table>` (a multipart/form-data part, TAP 1.1
   * §2.5.1) and returns the response body in `format` (e.g. `parquet`). Errors are the server's, with code and hint.
   */
  async uploadQuery(
    adql: string,
    table: string,
    votable: string,
    format: string,
    maxrec: number,
  ): Promise<Blob> {
    const body = new FormData();
    body.set('LANG', 'ADQL');
    body.set('QUERY', adql);
    body.set('RESPONSEFORMAT', format);
    body.set('MAXREC', String(maxrec));
    body.set('UPLOAD', `${table},param:${table}`);
    body.set(table, new Blob([votable], { type: 'application/x-votable+xml' }), `${table}.vot`);
    const response = await this.request('/sync', { method: 'POST', body });
    if (!response.ok) await this.failure(response);
    return response.blob();
  }

  async remove(id: string): Promise<void> {
    const response = await this.request(`/async/${encodeURIComponent(id)}`, { method: 'DELETE' });
    if (!response.ok) await this.failure(response);
  }
}

/** The message, code and hint of a VOTable error document (QUERY_STATUS=ERROR plus ERROR_CODE and HINT INFOs). */
function votableError(body: string): ServiceError | null {
  if (!body.includes('QUERY_STATUS')) return null;
  const doc = parseXml(body);
  const infos = [...doc.getElementsByTagNameNS('*', 'INFO')];
  const info = (name: string) => infos.find((i) => i.getAttribute('name') === name);
  const status = info('QUERY_STATUS');
  if (status?.getAttribute('value') !== 'ERROR') return null;
  const message = status.textContent?.trim() || 'the query failed';
  const code = info('ERROR_CODE');
  const hint = info('HINT');
  return new ServiceError(
    message,
    code?.getAttribute('value') ?? code?.textContent?.trim() ?? null,
    hint?.getAttribute('value') ?? hint?.textContent?.trim() ?? null,
  );
}

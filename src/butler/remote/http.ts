/**
 * RemoteButler's HTTP: `fetch` (global, Node 20) with the Bearer token, JSON in and out, and the server's coded
 * errors (`{error: {code, message, hint}}`) re-thrown as the same MeridianError codes. A network failure or an
 * answer that is not the Butler API's is REMOTE_UNAVAILABLE; a cancelled call is ABORTED. The token never appears
 * in an error message.
 */

import { ERROR_CODES, type ErrorCode, meridianError } from '../../errors.js';

export interface HttpOptions {
  readonly token?: string;
  /** Replaces the global fetch (a proxy agent, a test's instrumented fetch). */
  readonly fetch?: typeof fetch;
}

export interface RequestOptions {
  readonly method?: 'GET' | 'POST';
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  readonly signal?: AbortSignal;
}

export class ButlerHttp {
  readonly baseUrl: string;
  readonly #token: string | undefined;
  readonly #fetch: typeof fetch;

  constructor(url: string, options: HttpOptions = {}) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw meridianError('INVALID_ARGUMENT', `'${url}' is not a URL (e.g. http://host:8080/api/butler)`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw meridianError(
        'INVALID_ARGUMENT',
        `a RemoteButler URL must be http or https, not ${parsed.protocol}`,
      );
    }
    this.baseUrl = parsed.href.replace(/\/+$/, '');
    this.#token = options.token;
    this.#fetch = options.fetch ?? fetch;
  }

  /** The response of a request, after turning any failure into a coded error. */
  async request(path: string, options: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
    if (this.#token !== undefined) headers.authorization = `Bearer ${this.#token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await this.#fetch(`${this.baseUrl}${path}`, {
        method: options.method ?? 'GET',
        headers,
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      });
    } catch (err) {
      if (options.signal?.aborted) {
        throw meridianError('ABORTED', `the request ${path} was aborted`, {}, options.signal.reason);
      }
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw meridianError(
        'REMOTE_UNAVAILABLE',
        `cannot reach the Butler API at ${this.baseUrl}: ${cause?.code ?? cause?.message ?? (err as Error).message}`,
        { url: this.baseUrl },
        err,
      );
    }
    if (response.ok || response.status === 304) return response;
    throw await this.errorOf(response, path);
  }

  async json<T>(path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.request(path, options);
    try {
      return (await response.json()) as T;
    } catch (err) {
      throw meridianError(
        'REMOTE_UNAVAILABLE',
        `the answer to ${path} from ${this.baseUrl} is not JSON: is this URL a Meridian Butler API?`,
        { url: this.baseUrl },
        err,
      );
    }
  }

  private async errorOf(response: Response, path: string): Promise<Error> {
    const text = await response.text().catch(() => '');
    let body: { error?: { code?: unknown; message?: unknown } } | undefined;
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      body = undefined;
    }
    const code = body?.error?.code;
    const message = body?.error?.message;
    if (typeof code === 'string' && code in ERROR_CODES && typeof message === 'string') {
      return meridianError(code as ErrorCode, message, { status: response.status, remote: this.baseUrl });
    }
    return meridianError(
      'REMOTE_UNAVAILABLE',
      `${path} at ${this.baseUrl} answered HTTP ${response.status} without a Meridian error`,
      { status: response.status, url: this.baseUrl },
    );
  }
}

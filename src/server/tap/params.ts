/**
 * TAP request parameters (TAP 1.1 §2.3, DALI 1.1 §3): names are case-insensitive, values are case-sensitive except
 * where the standard says otherwise (LANG, REQUEST, RESPONSEFORMAT). GET query parameters and POST form fields are
 * merged; unknown parameters are ignored, as the standard requires.
 */

import { meridianError } from '../../errors.js';
import type { ServerLimits } from '../config.js';

/** Parameters as Fastify hands them over: from the query string or a form body, repeated names as arrays. */
export type RawParameters = Readonly<Record<string, string | readonly string[] | undefined>>;

/** Lower-cased names; the first value of a repeated name (DALI: single-valued parameters). */
export function caseInsensitive(...sources: (RawParameters | undefined | null)[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const source of sources) {
    if (!source || typeof source !== 'object') continue;
    for (const [name, value] of Object.entries(source)) {
      const first = Array.isArray(value) ? value[0] : value;
      if (typeof first !== 'string') continue;
      const key = name.toLowerCase();
      if (!out.has(key)) out.set(key, first);
    }
  }
  return out;
}

export interface SyncQueryParameters {
  readonly query: string;
  readonly responseFormat: string | undefined;
  /** The effective row limit: MAXREC, or the default, never above the hard limit. */
  readonly maxrec: number;
}

const LANGUAGES = new Set(['adql', 'adql-2.0', 'adql-2.1']);

function parameterError(parameter: string, message: string): Error {
  return meridianError('TAP_PARAMETER', message, { parameter });
}

export function syncQueryParameters(
  params: ReadonlyMap<string, string>,
  limits: ServerLimits,
): SyncQueryParameters {
  const request = params.get('request');
  // TAP 1.1 made REQUEST optional; when given for a query it must be doQuery.
  if (request !== undefined && request.toLowerCase() !== 'doquery') {
    throw parameterError('REQUEST', `REQUEST=${request.slice(0, 50)} is not supported; use REQUEST=doQuery`);
  }
  const lang = params.get('lang');
  if (lang === undefined || lang.trim() === '') {
    throw parameterError('LANG', 'LANG is required: give LANG=ADQL');
  }
  if (!LANGUAGES.has(lang.trim().toLowerCase())) {
    throw parameterError(
      'LANG',
      `LANG=${lang.slice(0, 50)} is not supported; use LANG=ADQL (ADQL 2.0 or 2.1)`,
    );
  }
  const query = params.get('query');
  if (query === undefined || query.trim() === '') {
    throw parameterError('QUERY', 'QUERY is required: give the ADQL query text');
  }
  return {
    query,
    responseFormat: params.get('responseformat') ?? params.get('format'),
    maxrec: maxrecFrom(params.get('maxrec'), limits),
  };
}

function maxrecFrom(value: string | undefined, limits: ServerLimits): number {
  if (value === undefined) return limits.maxrecDefault;
  const trimmed = value.trim();
  if (!/^\d{1,15}$/.test(trimmed)) {
    throw parameterError(
      'MAXREC',
      `MAXREC must be a non-negative integer, not ${JSON.stringify(value.slice(0, 50))}`,
    );
  }
  return Math.min(Number(trimmed), limits.maxrecHard);
}

/**
 * `meridian serve --config FILE`: the server's settings in one YAML (or JSON) file, for deployments that outgrow
 * flags. Every key is optional and checked (an unknown or mistyped key is CONFIG_INVALID naming it); paths are
 * relative to the file's directory; command-line flags override the file. The keys mirror `ServeOptions`:
 *
 *   catalog: ./catalog-db            # catalog database directory
 *   repo: ./survey-repo              # butler repository
 *   listen: { host: 0.0.0.0, port: 8080, baseUrl: https://data.example.org }
 *   limits: { maxrecDefault: 100000, userMaxConcurrentQueries: 8 }   # see config.ts for every limit
 *   auth: { allowAnonymous: false, tokens: postgresql://… }          # tokens: SQLite file or URL
 *   jobs: { database: postgresql://…, resultsDir: /data/tap-results }
 *   logLevel: info
 */

import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { isDatabaseUrl } from '../db/index.js';
import { meridianError } from '../errors.js';
import { type ServerLimitsInput, serverLimitsSchema, serverListenSchema, validated } from './config.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const configFileSchema = z
  .object({
    catalog: z.string().min(1).optional(),
    repo: z.string().min(1).optional(),
    listen: z
      .object({
        host: z.string().min(1).optional(),
        port: z.number().int().min(0).max(65_535).optional(),
        baseUrl: z.url().optional(),
      })
      .strict()
      .optional(),
    limits: z.record(z.string(), z.unknown()).optional(),
    auth: z
      .object({ allowAnonymous: z.boolean().optional(), tokens: z.string().min(1).optional() })
      .strict()
      .optional(),
    jobs: z
      .object({ database: z.string().min(1).optional(), resultsDir: z.string().min(1).optional() })
      .strict()
      .optional(),
    logLevel: z.enum(LOG_LEVELS).optional(),
  })
  .strict();

export type ServeLogLevel = (typeof LOG_LEVELS)[number];

/** The file's settings, validated, with paths made absolute. */
export interface ServeConfigFile {
  readonly catalog?: string;
  readonly repo?: string;
  readonly listen: { readonly host?: string; readonly port?: number; readonly baseUrl?: string };
  readonly limits: ServerLimitsInput;
  readonly auth: { readonly allowAnonymous?: boolean; readonly tokens?: string };
  readonly jobs: { readonly database?: string; readonly resultsDir?: string };
  readonly logLevel?: ServeLogLevel;
}

/** A database setting is a URL (`postgresql://…`, `sqlite:…`) or a path to an SQLite file; only paths are resolved. */
function resolveDatabase(value: string | undefined, base: string): string | undefined {
  if (value === undefined || isDatabaseUrl(value)) return value;
  return resolvePath(value, base);
}

function resolvePath(value: string | undefined, base: string): string | undefined {
  if (value === undefined) return undefined;
  return isAbsolute(value) ? value : resolve(base, value);
}

export function readServeConfigFile(path: string): ServeConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw meridianError(
      'FILE_NOT_FOUND',
      `cannot read the server configuration ${path}: ${(err as Error).message}`,
      { path },
      err,
    );
  }
  let document: unknown;
  try {
    document = parseYaml(text) ?? {};
  } catch (err) {
    throw meridianError(
      'CONFIG_INVALID',
      `${path} is not valid YAML or JSON: ${(err as Error).message.split('\n')[0]}`,
      { path },
      err,
    );
  }
  const parsed = validated(configFileSchema, document, path);
  // The limits are checked against the server's own schema now, so a typo fails at start naming the key.
  const limits = (parsed.limits ?? {}) as ServerLimitsInput;
  validated(serverLimitsSchema, limits, `${path}: limits`);
  if (parsed.listen !== undefined) validated(serverListenSchema, parsed.listen, `${path}: listen`);
  const base = dirname(resolve(path));
  return Object.freeze({
    catalog: resolvePath(parsed.catalog, base),
    repo: resolvePath(parsed.repo, base),
    listen: parsed.listen ?? {},
    limits,
    auth: { ...parsed.auth, tokens: resolveDatabase(parsed.auth?.tokens, base) },
    jobs: {
      database: resolveDatabase(parsed.jobs?.database, base),
      resultsDir: resolvePath(parsed.jobs?.resultsDir, base),
    },
    logLevel: parsed.logLevel,
  });
}

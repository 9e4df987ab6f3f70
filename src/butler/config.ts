import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { z } from 'zod';
import { meridianError } from '../errors.js';

/** `butler.yaml` at the root of a repository: where the registry lives and how the datastore lays out files. */
export const BUTLER_CONFIG_FILE = 'butler.yaml';
export const BUTLER_CONFIG_VERSION = 1;
export const DEFAULT_SQLITE_FILE = 'gen3.sqlite3';

const configSchema = z
  .object({
    meridian_butler: z.number().int().positive(),
    registry: z
      .object({
        db: z.string().min(1),
        namespace: z
          .string()
          .regex(/^[a-z_][a-z0-9_]{0,62}$/)
          .optional(),
      })
      .strict(),
    datastore: z
      .object({
        templates: z.record(z.string(), z.string()).optional(),
        checksum: z.boolean().default(false),
      })
      .strict()
      .default({ checksum: false }),
  })
  .strict();

export type ButlerConfig = z.output<typeof configSchema>;
export type ButlerConfigInput = z.input<typeof configSchema>;

export function defaultButlerConfig(overrides: Partial<ButlerConfigInput> = {}): ButlerConfig {
  return validateButlerConfig({
    meridian_butler: BUTLER_CONFIG_VERSION,
    registry: { db: `sqlite:${DEFAULT_SQLITE_FILE}` },
    ...overrides,
  });
}

export function validateButlerConfig(raw: unknown, source = 'butler configuration'): ButlerConfig {
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw meridianError(
      'CONFIG_INVALID',
      `${source}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`,
      {
        path: issue.path.join('.'),
      },
    );
  }
  if (parsed.data.meridian_butler > BUTLER_CONFIG_VERSION) {
    throw meridianError(
      'SCHEMA_VERSION',
      `${source} has format version ${parsed.data.meridian_butler}; this Meridian reads up to ${BUTLER_CONFIG_VERSION}`,
    );
  }
  return parsed.data;
}

export function readButlerConfig(root: string): ButlerConfig {
  const path = join(root, BUTLER_CONFIG_FILE);
  if (!existsSync(path)) {
    throw meridianError('REPO_NOT_FOUND', `no butler repository at ${root} (missing ${BUTLER_CONFIG_FILE})`, {
      root,
    });
  }
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    throw meridianError('CONFIG_INVALID', `cannot parse ${path}: ${(err as Error).message}`, {}, err);
  }
  return validateButlerConfig(raw, path);
}

export function writeButlerConfig(root: string, config: ButlerConfig): void {
  writeFileSync(join(root, BUTLER_CONFIG_FILE), stringifyYaml(config), { flag: 'wx' });
}

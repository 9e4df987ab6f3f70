/**
 * The catalog schema: tables, columns (type, unit, UCD, description), keys and each table's partitioning role, read
 * from a YAML file in the spirit of Rubin's Felis (`config/catalog/dp02.yaml`). Validated once here with zod; the
 * rest of the catalog trusts the frozen `CatalogSchema` it returns. TAP_SCHEMA is generated from it.
 */

import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { meridianError } from '../errors.js';
import { deepFreeze } from './adql/index.js';

export const columnDatatypes = [
  'boolean',
  'byte',
  'short',
  'int',
  'long',
  'float',
  'double',
  'char',
  'string',
  'text',
  'timestamp',
] as const;
export type ColumnDatatype = (typeof columnDatatypes)[number];

export interface CatalogColumn {
  readonly kind: 'column';
  readonly name: string;
  readonly datatype: ColumnDatatype;
  /** Maximum length for char/string columns, else null. */
  readonly length: number | null;
  readonly nullable: boolean;
  readonly unit: string | null;
  readonly ucd: string | null;
  readonly description: string;
}

/**
 * How a table is partitioned (qserv_tap.md §1.2). A director carries its own position and is the target of the
 * director index; a dependent's rows live in the chunk of their director row; a match table relates rows of two
 * directors and each of its rows lives in the chunks of both (once when they share a chunk); a regular table is
 * replicated whole.
 */
export type TablePartitioning =
  | { readonly role: 'director'; readonly ra: string; readonly dec: string; readonly key: string }
  | { readonly role: 'dependent'; readonly director: string; readonly key: string }
  | {
      readonly role: 'match';
      readonly director: string;
      readonly key: string;
      readonly director2: string;
      readonly key2: string;
    }
  | { readonly role: 'regular' };

export interface ForeignKey {
  readonly name: string;
  readonly columns: readonly string[];
  readonly referencedTable: string;
  readonly referencedColumns: readonly string[];
}

export interface CatalogTable {
  readonly kind: 'table';
  readonly name: string;
  readonly description: string;
  readonly primaryKey: readonly string[];
  readonly foreignKeys: readonly ForeignKey[];
  readonly partitioning: TablePartitioning;
  readonly columns: readonly CatalogColumn[];
}

export interface CatalogSchema {
  readonly kind: 'catalogSchema';
  /** The TAP schema name, e.g. `dp02_dc2_catalogs`. */
  readonly name: string;
  readonly version: number;
  readonly description: string;
  readonly tables: readonly CatalogTable[];
}

const columnInput = z.strictObject({
  name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/),
  datatype: z.enum(columnDatatypes),
  length: z.number().int().positive().optional(),
  nullable: z.boolean().optional(),
  unit: z.string().optional(),
  ucd: z.string().optional(),
  description: z.string().default(''),
});

const tableInput = z.strictObject({
  name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/),
  description: z.string().default(''),
  primaryKey: z.array(z.string()).default([]),
  foreignKeys: z
    .array(
      z.strictObject({
        name: z.string(),
        columns: z.array(z.string()).min(1),
        referencedTable: z.string(),
        referencedColumns: z.array(z.string()).min(1),
      }),
    )
    .default([]),
  partitioning: z.discriminatedUnion('role', [
    z.strictObject({ role: z.literal('director'), ra: z.string(), dec: z.string() }),
    z.strictObject({ role: z.literal('dependent'), director: z.string(), key: z.string() }),
    z.strictObject({
      role: z.literal('match'),
      director: z.string(),
      key: z.string(),
      director2: z.string(),
      key2: z.string(),
    }),
    z.strictObject({ role: z.literal('regular') }),
  ]),
  columns: z.array(columnInput).min(1),
});

const schemaInput = z.strictObject({
  name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/),
  version: z.number().int().positive(),
  description: z.string().default(''),
  tables: z.array(tableInput).min(1),
});

function invalid(message: string, details: Record<string, unknown> = {}): Error {
  return meridianError('CATALOG_SCHEMA_INVALID', message, details);
}

/** Checks the cross-references zod cannot: keys name real columns, dependents point at directors. */
function checkReferences(schema: CatalogSchema): void {
  const byName = new Map(schema.tables.map((t) => [t.name.toLowerCase(), t]));
  if (byName.size !== schema.tables.length) throw invalid('two tables have the same name');
  for (const table of schema.tables) {
    const columnNames = new Set(table.columns.map((c) => c.name.toLowerCase()));
    if (columnNames.size !== table.columns.length) {
      throw invalid(`table ${table.name} has two columns with the same name`, { table: table.name });
    }
    const need = (column: string, what: string) => {
      if (!columnNames.has(column.toLowerCase())) {
        throw invalid(`table ${table.name}: ${what} names unknown column ${column}`, {
          table: table.name,
          column,
        });
      }
    };
    for (const c of table.primaryKey) need(c, 'primaryKey');
    for (const fk of table.foreignKeys) {
      for (const c of fk.columns) need(c, `foreign key ${fk.name}`);
      const target = byName.get(fk.referencedTable.toLowerCase());
      if (!target) throw invalid(`foreign key ${fk.name} references unknown table ${fk.referencedTable}`);
    }
    const p = table.partitioning;
    if (p.role === 'director') {
      need(p.ra, 'partitioning.ra');
      need(p.dec, 'partitioning.dec');
      if (table.primaryKey.length !== 1) {
        throw invalid(`director table ${table.name} needs a single-column primaryKey (its director key)`, {
          table: table.name,
        });
      }
    } else if (p.role === 'dependent' || p.role === 'match') {
      const sides = p.role === 'match' ? [p.director, p.director2] : [p.director];
      need(p.key, 'partitioning.key');
      if (p.role === 'match') need(p.key2, 'partitioning.key2');
      for (const name of sides) {
        if (byName.get(name.toLowerCase())?.partitioning.role !== 'director') {
          throw invalid(`${p.role} table ${table.name} names ${name}, which is not a director table`, {
            table: table.name,
          });
        }
      }
      if (p.role === 'match' && p.director.toLowerCase() === p.director2.toLowerCase()) {
        throw invalid(`match table ${table.name} must relate two different director tables`, {
          table: table.name,
        });
      }
    }
  }
}

/** Validates a parsed YAML/JSON value as a catalog schema. */
export function catalogSchemaFromObject(value: unknown): CatalogSchema {
  const parsed = schemaInput.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw invalid(`invalid catalog schema at ${issue.path.join('.') || '(root)'}: ${issue.message}`, {
      path: issue.path,
    });
  }
  const input = parsed.data;
  const schema: CatalogSchema = {
    kind: 'catalogSchema',
    name: input.name,
    version: input.version,
    description: input.description,
    tables: input.tables.map((t) => ({
      kind: 'table',
      name: t.name,
      description: t.description,
      primaryKey: t.primaryKey,
      foreignKeys: t.foreignKeys,
      partitioning:
        t.partitioning.role === 'director'
          ? { ...t.partitioning, key: t.primaryKey[0] ?? '' }
          : t.partitioning,
      columns: t.columns.map((c) => ({
        kind: 'column',
        name: c.name,
        datatype: c.datatype,
        length: c.length ?? null,
        nullable: c.nullable ?? true,
        unit: c.unit ?? null,
        ucd: c.ucd ?? null,
        description: c.description,
      })),
    })),
  };
  checkReferences(schema);
  return deepFreeze(schema);
}

export function parseCatalogSchema(yamlText: string): CatalogSchema {
  let value: unknown;
  try {
    value = parseYaml(yamlText);
  } catch (err) {
    throw invalid(`catalog schema is not valid YAML: ${(err as Error).message}`);
  }
  return catalogSchemaFromObject(value);
}

export function loadCatalogSchema(path: string): CatalogSchema {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw meridianError('FILE_NOT_FOUND', `catalog schema file ${path} cannot be read`, { path });
  }
  return parseCatalogSchema(text);
}

/** Case-insensitive table lookup (ADQL identifiers are case-insensitive). */
export function findTable(schema: CatalogSchema, name: string): CatalogTable | undefined {
  const lower = name.toLowerCase();
  return schema.tables.find((t) => t.name.toLowerCase() === lower);
}

export function findColumn(table: CatalogTable, name: string): CatalogColumn | undefined {
  const lower = name.toLowerCase();
  return table.columns.find((c) => c.name.toLowerCase() === lower);
}

/**
 * The director tables whose chunks a table's rows live in, each with the column of the table holding that
 * director's key: itself for a director, its director for a dependent, both for a match table, none when regular.
 */
export function directorsOf(
  schema: CatalogSchema,
  table: CatalogTable,
): { director: CatalogTable; keyColumn: string }[] {
  const p = table.partitioning;
  const side = (name: string, keyColumn: string) => {
    const director = findTable(schema, name);
    return director ? [{ director, keyColumn }] : [];
  };
  if (p.role === 'director') return [{ director: table, keyColumn: p.key }];
  if (p.role === 'dependent') return side(p.director, p.key);
  if (p.role === 'match') return [...side(p.director, p.key), ...side(p.director2, p.key2)];
  return [];
}

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { meridianError } from '../../errors.js';

/**
 * The dimension universe: the set of dimensions (instrument, visit, detector, tract, ...) and the other elements
 * (visit_detector_region, visit_definition) that data IDs and dimension records are made of. It is read from a
 * versioned YAML file (`config/dimensions.yaml`); a repository stores the universe it was created with.
 */

export type ColumnType = 'string' | 'int' | 'float' | 'bool';

export interface ColumnSpec {
  readonly name: string;
  readonly type: ColumnType;
  readonly length?: number;
}

const columnSchema = z.object({
  name: z.string().regex(/^[a-z_][a-z0-9_]*$/),
  type: z.enum(['string', 'int', 'float', 'bool']),
  length: z.number().int().positive().optional(),
});

const elementSchema = z
  .object({
    keys: z.array(columnSchema).default([]),
    requires: z.array(z.string()).default([]),
    implies: z.array(z.string()).default([]),
    metadata: z.array(columnSchema).default([]),
    governor: z.boolean().default(false),
    viewOf: z.string().optional(),
    spatial: z.string().optional(),
    temporal: z.boolean().default(false),
    populatedBy: z.string().optional(),
    alwaysJoin: z.boolean().default(false),
    doc: z.string().default(''),
  })
  .strict();

const universeSchema = z
  .object({
    namespace: z.string(),
    version: z.number().int().nonnegative(),
    commonSkyPix: z.string().regex(/^htm\d+$/),
    skypix: z.object({ htm: z.object({ levels: z.array(z.number().int().min(0).max(24)) }) }),
    elements: z.record(z.string(), elementSchema),
  })
  .strict();

export type UniverseConfig = z.input<typeof universeSchema>;

export class DimensionElement {
  readonly name: string;
  /** Own key columns; the first is the primary key, the others alternate unique keys. Empty for join elements. */
  readonly keys: readonly ColumnSpec[];
  readonly requires: readonly string[];
  readonly implies: readonly string[];
  readonly metadata: readonly ColumnSpec[];
  readonly governor: boolean;
  readonly viewOf: string | undefined;
  readonly spatial: string | undefined;
  readonly temporal: boolean;
  readonly populatedBy: string | undefined;
  readonly alwaysJoin: boolean;
  readonly doc: string;
  readonly skypixLevel: number | undefined;

  constructor(name: string, def: z.output<typeof elementSchema> | null, skypixLevel?: number) {
    this.name = name;
    this.skypixLevel = skypixLevel;
    if (def === null) {
      this.keys = [{ name: 'id', type: 'int' }];
      this.requires = [];
      this.implies = [];
      this.metadata = [];
      this.governor = false;
      this.viewOf = undefined;
      this.spatial = 'skypix';
      this.temporal = false;
      this.populatedBy = undefined;
      this.alwaysJoin = false;
      this.doc = `HTM level-${skypixLevel} sky pixelization (no table).`;
      return;
    }
    this.keys = def.keys;
    this.requires = def.requires;
    this.implies = def.implies;
    this.metadata = def.metadata;
    this.governor = def.governor;
    this.viewOf = def.viewOf;
    this.spatial = def.spatial;
    this.temporal = def.temporal;
    this.populatedBy = def.populatedBy;
    this.alwaysJoin = def.alwaysJoin;
    this.doc = def.doc;
  }

  /** A dimension has a primary key and can appear in data IDs; other elements only hold records. */
  get isDimension(): boolean {
    return this.keys.length > 0;
  }

  get isSkypix(): boolean {
    return this.skypixLevel !== undefined;
  }

  /** Whether records of this element live in a table of their own. */
  get hasTable(): boolean {
    return !this.isSkypix && this.viewOf === undefined;
  }

  get primaryKey(): ColumnSpec {
    const pk = this.keys[0];
    if (pk === undefined) throw meridianError('INTERNAL', `element ${this.name} has no primary key`);
    return pk;
  }

  /** Columns of the element's table, in order: required dimension columns, own keys, implied, metadata. */
  tableColumns(universe: DimensionUniverse): ColumnSpec[] {
    const cols: ColumnSpec[] = [];
    for (const r of this.requires) cols.push({ ...universe.element(r).primaryKey, name: r });
    cols.push(...this.keys);
    for (const i of this.implies) cols.push({ ...universe.element(i).primaryKey, name: i });
    cols.push(...this.metadata);
    return cols;
  }

  /** Primary-key columns of the element's table. */
  tablePrimaryKey(): string[] {
    return this.isDimension ? [...this.requires, this.primaryKey.name] : [...this.requires];
  }

  /** Column holding the value of dimension `dim` in this element's table. */
  columnFor(dim: string): string | undefined {
    if (dim === this.name && this.isDimension) return this.primaryKey.name;
    if (this.requires.includes(dim) || this.implies.includes(dim)) return dim;
    return undefined;
  }
}

export class DimensionUniverse {
  readonly namespace: string;
  readonly version: number;
  readonly commonSkyPix: string;
  private readonly elementMap: Map<string, DimensionElement>;
  /** Every element in dependency (topological) order. */
  readonly elements: readonly DimensionElement[];
  readonly config: UniverseConfig;
  private readonly groupCache = new Map<string, DimensionGroup>();

  constructor(config: unknown) {
    const parsed = universeSchema.safeParse(config);
    if (!parsed.success) {
      throw meridianError('CONFIG_INVALID', `invalid dimension universe: ${parsed.error.message}`);
    }
    const cfg = parsed.data;
    this.config = config as UniverseConfig;
    this.namespace = cfg.namespace;
    this.version = cfg.version;
    this.commonSkyPix = cfg.commonSkyPix;
    const ordered: DimensionElement[] = [];
    for (const level of cfg.skypix.htm.levels) ordered.push(new DimensionElement(`htm${level}`, null, level));
    for (const [name, def] of Object.entries(cfg.elements)) {
      const seen = new Set(ordered.map((e) => e.name));
      for (const dep of [...def.requires, ...def.implies]) {
        if (!seen.has(dep) && !(dep in cfg.elements)) {
          throw meridianError('CONFIG_INVALID', `element ${name} depends on unknown element ${dep}`);
        }
        if (!seen.has(dep) && dep !== name) {
          // Allow forward references only for implied dimensions (band is implied by physical_filter but
          // declared before it); required ones must be declared first so table creation order works.
          if (def.requires.includes(dep)) {
            throw meridianError(
              'CONFIG_INVALID',
              `element ${name} requires ${dep}, which is declared after it`,
            );
          }
        }
      }
      // Required dependencies are transitive: visit_detector_region requires instrument through visit.
      const requires: string[] = [];
      for (const dep of def.requires) {
        const built = ordered.find((e) => e.name === dep);
        for (const r of [...(built?.requires ?? []), dep]) if (!requires.includes(r)) requires.push(r);
      }
      ordered.push(new DimensionElement(name, { ...def, requires }));
    }
    this.elements = ordered;
    this.elementMap = new Map(ordered.map((e) => [e.name, e]));
    if (!this.elementMap.has(this.commonSkyPix)) {
      throw meridianError('CONFIG_INVALID', `commonSkyPix ${this.commonSkyPix} is not a configured level`);
    }
  }

  static fromYamlFile(path: string): DimensionUniverse {
    return new DimensionUniverse(parseYaml(readFileSync(path, 'utf8')));
  }

  /** The universe shipped with Meridian (`config/dimensions.yaml`). */
  static default(): DimensionUniverse {
    if (defaultUniverse === undefined) {
      defaultUniverse = DimensionUniverse.fromYamlFile(defaultUniversePath());
    }
    return defaultUniverse;
  }

  has(name: string): boolean {
    return this.elementMap.has(name);
  }

  element(name: string): DimensionElement {
    const e = this.elementMap.get(name);
    if (e === undefined) {
      throw meridianError('UNKNOWN_DIMENSION', `unknown dimension element '${name}'`, {
        name,
        known: [...this.elementMap.keys()],
      });
    }
    return e;
  }

  /** Dimensions only (elements with keys), in topological order. */
  get dimensions(): DimensionElement[] {
    return this.elements.filter((e) => e.isDimension);
  }

  get governors(): DimensionElement[] {
    return this.elements.filter((e) => e.governor);
  }

  /** The dimension group closed under required and implied dependencies. */
  group(names: Iterable<string>): DimensionGroup {
    const input = [...names];
    const cacheKey = [...input].sort().join(',');
    const cached = this.groupCache.get(cacheKey);
    if (cached !== undefined) return cached;
    const all = new Set<string>();
    const visit = (n: string): void => {
      const e = this.element(n);
      if (!e.isDimension) {
        throw meridianError('UNKNOWN_DIMENSION', `'${n}' is a dimension element, not a dimension`, {
          name: n,
        });
      }
      if (all.has(n)) return;
      all.add(n);
      for (const dep of [...e.requires, ...e.implies]) visit(dep);
    };
    for (const n of input) visit(n);
    const implied = new Set<string>();
    for (const n of all) for (const i of this.element(n).implies) implied.add(i);
    const order = this.elements.map((e) => e.name);
    const sorted = [...all].sort((a, b) => order.indexOf(a) - order.indexOf(b));
    const group = new DimensionGroup(
      this,
      sorted,
      sorted.filter((n) => !implied.has(n)),
      sorted.filter((n) => implied.has(n)),
    );
    this.groupCache.set(cacheKey, group);
    return group;
  }

  get empty(): DimensionGroup {
    return this.group([]);
  }

  toJSON(): UniverseConfig {
    return this.config;
  }
}

let defaultUniverse: DimensionUniverse | undefined;

/** `config/dimensions.yaml` of the package, found by walking up from this module (src/, dist/ or a bench build). */
function defaultUniversePath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'config', 'dimensions.yaml');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw meridianError('CONFIG_INVALID', 'cannot find config/dimensions.yaml in the Meridian package');
}

export class DimensionGroup {
  readonly universe: DimensionUniverse;
  /** All dimensions, topologically sorted. */
  readonly names: readonly string[];
  /** Dimensions that identify a data ID (not implied by another member). */
  readonly required: readonly string[];
  /** Dimensions whose values follow from the required ones. */
  readonly implied: readonly string[];

  constructor(universe: DimensionUniverse, names: string[], required: string[], implied: string[]) {
    this.universe = universe;
    this.names = Object.freeze(names);
    this.required = Object.freeze(required);
    this.implied = Object.freeze(implied);
  }

  /** Stable key used to name per-group tables and compare groups. */
  get key(): string {
    return this.names.join(',');
  }

  has(name: string): boolean {
    return this.names.includes(name);
  }

  isEmpty(): boolean {
    return this.names.length === 0;
  }

  equals(other: DimensionGroup): boolean {
    return this.key === other.key;
  }

  union(other: DimensionGroup | Iterable<string>): DimensionGroup {
    const names = other instanceof DimensionGroup ? other.names : [...other];
    return this.universe.group([...this.names, ...names]);
  }

  issuperset(other: DimensionGroup): boolean {
    return other.names.every((n) => this.names.includes(n));
  }

  /** Non-dimension elements (and dimensions) whose dependencies all lie in this group, e.g. visit_detector_region. */
  get elements(): DimensionElement[] {
    return this.universe.elements.filter(
      (e) =>
        !e.isSkypix &&
        (e.isDimension ? this.names.includes(e.name) : e.requires.every((r) => this.names.includes(r))),
    );
  }

  /** Temporal elements among the group's dimensions, most specific last. */
  get temporal(): DimensionElement[] {
    return this.names.map((n) => this.universe.element(n)).filter((e) => e.temporal);
  }

  toString(): string {
    return `{${this.names.join(', ')}}`;
  }
}
